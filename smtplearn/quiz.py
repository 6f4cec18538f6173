"""Quizzes on reply codes: which class, retry or not, which code — and teachers' own banks.

Pure Python, so the same engine serves the terminal, the widgets and plain notebook cells
(pandas is imported only by ``results()``).  Prompts, feedback phrases and reply situations come
from ``smtplearn/data/quiz.toml``; explanations come from the catalog.  A quiz is reproducible
from its seed, and it keeps every answer given, so results are never lost.

Two modes:

- ``practice``: feedback after each answer.  A wrong try gets a hint about the choice made (never
  the right answer) and the question stays open for another try, up to ``tries`` tries or until
  only the right choice is left; then the answer and its explanation are shown.
- ``exam``: one answer per question, no marks until the round is over.

The score counts questions answered right on the first try.
"""

from __future__ import annotations

import json
import os
import random
import re
import time
from dataclasses import dataclass, field
from typing import NamedTuple

from smtplearn import codes
from smtplearn import data as _data
from smtplearn.errors import QuestionBankError, QuizError, SmtplearnError
from smtplearn.replies import parse_reply

MODES = ("practice", "exam")
KINDS = ("classes", "retry", "meanings")
RESULT_COLUMNS = ("number", "question", "given", "answer", "correct", "attempts", "seconds")

_LEADING_CODES_RE = re.compile(r"^[2-5]\d\d(?:\s+[245]\.\d{1,3}\.\d{1,3})?\s+")


def _texts() -> dict:
    return _data.load("quiz")


def _phrase(section: str, key: str, **values) -> str:
    return _data.phrase("quiz", section, key, **values)


def _prose(text: str) -> str:
    """Catalog prose, or '' while a field still holds its placeholder."""
    text = (text or "").strip()
    return "" if text in ("", "TODO") else text


def _join(*parts: str) -> str:
    return " ".join(part for part in parts if part)


# ---------------------------------------------------------------------------
# Questions and feedback

@dataclass(frozen=True)
class Question:
    """One multiple-choice question: the prompt, the choices in the order shown, the answer."""

    prompt: str
    choices: tuple[str, ...]
    answer: str
    explanation: str = ""
    kind: str = "bank"  # classes | retry | meanings | bank
    code: object = None  # the catalog code the question is about, if any
    hints: tuple[tuple[str, str], ...] = ()  # (wrong choice, hint shown when it is picked)

    def __post_init__(self):
        choices = tuple(str(choice) for choice in self.choices)
        object.__setattr__(self, "choices", choices)
        object.__setattr__(self, "answer", str(self.answer))
        if len(choices) < 2 or len(set(choices)) != len(choices):
            raise QuizError(f"a question needs at least two different choices, got {list(choices)}")
        if self.answer not in choices:
            raise QuizError(f"the answer {self.answer!r} is not one of the choices {list(choices)}")

    def hint_for(self, choice: str) -> str:
        return dict(self.hints).get(choice, "")

    def resolve(self, given) -> str:
        """The choice that ``given`` names: its exact text (any case), or its first word
        ('5xx', '550'; '5' for '5xx …').  Anything else is a QuizError listing the choices."""
        text = str(given).strip().casefold()
        for choice in self.choices:
            if choice.casefold() == text:
                return choice
        matches = [choice for choice in self.choices if text and text in _keys(choice)]
        if len(matches) == 1:
            return matches[0]
        offered = ", ".join(repr(choice) for choice in self.choices)
        raise QuizError(f"{given!r} is not one of the choices offered: {offered}")

    def to_text(self, number: int | None = None, total: int | None = None) -> str:
        """The question as plain text with numbered choices (the terminal quiz prints this)."""
        lines = []
        if number is not None:
            lines.append(_phrase("cli", "heading", number=number, total=total))
        lines.append(self.prompt)
        lines += [f"  {position}. {choice}" for position, choice in enumerate(self.choices, 1)]
        return "\n".join(lines)

    def __str__(self) -> str:
        return self.to_text()


def _keys(choice: str) -> tuple[str, ...]:
    first = choice.split()[0].casefold() if choice.split() else ""
    keys = [first]
    if re.fullmatch(r"[2-5]xx", first):
        keys.append(first[0])
    return tuple(keys)


