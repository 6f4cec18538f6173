"""compare(): two codes side by side, and what really tells them apart.

The key differences are worked out from the catalog's structured fields (class, action,
subject, eliciting commands, connection, who acts, defining documents, registry pairings),
never by putting two descriptions next to each other.  Phrases come from data/explain.toml.
Comparisons are cached: widgets ask for the same pair's HTML on every dropdown change.
"""

from __future__ import annotations

import html
from functools import cached_property, lru_cache

from smtplearn import codes, render
from smtplearn.codes import EnhancedCode, ReplyClass, ReplyCode
from smtplearn.errors import InvalidCodeError
from smtplearn.explanation import _sentence, phrase, prose


class Comparison:
    """Two catalog entries compared: headline, a card each, key differences, guidance."""

    def __init__(self, first, second):
        self.first = first
        self.second = second
        self.same = _key(first) == _key(second)
        self.headline = phrase("heading", "compare", first=first.label, second=second.label)
        self.aspects: list[tuple[str, str]] = [] if self.same else _differences(first, second)
        self.differences: list[str] = [text for _, text in self.aspects]
        entries = [first] if self.same else [first, second]
        self._advice = [_sentence(_guidance(entry)) for entry in entries]
        self.guidance: list[str] = [f"{_code_text(e)}: {text}" for e, text in zip(entries, self._advice)]

    # --- renderings ---------------------------------------------------------------------------

    @cached_property
    def cards(self) -> list[render.Card]:
        """A card per code, then the differences, then what to do about each."""
        section = prose()["section"]
        entries = [self.first] if self.same else [self.first, self.second]
        cards = [_entry_card(entry) for entry in entries]
        differences = render.Card(section["differences"])
        if self.same:
            differences.add(section["same"], phrase("difference", "same", code=self.first.label))
        for aspect, text in self.aspects:
            differences.add(aspect, text)
        guidance = render.Card(section["guidance"])
        for entry, text in zip(entries, self._advice):
            guidance.add(entry.label, text)
        return cards + [differences, guidance]

    def __str__(self) -> str:
        return self._text

    @cached_property
    def _text(self) -> str:
        return "\n\n".join([self.headline + "\n" + "#" * len(self.headline)]
                           + [card.to_text() for card in self.cards])

    def to_markdown(self) -> str:
        return self._markdown

    @cached_property
    def _markdown(self) -> str:
        return "\n".join([f"## {render.md_escape(self.headline)}", ""] + [c.to_markdown() for c in self.cards])

    def _repr_markdown_(self) -> str:
        return self._markdown

    def _repr_html_(self) -> str:
        return self._html

    @cached_property
    def _html(self) -> str:
        codes_html = "".join(f'<div style="flex: 1 1 20em; min-width: 0;">{card.to_html()}</div>'
                             for card in self.cards[:-2])
        return (f'<div class="smtplearn-comparison">'
                f'<div style="font-weight: bold; font-size: 1.25em; margin: 0.3em 0;">'
                f'{html.escape(self.headline)}</div>'
                f'<div style="display: flex; flex-wrap: wrap; gap: 0.8em;">{codes_html}</div>'
                f'{self.cards[-2].to_html()}{self.cards[-1].to_html()}</div>')

    def __repr__(self) -> str:
        return f"<Comparison {self.headline}>"

    def to_dict(self) -> dict:
        return {
            "headline": self.headline, "same": self.same,
            "first": self.first.to_dict(), "second": self.second.to_dict(),
            "differences": [{"aspect": aspect, "text": text} for aspect, text in self.aspects],
            "guidance": list(self.guidance),
        }


def compare(a, b) -> Comparison:
    """Compare two codes: two basic, two enhanced, or one of each (as lookup() takes them)."""
    return _compare_entries(_entry(a), _entry(b))


def _entry(x):
    if isinstance(x, (ReplyCode, EnhancedCode)):
        return x
    if isinstance(x, bool) or not isinstance(x, (int, str)):
        raise InvalidCodeError(
            f"{x!r} cannot be compared: pass two codes such as 211 and 504, '5.1.1' and '5.2.2', "
            f"or 550 and '5.1.1' (or their catalog entries from smtplearn.lookup)")
    return codes.lookup(x)


def _key(entry):
    return (type(entry).__name__, entry.code)


_ENTRIES: dict = {}


