"""Reading server replies: the RFC 5321 sec 4.2 grammar, and the forms people actually paste.

``parse_reply(text)`` is tolerant by default: it finds the reply inside a DSN
``Diagnostic-Code: smtp; ...`` field, behind an MTA's "host ... said:" or "SMTP error from
remote mail server after ...:" wrapper, or flattened onto one line, and it accepts a line that
starts with an enhanced status code only.  ``strict=True`` enforces the grammar (RFC 5321
sec 4.2 and RFC 2034 sec 4) and names the line and column of the first fault.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from functools import cached_property

from smtplearn.errors import InvalidCodeError, ReplySyntaxError

_SPACE = " \t\f\v"  # what is stripped around the text of a line
_OUTER_SPACE = _SPACE + "\r\n"  # what is stripped around the whole input (tolerant mode)

# The common case is one well-formed line; parse_reply reads it with string operations alone.
# Anything else goes the long way round, which gives exactly the same result for such lines.
_CODES = {f"{n}": n for n in range(200, 600) if n // 10 % 10 <= 5}  # RFC 5321 Reply-code
_ENHANCED_TOKEN = re.compile(r"[245]\.[0-9]{1,3}\.[0-9]{1,3}")
_ENHANCED_SEEN: set[str] = set()  # tokens already checked against _ENHANCED_TOKEN (bounded)
_PHYSICAL_LINES = re.compile(r"\r\n|\r|\n")
# A reply line's head: any three digits (tolerant mode reads 571 and warns), then a separator.
_HEAD = re.compile(r"([1-9][0-9]{2})(?:([ \t-])|$)")
_ENHANCED_AT_START = re.compile(r"([245]\.[0-9]{1,3}\.[0-9]{1,3})(?=[ \t\f\v]|$)")
# RFC 3464 diagnostic type "smtp;", anywhere in the line (DSN fields, bounce summaries); it is
# found with str.find first, as a regex scan of every position would be slow.
_DSN_AT = re.compile(r"smtp[ \t]*;[ \t]*([1-9][0-9]{2})(?=[ \t-]|$)", re.IGNORECASE)
# An MTA wrapper ends in a colon: "... said: 550 ...", "... after RCPT TO:<x>: 550 ...".
_WRAPPER_PREFIX = re.compile(r":[ \t]+([2-5][0-9]{2})(?=[ \t-]|$)")
# Codes written elsewhere in the text: "(#5.1.1)", "cuda_nsu 4.7.1", "said: 450 4.1.1".  The
# scan starts at the literal dot (fast); the digits around it are checked in Python.
_DOTTED = re.compile(r"\.[0-9]{1,3}\.[0-9]{1,3}")
_DIGITS_AND_DOT = frozenset("0123456789.")
_NOT_TEXTSTRING = re.compile(r"[^\t -~]")  # RFC 5321: textstring = 1*(%d09 / %d32-126)
_STRICT_LINES = re.compile(r"\r?\n")


@dataclass(frozen=True)
class Reply:
    """One SMTP reply: its code, its enhanced status code and the text of each line.

    Two replies are equal when code, enhanced code and lines are; where the reply was found
    (``raw``, ``context``) does not count, so ``parse_reply(str(reply)) == reply``.
    """

    code: int | None
    enhanced: str | None = None
    lines: tuple[str, ...] = ("",)
    raw: str = field(default="", compare=False, repr=False)
    context: str = field(default="", compare=False)  # a DSN field or MTA wrapper in front

    @property
    def text(self) -> str:
        """The human text of all lines, joined with single spaces."""
        return " ".join(line for line in self.lines if line)

    @property
    def is_multiline(self) -> bool:
        return len(self.lines) > 1

    @cached_property
    def hints(self) -> tuple[str, ...]:
        """Other codes written in the reply outside their RFC place, e.g. a trailing '(#5.1.1)'.

        A basic code appears here only when an enhanced code follows it ('said: 450 4.1.1'),
        so that numbers in the text (sizes, counts) are not mistaken for replies.
        """
        source = self.raw or str(self)
        own = {str(self.code), self.enhanced}
        found: list[str] = []
        for basic, enhanced in _codes_in(source):
            if basic is not None and basic not in own:
                found.append(basic)
            if enhanced not in own:
                found.append(enhanced)
        return tuple(dict.fromkeys(found))

    def __str__(self) -> str:
        last = len(self.lines) - 1
        out = []
        for number, line in enumerate(self.lines):
            body = f"{self.enhanced} {line}" if self.enhanced and line else (self.enhanced or line)
            if self.code is None:
                out.append(body)
            elif number < last:
                out.append(f"{self.code}-{body}")
            else:
                out.append(f"{self.code} {body}" if body else str(self.code))
        return "\n".join(out)

    def to_wire(self) -> bytes:
        """The reply as a server sends it: CRLF after every line, UTF-8."""
        return (str(self).replace("\n", "\r\n") + "\r\n").encode("utf-8")

    def to_dict(self) -> dict:
        return {"code": self.code, "enhanced": self.enhanced, "lines": list(self.lines),
                "text": self.text, "is_multiline": self.is_multiline, "context": self.context,
                "hints": list(self.hints), "raw": self.raw}


_new = object.__new__


def _codes_in(text: str) -> list[tuple[str | None, str]]:
    """Every enhanced code in a text, with the basic code written just before it (or None)."""
    found = []
    for match in _DOTTED.finditer(text):
        start, end = match.start() - 1, match.end()
        if start < 0 or text[start] not in "245" or (start and text[start - 1] in _DIGITS_AND_DOT):
            continue
        if text[end:end + 1].isdigit() or (text[end:end + 1] == "." and text[end + 1:end + 2].isdigit()):
            continue
        basic = text[start - 4:start - 1] if start >= 4 and text[start - 1] in " -" else None
        if basic is not None and (basic not in _CODES or (start > 4 and text[start - 5] in _DIGITS_AND_DOT)):
            basic = None
        found.append((basic, text[start:end]))
    return found


def _make(code, enhanced, lines, raw, context="") -> Reply:
    """Build a Reply without the frozen dataclass's per-field __setattr__ (the hot path)."""
    reply = _new(Reply)
    reply.__dict__.update(code=code, enhanced=enhanced, lines=lines, raw=raw)
    if context:
        reply.__dict__["context"] = context  # otherwise the class default, ""
    return reply