@dataclass(frozen=True)
class Feedback:
    """What ``Quiz.answer`` says about one try.

    ``correct`` and ``answer`` are None where they are withheld: in exam mode until the round
    is over, and in practice mode while the question is still open for another try.
    """

    number: int  # the question's number, from 1
    correct: bool | None
    given: str | None
    answer: str | None
    explanation: str
    text: str  # the verdict, e.g. "Right: 5xx Permanent Negative Completion."
    finished: bool  # the question is closed and the quiz has moved on
    retry: bool = False  # practice mode: the same question may be tried again
    hint: str = ""
    attempt: int = 1

    def __str__(self) -> str:
        return "\n".join(part for part in (self.text, self.explanation) if part)


class Progress(NamedTuple):
    """How far a round has got: ``(answered, total)``."""

    answered: int
    total: int

    @property
    def fraction(self) -> float:
        return self.answered / self.total if self.total else 1.0

    def __str__(self) -> str:
        return _phrase("feedback", "progress", answered=self.answered, total=self.total)


@dataclass
class _Record:
    tries: list = field(default_factory=list)
    closed: bool = False
    started: float | None = None
    seconds: float | None = None

    @property
    def first(self):
        return self.tries[0] if self.tries else None


# ---------------------------------------------------------------------------
# The quiz

