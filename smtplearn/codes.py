"""The reply-code catalog: every basic SMTP reply code and every IANA enhanced status code.

The facts and our explanations live in ``smtplearn/data/*.toml`` (see docs/data-format.md);
this module only reads them.  Class and subject are always derived from the digits
(RFC 5321 sec 4.2.1, RFC 3463 sec 2), never stored beside them.  The data is loaded on the
first lookup, so ``import smtplearn`` stays cheap.
"""

from __future__ import annotations

import enum
import re
from dataclasses import dataclass, field

from smtplearn import data as _data
from smtplearn.errors import InvalidCodeError, UnknownCodeError

# RFC 5321 sec 4.2: Reply-code = %x32-35 %x30-35 %x30-39
BASIC_CODE_RE = re.compile(r"[2-5][0-5][0-9]")
# RFC 3463 sec 2: class "." subject "." detail, subject and detail of 1 to 3 digits.
ENHANCED_CODE_RE = re.compile(r"([245])\.(\d{1,3})\.(\d{1,3})")
_GENERIC_DETAIL_RE = re.compile(r"[Xx]\.(\d{1,3})\.(\d{1,3})")
_CLASS_ENTRY_RE = re.compile(r"([245])\.(?:X|XXX)\.(?:X|XXX|YYY)", re.IGNORECASE)
_SUBJECT_ENTRY_RE = re.compile(r"X\.(\d{1,3})\.(?:X|XXX|YYY)", re.IGNORECASE)
_BASE_RFCS = ("RFC 5321", "RFC 7504")


class ReplyClass(enum.IntEnum):
    """The first digit of a reply code (RFC 5321 sec 4.2.1)."""

    POSITIVE_COMPLETION = 2
    POSITIVE_INTERMEDIATE = 3
    TRANSIENT_NEGATIVE = 4
    PERMANENT_NEGATIVE = 5

    @property
    def label(self) -> str:
        """The RFC's name of the class, e.g. 'Permanent Negative Completion'."""
        return _data.digits()["class"][str(self.value)]["label"]

    @property
    def short(self) -> str:
        """A two-word gist such as 'temporary failure'."""
        return _data.digits()["class"][str(self.value)]["short"]

    @property
    def meaning(self) -> str:
        return _data.digits()["class"][str(self.value)]["meaning"]

    @property
    def for_client(self) -> str:
        """What this class tells a client to do."""
        return _data.digits()["class"][str(self.value)]["for_client"]

    @property
    def action(self) -> Action:
        return _CLASS_ACTION[self.value]

    @property
    def css_name(self) -> str:
        """A stable token for styling: 'success', 'intermediate', 'transient', 'permanent'."""
        return ("success", "intermediate", "transient", "permanent")[self.value - 2]

    def __str__(self) -> str:
        return f"{self.value}xx {self.label}"


class Subject(enum.IntEnum):
    """The second digit of a reply code (RFC 5321 sec 4.2.1)."""

    SYNTAX = 0
    INFORMATION = 1
    CONNECTIONS = 2
    UNSPECIFIED_3 = 3
    UNSPECIFIED_4 = 4
    MAIL_SYSTEM = 5

    @property
    def label(self) -> str:
        return _data.digits()["subject"][str(self.value)]["label"]

    @property
    def meaning(self) -> str:
        return _data.digits()["subject"][str(self.value)]["meaning"]

    def __str__(self) -> str:
        return f"x{self.value}x {self.label}"


class Action(enum.Enum):
    """What a client should do after a reply; it follows from the class digit."""

    DONE = "done"
    SEND_MORE = "send_more"
    RETRY_LATER = "retry_later"
    DO_NOT_RETRY = "do_not_retry"

    @property
    def label(self) -> str:
        return _data.digits()["action"][self.value]["label"]

    @property
    def advice(self) -> str:
        return _data.digits()["action"][self.value]["advice"]

    def __str__(self) -> str:
        return self.label


_CLASS_ACTION = {2: Action.DONE, 3: Action.SEND_MORE, 4: Action.RETRY_LATER, 5: Action.DO_NOT_RETRY}


