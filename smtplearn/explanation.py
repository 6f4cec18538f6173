"""explain(): what a reply or a code means, what to do about it, and what is unusual about it.

An Explanation is plain data worked out from the catalog (smtplearn.codes) and the reply
(smtplearn.replies); its prose comes from data/explain.toml, digits.toml and labels.toml.  It
renders as text, Markdown, HTML and a dict through one render.Card.
"""

from __future__ import annotations

import re
from functools import cached_property, lru_cache

from smtplearn import codes, render
from smtplearn import data as _data
from smtplearn.codes import Action, EnhancedCode, ReplyClass, ReplyCode, Subject
from smtplearn.errors import InvalidCodeError, UnknownCodeError
from smtplearn.replies import Reply, parse_reply

# A code on its own (to be looked up) rather than a reply: digits, or dotted parts like 5.1.1/X.1.X.
_CODE_LIKE = re.compile(r"[0-9]+|[0-9XxYy]+(?:\.[0-9XxYy]+)+")
_ENHANCED_PATTERN = re.compile(r"([245X])\.(\d{1,3})\.(\d{1,3})")


def prose() -> dict:
    return _data.load("explain")


def phrase(group: str, key: str, **values) -> str:
    """One template of data/explain.toml, filled in."""
    return _data.phrase("explain", group, key, **values)