class Quiz:
    """A round of questions, answered one at a time, that remembers every answer.

    Build one with ``Quiz.classes()``, ``Quiz.retry()``, ``Quiz.meanings()``,
    ``Quiz.from_file(path)`` or from your own list of ``Question`` objects.
    """

    def __init__(self, questions, *, title: str = "", mode: str = "practice", tries: int = 2,
                 seed: int | None = None, kind: str = "bank", clock=time.monotonic, _recipe=None):
        questions = tuple(questions)
        if not questions:
            raise QuizError("a quiz needs at least one question")
        if not all(isinstance(q, Question) for q in questions):
            raise QuizError("questions must be smtplearn.quiz.Question objects")
        if isinstance(tries, bool) or not isinstance(tries, int) or tries < 1:
            raise QuizError(f"tries={tries!r}: expected a whole number of at least 1")
        self._questions = questions
        self._mode = _check_mode(mode)
        self.tries = tries
        self.title = title
        self.seed = seed
        self.kind = kind
        self.history: tuple[Quiz, ...] = ()  # earlier rounds, oldest first (see new_round)
        self._clock = clock
        self._recipe = _recipe
        self._records = [_Record() for _ in questions]
        self._index = 0
        self._records[0].started = clock()
        self.last_feedback: Feedback | None = None

    # --- building ------------------------------------------------------------------------

    @classmethod
    def classes(cls, classes=(2, 5), n: int = 10, seed: int | None = None, *,
                mode: str = "practice", tries: int = 2) -> Quiz:
        """'Which class is 504?' and the same about realistic reply lines; default 2xx vs 5xx."""
        wanted = _check_classes(classes)
        n = _check_n(n)

        def build(round_seed):
            return _class_questions(wanted, n, random.Random(round_seed))

        title = _phrase("title", "classes", classes=", ".join(f"{d}xx" for d in wanted))
        return cls._built(build, seed, title=title, mode=mode, tries=tries, kind="classes")

    @classmethod
    def retry(cls, n: int = 10, seed: int | None = None, *, mode: str = "practice",
              tries: int = 2) -> Quiz:
        """4xx or 5xx: should the client retry later, or fix something first?"""
        n = _check_n(n)

        def build(round_seed):
            return _retry_questions(n, random.Random(round_seed))

        return cls._built(build, seed, title=_phrase("title", "retry"), mode=mode, tries=tries,
                          kind="retry")

    @classmethod
    def meanings(cls, n: int = 10, seed: int | None = None, *, mode: str = "practice",
                 tries: int = 2) -> Quiz:
        """Which code matches this RFC text, description or situation?"""
        n = _check_n(n)

        def build(round_seed):
            return _meaning_questions(n, random.Random(round_seed))

        return cls._built(build, seed, title=_phrase("title", "meanings"), mode=mode, tries=tries,
                          kind="meanings")

    @classmethod
    def from_file(cls, path, seed: int | None = None, *, mode: str = "practice",
                  tries: int = 2) -> Quiz:
        """A teacher's question bank (TOML or JSON; schema in the README, 'Question banks')."""
        bank = _read_bank(os.fspath(path))

        def build(round_seed):
            return _bank_questions(bank, random.Random(round_seed))

        return cls._built(build, seed, title=bank["title"], mode=mode, tries=tries, kind="bank")

    @classmethod
    def _built(cls, build, seed, **options) -> Quiz:
        seed = _check_seed(seed)
        return cls(build(seed), seed=seed, _recipe=build, **options)

    def new_round(self, seed: int | None = None) -> Quiz:
        """Another round of the same kind (next seed, or ``seed``); this one goes into ``history``."""
        if seed is None and self.seed is not None:
            seed = self.seed + 1
        seed = _check_seed(seed)
        questions = self._recipe(seed) if self._recipe else self._questions
        fresh = Quiz(questions, title=self.title, mode=self.mode, tries=self.tries, seed=seed,
                     kind=self.kind, clock=self._clock, _recipe=self._recipe)
        fresh.history = self.history + (self,)
        return fresh

    # --- state ---------------------------------------------------------------------------

    @property
    def questions(self) -> tuple[Question, ...]:
        return self._questions

    @property
    def mode(self) -> str:
        return self._mode

    @mode.setter
    def mode(self, mode: str) -> None:
        mode = _check_mode(mode)
        if mode != self._mode and any(record.tries or record.closed for record in self._records):
            raise QuizError(f"cannot switch to {mode} mode: this round has already started; "
                            f"use new_round() and set the mode before the first answer")
        self._mode = mode

    @property
    def total(self) -> int:
        return len(self._questions)

    @property
    def index(self) -> int:
        """The position of the current question (== total once the round is over)."""
        return self._index

    @property
    def current(self) -> Question | None:
        """The question waiting for an answer, or None when the round is over."""
        return None if self.done else self._questions[self._index]

    @property
    def done(self) -> bool:
        return self._index >= len(self._questions)

    @property
    def answered(self) -> int:
        return sum(record.closed for record in self._records)

    @property
    def progress(self) -> Progress:
        return Progress(self.answered, self.total)

    @property
    def score(self) -> int:
        """Questions answered right on the first try."""
        return sum(record.closed and record.first == question.answer
                   for question, record in zip(self._questions, self._records))

    @property
    def percent(self) -> int:
        return round(100 * self.score / self.total)

    @property
    def attempts(self) -> tuple[str, ...]:
        """The tries already made on the current question (practice mode)."""
        return () if self.done else tuple(self._records[self._index].tries)

    @property
    def summary(self) -> str:
        """One line: the score at the end, or how far the round got."""
        if self.done:
            key = "summary_exam" if self._mode == "exam" else "summary"
            return _phrase("feedback", key, score=self.score, total=self.total,
                           percent=self.percent)
        return _phrase("feedback", "summary_partial", answered=self.answered, total=self.total,
                       score=self.score)

    @property
    def score_text(self) -> str:
        key = "score_exam" if self._mode == "exam" else "score"
        return _phrase("feedback", key, score=self.score, answered=self.answered)

    # --- answering -----------------------------------------------------------------------

    def answer(self, choice) -> Feedback:
        """Answer the current question with one of its choices (text, or its first word)."""
        question = self._require_current()
        given = question.resolve(choice)
        record = self._records[self._index]
        if given in record.tries:
            raise QuizError(f"{given!r} was already tried on this question; choose another choice")
        record.tries.append(given)
        attempt = len(record.tries)
        number = self._index + 1
        if self._mode == "exam":
            self._close()
            feedback = Feedback(number, None, given, None, "", _phrase(
                "feedback", "recorded", answered=self.answered, total=self.total), True)
        elif given == question.answer:
            self._close()
            key = "right" if attempt == 1 else "right_on_retry"
            feedback = Feedback(number, True, given, question.answer, question.explanation,
                                _phrase("feedback", key, answer=question.answer, attempt=attempt),
                                True, attempt=attempt)
        else:
            untried = [c for c in question.choices if c not in record.tries]
            if attempt < self.tries and len(untried) > 1:
                hint = question.hint_for(given)
                text = (_phrase("feedback", "try_again", hint=hint) if hint
                        else _phrase("feedback", "try_again_no_hint"))
                feedback = Feedback(number, False, given, None, "", text, False, retry=True,
                                    hint=hint, attempt=attempt)
            else:
                self._close()
                feedback = Feedback(number, False, given, question.answer, question.explanation,
                                    _phrase("feedback", "wrong", given=given,
                                            answer=question.answer),
                                    True, hint=question.hint_for(given), attempt=attempt)
        self.last_feedback = feedback
        return feedback

    def skip(self) -> Feedback:
        """Give up on the current question: it counts as wrong and (in practice) shows the answer."""
        question = self._require_current()
        number = self._index + 1
        attempt = len(self._records[self._index].tries)
        self._close()
        if self._mode == "exam":
            feedback = Feedback(number, None, None, None, "", _phrase(
                "feedback", "recorded", answered=self.answered, total=self.total), True)
        else:
            feedback = Feedback(number, False, None, question.answer, question.explanation,
                                _phrase("feedback", "skipped", answer=question.answer), True,
                                attempt=attempt)
        self.last_feedback = feedback
        return feedback

    def restart_clock(self) -> None:
        """Time the current question from now: views call this when they show it, so a quiz
        built long before it is displayed does not count the wait."""
        if not self.done and not self._records[self._index].tries:
            self._records[self._index].started = self._clock()

    def review(self) -> list[Feedback]:
        """Full feedback on every closed question (in exam mode only once the round is over)."""
        if self._mode == "exam" and not self.done:
            raise QuizError(f"exam mode marks the answers when the round is over "
                            f"({self.answered} of {self.total} answered so far)")
        out = []
        for number, (question, record) in enumerate(zip(self._questions, self._records), 1):
            if not record.closed:
                continue
            given = record.first
            if given is None:
                text = _phrase("feedback", "skipped", answer=question.answer)
            elif given == question.answer:
                text = _phrase("feedback", "right", answer=question.answer)
            else:
                text = _phrase("feedback", "wrong", given=given, answer=question.answer)
            out.append(Feedback(number, given == question.answer, given, question.answer,
                                question.explanation, text, True, attempt=len(record.tries)))
        return out

    def _require_current(self) -> Question:
        if self.done:
            raise QuizError(f"the round is over: all {self.total} questions have been answered "
                            f"({self.summary}); start another with quiz.new_round()")
        return self._questions[self._index]

    def _close(self) -> None:
        now = self._clock()
        record = self._records[self._index]
        record.closed = True
        record.seconds = max(0.0, now - record.started)
        self._index += 1
        if not self.done:
            self._records[self._index].started = now

    # --- results -------------------------------------------------------------------------

    def result_rows(self) -> list[dict]:
        """One dict per closed question (the rows of ``results()``), without pandas."""
        rows = []
        for number, (question, record) in enumerate(zip(self._questions, self._records), 1):
            if record.closed:
                rows.append({
                    "number": number, "question": question.prompt, "given": record.first,
                    "answer": question.answer, "correct": record.first == question.answer,
                    "attempts": len(record.tries), "seconds": round(record.seconds, 2),
                })
        return rows

    def results(self):
        """A pandas DataFrame: number, question, given (first try), answer, correct, attempts, seconds."""
        import pandas

        return pandas.DataFrame(self.result_rows(), columns=list(RESULT_COLUMNS))

    def all_results(self):
        """The results of every round in ``history`` and this one, with a ``round`` column."""
        import pandas

        rows = [dict(row, round=number)
                for number, quiz in enumerate(self.history + (self,), 1)
                for row in quiz.result_rows()]
        return pandas.DataFrame(rows, columns=["round", *RESULT_COLUMNS])

    def to_csv(self, path, all_rounds: bool = False):
        """Write the results (of this round, or of every round) to a CSV file for the teacher."""
        table = self.all_results() if all_rounds else self.results()
        table.to_csv(path, index=False)
        return path

    def __repr__(self) -> str:
        return (f"Quiz({self.title!r}, {self.total} questions, {self._mode}, "
                f"{self.answered} answered, score {self.score})")

    def __str__(self) -> str:
        question = self.current
        if question is None:
            return self.summary
        return question.to_text(self._index + 1, self.total)


