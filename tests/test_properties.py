"""Property tests: random text and bytes never make parse_reply, explain, lookup or compare raise
anything but our ValueError/LookupError subclasses, and str(reply) parses back to the same reply."""

import json

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from smtplearn import compare, explain, lookup, parse_reply
from smtplearn.errors import SmtplearnError
from smtplearn.replies import _parse_tolerant, split_replies

FAST = settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])

# Pieces real replies are made of, so that random strings reach every branch of the parser.
TOKENS = st.sampled_from([
    "250", "550", "421", "354", "571", "259", "099", "1000", "5.1.1", "4.7.650", "2.0.0", "X.1.1",
    "4.X.X", "5.9.4", " ", "  ", "\t", "-", "\r\n", "\n", "\r", ":", ": ", "smtp;", "smtp; ",
    "Diagnostic-Code: ", "host mx said: ", "(#5.1.1)", "OK", "user unknown", "é", "\x00", "\x0b",
    "192.0.2.1", ".", "0", "5",
])
REPLY_LIKE = st.lists(TOKENS, max_size=14).map("".join)
ANY_TEXT = st.one_of(st.text(max_size=80), REPLY_LIKE)


def ours_only(call, *args, **kwargs):
    """Call; return the result, or None if it raised one of our own ValueError/LookupError."""
    try:
        return call(*args, **kwargs)
    except SmtplearnError as error:
        assert isinstance(error, (ValueError, LookupError)), type(error)
        return None


@FAST
@given(ANY_TEXT, st.booleans())
def test_parse_reply_raises_only_our_errors(text, strict):
    reply = ours_only(parse_reply, text, strict=strict)
    if reply is not None:
        assert reply.code is not None or reply.enhanced is not None
        assert reply.lines and all("\n" not in line and "\r" not in line for line in reply.lines)
        assert isinstance(reply.hints, tuple)


@FAST
@given(st.binary(max_size=80))
def test_bytes_are_decoded_and_never_crash(raw):
    ours_only(parse_reply, raw)
    ours_only(explain, raw)


@FAST
@given(ANY_TEXT)
def test_round_trip(text):
    reply = ours_only(parse_reply, text)
    if reply is not None:
        assert parse_reply(str(reply)) == reply
        assert parse_reply(reply.to_wire()) == reply


@FAST
@given(ANY_TEXT)
def test_the_quick_path_agrees_with_the_long_way(text):
    quick = ours_only(parse_reply, text)
    slow = ours_only(_parse_tolerant, text)
    assert quick == slow


@FAST
@given(ANY_TEXT)
def test_explain_raises_only_our_errors_and_renders(text):
    explanation = ours_only(explain, text)
    if explanation is not None:
        assert str(explanation) and explanation._repr_html_() and explanation.to_markdown()
        json.dumps(explanation.to_dict())


@FAST
@given(st.one_of(ANY_TEXT, st.integers(-10, 10_000), st.none(), st.floats(), st.booleans()))
def test_lookup_and_explain_of_any_value(value):
    ours_only(lookup, value)
    ours_only(explain, value)


@FAST
@given(st.one_of(ANY_TEXT, st.integers(100, 999)), st.one_of(ANY_TEXT, st.integers(100, 999)))
def test_compare_raises_only_our_errors(a, b):
    comparison = ours_only(compare, a, b)
    if comparison is not None:
        assert comparison._repr_html_() and str(comparison)
        json.dumps(comparison.to_dict())


@FAST
@given(ANY_TEXT)
def test_split_replies_never_crashes(text):
    for reply in split_replies(text):
        ours_only(parse_reply, reply)


# --- well-formed replies: strict and tolerant agree, and str() gives the reply back ----------

CODES = st.integers(2, 5).flatmap(lambda c: st.integers(0, 5).flatmap(
    lambda s: st.integers(0, 9).map(lambda d: c * 100 + s * 10 + d)))
LINE_TEXT = st.text(st.characters(min_codepoint=32, max_codepoint=126), max_size=30).map(str.strip).filter(
    lambda text: not text[:1].isdigit())  # text starting '2.0.0' would be read as an enhanced code


@FAST
@given(CODES, st.booleans(), st.lists(LINE_TEXT, min_size=1, max_size=5), st.sampled_from(["\r\n", "\n"]))
def test_well_formed_replies(code, with_enhanced, texts, ending):
    enhanced = f"{code // 100}.1.1" if with_enhanced and code // 100 != 3 else None
    lines = []
    for number, text in enumerate(texts):
        separator = "-" if number < len(texts) - 1 else " "
        body = " ".join(part for part in (enhanced, text) if part)
        lines.append(f"{code}{separator}{body}" if body or separator == "-" else str(code))
    wire = ending.join(lines) + ending
    strict = parse_reply(wire, strict=True)
    assert strict == parse_reply(wire)
    assert (strict.code, strict.enhanced) == (code, enhanced)
    assert strict.lines == tuple(texts)
    assert parse_reply(str(strict), strict=True) == strict