def parse_reply(text, strict: bool = False) -> Reply:
    """Read one SMTP reply from text (or bytes, or a list of lines as a server sent them).

    Tolerant by default (see the module docstring); ``strict=True`` raises ReplySyntaxError,
    naming line and column, wherever the text departs from RFC 5321 sec 4.2 / RFC 2034 sec 4.
    """
    if type(text) is not str:
        text = _as_text(text)
    if strict:
        return _parse_strict(text)
    code = _CODES.get(text[:3])
    if code is None:
        return _parse_tolerant(text)
    separator = text[3:4]
    if separator != " ":
        if separator == "":
            return _make(code, None, ("",), text)
        return _parse_lines(text) or _parse_tolerant(text)
    rest = text[4:]
    if "\n" in rest or "\r" in rest:
        return _parse_lines(text) or _parse_tolerant(text)
    rest = rest.strip(_SPACE)
    enhanced = None
    if rest[1:2] == ".":
        token, _, after = rest.partition(" ")
        if token in _ENHANCED_SEEN or _is_enhanced_token(token):
            enhanced, rest = token, after.lstrip(_SPACE)
        elif "\t" in token or "\f" in token or "\v" in token:
            return _parse_tolerant(text)
    reply = _new(Reply)
    fields = reply.__dict__  # item by item is the quickest way to fill it; context stays ""
    fields["code"] = code
    fields["enhanced"] = enhanced
    fields["lines"] = (rest,)
    fields["raw"] = text
    return reply