def _compare_entries(first, second) -> Comparison:
    _ENTRIES[_key(first)], _ENTRIES[_key(second)] = first, second
    return _cached(_key(first), _key(second))


@lru_cache(maxsize=4096)
def _cached(first_key, second_key) -> Comparison:
    return Comparison(_ENTRIES[first_key], _ENTRIES[second_key])


# --- the differences --------------------------------------------------------------------------

def _code_text(entry) -> str:
    return str(entry.code)


def _class_of(entry) -> ReplyClass | None:
    return entry.reply_class


def _action_of(entry):
    reply_class = _class_of(entry)
    return None if reply_class is None else reply_class.action


def _differences(first, second) -> list[tuple[str, str]]:
    label = render.label
    names = dict(first=_code_text(first), second=_code_text(second))
    out: list[tuple[str, str]] = []
    basic = [isinstance(e, ReplyCode) for e in (first, second)]
    if basic[0] != basic[1]:
        code, enhanced = (first, second) if basic[0] else (second, first)
        out.append((render.label("title"), phrase("difference", "kind", first=_code_text(code),
                                                  second=_code_text(enhanced))))
        pairing = _pairing(code, enhanced)
        if pairing:
            out.append((label("enhanced"), pairing))
    out += _class_and_action(first, second, names)
    out += _subjects(first, second, names)
    if all(basic):
        out += _basic_only(first, second, names)
    elif not any(basic):
        out += _enhanced_only(first, second, names)
    return out


def _class_and_action(first, second, names) -> list[tuple[str, str]]:
    label = render.label
    out = []
    classes = (_class_of(first), _class_of(second))
    if None not in classes:
        if classes[0] == classes[1]:
            out.append((label("reply_class"), phrase(
                "difference", "class_same", class_tag=render.class_tag(classes[0]),
                class_short=classes[0].short, for_client=classes[0].for_client)))
        else:
            out.append((label("reply_class"), phrase(
                "difference", "class", first_class=render.class_tag(classes[0]),
                first_short=classes[0].short, second_class=render.class_tag(classes[1]),
                second_short=classes[1].short, first_for_client=classes[0].for_client,
                second_for_client=classes[1].for_client, **names)))
        actions = (classes[0].action, classes[1].action)
        if actions[0] == actions[1]:
            out.append((label("action"), phrase("difference", "action_same", action=actions[0].label)))
        else:
            out.append((label("action"), phrase("difference", "action", first_action=actions[0].label,
                                                second_action=actions[1].label, **names)))
    for entry in (first, second):
        if isinstance(entry, ReplyCode) and entry.code == 552:
            out.append((label("next_step"), phrase("difference", "retry_552", code=552)))
    return out


def _subject_text(entry) -> str | None:
    if isinstance(entry, ReplyCode):
        return f"{entry.subject.label.lower()} (x{entry.subject.value}x)"
    subject = entry.subject_entry
    return None if subject is None else f"{subject.name} ({subject.code})"


def _subjects(first, second, names) -> list[tuple[str, str]]:
    label = render.label
    texts = (_subject_text(first), _subject_text(second))
    if None in texts:
        return []
    if (isinstance(first, EnhancedCode) and isinstance(second, EnhancedCode)
            and first.kind == second.kind == "detail" and first.generic == second.generic):
        if first.class_digit is not None and second.class_digit is not None:
            return [(label("subject"), phrase("difference", "same_entry_class", generic=first.generic,
                                              name=first.name, **names))]
        with_class, without = (first, second) if first.class_digit is not None else (second, first)
        return [(label("subject"), phrase(
            "difference", "same_entry", first=with_class.code, second=without.code,
            generic=first.generic, name=first.name, class_digit=with_class.class_digit,
            class_name=with_class.class_entry.name))]
    if (isinstance(first, EnhancedCode) and isinstance(second, EnhancedCode)
            and first.subject_digit == second.subject_digit and first.kind == second.kind == "detail"):
        return [(label("subject"), phrase(
            "difference", "detail_same_subject", subject_name=first.subject_entry.name,
            subject_digit=first.subject_digit, first_name=first.name, second_name=second.name))]
    if texts[0] == texts[1]:
        return [(label("subject"), phrase("difference", "subject_same", subject=texts[0]))]
    return [(label("subject"), phrase("difference", "subject", first_subject=texts[0],
                                      second_subject=texts[1], **names))]


