"""Turning catalog objects into text, Markdown, HTML and plain dicts.

Everything visible is built from a ``Card``: a heading, an optional reply class, and a list of
labelled sections.  One card renders three ways, so text, Markdown and HTML never drift apart.
Classes are always shown by text *and* colour; colours are JupyterLab CSS variables (with a
fallback outside JupyterLab) so dark themes work.  Pure Python: no Jupyter import.
"""

from __future__ import annotations

import html
from dataclasses import dataclass, field

from smtplearn import data as _data

# JupyterLab theme variables per class; the fallback is used outside JupyterLab.
CLASS_COLOURS = {
    "success": "var(--jp-success-color1, #2e7d32)",
    "intermediate": "var(--jp-info-color1, #0277bd)",
    "transient": "var(--jp-warn-color1, #ef6c00)",
    "permanent": "var(--jp-error-color1, #c62828)",
    "unknown": "var(--jp-border-color1, #757575)",
}


def label(key: str) -> str:
    """A shared heading from data/labels.toml, e.g. label('when') -> 'When you see it'."""
    return _data.labels()["field"][key]


def phase_label(key: str) -> str:
    return _data.labels()["phase"].get(key, key)


def actor_label(key: str) -> str:
    return _data.digits()["actor"][key]["label"]


def class_tag(reply_class) -> str:
    """'5xx Permanent Negative Completion' — the class in words, for text and screen readers."""
    return "unknown class" if reply_class is None else str(reply_class)


@dataclass
class Card:
    """A heading, the class it belongs to (or None), and labelled sections of text."""

    heading: str
    reply_class: object = None  # a ReplyClass or None
    sections: list[tuple[str, str]] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)  # warnings, shown prominently

    def add(self, heading: str, text) -> Card:
        """Add a section unless its text is empty; lists are joined with commas."""
        if isinstance(text, (list, tuple)):
            text = ", ".join(str(t) for t in text)
        if text:
            self.sections.append((heading, str(text)))
        return self

    def to_text(self) -> str:
        lines = [self.heading, "=" * len(self.heading)]
        if self.reply_class is not None:
            lines.append(f"{label('reply_class')}: {class_tag(self.reply_class)}")
        for note in self.notes:
            lines.append(f"! {note}")
        for heading, text in self.sections:
            lines.append(f"{heading}: {text}")
        return "\n".join(lines)

    def to_markdown(self) -> str:
        lines = [f"### {md_escape(self.heading)}", ""]
        if self.reply_class is not None:
            lines += [f"**{label('reply_class')}:** {md_escape(class_tag(self.reply_class))}", ""]
        for note in self.notes:
            lines += [f"> **{label('warnings')}:** {md_escape(note)}", ""]
        for heading, text in self.sections:
            lines += [f"**{md_escape(heading)}:** {md_escape(text)}", ""]
        return "\n".join(lines).rstrip() + "\n"

    def to_html(self) -> str:
        css = getattr(self.reply_class, "css_name", "unknown")
        colour = CLASS_COLOURS[css]
        parts = [
            f'<div class="smtplearn-card smtplearn-{css}" style="border-left: 6px solid {colour}; '
            f'padding: 0.4em 0.8em; margin: 0.4em 0; color: var(--jp-content-font-color1, inherit); '
            f'background: var(--jp-layout-color1, transparent);">',
            f'<div style="font-weight: bold; font-size: 1.1em;">{html.escape(self.heading)}</div>',
        ]
        if self.reply_class is not None:
            parts.append(badge_html(self.reply_class))
        for note in self.notes:
            parts.append(
                f'<div class="smtplearn-warning" style="border: 1px solid '
                f'var(--jp-warn-color1, #ef6c00); padding: 0.2em 0.5em; margin: 0.3em 0;">'
                f"<b>{html.escape(label('warnings'))}:</b> {html.escape(note)}</div>")
        # Plain blocks rather than <dl>: notebook front ends style definition lists differently.
        for heading, text in self.sections:
            parts.append(f'<div class="smtplearn-section" style="margin: 0.3em 0;">'
                         f'<div style="font-weight: bold;">{html.escape(heading)}</div>'
                         f'<div style="margin-left: 1em;">{html.escape(text)}</div></div>')
        parts.append("</div>")
        return "".join(parts)


def badge_html(reply_class) -> str:
    """The class as a coloured label whose text says the class too (readable without colour)."""
    css = getattr(reply_class, "css_name", "unknown")
    return (f'<span class="smtplearn-badge smtplearn-{css}" style="display: inline-block; '
            f'padding: 0 0.5em; border-radius: 0.6em; color: var(--jp-ui-inverse-font-color1, #fff); '
            f'background: {CLASS_COLOURS[css]};">{html.escape(class_tag(reply_class))}</span>')


def md_escape(text: str) -> str:
    """Escape the characters Markdown would otherwise take as markup (and raw HTML)."""
    out = str(text)
    for char in "\\`*_[]<>|#":
        out = out.replace(char, "\\" + char)
    return out


# ---------------------------------------------------------------------------
# Basic reply codes

def code_card(code) -> Card:
    card = Card(code.label, code.reply_class)
    if code.registry_only:
        card.notes.append(_data.labels()["registry_only"]["note"])
    primary = code.primary
    card.add(label("subject"), str(code.subject))
    card.add(label("rfc_text"), f"{primary.rfc_text} ({primary.citation})")
    card.add(label("description"), primary.description)
    card.add(label("when"), primary.when)
    card.add(label("fix_client"), primary.fix_client)
    card.add(label("fix_admin"), primary.fix_admin)
    card.add(label("action"), code.action.label)
    card.add(label("next_step"), primary.next_step)
    card.add(label("who_acts"), [actor_label(a) for a in primary.who_acts])
    card.add(label("closes_connection"), connection_text(code.closes_connection))
    for other in code.meanings[1:]:
        card.add(f"{label('other_meanings')}: {other.context} ({other.citation})",
                 f"{other.rfc_text} — {other.description}")
    card.add(label("enhanced"), code.enhanced)
    card.add(label("related"), [str(n) for n in code.related])
    return card