# ---------------------------------------------------------------------------
# Checking arguments

def _check_mode(mode) -> str:
    if mode not in MODES:
        raise QuizError(f"mode={mode!r}: expected 'practice' or 'exam'")
    return mode


def _check_n(n) -> int:
    if isinstance(n, bool) or not isinstance(n, int) or n < 1:
        raise QuizError(f"n={n!r}: expected a whole number of questions, at least 1")
    return n


def _check_seed(seed) -> int:
    if seed is None:
        return random.SystemRandom().randrange(2 ** 31)
    if isinstance(seed, bool) or not isinstance(seed, int):
        raise QuizError(f"seed={seed!r}: expected a whole number (or None for a random round)")
    return seed


def _check_classes(classes) -> tuple[int, ...]:
    original = classes
    if isinstance(classes, (int, str)):
        classes = str(classes).replace(" ", "").split(",")
    wanted = []
    for item in classes:
        text = str(item).strip().lower().removesuffix("xx")
        if text not in ("2", "3", "4", "5"):
            raise QuizError(f"classes={original!r}: {item!r} is not a reply class; "
                            f"use the first digits 2, 3, 4 and 5, e.g. classes=(2, 5)")
        if int(text) not in wanted:
            wanted.append(int(text))
    if len(wanted) < 2:
        raise QuizError(f"classes={original!r}: choose at least two of 2, 3, 4 and 5")
    return tuple(sorted(wanted))