def _phases(keys) -> str:
    return ", ".join(render.phase_label(k) for k in keys)


def _basic_only(first: ReplyCode, second: ReplyCode, names) -> list[tuple[str, str]]:
    label = render.label
    out = []
    commands = (first.commands, second.commands)
    if commands[0] and commands[1]:
        if set(commands[0]) == set(commands[1]):
            out.append((label("commands"), phrase("difference", "commands_same", commands=_phases(commands[0]))))
        else:
            out.append((label("commands"), phrase("difference", "commands", first_commands=_phases(commands[0]),
                                                  second_commands=_phases(commands[1]), **names)))
    elif commands[0] or commands[1]:
        known, other = (first, second) if commands[0] else (second, first)
        out.append((label("commands"), phrase("difference", "commands_one", known=known.code,
                                              other=other.code, commands=_phases(known.commands))))
    closes = (first.closes_connection, second.closes_connection)
    if closes[0] == closes[1]:
        out.append((label("closes_connection"), phrase(
            "difference", "connection_same", connection=render.connection_text(closes[0]), **names)))
    else:
        out.append((label("closes_connection"), phrase(
            "difference", "connection", first_connection=render.connection_text(closes[0]),
            second_connection=render.connection_text(closes[1]), **names)))
    who = (first.who_acts, second.who_acts)
    if who[0] and who[1]:
        labels = [", ".join(render.actor_label(a) for a in w) for w in who]
        if set(who[0]) == set(who[1]):
            out.append((label("who_acts"), phrase("difference", "who_same", who=labels[0])))
        else:
            out.append((label("who_acts"), phrase("difference", "who", first_who=labels[0],
                                                  second_who=labels[1], **names)))
    if set(first.sources) != set(second.sources):
        out.append((label("sources"), phrase("difference", "sources", first_sources=", ".join(first.sources),
                                             second_sources=", ".join(second.sources), **names)))
    return out


def _enhanced_only(first: EnhancedCode, second: EnhancedCode, names) -> list[tuple[str, str]]:
    out = []
    if first.associated and second.associated:
        if first.associated != second.associated:
            out.append((render.label("associated"), phrase(
                "difference", "associated", first_associated=first.associated,
                second_associated=second.associated, **names)))
    if first.reference != second.reference:
        out.append((render.label("reference"), phrase(
            "difference", "sources", first_sources=first.reference, second_sources=second.reference,
            **names)))
    return out


def _pairing(code: ReplyCode, enhanced: EnhancedCode) -> str:
    example = enhanced.code if enhanced.class_digit is not None else f"{code.code // 100}{enhanced.code[1:]}"
    values = dict(code=code.code, enhanced=enhanced.code, example=example)
    if enhanced.kind != "detail":
        return ""
    if enhanced.class_digit is not None and enhanced.class_digit != code.code // 100:
        return phrase("difference", "pair_class", enhanced_digit=enhanced.class_digit,
                      code_digit=code.code // 100, **values)
    if code.code // 100 == 3:
        return phrase("difference", "pair_3xx", **values)
    if enhanced.associated.strip().lower() == "any":
        return phrase("difference", "pair_any", **values)
    if code.code in enhanced.associated_codes:
        return phrase("difference", "pair_yes", **values)
    return phrase("difference", "pair_no", **values)


# --- guidance and cards -----------------------------------------------------------------------

def _guidance(entry) -> str:
    action = _action_of(entry)
    if isinstance(entry, ReplyCode):
        return phrase("guidance", "basic", code=entry.code, action=action.label, next_step=entry.next_step)
    if action is None:
        return phrase("guidance", "enhanced_generic", code=entry.code, fix=entry.fix or entry.description)
    return phrase("guidance", "enhanced", code=entry.code, action=action.label,
                  fix=entry.fix or entry.description)


def _entry_card(entry) -> render.Card:
    label = render.label
    card = render.Card(entry.label, entry.reply_class)
    card.add(label("description"), entry.description)
    card.add(label("when"), entry.when)
    if isinstance(entry, ReplyCode):
        card.add(label("fix_client"), entry.fix_client)
        card.add(label("fix_admin"), entry.fix_admin)
        card.add(label("rfc_text"), f"{entry.rfc_text} ({entry.rfc})")
    else:
        card.add(label("fix"), entry.fix)
        card.add(label("associated"), entry.associated)
    return card