def connection_text(closes: bool) -> str:
    return _data.labels()["connection"]["closes" if closes else "stays_open"]


def code_text(code) -> str:
    return code_card(code).to_text()


def code_markdown(code) -> str:
    return code_card(code).to_markdown()


def code_html(code) -> str:
    return code_card(code).to_html()


def meaning_dict(meaning) -> dict:
    return {
        "source": meaning.source, "section": meaning.section, "citation": meaning.citation,
        "context": meaning.context, "rfc_text": meaning.rfc_text, "checked": meaning.checked,
        "enhanced": meaning.enhanced, "commands": list(meaning.commands),
        "who_acts": list(meaning.who_acts), "description": meaning.description,
        "when": meaning.when, "fix_client": meaning.fix_client, "fix_admin": meaning.fix_admin,
        "next_step": meaning.next_step,
    }


def code_dict(code) -> dict:
    return {
        "code": code.code, "title": code.title,
        "class": code.reply_class.value, "class_label": code.reply_class.label,
        "subject": code.subject.value, "subject_label": code.subject.label,
        "action": code.action.value, "closes_connection": code.closes_connection,
        "registry_only": code.registry_only, "is_standard": code.is_standard,
        "related": list(code.related), "enhanced": list(code.enhanced),
        "meanings": [meaning_dict(m) for m in code.meanings],
    }


def code_row(code) -> dict:
    """One catalog() row: the code with its primary meaning."""
    primary = code.primary
    return {
        "code": code.code, "title": code.title,
        "class": code.reply_class.value, "class_label": code.reply_class.label,
        "subject": code.subject.value, "subject_label": code.subject.label,
        "rfc": primary.citation, "sources": ", ".join(code.sources),
        "rfc_text": primary.rfc_text, "description": primary.description,
        "when": primary.when, "fix_client": primary.fix_client, "fix_admin": primary.fix_admin,
        "action": code.action.label, "next_step": primary.next_step,
        "commands": ", ".join(code.commands), "who_acts": ", ".join(code.who_acts),
        "closes_connection": code.closes_connection, "registry_only": code.registry_only,
        "is_standard": code.is_standard, "meanings": len(code.meanings),
        "related": ", ".join(str(n) for n in code.related),
        "enhanced": ", ".join(code.enhanced),
    }


def meaning_row(code, meaning) -> dict:
    """One catalog(meanings=True) row: a code as one document defines it."""
    return {
        "code": code.code, "title": code.title,
        "class": code.reply_class.value, "class_label": code.reply_class.label,
        "subject": code.subject.value, "subject_label": code.subject.label,
        "context": meaning.context, "rfc": meaning.source, "section": meaning.section,
        "rfc_text": meaning.rfc_text, "checked": meaning.checked, "enhanced": meaning.enhanced,
        "description": meaning.description, "when": meaning.when,
        "commands": ", ".join(meaning.commands), "registry_only": code.registry_only,
    }


# ---------------------------------------------------------------------------
# Enhanced status codes

def enhanced_card(code) -> Card:
    card = Card(code.label, code.reply_class)
    if code.kind == "detail":
        if code.class_digit is not None:
            card.add(label("enhanced_class"), f"{code.class_digit}: {code.class_entry.name}")
        card.add(label("enhanced_subject"), f"{code.subject_digit}: {code.subject_entry.name}")
    card.add(label("description"), code.description)
    card.add(label("when"), code.when)
    card.add(label("fix"), code.fix)
    card.add(label("associated"), code.associated)
    card.add(label("reference"), code.reference)
    return card


def enhanced_text(code) -> str:
    return enhanced_card(code).to_text()


def enhanced_markdown(code) -> str:
    return enhanced_card(code).to_markdown()


def enhanced_html(code) -> str:
    return enhanced_card(code).to_html()


def enhanced_dict(code) -> dict:
    return {
        "code": code.code, "kind": code.kind, "generic": code.generic,
        "class": code.class_digit, "subject": code.subject_digit, "detail": code.detail_digit,
        "name": code.name, "description": code.description, "when": code.when, "fix": code.fix,
        "associated": code.associated, "associated_codes": list(code.associated_codes),
        "reference": code.reference,
    }


def enhanced_row(code) -> dict:
    row = enhanced_dict(code)
    row["associated_codes"] = ", ".join(str(n) for n in code.associated_codes)
    return row


# ---------------------------------------------------------------------------
# Reading a code by its digits

def digits_card(reading) -> Card:
    card = Card(f"{reading.code}: {label('digits')}", reading.reply_class)
    card.add(f"{reading.code // 100}xx", f"{reading.reply_class.label}. {reading.reply_class.meaning}")
    card.add(f"x{reading.subject.value}x", f"{reading.subject.label}. {reading.subject.meaning}")
    card.add(f"xx{reading.code % 10}", _data.digits()["detail"]["meaning"])
    card.add(label("action"), f"{reading.action.label}. {reading.reply_class.for_client}")
    return card


def digits_text(reading) -> str:
    return digits_card(reading).to_text()


def digits_markdown(reading) -> str:
    return digits_card(reading).to_markdown()
