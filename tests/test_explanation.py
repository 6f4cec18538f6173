"""explain(): what it says about codes and replies, its warnings, and its four renderings.

Expected prose is taken from the data files (explain.toml, digits.toml, labels.toml) and the
catalog objects, never copied into the tests.
"""

import json

import pytest

from smtplearn import (Action, Explanation, InvalidCodeError, ReplyClass, ReplySyntaxError,
                       Subject, explain, lookup, parse_reply)
from smtplearn import data
from smtplearn.explanation import phrase


def warning(key, **values):
    return phrase("warning", key, **values)


def test_a_basic_code():
    e = explain(504)
    assert e.code is lookup(504) and e.reply is None and e.enhanced is None
    assert e.reply_class is ReplyClass.PERMANENT_NEGATIVE
    assert e.subject is Subject.SYNTAX
    assert e.action is Action.DO_NOT_RETRY
    assert e.meaning is lookup(504).primary
    assert e.who_acts == lookup(504).primary.who_acts
    assert e.warnings == ()
    assert explain("504").code is e.code


def test_an_enhanced_code_alone():
    e = explain("5.5.4")
    assert e.code is None and e.enhanced == lookup("5.5.4")
    assert e.reply_class is ReplyClass.PERMANENT_NEGATIVE
    assert e.subject == lookup("X.5.X")
    assert e.enhanced.description in str(e)


def test_a_reply_with_both_codes():
    e = explain("550 5.1.1 <bob@example.org>: Recipient address rejected")
    assert (e.code, e.enhanced) == (lookup(550), lookup("5.1.1"))
    assert e.reply == parse_reply("550 5.1.1 <bob@example.org>: Recipient address rejected")
    text = str(e)
    for needed in (e.reply_class.meaning, e.reply_class.for_client, e.subject.meaning,
                   e.meaning.description, e.enhanced.description, e.action.advice,
                   data.digits()["actor"]["sender"]["label"]):
        assert needed in text
    assert e.action.label in text.lower()
    assert "X.1.1" in text and "550" in text  # the refinement names the registry pairing


def test_explaining_a_reply_object_and_an_explanation():
    reply = parse_reply("421 4.7.0 Try again later")
    assert explain(reply).reply is reply
    e = explain(reply)
    assert explain(e) is e


def test_meaning_picked_by_the_enhanced_code():
    e = explain("454 4.7.0 Temporary authentication failure")
    assert e.meaning.context == "AUTH"


def test_meaning_picked_by_words_when_no_enhanced_code_tells():
    assert explain("454 TLS not available due to temporary reason").meaning.context == "STARTTLS"
    assert explain(454).meaning is lookup(454).primary


def test_meaning_matched_by_an_enhanced_range():
    from smtplearn.explanation import _enhanced_matches

    e = explain("550 5.7.26 Unauthenticated email is not accepted due to DMARC policy")
    assert e.meaning is not lookup(550).primary and e.meaning_reason == "enhanced"
    assert _enhanced_matches(e.meaning.enhanced, "5.7.26")
    assert _enhanced_matches("X.7.20-X.7.26", "5.7.23") and not _enhanced_matches("X.7.20-X.7.26", "5.7.27")
    assert _enhanced_matches("5.7.0 / 5.5.2", "5.5.2") and not _enhanced_matches("5.7.0", "4.7.0")


def test_class_mismatch_warns_and_the_basic_code_decides():
    e = explain("550 4.2.2 mailbox full")
    assert e.reply_class is ReplyClass.PERMANENT_NEGATIVE
    assert e.action is Action.DO_NOT_RETRY
    assert any("RFC 2034" in w and "4.2.2" in w and "550" in w for w in e.warnings)


def test_code_outside_the_abnf_with_the_mangled_hint():
    e = explain(571)
    mangled = lookup("5.7.1")
    assert warning("outside_abnf", code=571) in e.warnings
    assert warning("mangled", code=571, mangled=mangled.code, name=mangled.name) in e.warnings
    assert e.reply_class is ReplyClass.PERMANENT_NEGATIVE
    assert explain("571 5.7.1 Delivery not authorized").warnings[:2] == e.warnings[:2]


def test_first_digit_outside_every_class():
    e = explain(650)
    assert e.reply_class is None and e.action is None
    assert warning("no_class", digit=6) in e.warnings


