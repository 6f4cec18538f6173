"""Exercises for the tutorial notebooks: ``q1.check(answer)``, ``q1.hint()``, ``q1.solution()``.

In the spirit of Kaggle's learntools: the checking logic is pure Python and returns a
``Feedback`` object that only *displays* itself (text, and HTML coloured with JupyterLab theme
variables).  A wrong answer gets a hint, never the expected value.  Every prompt, hint and
message lives in ``smtplearn/data/exercises.toml``; the expected answers are facts taken from
the catalog wherever the catalog knows them (``class_of = 504``), so they cannot drift from it.
"""

from __future__ import annotations

import html
import re
from dataclasses import dataclass

from smtplearn import data as _data
from smtplearn.errors import ExerciseError

__all__ = ["Exercise", "Feedback", "exercises_for", "notebooks"]

KINDS = ("reply_class", "subject", "action", "code", "codes", "enhanced", "number", "choice")
# Each feedback status borrows the theme colour of a reply class (render.CLASS_COLOURS).
_FEEDBACK_TONES = {"correct": "success", "incorrect": "permanent", "invalid": "transient",
                   "unanswered": "unknown", "hint": "intermediate", "solution": "intermediate"}


class _Invalid(Exception):
    """Raised inside this module when an answer cannot be read as the expected kind."""


@dataclass(frozen=True)
class Feedback:
    """What a check, a hint or a solution says; it displays itself and is truthy when passed."""

    status: str  # correct | incorrect | invalid | unanswered | hint | solution
    message: str
    exercise: str = ""

    @property
    def passed(self) -> bool:
        return self.status == "correct"

    def __bool__(self) -> bool:
        return self.passed

    @property
    def heading(self) -> str:
        return _messages()["status"][self.status]

    def __str__(self) -> str:
        return f"{self.heading}: {self.message}"

    __repr__ = __str__

    def _repr_html_(self) -> str:
        from smtplearn.render import CLASS_COLOURS

        colour = CLASS_COLOURS[_FEEDBACK_TONES[self.status]]
        return (f'<div class="smtplearn-feedback smtplearn-feedback-{self.status}" '
                f'style="border-left: 6px solid {colour}; padding: 0.3em 0.8em; margin: 0.3em 0; '
                f'color: var(--jp-content-font-color1, inherit);">'
                f'<b style="color: {colour};">{html.escape(self.heading)}:</b> '
                f'{_code_spans_html(self.message)}</div>')