def _parse_lines(text: str) -> Reply | None:
    """The quick reading of a well-formed multi-line reply (LF or CRLF), or None to go slowly."""
    physical = text.split("\n")
    if physical[-1] == "":
        physical.pop()
    last = len(physical) - 1
    code = enhanced = None
    lines = []
    for number, line in enumerate(physical):
        if line[-1:] == "\r":
            line = line[:-1]
        this = _CODES.get(line[:3])
        if this is None or "\r" in line or (code is not None and this != code):
            return None
        code = this
        separator = line[3:4]
        if separator != "-" if number < last else separator not in (" ", ""):
            return None
        rest = line[4:].strip(_SPACE)
        if rest[1:2] == ".":
            token, _, after = rest.partition(" ")
            if token in _ENHANCED_SEEN or _is_enhanced_token(token):
                enhanced, rest = enhanced or token, after.lstrip(_SPACE)
            elif "\t" in token or "\f" in token or "\v" in token:
                return None
        lines.append(rest)
    if not lines:
        return None
    return _make(code, enhanced, tuple(lines), text)


def _is_enhanced_token(token: str) -> bool:
    if _ENHANCED_TOKEN.fullmatch(token) is None:
        return False
    if len(_ENHANCED_SEEN) < 4096:
        _ENHANCED_SEEN.add(token)
    return True


def split_replies(text) -> list[str]:
    """Cut pasted text into replies: one per line, but a multi-line reply stays together.

    Lines 'NNN-...' continue until the line 'NNN ...' with the same code; an indented line
    continues the one before it (a wrapped bounce message); blank lines separate replies.
    """
    return [reply for _, reply in split_replies_numbered(text)]


def split_replies_numbered(text) -> list[tuple[int, str]]:
    """split_replies(), each reply with the number of the input line it starts on (from 1)."""
    if type(text) is not str:
        text = _as_text(text)
    groups: list[tuple[int, list[str]]] = []
    open_code = None  # the code of a multi-line reply still waiting for its final line
    for number, line in enumerate(_PHYSICAL_LINES.split(text), start=1):
        if not line.strip(_SPACE):
            open_code = None
            continue
        head = _find_head(line.strip(_SPACE))
        if groups and line[:1] in _SPACE:
            groups[-1][1].append(line)
            continue
        if groups and open_code is not None and head is not None and head[0] == open_code:
            groups[-1][1].append(line)
        else:
            groups.append((number, [line]))
        open_code = head[0] if head is not None and head[1] == "-" else None
    return [(start, "\n".join(lines)) for start, lines in groups]


# ---------------------------------------------------------------------------------------------

def _as_text(value) -> str:
    if isinstance(value, str):
        return value
    if isinstance(value, (bytes, bytearray, memoryview)):
        return bytes(value).decode("utf-8", errors="replace")
    if isinstance(value, (list, tuple)) and all(isinstance(v, (str, bytes, bytearray)) for v in value):
        return "\n".join(_as_text(v).rstrip("\r\n") for v in value)
    raise ReplySyntaxError(
        f"{value!r} is not a server reply: pass the reply as text (str), as the bytes a server "
        f"sent, or as a list of its lines, e.g. '550 5.1.1 User unknown'")


def _find_head(line: str):
    """(code, separator, position of the code) of the reply in a line, or None.

    A code at the start wins, then one after 'smtp;'; a line that starts with an enhanced code
    is that code's (the caller reads it); only then is an MTA wrapper's 'text: 550 ...' tried.
    """
    match = _HEAD.match(line)
    if match is not None:
        return int(match.group(1)), "-" if match.group(2) == "-" else " ", 0
    if _ENHANCED_AT_START.match(line) is not None:
        return None  # the line is that enhanced code's; 'smtp;' or ': 550' in its text is text
    match = _find_dsn(line) or _WRAPPER_PREFIX.search(line)
    if match is not None:
        after = line[match.end(1):match.end(1) + 1]
        return int(match.group(1)), "-" if after == "-" else " ", match.start(1)
    return None


def _find_dsn(line: str):
    """The 'smtp;' diagnostic type followed by a code, at the start or after a separator."""
    lower = line.lower()
    at = lower.find("smtp")
    while at != -1:
        if at == 0 or line[at - 1] in " \t,;:":
            match = _DSN_AT.match(line, at)
            if match is not None:
                return match
        at = lower.find("smtp", at + 1)
    return None


