"""parse_reply: every case of the RFC 5321 sec 4.2 / RFC 2034 grammar, and every tolerant form."""

import pytest

from smtplearn import Reply, ReplySyntaxError, parse_reply
from smtplearn.replies import _parse_tolerant, split_replies, split_replies_numbered


# --- the grammar ------------------------------------------------------------------------------

@pytest.mark.parametrize("strict", [False, True])
def test_single_line(strict):
    reply = parse_reply("250 OK", strict=strict)
    assert (reply.code, reply.enhanced, reply.lines, reply.text) == (250, None, ("OK",), "OK")
    assert not reply.is_multiline


@pytest.mark.parametrize("strict", [False, True])
def test_bare_code(strict):
    reply = parse_reply("250", strict=strict)
    assert (reply.code, reply.lines, reply.text) == (250, ("",), "")
    assert str(reply) == "250"


@pytest.mark.parametrize("ending", ["\r\n", "\n"])
@pytest.mark.parametrize("strict", [False, True])
def test_multiline_crlf_or_lf(ending, strict):
    text = ending.join(["250-mx.example.org Hello", "250-SIZE 35882577", "250-8BITMIME", "250 HELP"]) + ending
    reply = parse_reply(text, strict=strict)
    assert reply.code == 250
    assert reply.lines == ("mx.example.org Hello", "SIZE 35882577", "8BITMIME", "HELP")
    assert reply.is_multiline
    assert reply.text == "mx.example.org Hello SIZE 35882577 8BITMIME HELP"


@pytest.mark.parametrize("strict", [False, True])
def test_enhanced_code_on_every_line(strict):
    reply = parse_reply("550-5.1.1 The account does not exist.\r\n550 5.1.1 Try again.\r\n", strict=strict)
    assert (reply.code, reply.enhanced) == (550, "5.1.1")
    assert reply.lines == ("The account does not exist.", "Try again.")


@pytest.mark.parametrize("text, enhanced", [
    ("451 4.7.650 The mail server has been rate limited", "4.7.650"),
    ("554 5.2.122 The recipient has exceeded their limit", "5.2.122"),
    ("452 4.5.3  rate limit exceeded", "4.5.3"),
    ("250 2.0.0", "2.0.0"),
])
def test_enhanced_codes_of_one_to_three_digits(text, enhanced):
    assert parse_reply(text).enhanced == enhanced
    assert parse_reply(text, strict=True).enhanced == enhanced


@pytest.mark.parametrize("text", ["250 2.0.0x ok", "250 2.0 ok", "250 3.0.0 ok", "250 2.0.0.1 ok"])
def test_text_that_only_looks_like_an_enhanced_code_stays_text(text):
    reply = parse_reply(text)
    assert reply.enhanced is None
    assert reply.text == text[4:]


def test_str_gives_back_a_well_formed_reply():
    reply = parse_reply("550-5.7.1 first\n550-5.7.1 second\n550 5.7.1 last")
    assert str(reply) == "550-5.7.1 first\n550-5.7.1 second\n550 5.7.1 last"
    assert reply.to_wire() == b"550-5.7.1 first\r\n550-5.7.1 second\r\n550 5.7.1 last\r\n"
    assert parse_reply(str(reply), strict=True) == reply


def test_equality_ignores_where_the_reply_was_found():
    assert parse_reply("smtp; 550 5.1.1 gone") == parse_reply("550 5.1.1 gone")
    assert parse_reply("smtp; 550 5.1.1 gone").context == "smtp;"
    assert Reply(550, "5.1.1", ("gone",)) == parse_reply("550 5.1.1 gone")


def test_bytes_and_lists_of_lines_are_accepted():
    assert parse_reply(b"250-a\r\n250 b\r\n").lines == ("a", "b")
    assert parse_reply(["250-a\r\n", "250 b\r\n"]).lines == ("a", "b")


def test_not_text_at_all():
    with pytest.raises(ReplySyntaxError, match="not a server reply"):
        parse_reply(250.0)


# --- strict mode names line, column and what was expected ------------------------------------

