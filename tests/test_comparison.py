"""compare(): headline, cards, key differences derived from the catalog's fields, guidance."""

import json

import pytest

from smtplearn import Comparison, InvalidCodeError, UnknownCodeError, compare, lookup
from smtplearn import render
from smtplearn.explanation import phrase


def test_the_seed_headline():
    comparison = compare(211, 504)
    assert comparison.headline == "211 System status vs 504 Command parameter not implemented"
    assert (comparison.first, comparison.second) == (lookup(211), lookup(504))
    assert not comparison.same


def test_differences_come_from_the_structured_fields():
    first, second = lookup(211), lookup(504)
    differences = compare(211, 504).differences
    joined = " ".join(differences)
    assert first.reply_class.for_client in joined and second.reply_class.for_client in joined
    assert first.action.label in joined and second.action.label in joined
    assert first.subject.label.lower() in joined and second.subject.label.lower() in joined
    for command in first.commands + second.commands:
        assert render.phase_label(command) in joined
    for actor in first.who_acts + second.who_acts:
        assert render.actor_label(actor) in joined
    assert render.connection_text(False) in joined
    # not a concatenation of the descriptions
    assert first.description not in joined and second.description not in joined


def test_aspects_are_labelled():
    aspects = [aspect for aspect, _ in compare(421, 250).aspects]
    for key in ("reply_class", "action", "subject", "commands", "closes_connection", "who_acts"):
        assert render.label(key) in aspects


def test_connection_difference():
    from smtplearn import basic_codes

    closing = next(c for c in basic_codes() if c.closes_connection)
    staying = next(c for c in basic_codes() if not c.closes_connection)
    text = " ".join(compare(closing, staying).differences)
    assert render.connection_text(True) in text and render.connection_text(False) in text


def test_same_class_says_so():
    comparison = compare(550, 554)
    assert phrase("difference", "class_same", class_tag=render.class_tag(lookup(550).reply_class),
                  class_short=lookup(550).reply_class.short,
                  for_client=lookup(550).reply_class.for_client) in comparison.differences


def test_552_exception_is_mentioned():
    assert phrase("difference", "retry_552", code=552) in compare(552, 452).differences


def test_two_enhanced_codes():
    comparison = compare("5.1.1", "5.2.2")
    joined = " ".join(comparison.differences)
    assert lookup("X.1.X").name in joined and lookup("X.2.X").name in joined
    assert lookup("5.1.1").associated in joined


def test_two_enhanced_codes_with_one_subject():
    joined = " ".join(compare("5.1.1", "5.1.2").differences)
    assert lookup("5.1.1").name in joined and lookup("5.1.2").name in joined


def test_one_registry_entry_with_and_without_class():
    entry = lookup("X.1.1")
    assert compare("5.1.1", "X.1.1").differences == [phrase(
        "difference", "same_entry", first="5.1.1", second="X.1.1", generic="X.1.1", name=entry.name,
        class_digit=5, class_name=lookup("5.X.X").name)]
    differences = compare("4.1.1", "5.1.1").differences
    assert phrase("difference", "same_entry_class", first="4.1.1", second="5.1.1", generic="X.1.1",
                  name=entry.name) in differences
    assert any(lookup("4.X.X").name in d or "4xx" in d for d in differences)


def test_basic_with_enhanced():
    comparison = compare(550, "5.1.1")
    assert phrase("difference", "pair_yes", code=550, enhanced="5.1.1", example="5.1.1") in comparison.differences
    assert any("RFC 2034" in d for d in compare(250, "5.1.1").differences)
    assert phrase("difference", "pair_3xx", code=354, enhanced="X.1.1", example="3.1.1") in compare(354, "X.1.1").differences


def test_a_code_with_itself():
    comparison = compare(504, "504")
    assert comparison.same and comparison.differences == []
    assert phrase("difference", "same", code=lookup(504).label) in str(comparison)
    assert len(comparison.guidance) == 1


def test_guidance_per_code():
    comparison = compare(211, 504)
    assert comparison.guidance[0].startswith("211: ") and lookup(211).next_step in comparison.guidance[0]
    assert comparison.guidance[1].startswith("504: ") and lookup(504).next_step in comparison.guidance[1]


def test_catalog_objects_are_accepted():
    assert compare(lookup(211), lookup("5.5.4")).second is lookup("5.5.4")


def test_bad_inputs():
    with pytest.raises(UnknownCodeError):
        compare(211, 259)
    with pytest.raises(InvalidCodeError):
        compare(211, 999)
    with pytest.raises(InvalidCodeError):
        compare(211, [504])


def test_renderings():
    comparison = compare(211, 504)
    assert isinstance(comparison, Comparison)
    html = comparison._repr_html_()
    assert "smtplearn-success" in html and "smtplearn-permanent" in html
    assert str(lookup(211).reply_class) in html and str(lookup(504).reply_class) in html
    assert comparison.to_markdown().startswith("## ")
    assert comparison.to_markdown() == comparison._repr_markdown_()
    as_dict = comparison.to_dict()
    assert json.loads(json.dumps(as_dict)) == as_dict
    assert as_dict["differences"][0]["text"] == comparison.differences[0]
    assert comparison.headline in str(comparison)


def test_repeated_comparisons_are_cached():
    assert compare(211, 504) is compare("211", "504")