@pytest.mark.parametrize("number", [259, 540, 541])
def test_unassigned_codes_are_explained_by_their_digits(number):
    e = explain(number)
    assert e.code is None and e.digits.code == number
    assert warning("unassigned", code=number) in e.warnings
    assert e.reply_class is ReplyClass(number // 100)
    assert data.digits()["detail"]["meaning"] in str(e)
    assert e.who_acts == tuple(data.load("explain")["who_acts"][str(number // 100)])


def test_registry_only_code():
    e = explain(422)
    assert lookup(422).registry_only
    assert data.labels()["registry_only"]["note"] in e.warnings


def test_552_for_too_many_recipients_is_treated_as_452():
    e = explain("552 5.5.3 Too many recipients")
    assert e.too_many_recipients and e.action is Action.RETRY_LATER
    assert warning("too_many_recipients") in e.warnings
    assert explain("552 Too many recipients in this message").action is Action.RETRY_LATER
    assert explain("552 5.2.2 Mailbox full").action is Action.DO_NOT_RETRY


@pytest.mark.parametrize("code", ["5.7.606", "4.7.650", "5.2.122"])
def test_unregistered_enhanced_code_is_a_vendor_extension(code):
    e = explain(code)
    assert e.enhanced is None and e.enhanced_code == code
    assert warning("enhanced_unregistered", enhanced=code) in e.warnings
    assert e.enhanced_subject == lookup(f"X.{code.split('.')[1]}.X")


def test_enhanced_code_with_an_unknown_subject():
    e = explain("451 4.16.1 Resources temporarily unavailable")
    assert warning("enhanced_unknown_subject", enhanced="4.16.1", subject="16") in e.warnings


def test_enhanced_code_on_a_3xx_reply():
    e = explain("354 2.0.0 go ahead")
    assert warning("enhanced_on_3xx", code=354, enhanced="2.0.0") in e.warnings


def test_leading_enhanced_code_line():
    e = explain("4.7.32 This mail has been rate limited because there is no DMARC alignment")
    assert e.code is None and e.enhanced_code == "4.7.32"
    assert e.reply_class is ReplyClass.TRANSIENT_NEGATIVE
    assert e.action is Action.RETRY_LATER


def test_hints_are_explained():
    e = explain("553 Message filtered. Refer to the Troubleshooting page (#5.7.1)")
    assert e.hints == ("5.7.1",)
    assert phrase("hint", "enhanced", code="5.7.1", name=lookup("5.7.1").name) in str(e)


def test_lone_continuation_line_warns():
    e = explain("552-5.2.3 Your message exceeded the size limits.")
    assert warning("lone_continuation", code=552) in e.warnings
    assert not explain("552 5.2.3 Your message exceeded the size limits.").warnings


def test_bad_inputs_raise_our_errors():
    with pytest.raises(ReplySyntaxError):
        explain("Requested action not taken: mailbox unavailable")
    with pytest.raises(InvalidCodeError):
        explain(99)
    with pytest.raises(InvalidCodeError):
        explain(None)
    with pytest.raises(InvalidCodeError):
        explain("5.1")


def test_renderings():
    e = explain("550 4.2.2 mailbox full")
    assert isinstance(e, Explanation)
    markdown = e.to_markdown()
    assert markdown == e._repr_markdown_()
    assert markdown.startswith("### ")
    html = e._repr_html_()
    assert "smtplearn-permanent" in html and "var(--jp-error-color1" in html
    assert str(ReplyClass.PERMANENT_NEGATIVE) in html  # the class in words, not only colour
    assert "RFC 2034" in html
    as_dict = e.to_dict()
    assert json.loads(json.dumps(as_dict)) == as_dict
    assert (as_dict["code"], as_dict["enhanced"], as_dict["class"], as_dict["action"]) == (
        550, "4.2.2", 5, "do_not_retry")
    assert as_dict["warnings"] == list(e.warnings)


def test_html_escapes_the_reply_text():
    html = explain("550 5.1.1 <script>alert(1)</script>")._repr_html_()
    assert "<script>" not in html and "&lt;script&gt;" in html


def test_identical_inputs_are_cached():
    assert explain("250 OK") is explain("250 OK")