# ---------------------------------------------------------------------------
# Generated questions

@dataclass(frozen=True)
class _ReplyItem:
    line: str
    command: str
    code: int
    enhanced: str | None


def _reply_items() -> list[_ReplyItem]:
    items = []
    for entry in _texts()["reply"]:
        reply = parse_reply(entry["line"])
        items.append(_ReplyItem(entry["line"], entry["command"], reply.code, reply.enhanced))
    return items


def _quiz_codes() -> list:
    """Basic codes that an RFC defines (registry-only numbers have no text to learn)."""
    return [code for code in codes.basic_codes() if not code.registry_only]


def _balanced_sample(groups: dict, n: int, rng: random.Random, about: str) -> list:
    """n items drawn in turn from each group (so no answer dominates), in a shuffled order."""
    pools = {key: list(items) for key, items in sorted(groups.items()) if items}
    available = sum(len(items) for items in pools.values())
    if n > available:
        raise QuizError(f"n={n}: there are only {available} different questions {about}; "
                        f"ask for at most {available}")
    for items in pools.values():
        rng.shuffle(items)
    order = list(pools)
    rng.shuffle(order)
    picked = []
    while len(picked) < n:
        for key in order:
            if pools[key] and len(picked) < n:
                picked.append(pools[key].pop())
    rng.shuffle(picked)
    return picked


def _shuffled(items, rng: random.Random) -> list:
    items = list(items)
    rng.shuffle(items)
    return items


def _situated(template: str, command: str | None, **values) -> str:
    """A prompt that says what the reply answered: a greeting, any command, or one command."""
    if command == "CONNECT":
        return _phrase("prompt", f"{template}_greeting", **values)
    if command in (None, "ANY"):
        return _phrase("prompt", f"{template}_any", **values)
    from smtplearn import render

    return _phrase("prompt", template, command=render.phase_label(command), **values)


def _class_words(reply_class) -> dict:
    return {"digit": reply_class.value, "class_tag": str(reply_class), "short": reply_class.short,
            "class_meaning": reply_class.meaning}


def _enhanced_sentence(enhanced: str | None) -> str:
    if not enhanced:
        return ""
    try:
        entry = codes.lookup(enhanced)
    except SmtplearnError:
        return ""
    return _phrase("explanation", "enhanced", enhanced=enhanced, enhanced_name=entry.name)


def _catalog_code(number: int):
    try:
        return codes.lookup(number)
    except SmtplearnError:
        return None


