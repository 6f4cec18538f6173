"""The errors smtplearn raises: each names the bad input and says what would be valid.

Every error is a subclass of ValueError or LookupError, so callers (and the property
tests) can rely on nothing else escaping from the public functions.
"""


class SmtplearnError(Exception):
    """Base class of every error smtplearn raises on purpose."""


class InvalidCodeError(SmtplearnError, ValueError):
    """The input is not a reply code at all (wrong shape, or digits outside the RFC grammar)."""


class UnknownCodeError(SmtplearnError, LookupError):
    """A well-formed code that no RFC or the IANA registry assigns."""


class ReplySyntaxError(SmtplearnError, ValueError):
    """A server reply that does not follow the RFC 5321 sec 4.2 grammar."""

    def __init__(self, message, line=None, column=None):
        where = ""
        if line is not None:
            where = f"line {line}" + (f", column {column}" if column is not None else "") + ": "
        super().__init__(where + message)
        self.line = line
        self.column = column


class QuestionBankError(SmtplearnError, ValueError):
    """A teacher's question bank file that cannot be used as it is."""


class QuizError(SmtplearnError, ValueError):
    """A quiz was asked to do something it cannot (answer after the end, a choice not offered)."""


class ScenarioError(SmtplearnError, ValueError):
    """A lab scenario (a dict or a TOML file) that is malformed."""


class LabError(SmtplearnError, RuntimeError):
    """The lab server or a lab session could not do what was asked (bind refused, connection lost)."""


class ExerciseError(SmtplearnError, LookupError):
    """A notebook exercise that does not exist, or a hint number it does not have."""
