"""smtplearn: SMTP reply codes made learnable.

An RFC-accurate catalog of every basic reply code and every IANA enhanced status code, an
explainer for real server replies, comparisons, quizzes, a live SMTP lab on loopback, and
Jupyter widgets over all of it.

Names are loaded on first use (PEP 562), so ``import smtplearn`` costs almost nothing and
never imports pandas, ipywidgets or aiosmtpd.
"""

__version__ = "0.1.0"

# public name -> the module that defines it
_EXPORTS = {
    "lookup": "codes", "digits": "codes", "catalog": "codes", "enhanced_catalog": "codes",
    "basic_codes": "codes", "enhanced_codes": "codes", "extensions": "codes",
    "extension_catalog": "codes", "Extension": "codes",
    "ReplyCode": "codes", "EnhancedCode": "codes", "Meaning": "codes", "DigitReading": "codes",
    "ReplyClass": "codes", "Subject": "codes", "Action": "codes",
    "parse_reply": "replies", "Reply": "replies",
    "explain": "explanation", "Explanation": "explanation",
    "compare": "comparison", "Comparison": "comparison",
    "Quiz": "quiz",
    "SmtplearnError": "errors", "InvalidCodeError": "errors", "UnknownCodeError": "errors",
    "ReplySyntaxError": "errors", "QuestionBankError": "errors", "QuizError": "errors",
    "ScenarioError": "errors", "LabError": "errors", "ExerciseError": "errors",
    "LabServer": "lab", "Session": "lab", "load_scenario": "lab", "scenario_names": "lab",
}

__all__ = sorted(_EXPORTS)


def _lazy_exports(package: str, exports: dict, namespace: dict):
    """PEP 562 ``__getattr__`` and ``__dir__`` for a package whose names load on first use.

    ``exports`` maps each public name to the submodule (of ``package``) that defines it; a
    loaded name is kept in ``namespace`` so the import happens once.
    """

    def __getattr__(name):
        module_name = exports.get(name)
        if module_name is None:
            raise AttributeError(f"module {package!r} has no attribute {name!r}")
        import importlib

        value = getattr(importlib.import_module(f"{package}.{module_name}"), name)
        namespace[name] = value
        return value

    def __dir__():
        return sorted(set(namespace) | set(exports))

    return __getattr__, __dir__


__getattr__, __dir__ = _lazy_exports(__name__, _EXPORTS, globals())