class Exercise:
    """One exercise of a notebook: its prompt, how to read an answer, what counts as right."""

    def __init__(self, spec: dict):
        self.notebook = spec["notebook"]
        self.name = spec["name"]
        self.prompt = spec["prompt"]
        self.kind = spec["kind"]
        self.hints = tuple(spec.get("hints", ()))
        self.choices = tuple(spec.get("choices", ()))
        self.explanation = spec.get("explanation", "")
        self.wrong = {str(k).lower(): v for k, v in spec.get("wrong", {}).items()}
        self._expect = spec["expect"]
        self._hints_given = 0
        if self.kind not in KINDS:
            raise ExerciseError(f"exercise {self.label}: kind {self.kind!r} is not one of {', '.join(KINDS)}")
        if not self.hints:
            raise ExerciseError(f"exercise {self.label}: give it at least one hint")
        if self.kind == "choice" and not self.choices:
            raise ExerciseError(f"exercise {self.label}: a 'choice' exercise needs a 'choices' list")

    @property
    def label(self) -> str:
        return f"{self.notebook}.{self.name}"

    # --- the three verbs -------------------------------------------------------------------

    def check(self, answer=...) -> Feedback:
        """Right answers pass; wrong ones get a hint (never the expected value)."""
        messages = _messages()
        if answer is ... or answer is None:
            return self._feedback("unanswered", messages["unanswered"])
        try:
            given = self._read(answer)
        except _Invalid:
            return self._feedback("invalid", messages["invalid"][self.kind].format(answer=_shown(answer)))
        if self._is_right(given):
            return self._feedback("correct", " ".join(filter(None, [messages["correct"], self.explanation])))
        return self._feedback("incorrect", self._wrong_message(given))

    def hint(self, number: int | None = None) -> Feedback:
        """The next hint (or hint ``number``, counting from 1)."""
        if number is None:
            self._hints_given = min(self._hints_given + 1, len(self.hints))
            number = self._hints_given
        if not 1 <= number <= len(self.hints):
            raise ExerciseError(f"exercise {self.label} has hints 1 to {len(self.hints)}, not {number!r}")
        text = _messages()["hint"].format(number=number, total=len(self.hints), hint=self.hints[number - 1])
        return self._feedback("hint", text)

    def solution(self) -> Feedback:
        """The answer, for a student who has decided to look."""
        expected = self.expected()
        if isinstance(expected, (set, frozenset)):
            shown = ", ".join(str(v) for v in sorted(expected))
            template = "solution_any" if self._expect_kind == "where" and self.kind == "code" else "solution"
        else:
            shown, template = _display(expected), "solution"
        text = _messages()[template].format(answer=shown)
        return self._feedback("solution", " ".join(filter(None, [text, self.explanation])))

    # --- expected values, derived from the catalog -----------------------------------------

    @property
    def _expect_kind(self) -> str:
        (key,) = self._expect.keys()
        return key

    def expected(self):
        """The expected answer in its normalised form (a set where several answers are right)."""
        from smtplearn import codes

        key, value = self._expect_kind, self._expect[self._expect_kind]
        if key == "value":
            return self._read(value) if self.kind != "codes" else frozenset(self._read(value))
        if key == "class_of":
            return codes.lookup(value).reply_class.value
        if key == "subject_of":
            entry = codes.lookup(value)
            return entry.subject.value if hasattr(entry, "subject") else entry.subject_digit
        if key == "action_of":
            entry = codes.lookup(value)
            return (entry.action if hasattr(entry, "action") else entry.reply_class.action).value
        if key == "associated_of":
            return frozenset(codes.lookup(value).associated_codes)
        if key == "where":
            matches = frozenset(code.code for code in codes.basic_codes() if _matches(code, value))
            return len(matches) if self.kind == "number" else matches
        raise ExerciseError(f"exercise {self.label}: unknown expectation {key!r}")

    def _is_right(self, given) -> bool:
        expected = self.expected()
        if self.kind == "code" and isinstance(expected, frozenset):
            return given in expected
        return given == expected

    def _wrong_message(self, given) -> str:
        messages = _messages()
        parts = []
        specific = self.wrong.get(str(given).replace("_", " ").lower())
        if specific:
            parts.append(specific)
        expected = self.expected()
        if self.kind == "number":
            parts.append(messages["too_high" if given > expected else "too_low"])
        elif self.kind == "codes":
            extra, missing = len(given - expected), len(expected - given)
            if extra:
                parts.append(messages["extra"].format(count=extra))
            if missing:
                parts.append(messages["missing"].format(count=missing))
        elif self.kind == "enhanced" and given.split(".")[1:] == expected.split(".")[1:]:
            parts.append(messages["class_differs"])
        parts.append(messages["wrong"].format(hint=self.hints[0]))
        return " ".join(parts)

    # --- reading answers -------------------------------------------------------------------

    def _read(self, answer):
        """The answer in normalised form, or _Invalid when it is not of this exercise's kind."""
        reader = getattr(self, f"_read_{self.kind}")
        return reader(answer)

    @staticmethod
    def _read_digit(answer, attribute, low, high, pattern):
        if isinstance(answer, bool):
            raise _Invalid
        value = getattr(answer, attribute, answer)
        if hasattr(value, "value") and isinstance(value.value, int):  # an enum member
            value = value.value
        if isinstance(value, str):
            match = re.fullmatch(pattern, value.strip(), re.IGNORECASE)
            if not match:
                raise _Invalid
            value = int(match.group(1))
        if not isinstance(value, int) or not low <= value <= high:
            raise _Invalid
        return int(value)

    def _read_reply_class(self, answer):
        return self._read_digit(answer, "reply_class", 2, 5, r"([2-5])(?:xx)?")

    def _read_subject(self, answer):
        return self._read_digit(answer, "subject", 0, 5, r"x?([0-5])x?")

    def _read_action(self, answer):
        from smtplearn.codes import Action

        value = getattr(answer, "value", answer)
        if isinstance(value, str):
            wanted = re.sub(r"[\s_-]+", " ", value.strip().lower())
            for action in Action:
                if wanted in (action.value.replace("_", " "), action.label.lower()):
                    return action.value
        raise _Invalid

    def _read_code(self, answer):
        if isinstance(answer, bool):
            raise _Invalid
        value = getattr(answer, "code", answer)
        if isinstance(value, str) and re.fullmatch(r"\s*\d{3}\s*", value):
            value = int(value)
        if not isinstance(value, int) or not 200 <= value <= 599:
            raise _Invalid
        return int(value)

    def _read_codes(self, answer):
        if isinstance(answer, str):
            answer = [part for part in re.split(r"[\s,;]+", answer) if part]
        try:
            items = list(answer)
        except TypeError:
            raise _Invalid from None
        return frozenset(self._read_code(item.item() if hasattr(item, "item") else item) for item in items)

    def _read_enhanced(self, answer):
        value = answer.enhanced if isinstance(getattr(answer, "enhanced", None), str) else answer
        value = getattr(value, "code", value)  # a Reply's enhanced code, or an EnhancedCode
        if isinstance(value, str):
            match = re.fullmatch(r"\s*([245xX])\.(\d{1,3})\.(\d{1,3})\s*", value)
            if match:
                klass, subject, detail = match.groups()
                return f"{klass.upper()}.{int(subject)}.{int(detail)}"
        raise _Invalid

    def _read_number(self, answer):
        if hasattr(answer, "item") and not isinstance(answer, (list, tuple)):
            answer = answer.item()  # a numpy scalar, as pandas returns them
        if isinstance(answer, bool) or not isinstance(answer, int):
            raise _Invalid
        return answer

    def _read_choice(self, answer):
        if isinstance(answer, str):
            wanted = answer.strip().lower()
            for choice in self.choices:
                if wanted == choice.lower():
                    return choice
        raise _Invalid

    # --- display ---------------------------------------------------------------------------

    def _feedback(self, status: str, message: str) -> Feedback:
        return Feedback(status, message, self.label)

    def __str__(self) -> str:
        text = f"{_messages()['exercise']} {self.name}: {self.prompt}"
        if self.choices:
            text += "\n" + "\n".join(f"  - {choice}" for choice in self.choices)
        return text

    __repr__ = __str__

    def _repr_markdown_(self) -> str:
        text = f"**{_messages()['exercise']} {self.name}.** {_code_spans_markdown(self.prompt)}\n"
        if self.choices:
            text += "\n" + "".join(f"- {_code_spans_markdown(choice)}\n" for choice in self.choices)
        return text