def _class_questions(wanted: tuple[int, ...], n: int, rng: random.Random) -> list[Question]:
    groups: dict[int, list] = {digit: [] for digit in wanted}
    for code in _quiz_codes():
        if code.reply_class.value in wanted:
            groups[code.reply_class.value].append(code)
    for item in _reply_items():
        if item.code // 100 in wanted:
            groups[item.code // 100].append(item)
    about = "about the classes " + ", ".join(f"{d}xx" for d in wanted)
    questions = []
    for item in _balanced_sample(groups, n, rng, about):
        reply_class = codes.ReplyClass(item.code // 100)
        choices = _shuffled([str(codes.ReplyClass(d)) for d in wanted], rng)
        hints = tuple((str(codes.ReplyClass(d)),
                       _phrase("hint", "class_choice", choice=str(codes.ReplyClass(d)),
                               short=codes.ReplyClass(d).short))
                      for d in wanted if d != reply_class.value)
        if isinstance(item, _ReplyItem):
            code = _catalog_code(item.code)
            prompt = _situated("class_of_reply", item.command, line=item.line)
            explanation = _join(
                _phrase("explanation", "class_of_reply", code=item.code, **_class_words(reply_class)),
                _enhanced_sentence(item.enhanced),
                _prose(code.description) if code else "")
        else:
            code = item
            prompt = _phrase("prompt", "class_of_code", code=code.code)
            explanation = _join(
                _phrase("explanation", "class_of_code", code=code.code, **_class_words(reply_class)),
                _prose(code.description))
        questions.append(Question(prompt, tuple(choices), str(reply_class), explanation,
                                  "classes", item.code, hints))
    return questions


def _retry_questions(n: int, rng: random.Random) -> list[Question]:
    groups: dict[int, list] = {4: [], 5: []}
    for code in _quiz_codes():
        if code.reply_class.value in groups:
            groups[code.reply_class.value].append(code)
    for item in _reply_items():
        if item.code // 100 in groups:
            groups[item.code // 100].append(item)
    questions = []
    for item in _balanced_sample(groups, n, rng, "about retrying (4xx, 5xx)"):
        reply_class = codes.ReplyClass(item.code // 100)
        actions = {digit: codes.ReplyClass(digit).action.label for digit in (4, 5)}
        choices = _shuffled(actions.values(), rng)
        hints = tuple((label, _phrase("hint", "action_choice", choice=label, digit=digit))
                      for digit, label in actions.items() if digit != reply_class.value)
        code = item if not isinstance(item, _ReplyItem) else _catalog_code(item.code)
        if isinstance(item, _ReplyItem):
            prompt = _situated("retry_of_reply", item.command, line=item.line)
        else:
            command = rng.choice(code.commands) if code.commands else None
            prompt = _situated("retry_of_code", command, code=code.code)
        explanation = _join(
            _phrase("explanation", "retry", code=item.code, class_tag=str(reply_class),
                    action=reply_class.action.label, for_client=reply_class.for_client),
            _enhanced_sentence(item.enhanced) if isinstance(item, _ReplyItem) else "",
            _prose(code.next_step) if code else "")
        questions.append(Question(prompt, tuple(choices), actions[reply_class.value], explanation,
                                  "retry", item.code, hints))
    return questions


def _mask(text: str, number: int) -> str:
    """Text about a code with the code's own number hidden, so the prompt does not give it away."""
    text = _LEADING_CODES_RE.sub("", text.strip())
    return re.sub(rf"\b{number}\b", _texts()["prompt"]["masked_code"], text)


def _first_sentence(text: str) -> str:
    """The defining sentence of a description (the rest often names the code or its twin)."""
    return re.split(r"(?<=[.!?])\s+(?=[A-Z])", text, maxsplit=1)[0] if text else ""


@dataclass(frozen=True)
class _MeaningItem:
    code: object  # ReplyCode
    prompt: str
    about_description: bool = False
    also_fits: tuple[int, ...] = ()


def _meaning_items() -> list[_MeaningItem]:
    items = []
    quiz_codes = _quiz_codes()
    rfc_texts: dict[str, list] = {}
    for code in quiz_codes:
        primary = code.primary
        if primary.checked == "yes" and not primary.rfc_text.startswith(("(", "[")):
            rfc_texts.setdefault(_mask(primary.rfc_text, code.code).casefold(), []).append(code)
    for code in quiz_codes:
        primary = code.primary
        masked = _mask(primary.rfc_text, code.code)
        if len(rfc_texts.get(masked.casefold(), ())) == 1:  # skip texts two codes share
            items.append(_MeaningItem(code, _phrase("prompt", "meaning_of_rfc_text",
                                                    source=primary.source, text=masked)))
        description = _first_sentence(_prose(code.description))
        if description:
            items.append(_MeaningItem(code, _phrase("prompt", "meaning_of_description",
                                                    description=_mask(description, code.code)),
                                      about_description=True))
    for entry in _texts()["situation"]:
        code = _catalog_code(entry["code"])
        if code is not None:
            items.append(_MeaningItem(code, _phrase("prompt", "meaning_of_situation",
                                                    situation=entry["text"]),
                                      also_fits=tuple(entry.get("also_fits", ()))))
    return items


def _distractors(code, rng: random.Random, exclude: set, count: int = 3) -> list:
    """Wrong choices worth thinking about: related codes and look-alikes first, then others."""
    pool = [other for other in _quiz_codes() if other.code not in exclude]
    close = [other for other in pool
             if other.code in code.related
             or other.code % 100 == code.code % 100  # the 4xx/5xx twin: 450 and 550
             or other.code // 10 == code.code // 10]  # same class and subject
    rng.shuffle(close)
    picked = close[:2]
    rest = [other for other in pool if other not in picked]
    rng.shuffle(rest)
    return picked + rest[:count - len(picked)]


def _meaning_questions(n: int, rng: random.Random) -> list[Question]:
    groups: dict[int, list] = {}
    for item in _meaning_items():
        groups.setdefault(item.code.reply_class.value, []).append(item)
    questions = []
    for item in _balanced_sample(groups, n, rng, "about code meanings"):
        code = item.code
        wrong = _distractors(code, rng, {code.code, *item.also_fits})
        choices = _shuffled([str(code.code)] + [str(other.code) for other in wrong], rng)
        hints = tuple((str(other.code), _phrase("hint", "code_choice", code=other.code,
                                               title=other.title)) for other in wrong)
        detail = _prose(code.description)
        explanation = _join(_phrase("explanation", "meaning", label=code.label,
                                    citation=code.rfc), detail)
        questions.append(Question(item.prompt, tuple(choices), str(code.code), explanation,
                                  "meanings", code.code, hints))
    return questions


# ---------------------------------------------------------------------------
# Teachers' question banks

_BANK_KEYS = ("title", "shuffle", "shuffle_choices", "question", "questions")
_QUESTION_FIELDS = ("prompt", "choices", "answer", "explanation", "code", "hint")


def _read_bank(path: str) -> dict:
    """Read and check a bank file; every problem is a QuestionBankError naming file, question, field."""
    extension = os.path.splitext(path)[1].lower()
    if extension not in (".toml", ".json"):
        raise QuestionBankError(f"{path}: a question bank must be a .toml or a .json file")
    try:
        with open(path, "rb") as handle:
            raw = handle.read()
    except FileNotFoundError:
        raise QuestionBankError(f"{path}: no such file") from None
    except OSError as error:
        raise QuestionBankError(f"{path}: cannot be read ({error.strerror})") from None
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as error:
        raise QuestionBankError(f"{path}: is not UTF-8 text (byte {error.start})") from None
    if extension == ".toml":
        import tomllib

        try:
            content = tomllib.loads(text)
        except tomllib.TOMLDecodeError as error:
            raise QuestionBankError(f"{path}: is not valid TOML: {error}") from None
    else:
        try:
            content = json.loads(text)
        except json.JSONDecodeError as error:
            raise QuestionBankError(f"{path}: is not valid JSON: line {error.lineno}, "
                                    f"column {error.colno}: {error.msg}") from None
    return _check_bank(content, path)


def _check_bank(content, path: str) -> dict:
    def fail(message):
        raise QuestionBankError(f"{path}: {message}")

    if not isinstance(content, dict):
        fail("the file must hold a table (TOML) or an object (JSON) with a list of questions")
    for key in content:
        if key not in _BANK_KEYS:
            fail(f"unknown top-level field {key!r} (known fields: {', '.join(_BANK_KEYS)})")
    if "question" in content and "questions" in content:
        fail("use either 'question' or 'questions' for the list of questions, not both")
    questions = content.get("question", content.get("questions"))
    if not isinstance(questions, list) or not questions:
        fail("field 'question' (TOML [[question]] tables) or 'questions' (a JSON list) "
             "must list at least one question")
    title = content.get("title", _phrase("title", "bank"))
    if not isinstance(title, str):
        fail(f"field 'title': expected text, got {title!r}")
    for key in ("shuffle", "shuffle_choices"):
        if key in content and not isinstance(content[key], bool):
            fail(f"field {key!r}: expected true or false, got {content[key]!r}")
    checked = [_check_bank_question(entry, number, path)
               for number, entry in enumerate(questions, 1)]
    return {"title": title, "shuffle": content.get("shuffle", False),
            "shuffle_choices": content.get("shuffle_choices", True), "questions": checked}


def _check_bank_question(entry, number: int, path: str) -> dict:
    def fail(field_name, message):
        where = f"question {number}" + (f", field {field_name!r}" if field_name else "")
        raise QuestionBankError(f"{path}: {where}: {message}")

    if not isinstance(entry, dict):
        fail(None, f"expected a table with {', '.join(_QUESTION_FIELDS[:3])}, got {entry!r}")
    for key in entry:
        if key not in _QUESTION_FIELDS:
            fail(key, f"unknown field (known fields: {', '.join(_QUESTION_FIELDS)})")
    for key in ("prompt", "choices", "answer"):
        if key not in entry:
            fail(key, "is missing")
    prompt = entry["prompt"]
    if not isinstance(prompt, str) or not prompt.strip():
        fail("prompt", f"expected non-empty text, got {prompt!r}")
    choices = entry["choices"]
    if not isinstance(choices, list) or len(choices) < 2:
        fail("choices", f"expected a list of at least two choices, got {choices!r}")
    texts = []
    for choice in choices:
        if isinstance(choice, bool) or not isinstance(choice, (str, int)) or not str(choice).strip():
            fail("choices", f"each choice must be non-empty text or a number, got {choice!r}")
        texts.append(str(choice).strip())
    duplicates = sorted({text for text in texts if texts.count(text) > 1})
    if duplicates:
        fail("choices", f"{duplicates[0]!r} is offered twice")
    answer = entry["answer"]
    if isinstance(answer, bool) or not isinstance(answer, (str, int)):
        fail("answer", f"expected one of the choices, got {answer!r}")
    if str(answer).strip() not in texts:
        fail("answer", f"{answer!r} is not one of the choices {texts}")
    for key in ("explanation", "hint"):
        if key in entry and not isinstance(entry[key], str):
            fail(key, f"expected text, got {entry[key]!r}")
    code = entry.get("code")
    catalog_entry = None
    if code is not None:
        try:
            catalog_entry = codes.lookup(code)
        except SmtplearnError as error:
            fail("code", str(error))
    explanation = entry.get("explanation", "")
    if not explanation and catalog_entry is not None:
        explanation = _catalog_explanation(catalog_entry)
    return {"prompt": prompt.strip(), "choices": texts, "answer": str(answer).strip(),
            "explanation": explanation, "code": code, "hint": entry.get("hint", "")}


def _catalog_explanation(entry) -> str:
    if isinstance(entry, codes.ReplyCode):
        return _join(_phrase("explanation", "about_code", label=entry.label, citation=entry.rfc),
                     _prose(entry.description))
    return _join(entry.label + ".", _prose(entry.description))


def _bank_questions(bank: dict, rng: random.Random) -> list[Question]:
    entries = list(bank["questions"])
    if bank["shuffle"]:
        rng.shuffle(entries)
    questions = []
    for entry in entries:
        choices = list(entry["choices"])
        if bank["shuffle_choices"]:
            rng.shuffle(choices)
        hints = tuple((choice, entry["hint"]) for choice in choices
                      if entry["hint"] and choice != entry["answer"])
        questions.append(Question(entry["prompt"], tuple(choices), entry["answer"],
                                  entry["explanation"], "bank", entry["code"], hints))
    return questions