def _shown(text: str, limit: int = 60) -> str:
    return repr(text if len(text) <= limit else text[:limit - 1] + "…")


def _no_code(line: str, number: int = 1) -> ReplySyntaxError:
    return ReplySyntaxError(
        f"no reply code in {_shown(line)}: expected a three-digit code such as 550 at the start "
        f"(or after a 'smtp;' or an MTA's 'said:' prefix), or an enhanced status code such as "
        f"5.1.1 at the start", line=number, column=1)


def _parse_tolerant(text: str) -> Reply:
    text_ = text.strip(_OUTER_SPACE)
    physical = _PHYSICAL_LINES.split(text_) if "\n" in text_ or "\r" in text_ else [text_]
    logical: list[str] = []
    for line in physical:
        if not line.strip(_SPACE):
            continue
        if logical and line[:1] in _SPACE:
            logical[-1] = logical[-1] + " " + line.strip(_SPACE)  # a folded (wrapped) line
        else:
            logical.append(line.strip(_SPACE))
    if not logical:
        raise ReplySyntaxError(
            "the reply is empty: expected a line such as '250 OK' or '550 5.1.1 User unknown'",
            line=1, column=1)
    first = logical[0]
    head = _find_head(first)
    if head is None:
        match = _ENHANCED_AT_START.match(first)
        if match is None:
            raise _no_code(first)
        rest = " ".join([first[match.end():].strip(_SPACE)] + logical[1:]).strip(_SPACE)
        return _make(None, match.group(1), (rest,), text)
    code, separator, position = head
    context = first[:position].strip(_SPACE)
    if len(logical) == 1 and separator == " ":  # one line behind a prefix: no lines to split
        body = first[position + 4:].strip(_SPACE)
        match = _ENHANCED_AT_START.match(body)
        if match is None:
            return _make(code, None, (body,), text, context)
        return _make(code, match.group(1), (body[match.end():].strip(_SPACE),), text, context)
    logical[0] = first[position:]
    # (separator, text) per reply line; lines without a code of their own continue the last one.
    parts: list[list[str]] = []
    for number, line in enumerate(logical, start=1):
        match = _HEAD.match(line)
        if match is None:
            parts[-1][1] += " " + line
            continue
        if int(match.group(1)) != code:
            raise ReplySyntaxError(
                f"line {number} has code {match.group(1)} but line 1 has {code}: these are two "
                f"replies, parse them one at a time (smtplearn.replies.split_replies cuts them apart)",
                line=number, column=1)
        parts.append([match.group(2) or " ", line[match.end():]])
    if len(parts) == 1 and parts[0][0] == "-":
        parts = _unflatten(code, parts[0][1])
    enhanced = None
    lines = []
    for _, body in parts:
        body = body.strip(_SPACE)
        match = _ENHANCED_AT_START.match(body)
        if match is not None:
            enhanced = enhanced or match.group(1)
            body = body[match.end():].strip(_SPACE)
        lines.append(body)
    return _make(code, enhanced, tuple(lines), text, context)


def _unflatten(code: int, body: str) -> list[list[str]]:
    """Split 'a 550-5.7.1 b 550 5.7.1 c' (a multi-line reply pasted as one line) into its lines.

    Where the first line carries an enhanced code, only '550-' or '550 ' followed by that same
    code counts as the start of a line, so a '550' in the text is left alone.
    """
    enhanced = _ENHANCED_AT_START.match(body.strip(_SPACE))
    enhanced = enhanced.group(1) if enhanced is not None else None
    number = str(code)
    parts = []
    separator, start, at = "-", 0, body.find(number)
    while at != -1:
        after = at + 3
        following = body[after:after + 1]
        if at > 0 and body[at - 1] in " \t" and following in ("-", " ", "\t", ""):
            word = after + 1
            while body[word:word + 1] in (" ", "\t"):
                word += 1
            if enhanced is None or (following and body.startswith(enhanced, word)
                                    and body[word + len(enhanced):word + len(enhanced) + 1] in ("", " ", "\t")):
                parts.append([separator, body[start:at].rstrip(" \t")])
                separator, start = ("-" if following == "-" else " "), min(after + 1, len(body))
                if separator != "-":
                    break
        at = body.find(number, after)
    parts.append([separator, body[start:]])
    return parts