class Explanation:
    """What a reply (or a code) means: class, subject, the catalog entries, action, warnings.

    ``reply`` (a Reply, or None for a code given on its own); ``number`` and ``enhanced_code``
    as written; ``code``/``enhanced`` their catalog entries (None where unassigned or not
    registered; ``digits`` then reads the number); ``meaning`` the Meaning that applies and
    ``meaning_reason`` why ('enhanced', 'words', 'primary'); ``reply_class`` from the basic code,
    else from the enhanced class; ``subject`` a Subject for a basic code, else the enhanced
    code's subject entry (X.7.X); ``action`` (RETRY_LATER for a 552 about too many recipients);
    ``who_acts`` actor keys; ``warnings`` and ``hints`` tuples of text.
    """

    def __init__(self, *, source, reply: Reply | None, number: int | None, enhanced_code: str | None):
        self.source = source
        self.reply = reply
        self.number = number  # the three digits as given, assigned or not (259, 571)
        self.enhanced_code = enhanced_code  # as written ("5.7.606"), registered or not
        self.code: ReplyCode | None = _basic_entry(number)
        self.enhanced: EnhancedCode | None = _enhanced_entry(enhanced_code)
        self.digits = _digit_reading(number) if self.code is None else None
        self.enhanced_class = _part(enhanced_code, "class")
        self.enhanced_subject = _part(enhanced_code, "subject")
        self.reply_class = _reply_class(number, enhanced_code)
        self.subject = _subject(number, self.enhanced_subject)
        self.meaning, self.meaning_reason = _pick_meaning(self.code, enhanced_code, reply)
        self.too_many_recipients = _is_too_many_recipients(number, enhanced_code, reply)
        if self.too_many_recipients:
            self.action = Action.RETRY_LATER
        else:
            self.action = None if self.reply_class is None else self.reply_class.action
        self.who_acts = _who_acts(self.meaning, self.reply_class)
        self.hints = reply.hints if reply is not None else ()
        self.warnings = tuple(self._warnings())

    # --- what is unusual ----------------------------------------------------------------------

    def _warnings(self):
        number, enhanced = self.number, self.enhanced_code
        if number is not None:
            first, second = number // 100, number // 10 % 10
            if not (2 <= first <= 5 and second <= 5):
                yield phrase("warning", "outside_abnf", code=number)
                mangled = _mangled(number)
                if mangled is not None:
                    yield phrase("warning", "mangled", code=number, mangled=mangled.code, name=mangled.name)
                if not 2 <= first <= 5 and self.reply_class is None:
                    yield phrase("warning", "no_class", digit=first)
            elif self.code is None:
                yield phrase("warning", "unassigned", code=number)
            elif self.code.registry_only:
                yield _data.labels()["registry_only"]["note"]
            if self.too_many_recipients:
                yield phrase("warning", "too_many_recipients")
        if enhanced is not None:
            if number is not None and number // 100 == 3:
                yield phrase("warning", "enhanced_on_3xx", code=number, enhanced=enhanced)
            elif number is not None and 2 <= number // 100 <= 5 and int(enhanced[0]) != number // 100:
                code_class = ReplyClass(number // 100)
                yield phrase("warning", "class_mismatch", enhanced=enhanced, enhanced_digit=enhanced[0],
                             enhanced_class=self.enhanced_class.name, code=number,
                             code_digit=code_class.value, code_class=code_class.label,
                             code_short=code_class.short)
            if self.enhanced is None and self.enhanced_code[0] in "245":
                if self.enhanced_subject is None:
                    yield phrase("warning", "enhanced_unknown_subject", enhanced=enhanced,
                                 subject=enhanced.split(".")[1])
                else:
                    yield phrase("warning", "enhanced_unregistered", enhanced=enhanced)
        reply = self.reply
        if reply is not None and reply.code is not None and not reply.is_multiline:
            if _ends_with_continuation(reply):  # (a flattened reply with its last line has several)
                yield phrase("warning", "lone_continuation", code=reply.code)

    # --- renderings ---------------------------------------------------------------------------

    @cached_property
    def card(self) -> render.Card:
        return _card(self)

    @property
    def heading(self) -> str:
        return self.card.heading

    def __str__(self) -> str:
        return self.card.to_text()

    def to_markdown(self) -> str:
        return self.card.to_markdown()

    def _repr_markdown_(self) -> str:
        return self.to_markdown()

    def _repr_html_(self) -> str:
        return self.card.to_html()

    def __repr__(self) -> str:
        return f"<Explanation {self.heading}>"

    def to_dict(self) -> dict:
        reply_class = self.reply_class
        return {
            "input": self.source if isinstance(self.source, (str, int)) else str(self.source),
            "reply": None if self.reply is None else self.reply.to_dict(),
            "code": self.number,
            "title": None if self.code is None else self.code.title,
            "assigned": self.code is not None,
            "meaning": None if self.meaning is None else render.meaning_dict(self.meaning),
            "enhanced": self.enhanced_code,
            "enhanced_name": None if self.enhanced is None else self.enhanced.name,
            "enhanced_registered": self.enhanced is not None,
            "class": None if reply_class is None else reply_class.value,
            "class_label": None if reply_class is None else reply_class.label,
            "subject": None if self.subject is None else self.subject.label,
            "action": None if self.action is None else self.action.value,
            "action_label": None if self.action is None else self.action.label,
            "who_acts": list(self.who_acts),
            "warnings": list(self.warnings),
            "hints": list(self.hints),
            "heading": self.heading,
            "sections": [{"heading": h, "text": t} for h, t in self.card.sections],
        }


# ---------------------------------------------------------------------------------------------

def explain(x) -> Explanation:
    """Explain a code (504, "5.5.4"), a raw reply in any form parse_reply reads, or a Reply.

    Results for identical text or number inputs are cached (they are immutable).
    """
    if isinstance(x, Explanation):
        return x
    if isinstance(x, Reply):
        return Explanation(source=x, reply=x, number=x.code, enhanced_code=x.enhanced)
    if isinstance(x, ReplyCode):
        return _explain_cached(x.code)
    if isinstance(x, EnhancedCode):
        return _explain_cached(x.code)
    if isinstance(x, (bytes, bytearray)):
        x = bytes(x).decode("utf-8", errors="replace")
    if isinstance(x, bool) or not isinstance(x, (int, str)):
        raise InvalidCodeError(
            f"{x!r} cannot be explained: pass a code (504, '5.5.4'), a server reply as text "
            f"('550 5.1.1 User unknown') or a smtplearn Reply")
    return _explain_cached(x)


@lru_cache(maxsize=1024)  # enough for a notebook or widget; more only burdens the GC
def _explain_cached(x) -> Explanation:
    text = str(x).strip()
    if _CODE_LIKE.fullmatch(text):
        number, enhanced = _read_code(x, text)
        return Explanation(source=x, reply=None, number=number, enhanced_code=enhanced)
    reply = parse_reply(text)
    return Explanation(source=x, reply=reply, number=reply.code, enhanced_code=reply.enhanced)


def _read_code(original, text: str):
    """(number, enhanced code) for a code given on its own; InvalidCodeError where it is none."""
    if text.isdigit():
        if len(text) == 3 and text[0] != "0":
            return int(text), None  # explained even outside the ABNF (571) or unassigned (259)
        codes.lookup(original)  # raises InvalidCodeError with the catalog's own message
        raise InvalidCodeError(f"{original!r} is not a reply code")  # pragma: no cover
    try:
        entry = codes.lookup(text)
    except UnknownCodeError:
        return None, text  # well-formed, not registered: explained by its parts
    return None, entry.code


def _basic_entry(number):
    if number is None:
        return None
    try:
        entry = codes.lookup(number)
    except (InvalidCodeError, UnknownCodeError):
        return None
    return entry


def _enhanced_entry(code):
    if code is None:
        return None
    try:
        return codes.lookup(code)
    except (InvalidCodeError, UnknownCodeError):
        return None


def _part(code, kind):
    """The class entry (4.X.X) or subject entry (X.7.X) of an enhanced code, registered or not."""
    if code is None:
        return None
    klass, subject, _ = code.split(".")
    if kind == "class":
        key = f"{klass}.X.X" if klass in "245" else None
    else:
        key = f"X.{int(subject)}.X" if subject.isdigit() else None
    if key is None:
        return None
    try:
        return codes.lookup(key)
    except (InvalidCodeError, UnknownCodeError):
        return None


def _digit_reading(number):
    if number is None:
        return None
    try:
        return codes.digits(number)
    except InvalidCodeError:
        return None


def _reply_class(number, enhanced):
    if number is not None and 2 <= number // 100 <= 5:
        return ReplyClass(number // 100)
    if enhanced is not None and enhanced[0] in "245":
        return ReplyClass(int(enhanced[0]))
    return None


def _subject(number, enhanced_subject):
    if number is not None:
        second = number // 10 % 10
        return Subject(second) if second <= 5 and 2 <= number // 100 <= 5 else None
    return enhanced_subject


def _mangled(number):
    """For 571: the enhanced code 5.7.1 whose dots were lost, if the registry has it."""
    text = str(number)
    if text[0] not in "245":
        return None
    try:
        return codes.lookup(f"{text[0]}.{text[1]}.{text[2]}")
    except (InvalidCodeError, UnknownCodeError):
        return None


def _enhanced_matches(pattern: str, enhanced: str) -> bool:
    """Does 'X.7.20-X.7.26', '5.7.0 / 5.5.2' or 'X.6.7' (a Meaning.enhanced) cover 5.7.26?"""
    klass, subject, detail = enhanced.split(".")
    for part in re.split(r"\s*[/,]\s*", pattern):
        ends = _ENHANCED_PATTERN.findall(part)
        if not ends:
            continue
        low, high = ends[0], ends[-1]
        if low[0] not in ("X", klass) or low[1] != subject or high[1] != subject:
            continue
        if int(low[2]) <= int(detail) <= int(high[2]):
            return True
    return False


def _pick_meaning(code, enhanced, reply):
    """The meaning that applies, and why: by enhanced code, then by words of the text."""
    if code is None:
        return None, ""
    if len(code.meanings) == 1:
        return code.primary, "primary"
    candidates = list(code.meanings)
    if enhanced is not None:
        matching = [m for m in candidates if m.enhanced and _enhanced_matches(m.enhanced, enhanced)]
        if matching:
            return _by_words(matching, reply) or matching[0], "enhanced"
        candidates = [m for m in candidates if not m.enhanced]
    by_words = _by_words(candidates, reply)
    if by_words is not None:
        return by_words, "words"
    return code.primary, "primary"


@lru_cache(maxsize=None)
def _words_pattern(context: str):
    """One regex for the words of data/explain.toml [context_words] that point to a context."""
    words = prose()["context_words"].get(context, ())
    if not words:
        return None
    return re.compile(r"\b(?:" + "|".join(re.escape(w) for w in words) + r")\b")


def _by_words(meanings, reply):
    if reply is None or not reply.text:
        return None
    text = reply.text.lower()
    for meaning in meanings:
        pattern = _words_pattern(meaning.context)
        if pattern is not None and pattern.search(text):
            return meaning
    return None


def _matched_word(meaning, reply) -> str:
    pattern = _words_pattern(meaning.context)
    match = pattern.search(reply.text.lower()) if pattern is not None and reply is not None else None
    return match.group() if match else ""


def _is_too_many_recipients(number, enhanced, reply) -> bool:
    if number != 552:
        return False
    rule = prose()["too_many_recipients"]
    if enhanced is not None and _enhanced_matches(rule["enhanced"], enhanced):
        return True
    text = reply.text.lower() if reply is not None else ""
    return any(word in text for word in rule["words"])


def _who_acts(meaning, reply_class) -> tuple[str, ...]:
    if meaning is not None and meaning.who_acts:
        return tuple(meaning.who_acts)
    if reply_class is None:
        return ()
    return tuple(prose()["who_acts"][str(reply_class.value)])


def _ends_with_continuation(reply: Reply) -> bool:
    """A one-line reply written 'NNN-...' with no final line: the rest was cut off."""
    return not reply.context and reply.raw.lstrip().startswith(f"{reply.code}-")


def _flattened(reply: Reply) -> bool:
    return reply.is_multiline and "\n" not in reply.raw.strip() and "\r" not in reply.raw.strip()


# --- the card ---------------------------------------------------------------------------------

def _heading(explanation: Explanation) -> str:
    number, code = explanation.number, explanation.code
    basic = None
    if number is not None:
        if code is not None:
            basic = code.label
        elif explanation.digits is not None:
            basic = phrase("heading", "unassigned", code=number)
        else:
            basic = phrase("heading", "invalid", code=number)
    enhanced = None
    if explanation.enhanced_code is not None:
        if explanation.enhanced is not None:
            enhanced = explanation.enhanced.label
        else:
            enhanced = phrase("heading", "enhanced_unregistered", code=explanation.enhanced_code)
    if basic and enhanced:
        return phrase("heading", "both", basic=basic, enhanced=enhanced)
    return basic or enhanced or ""


def _card(e: Explanation) -> render.Card:
    section = prose()["section"]
    label = render.label
    card = render.Card(_heading(e), e.reply_class)
    card.notes.extend(e.warnings)
    reply = e.reply
    if reply is not None:
        card.add(section["reply"], str(reply).replace("\n", " / "))
        if reply.is_multiline:
            form = "form_flattened" if _flattened(reply) else "form_multiline"
            card.add(section["lines"], phrase("reply", "lines", count=len(reply.lines),
                                              form=prose()["reply"][form]))
        card.add(section["found_in"], reply.context)
    if e.reply_class is not None:
        card.add(section["class_means"], f"{e.reply_class.meaning} {e.reply_class.for_client}")
    if isinstance(e.subject, Subject):
        card.add(label("subject"), f"{e.subject}. {e.subject.meaning}")
    elif e.digits is None and e.number is not None and e.number // 10 % 10 > 5:
        pass  # a second digit outside the grammar has no subject; the warning says so
    code, meaning = e.code, e.meaning
    if code is not None:
        card.add(label("rfc_text"), f"{meaning.rfc_text} ({meaning.citation})")
        if len(code.meanings) > 1:
            why = _meaning_reason_text(e)
            card.add(section["meaning_context"], phrase("reply", "meaning_context", context=meaning.context,
                                                        citation=meaning.citation, why=why))
        card.add(label("description"), meaning.description)
        card.add(label("when"), meaning.when)
    elif e.digits is not None:
        card.add(section["detail_digit"], _data.digits()["detail"]["meaning"])
    if e.enhanced_code is not None:
        if e.enhanced is not None:
            card.add(section["enhanced"], f"{e.enhanced.label}. {e.enhanced.description}")
            if code is None:
                card.add(label("when"), e.enhanced.when)
                card.add(label("associated"), e.enhanced.associated)
        if e.number is not None or e.reply is not None:
            card.add(section["refines"], _refinement(e))
        elif e.enhanced is None:
            card.add(section["enhanced"], _refinement(e))
    if e.action is not None:
        card.add(label("action"), _sentence(f"{e.action.label}. {e.action.advice}"))
    if meaning is not None:
        card.add(label("next_step"), meaning.next_step)
    card.add(label("who_acts"), [render.actor_label(a) for a in e.who_acts])
    if meaning is not None:
        card.add(label("fix_client"), meaning.fix_client)
        card.add(label("fix_admin"), meaning.fix_admin)
    if e.enhanced is not None:
        card.add(section["enhanced_fix"], e.enhanced.fix)
    if code is not None:
        card.add(label("closes_connection"), render.connection_text(code.closes_connection))
        others = [f"{m.context} ({m.citation})" for m in code.meanings if m is not meaning]
        card.add(label("other_meanings"), "; ".join(others))
    for hint in e.hints:
        card.add(section["also_in_text"], _hint_text(hint))
    return card


def _sentence(text: str) -> str:
    """Text with its first letter in capitals (labels such as 'retry later' start sentences)."""
    return text[:1].upper() + text[1:]


def _meaning_reason_text(e: Explanation) -> str:
    if e.meaning_reason == "enhanced":
        return phrase("reply", "why_enhanced", enhanced=e.enhanced_code)
    if e.meaning_reason == "words":
        return phrase("reply", "why_words", word=repr(_matched_word(e.meaning, e.reply)))
    return prose()["reply"]["why_primary"]


def _refinement(e: Explanation) -> str:
    enhanced = e.enhanced_code
    klass, subject, detail = enhanced.split(".")
    class_entry, subject_entry = e.enhanced_class, e.enhanced_subject
    class_name = class_entry.name if class_entry is not None else klass
    subject_name = subject_entry.name if subject_entry is not None else subject
    if e.number is None or e.reply_class is None or e.number // 100 != e.reply_class.value:
        return phrase("refine", "alone", class_digit=klass, class_name=class_name,
                      subject_digit=subject, subject_name=subject_name)
    base = dict(code=e.number, class_short=e.reply_class.short, enhanced=enhanced,
                subject_label=_subject_label(e), title=e.code.title if e.code else str(e.number))
    if e.enhanced is None:
        return phrase("refine", "unregistered", class_digit=klass, class_name=class_name,
                      subject_digit=subject, subject_name=subject_name, detail=detail, **base)
    entry = e.enhanced
    base.update(name=entry.name, subject_name=subject_name, generic=entry.generic)
    if entry.kind != "detail" or not entry.associated.strip() or entry.associated.strip() == ".":
        return phrase("refine", "unlisted", **base)
    if entry.associated.strip().lower() == "any":
        return phrase("refine", "any", **base)
    key = "paired" if e.number in entry.associated_codes else "unpaired"
    return phrase("refine", key, associated=entry.associated, **base)


def _subject_label(e: Explanation) -> str:
    if isinstance(e.subject, Subject):
        return e.subject.label.lower()
    return str(e.number // 10 % 10)


def _hint_text(hint: str) -> str:
    if "." in hint:
        entry = _enhanced_entry(hint)
        if entry is None:
            return phrase("hint", "enhanced_unregistered", code=hint)
        return phrase("hint", "enhanced", code=hint, name=entry.name)
    entry = _basic_entry(int(hint))
    if entry is None:
        return phrase("hint", "basic_unknown", code=hint)
    return phrase("hint", "basic", code=hint, title=entry.title)