@pytest.mark.parametrize("text, line, column, words", [
    ("250-a\r\n251 b", 2, 1, "expected the code 250"),
    ("250OK", 1, 4, "expected a space, a hyphen"),
    ("250-a\r\n250-b", 2, 4, "no last line"),
    ("571 5.7.1 Delivery not authorized", 1, 2, "second digit"),
    ("171 hello", 1, 1, "first digit"),
    ("650 hello", 1, 1, "first digit"),
    ("550 4.2.2 mailbox full", 1, 5, "RFC 2034"),
    ("354 2.0.0 go ahead", 1, 5, "3xx"),
    ("25 OK", 1, 3, "three-digit"),
    ("OK", 1, 1, "three-digit"),
    ("", 1, 1, "three-digit"),
    ("250 a\r\n250 b", 2, 1, "already ended"),
    ("250 ", 1, 5, "text after the space"),
    ("250 caf\u00e9", 1, 8, "printable US-ASCII"),
    ("250 a\x00b", 1, 6, "printable US-ASCII"),
    (" 250 OK", 1, 1, "three-digit"),
    ("smtp; 550 5.1.1 x", 1, 1, "three-digit"),
])
def test_strict_errors(text, line, column, words):
    with pytest.raises(ReplySyntaxError) as caught:
        parse_reply(text, strict=True)
    assert (caught.value.line, caught.value.column) == (line, column)
    assert words in str(caught.value)
    assert str(caught.value).startswith(f"line {line}, column {column}: ")
    assert isinstance(caught.value, ValueError)


def test_mangled_enhanced_code_hint_in_strict_error():
    with pytest.raises(ReplySyntaxError, match="5.7.1"):
        parse_reply("571 Delivery not authorized", strict=True)


# --- tolerant forms ---------------------------------------------------------------------------

@pytest.mark.parametrize("text, context", [
    ("Diagnostic-Code: smtp; 550 5.1.1 <bob@example.org>: Recipient address rejected",
     "Diagnostic-Code: smtp;"),
    ("smtp;550 5.1.1 <bob@example.org>: Recipient address rejected", "smtp;"),
    ("host mx.example.org [192.0.2.1]: SMTP error from remote mail server after "
     "RCPT TO:<bob@example.org>: 550 5.1.1 <bob@example.org>: Recipient address rejected",
     "host mx.example.org [192.0.2.1]: SMTP error from remote mail server after RCPT TO:<bob@example.org>:"),
    ("host mx.example.org[192.0.2.1] said: 550 5.1.1 <bob@example.org>: Recipient address "
     "rejected (in reply to RCPT TO command)", "host mx.example.org[192.0.2.1] said:"),
    ("   550 5.1.1 <bob@example.org>: Recipient address rejected  \n\n", ""),
])
def test_wrappers_and_whitespace(text, context):
    reply = parse_reply(text)
    assert (reply.code, reply.enhanced, reply.context) == (550, "5.1.1", context)
    assert reply.text.startswith("<bob@example.org>: Recipient address rejected")


def test_flattened_multiline_reply():
    reply = parse_reply("550-5.7.1 [192.0.2.22 18] Our system has detected that this message is "
                        "550-5.7.1 likely suspicious 550 5.7.1 https://support.example/x - gsmtp")
    assert (reply.code, reply.enhanced) == (550, "5.7.1")
    assert reply.lines == ("[192.0.2.22 18] Our system has detected that this message is",
                           "likely suspicious", "https://support.example/x - gsmtp")


def test_flattened_split_needs_the_same_enhanced_code():
    reply = parse_reply("550-5.7.1 we saw 550 messages today 550 5.7.1 bye")
    assert reply.lines == ("we saw 550 messages today", "bye")


def test_flattened_without_enhanced_code():
    reply = parse_reply("550-SPF-check failed: 550 example.com doesn't allow sending mails")
    assert (reply.code, reply.enhanced) == (550, None)
    assert reply.lines == ("SPF-check failed:", "example.com doesn't allow sending mails")


def test_enhanced_code_elsewhere_is_a_hint_not_the_enhanced_code():
    reply = parse_reply("450 cuda_nsu 4.7.1 <email@example.com>: Recipient address rejected")
    assert (reply.code, reply.enhanced) == (450, None)
    assert reply.hints == ("4.7.1",)
    assert parse_reply("550 Invalid recipient <email@example.com> (#5.1.1)").hints == ("5.1.1",)