def _parse_strict(text: str) -> Reply:
    lines = _STRICT_LINES.split(text)
    if len(lines) > 1 and lines[-1] == "":
        lines.pop()  # the CRLF that ends the last line
    code = None
    enhanced = None
    texts = []
    final_line = None
    for number, line in enumerate(lines, start=1):
        if final_line is not None:
            raise ReplySyntaxError(
                f"the reply already ended on line {final_line} (a space or nothing after the "
                f"code marks the last line); expected no more lines, found {_shown(line)}",
                line=number, column=1)
        for column, char in enumerate(line[:3], start=1):
            if not char.isdigit() or not char.isascii():
                raise ReplySyntaxError(
                    f"expected a three-digit reply code at the start of {_shown(line)}, "
                    f"found {char!r}", line=number, column=column)
        if len(line) < 3:
            raise ReplySyntaxError(
                f"expected a three-digit reply code, found only {_shown(line)}",
                line=number, column=len(line) + 1)
        digits = line[:3]
        if not ("2" <= digits[0] <= "5" and "0" <= digits[1] <= "5"):
            from smtplearn import codes

            column = 1 if not "2" <= digits[0] <= "5" else 2
            try:
                codes.digits(digits)
            except InvalidCodeError as error:
                raise ReplySyntaxError(str(error), line=number, column=column) from None
            raise ReplySyntaxError(f"{digits} is outside Reply-code = %x32-35 %x30-35 %x30-39",
                                   line=number, column=column)
        if code is not None and int(digits) != code:
            raise ReplySyntaxError(
                f"expected the code {code} of line 1 (every line of a reply has the same code), "
                f"found {digits}", line=number, column=1)
        code = int(digits)
        separator = line[3:4]
        rest = line[4:]
        if separator == "":
            final_line = number
        elif separator == " ":
            final_line = number
            if rest == "":
                raise ReplySyntaxError(
                    f"expected text after the space in {_shown(line)} (or no space at all)",
                    line=number, column=5)
        elif separator != "-":
            raise ReplySyntaxError(
                f"expected a space, a hyphen or the end of the line after the code {digits}, "
                f"found {separator!r}", line=number, column=4)
        bad = _NOT_TEXTSTRING.search(rest)
        if bad is not None:
            raise ReplySyntaxError(
                f"the character {bad.group()!r} is not allowed in reply text (RFC 5321 sec 4.2: "
                f"tab, space and printable US-ASCII only)", line=number, column=5 + bad.start())
        body = rest.strip(_SPACE)
        match = _ENHANCED_AT_START.match(body)
        if match is not None:
            if match.group(1)[0] != digits[0]:
                extra = " (RFC 2034 gives 3xx replies no enhanced code at all)" if digits[0] == "3" else ""
                raise ReplySyntaxError(
                    f"the enhanced code {match.group(1)} has class {match.group(1)[0]} but the "
                    f"reply code {digits} has class {digits[0]}: RFC 2034 sec 4 requires them to "
                    f"agree{extra}", line=number, column=5 + len(rest) - len(rest.lstrip(_SPACE)))
            enhanced = enhanced or match.group(1)
            body = body[match.end():].strip(_SPACE)
        texts.append(body)
    if code is None:
        raise ReplySyntaxError(
            "the reply is empty: expected a line such as '250 OK'", line=1, column=1)
    if final_line is None:
        raise ReplySyntaxError(
            f"the reply has no last line: line {len(lines)} has a hyphen after its code, so "
            f"more lines should follow; expected a last line such as '{code} ...'",
            line=len(lines), column=4)
    return _make(code, enhanced, tuple(texts), text)