_CODE_SPAN = re.compile(r"(`[^`]+`)")


def _code_spans_markdown(text: str) -> str:
    """Escape Markdown outside `code spans` and keep the spans, so replies show as code."""
    from smtplearn.render import md_escape

    return "".join(part if _CODE_SPAN.fullmatch(part) else md_escape(part) for part in _CODE_SPAN.split(text))


def _code_spans_html(text: str) -> str:
    return "".join(f"<code>{html.escape(part[1:-1])}</code>" if _CODE_SPAN.fullmatch(part) else html.escape(part)
                   for part in _CODE_SPAN.split(text))


def _matches(code, conditions: dict) -> bool:
    """Whether a basic code meets every condition: ``{column = value}`` on its catalog() row,
    or ``min_meanings``, ``source`` (one of its defining documents), ``exclude`` (a list)."""
    from smtplearn import render

    row = render.code_row(code)
    for column, wanted in conditions.items():
        if column == "exclude":
            if code.code in wanted:
                return False
        elif column == "min_meanings":
            if len(code.meanings) < wanted:
                return False
        elif column == "source":
            if wanted not in code.sources:
                return False
        elif row[column] != wanted:
            return False
    return True


def _display(value) -> str:
    from smtplearn.codes import Action

    if isinstance(value, str) and value in {a.value for a in Action}:
        return Action(value).label
    if isinstance(value, (set, frozenset)):
        return ", ".join(str(v) for v in sorted(value))
    return str(value)


def _shown(answer) -> str:
    text = repr(answer)
    return text if len(text) <= 60 else text[:57] + "..."


def _messages() -> dict:
    return _data.load("exercises")["messages"]


def notebooks() -> list[str]:
    """The notebooks that have exercises, in order."""
    return list(dict.fromkeys(spec["notebook"] for spec in _data.load("exercises")["exercise"]))


def exercises_for(notebook: str) -> tuple[Exercise, ...]:
    """The exercises of one notebook, in order: ``q1, q2 = exercises_for("01_reply_anatomy")``.

    ``notebook`` may be the file's name with or without ``.ipynb``, or its number (``"01"``).
    """
    known = notebooks()
    name = str(notebook).removesuffix(".ipynb")
    matches = [n for n in known if n == name or n.split("_", 1)[0] == name]
    if len(matches) != 1:
        raise ExerciseError(f"{notebook!r} names no notebook with exercises; "
                            f"use one of: {', '.join(known)} (or its number, such as '01')")
    return tuple(Exercise(spec) for spec in _data.load("exercises")["exercise"]
                 if spec["notebook"] == matches[0])