def test_quoted_reply_of_another_server_is_a_hint():
    reply = parse_reply("421 4.1.1 <a@example.com>: unverified address: host example.com said: "
                        "450 4.1.1 <a@example.com>: Recipient address rejected")
    assert (reply.code, reply.enhanced) == (421, "4.1.1")
    assert reply.hints == ("450",)


def test_numbers_that_are_not_codes_are_no_hints():
    reply = parse_reply("421 4.7.0 Messages from 192.0.2.222 deferred - 4.16.55.1; see 2.5 MB")
    assert reply.hints == ()


def test_leading_enhanced_code_without_basic_code():
    reply = parse_reply("4.7.32 This mail has been rate limited")
    assert (reply.code, reply.enhanced, reply.text) == (None, "4.7.32", "This mail has been rate limited")
    assert parse_reply(str(reply)) == reply


def test_neither_code_raises():
    with pytest.raises(ReplySyntaxError, match="no reply code"):
        parse_reply("Requested action not taken: mailbox unavailable")
    with pytest.raises(ReplySyntaxError, match="empty"):
        parse_reply("  \r\n ")


def test_outside_abnf_is_read_in_tolerant_mode():
    assert parse_reply("571 5.7.1 Delivery not authorized").code == 571


def test_wrapped_lines_join_the_line_before():
    reply = parse_reply("550 5.1.1 <bob@example.org>: Recipient\n    address rejected: User unknown")
    assert reply.lines == ("<bob@example.org>: Recipient address rejected: User unknown",)


def test_two_replies_in_one_text_are_refused_with_advice():
    with pytest.raises(ReplySyntaxError, match="two replies"):
        parse_reply("250 OK\n354 go ahead")


def test_lone_continuation_line():
    reply = parse_reply("552-5.2.3 Your message exceeded the size limits.")
    assert (reply.code, reply.enhanced, reply.lines) == (552, "5.2.3", ("Your message exceeded the size limits.",))


def test_differing_enhanced_codes_keep_the_first_and_hint_the_other():
    reply = parse_reply("550-5.1.1 a\n550 5.2.2 b")
    assert (reply.enhanced, reply.lines, reply.hints) == ("5.1.1", ("a", "b"), ("5.2.2",))


@pytest.mark.parametrize("text", [
    "250 OK", "250", "250 OK\r\n", "250  spaced  ", "250 2.0.0", "250 2.0.0x", "250 5.1.1\tfoo",
    "250-a\n250 b", "250-a\r\n250 5.1.1 b\r\n", "250-a\n\n250 b", "250 a\n250 b", "250-OK",
])
def test_quick_path_agrees_with_the_long_way(text):
    assert parse_reply(text) == _parse_tolerant(text)


# --- cutting pasted text into replies ---------------------------------------------------------

def test_split_replies():
    text = ("250 OK\n550-5.1.1 first\n550 5.1.1 second\n\n354 go ahead\n"
            "host mx said: 550 5.1.1 wrapped\n   continued here\n4.7.32 rate limited")
    assert split_replies(text) == [
        "250 OK", "550-5.1.1 first\n550 5.1.1 second", "354 go ahead",
        "host mx said: 550 5.1.1 wrapped\n   continued here", "4.7.32 rate limited"]


def test_split_replies_numbered_gives_the_starting_lines():
    text = "250 OK\n\n550-a\r\n550 b\nnonsense\n"
    assert split_replies_numbered(text) == [(1, "250 OK"), (3, "550-a\n550 b"), (5, "nonsense")]


def test_text_after_a_leading_enhanced_code_is_not_read_as_a_dsn_prefix():
    # found by hypothesis: '2.0.0\rSMTP;100' parsed as enhanced-only, but its str() re-parsed as code 100
    reply = parse_reply("2.0.0\rSMTP;100")
    assert (reply.code, reply.enhanced, reply.lines) == (None, "2.0.0", ("SMTP;100",))
    assert parse_reply(str(reply)) == reply
    assert parse_reply("4.7.32 rate limited: smtp; 550 elsewhere").code is None