@dataclass(frozen=True)
class Meaning:
    """One meaning of a reply code as one document defines it (a number can have several)."""

    source: str  # "RFC 5321"
    section: str  # "4.2.3"; empty where the RFC section could not be verified
    context: str  # "SMTP", "AUTH", "STARTTLS", "registry" ...: what gives the code this meaning
    rfc_text: str  # the defining document's own words
    checked: str  # yes | registry | secondary | no: how the rfc_text was verified
    enhanced: str  # the enhanced code the RFC pairs with this reply, if any
    commands: tuple[str, ...]
    who_acts: tuple[str, ...]
    description: str
    when: str
    fix_client: str
    fix_admin: str
    next_step: str

    @property
    def citation(self) -> str:
        """'RFC 5321 sec 4.2.3'; 'RFC 7372 (registry X.7.24)' where only the IANA entry was read."""
        if not self.section:
            return self.source
        if not self.section[0].isdigit():
            return f"{self.source} ({self.section})"
        return f"{self.source} sec {self.section}"


@dataclass(frozen=True)
class ReplyCode:
    """A basic three-digit reply code with every meaning the RFCs give it."""

    code: int
    title: str
    meanings: tuple[Meaning, ...]
    closes_connection: bool
    related: tuple[int, ...] = ()
    registry_only: bool = False
    enhanced: tuple[str, ...] = field(default=(), compare=False)  # IANA registry entries naming it

    @property
    def reply_class(self) -> ReplyClass:
        return ReplyClass(self.code // 100)

    @property
    def subject(self) -> Subject:
        return Subject(self.code // 10 % 10)

    @property
    def action(self) -> Action:
        return self.reply_class.action

    @property
    def primary(self) -> Meaning:
        """The meaning a reader should learn first (RFC 5321's where it has one)."""
        return self.meanings[0]

    description = property(lambda self: self.primary.description)
    when = property(lambda self: self.primary.when)
    fix_client = property(lambda self: self.primary.fix_client)
    fix_admin = property(lambda self: self.primary.fix_admin)
    next_step = property(lambda self: self.primary.next_step)
    rfc_text = property(lambda self: self.primary.rfc_text)

    @property
    def rfc(self) -> str:
        """The citation of the primary meaning."""
        return self.primary.citation

    @property
    def sources(self) -> tuple[str, ...]:
        return tuple(dict.fromkeys(meaning.source for meaning in self.meanings))

    @property
    def commands(self) -> tuple[str, ...]:
        return tuple(dict.fromkeys(c for meaning in self.meanings for c in meaning.commands))

    @property
    def who_acts(self) -> tuple[str, ...]:
        return tuple(dict.fromkeys(a for meaning in self.meanings for a in meaning.who_acts))

    @property
    def is_standard(self) -> bool:
        """True when RFC 5321 (or RFC 7504, which updates it) assigns the code."""
        return any(meaning.source in _BASE_RFCS for meaning in self.meanings)

    @property
    def label(self) -> str:
        return f"{self.code} {self.title}"

    def __repr__(self) -> str:
        return f"<ReplyCode {self.label}>"

    def meaning_for(self, context: str) -> Meaning | None:
        """The meaning under one extension (e.g. 'AUTH', 'STARTTLS'), or None."""
        return next((m for m in self.meanings if m.context.lower() == context.lower()), None)

    def to_dict(self) -> dict:
        from smtplearn import render

        return render.code_dict(self)

    def __str__(self) -> str:
        from smtplearn import render

        return render.code_text(self)

    def _repr_markdown_(self) -> str:
        from smtplearn import render

        return render.code_markdown(self)

    def _repr_html_(self) -> str:
        from smtplearn import render

        return render.code_html(self)


@dataclass(frozen=True)
class EnhancedCode:
    """An enhanced status code (RFC 3463): a class sub-code, a subject sub-code or a detail code.

    ``lookup("5.1.1")`` and ``lookup("X.1.1")`` give the same registry entry; the first also
    knows its class.  ``kind`` is 'class' (``4.X.X``), 'subject' (``X.1.X``) or 'detail'.
    """

    code: str
    kind: str
    class_digit: int | None
    subject_digit: int | None
    detail_digit: int | None
    name: str
    description: str
    reference: str
    associated: str = ""  # the registry's "associated basic status code" column, as written
    when: str = ""
    fix: str = ""

    @property
    def reply_class(self) -> ReplyClass | None:
        return None if self.class_digit is None else ReplyClass(self.class_digit)

    @property
    def generic(self) -> str:
        """The registry's form of this code: X.1.1, 4.X.X or X.1.X."""
        if self.kind == "detail":
            return f"X.{self.subject_digit}.{self.detail_digit}"
        return self.code

    @property
    def associated_codes(self) -> tuple[int, ...]:
        """The basic codes named in the registry column (text such as '5XX' or 'Any' names none)."""
        return tuple(int(n) for n in re.findall(r"\b[2-5]\d\d\b", self.associated))

    @property
    def class_entry(self) -> EnhancedCode | None:
        return None if self.class_digit is None else lookup(f"{self.class_digit}.X.X")

    @property
    def subject_entry(self) -> EnhancedCode | None:
        return None if self.subject_digit is None else lookup(f"X.{self.subject_digit}.X")

    @property
    def label(self) -> str:
        return f"{self.code} {self.name}" if self.name else self.code

    def __repr__(self) -> str:
        return f"<EnhancedCode {self.label}>"

    def to_dict(self) -> dict:
        from smtplearn import render

        return render.enhanced_dict(self)

    def __str__(self) -> str:
        from smtplearn import render

        return render.enhanced_text(self)

    def _repr_markdown_(self) -> str:
        from smtplearn import render

        return render.enhanced_markdown(self)

    def _repr_html_(self) -> str:
        from smtplearn import render

        return render.enhanced_html(self)


@dataclass(frozen=True)
class DigitReading:
    """What the digits of any well-formed three-digit code say, assigned or not."""

    code: int
    reply_class: ReplyClass
    subject: Subject
    assigned: bool

    @property
    def action(self) -> Action:
        return self.reply_class.action

    def __repr__(self) -> str:
        return f"<DigitReading {self.code}: {self.reply_class}, {self.subject}>"

    def __str__(self) -> str:
        from smtplearn import render

        return render.digits_text(self)

    def _repr_markdown_(self) -> str:
        from smtplearn import render

        return render.digits_markdown(self)


# ---------------------------------------------------------------------------
# Loading the catalog

_INDEX: dict | None = None  # every accepted spelling of every code -> its entry
_BASIC: dict[int, ReplyCode] = {}
_ENHANCED: dict[str, EnhancedCode] = {}  # by canonical code: "2.X.X", "X.1.X", "X.1.1"


def _load() -> dict:
    global _INDEX
    if _INDEX is not None:
        return _INDEX
    registry = _data.enhanced_codes()
    index: dict = {}
    for entry in registry["class"]:
        digit = int(entry["code"][0])
        code = EnhancedCode(entry["code"], "class", digit, None, None, entry["name"],
                            entry["description"], entry["reference"])
        _ENHANCED[code.code] = code
        for spelling in (code.code, f"{digit}.XXX.YYY", f"{digit}.XXX.XXX", f"{digit}.x.x"):
            index[spelling] = code
    for entry in registry["subject"]:
        digit = int(entry["code"].split(".")[1])
        code = EnhancedCode(entry["code"], "subject", None, digit, None, entry["name"],
                            entry["description"], entry["reference"])
        _ENHANCED[code.code] = code
        for spelling in (code.code, f"X.{digit}.YYY", f"X.{digit}.XXX", f"x.{digit}.x"):
            index[spelling] = code
    named_by: dict[int, list[str]] = {}
    for entry in registry["detail"]:
        _, subject, detail = entry["code"].split(".")
        code = EnhancedCode(entry["code"], "detail", None, int(subject), int(detail), entry["name"],
                            entry["description"], entry["reference"], entry["associated"],
                            entry["when"], entry["fix"])
        _ENHANCED[code.code] = code
        index[code.code] = index["x" + code.code[1:]] = code
        for digit in (2, 4, 5):
            with_class = EnhancedCode(f"{digit}.{subject}.{detail}", "detail", digit, int(subject),
                                      int(detail), code.name, code.description, code.reference,
                                      code.associated, code.when, code.fix)
            index[with_class.code] = with_class
        for number in code.associated_codes:
            named_by.setdefault(number, []).append(code.code)
    for entry in _data.basic_codes()["code"]:
        meanings = tuple(
            Meaning(
                source=m["source"], section=m["section"], context=m["context"],
                rfc_text=m["rfc_text"], checked=m["checked"], enhanced=m["enhanced"],
                commands=tuple(m["commands"]), who_acts=tuple(m["who_acts"]),
                description=m["description"], when=m["when"], fix_client=m["fix_client"],
                fix_admin=m["fix_admin"], next_step=m["next_step"],
            )
            for m in entry["meaning"]
        )
        number = entry["code"]
        code = ReplyCode(number, entry["title"], meanings, entry["closes_connection"],
                         tuple(entry["related"]), entry.get("registry_only", False),
                         tuple(named_by.get(number, ())))
        _BASIC[number] = code
        index[number] = index[str(number)] = code
    _INDEX = index
    return index


def basic_codes() -> list[ReplyCode]:
    """Every basic reply code in the catalog, in numeric order."""
    _load()
    return [_BASIC[n] for n in sorted(_BASIC)]


def enhanced_codes(kind: str | None = None) -> list[EnhancedCode]:
    """Every enhanced-code registry entry (classes, subjects, details), or one kind of them."""
    _load()
    entries = list(_ENHANCED.values())
    if kind is not None:
        if kind not in ("class", "subject", "detail"):
            raise ValueError(f"kind={kind!r}: expected 'class', 'subject', 'detail' or None")
        entries = [e for e in entries if e.kind == kind]
    return entries


@dataclass(frozen=True)
class Extension:
    """A document that gives reply codes a meaning: RFC 5321 itself, or an SMTP extension."""

    source: str  # "RFC 4954", as in Meaning.source
    name: str
    keyword: str  # the EHLO keyword, or "" where there is none
    context: str  # the Meaning.context its meanings carry
    defines_codes: bool
    summary: str

    @property
    def codes(self) -> tuple[int, ...]:
        """The basic codes this document gives a meaning to, from the catalog."""
        return tuple(c.code for c in basic_codes() if self.source in c.sources)


def extensions() -> list[Extension]:
    """Every document the catalog cites, with what it adds to the reply codes."""
    return [Extension(**entry) for entry in _data.load("extensions")["extension"]]


# ---------------------------------------------------------------------------
# Looking codes up

def lookup(code) -> ReplyCode | EnhancedCode:
    """The catalog entry for a basic code (211, "211") or an enhanced one ("5.1.1", "X.1.1", "4.X.X", "X.1.X")."""
    try:
        return _INDEX[code]  # the fast path: a dict hit
    except (TypeError, KeyError):  # TypeError: catalog not loaded yet, or an unhashable input
        pass
    index = _load()
    key = _normalise(code)
    if key in index:
        return index[key]
    if isinstance(key, int):
        raise UnknownCodeError(_unassigned_basic_message(key))
    raise UnknownCodeError(_unassigned_enhanced_message(key))


def _normalise(code):
    """The index key for a code, or InvalidCodeError that names the input and the valid forms."""
    if isinstance(code, bool) or not isinstance(code, (int, str)):
        raise InvalidCodeError(
            f"{code!r} is not a reply code: pass a three-digit basic code (250, '550') "
            f"or an enhanced status code as text ('5.1.1', 'X.1.1', '4.X.X', 'X.1.X')")
    text = str(code).strip()
    if re.fullmatch(r"\d+", text):
        return _check_basic(int(text), code)
    if ENHANCED_CODE_RE.fullmatch(text):
        return text
    match = _GENERIC_DETAIL_RE.fullmatch(text)
    if match:
        return "X." + ".".join(str(int(g)) for g in match.groups())
    match = _CLASS_ENTRY_RE.fullmatch(text)
    if match:
        return f"{match.group(1)}.X.X"
    match = _SUBJECT_ENTRY_RE.fullmatch(text)
    if match:
        return f"X.{int(match.group(1))}.X"
    raise InvalidCodeError(_invalid_text_message(code, text))


def _check_basic(number: int, original) -> int:
    shown = repr(original) if isinstance(original, str) else str(original)
    text = str(number) if not isinstance(original, str) else original.strip()
    if len(text) != 3:
        raise InvalidCodeError(
            f"{shown} is not a reply code: basic SMTP reply codes have exactly three digits "
            f"(RFC 5321 sec 4.2), such as 250 or 550")
    first, second = int(text[0]), int(text[1])
    if first == 1:
        raise InvalidCodeError(
            f"{shown} is not an SMTP reply code: the first digit must be 2, 3, 4 or 5 "
            f"(RFC 5321 sec 4.2 ABNF: Reply-code = %x32-35 %x30-35 %x30-39); 1yz replies exist in "
            f"the RFC's scheme but SMTP has no command that allows them")
    if not 2 <= first <= 5:
        raise InvalidCodeError(
            f"{shown} is not an SMTP reply code: the first digit must be 2, 3, 4 or 5 "
            f"(RFC 5321 sec 4.2 ABNF: Reply-code = %x32-35 %x30-35 %x30-39)")
    if second > 5:
        hint = ""
        mangled = f"X.{text[1]}.{int(text[2])}"
        _load()
        if mangled in _ENHANCED:
            hint = (f"; a '{text}' seen in the wild is usually the enhanced status code "
                    f"{text[0]}.{text[1]}.{text[2]} ({_ENHANCED[mangled].name}) with its dots lost")
        raise InvalidCodeError(
            f"{shown} is not an SMTP reply code: the second digit must be 0 to 5 "
            f"(RFC 5321 sec 4.2 ABNF: Reply-code = %x32-35 %x30-35 %x30-39){hint}")
    return number


def _invalid_text_message(original, text: str) -> str:
    if re.fullmatch(r"\d+(\.\d+)+", text) or re.fullmatch(r"[xX\d]+(\.[xX\dYy]+)+", text):
        return (f"{original!r} is not an enhanced status code: RFC 3463 writes them "
                f"class.subject.detail with class 2, 4 or 5 and one to three digits each, "
                f"such as 5.1.1 (or X.1.1, 4.X.X, X.1.X for registry entries)")
    return (f"{original!r} is not a reply code: expected a three-digit basic code such as 250 "
            f"or 550, or an enhanced status code such as 5.1.1, X.1.1, 4.X.X or X.1.X")


def _unassigned_basic_message(number: int) -> str:
    reading = digits(number)
    return (f"{number} is well-formed but no RFC or the IANA registry assigns it. "
            f"Read by its digits: {reading.reply_class.value} = {reading.reply_class.label} "
            f"({reading.reply_class.short}); {reading.subject.value} = {reading.subject.label}.")


def _unassigned_enhanced_message(text: str) -> str:
    klass, subject, _ = text.split(".")
    parts = [f"{text} is well-formed but the IANA registry lists no such enhanced status code."]
    if klass != "X":
        parts.append(f"Its class {klass} is {_ENHANCED[f'{klass}.X.X'].name}.")
    subject_entry = _ENHANCED.get(f"X.{int(subject)}.X")
    if subject_entry:
        parts.append(f"Its subject {int(subject)} is {subject_entry.name}.")
    return " ".join(parts)


def digits(code) -> DigitReading:
    """Read any well-formed three-digit code by its digits, even one no RFC assigns (e.g. 259)."""
    key = _normalise(code)
    if not isinstance(key, int):
        raise InvalidCodeError(
            f"{code!r}: digits() reads three-digit basic codes such as 259; "
            f"use lookup() for enhanced status codes")
    index = _load()
    return DigitReading(key, ReplyClass(key // 100), Subject(key // 10 % 10), key in index)


# ---------------------------------------------------------------------------
# The catalog as tables (pandas is imported only here)

def catalog(meanings: bool = False):
    """The basic codes as a pandas DataFrame: one row per code, or per (code, meaning)."""
    import pandas

    from smtplearn import render

    rows = []
    for code in basic_codes():
        if meanings:
            rows.extend(render.meaning_row(code, m) for m in code.meanings)
        else:
            rows.append(render.code_row(code))
    return pandas.DataFrame(rows)


def extension_catalog():
    """The documents behind the catalog as a pandas DataFrame: which RFC defines which codes."""
    import pandas

    return pandas.DataFrame([
        {"source": e.source, "name": e.name, "keyword": e.keyword, "context": e.context,
         "defines_codes": e.defines_codes, "codes": ", ".join(str(n) for n in e.codes),
         "summary": e.summary}
        for e in extensions()
    ])


def enhanced_catalog():
    """The enhanced-code registry as a pandas DataFrame, one row per entry."""
    import pandas

    from smtplearn import render

    return pandas.DataFrame([render.enhanced_row(e) for e in enhanced_codes()])
