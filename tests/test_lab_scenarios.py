"""Lab scenarios as data: every shipped file loads, rules are checked, bad input is named."""

import os

import pytest

from smtplearn.errors import ScenarioError
from smtplearn.lab.scenarios import (PHASES, PLACEHOLDERS, SETTINGS, Rule, Scenario,
                                     load_scenario, scenario_names)

SHIPPED = ["auth", "classic", "greylist", "mailbox-full", "no-service", "parameters",
           "relay-denied", "shutdown", "size-limit", "unknown-user"]
DOCS = os.path.join(os.path.dirname(__file__), "..", "docs", "scenarios.md")


def test_the_issue_lists_exactly_the_shipped_scenarios():
    assert scenario_names() == SHIPPED


@pytest.mark.parametrize("name", SHIPPED)
def test_every_shipped_scenario_loads_with_sources(name):
    scenario = load_scenario(name)
    assert isinstance(scenario, Scenario) and scenario.name == name
    assert scenario.title and scenario.summary
    assert set(scenario.settings) == set(SETTINGS)
    own = [r for r in scenario.rules if r not in load_scenario("classic").rules] \
        if name != "classic" else scenario.rules
    assert own, "a scenario must add at least one rule"
    for rule in own:
        assert rule.source.startswith("RFC "), (name, rule)
    if name != "classic":
        assert scenario.parents == ("classic",)


def test_child_rules_come_before_the_parents():
    unknown = load_scenario("unknown-user")
    rcpt = unknown.rules_for("RCPT")
    assert rcpt[0].code == 550 and rcpt[-1].code == 250


def test_classic_answers_every_command():
    classic = load_scenario("classic")
    for phase in PHASES:
        if phase != "ANY":
            assert classic.rules_for(phase), phase


def test_rule_lines_fill_placeholders_and_frame_multiline():
    rule = Rule(when="HELP", code=214, enhanced="2.0.0", text=("one {hostname}", "two"))
    assert rule.lines({"hostname": "h.example"}) == ["214-2.0.0 one h.example", "214 2.0.0 two"]
    assert rule.lines({"hostname": "h"}, enhanced=False) == ["214-one h", "214 two"]


def test_a_dict_scenario_extends_classic():
    scenario = load_scenario({"name": "mine", "extends": "classic",
                              "server": {"size_limit": 500},
                              "rule": [{"when": "RCPT", "recipient": "bob@*", "code": 550,
                                        "enhanced": "5.1.1", "text": "no bob"}]})
    assert scenario.settings["size_limit"] == 500
    assert scenario.settings["local_domains"] == ["lab.example"]
    rule = scenario.match("RCPT", {"recipient": "Bob@lab.example"})
    assert rule.code == 550
    assert scenario.match("RCPT", {"recipient": "alice@lab.example"}).code == 250


def test_a_toml_file_is_a_scenario(tmp_path):
    path = tmp_path / "teacher.toml"
    path.write_text('extends = "classic"\n[[rule]]\nwhen = "NOOP"\ncode = 250\n'
                    'enhanced = "2.0.0"\ntext = "teacher says hi"\n')
    scenario = load_scenario(str(path))
    assert scenario.name == "teacher"
    assert scenario.match("NOOP", {}).text == ("teacher says hi",)
    assert load_scenario(path).name == "teacher"  # a Path works too


def test_conditions():
    scenario = load_scenario("relay-denied")
    outside = {"sender": "x@other.example", "recipient": "y@far.example"}
    assert scenario.match("RCPT", outside).code == 554
    assert scenario.match("RCPT", dict(outside, sender="me@lab.example")).code == 550
    assert scenario.match("RCPT", dict(outside, recipient="me@LAB.example")).code == 250
    params = load_scenario("parameters")
    assert params.match_parameters("MAIL", {"parameters": {"BODY": "BINARYMIME"}}).code == 504
    assert params.match_parameters("MAIL", {"parameters": {"BODY": "8BITMIME"}}) is None
    size = load_scenario("size-limit")
    facts = {"parameters": {"SIZE": "10241"}, "size_limit": 10240}
    assert size.match_parameters("MAIL", facts).code == 552
    facts["parameters"]["SIZE"] = "10240"
    assert size.match_parameters("MAIL", facts) is None


def test_first_attempt_is_asked_only_when_reached():
    scenario = load_scenario("greylist")
    calls = []

    def first():
        calls.append(1)
        return len(calls) == 1

    assert scenario.match("RCPT", {"recipient": "a@lab.example"}, first).code == 451
    assert scenario.match("RCPT", {"recipient": "a@lab.example"}, first).code == 250
    assert scenario.match("MAIL", {"sender": "a@b"}, first).code == 250
    assert len(calls) == 2


@pytest.mark.parametrize("bad, words", [
    ({"extends": "classic", "colour": 1}, "unknown key"),
    ({"extends": "classic", "rule": [{"when": "LUNCH", "code": 250}]}, "'when' must be one of"),
    ({"extends": "classic", "rule": [{"when": "MAIL"}]}, "'code'"),
    ({"extends": "classic", "rule": [{"when": "MAIL", "code": 650}]}, "not a reply code"),
    ({"extends": "classic", "rule": [{"when": "MAIL", "code": 550, "enhanced": "4.1.1"}]},
     "first digits must be equal"),
    ({"extends": "classic", "rule": [{"when": "MAIL", "code": 550, "enhanced": "5.1"}]},
     "class.subject.detail"),
    ({"extends": "classic", "rule": [{"when": "MAIL", "code": 550, "text": "{nobody}"}]},
     "unknown placeholder"),
    ({"extends": "classic", "rule": [{"when": "MAIL", "code": 550, "text": "{oops"}]},
     "braces"),
    ({"extends": "classic", "rule": [{"when": "MAIL", "code": 550, "colour": "red"}]},
     "unknown key"),
    ({"extends": "classic", "rule": [{"when": "MAIL", "code": 550, "value_in": ["X"]}]},
     "needs 'parameter'"),
    ({"extends": "classic", "rule": [{"when": "HELP", "code": 504, "parameter": "SIZE"}]},
     "only to MAIL and RCPT"),
    ({"extends": "classic", "rule": [{"when": "RCPT", "code": 451, "first_attempt": "yes"}]},
     "true or false"),
    ({"extends": "classic", "rule": [{"when": "CONNECT", "code": 220, "sender": "a"}]},
     "no conditions"),
    ({"extends": "classic", "server": {"size_limit": "big"}}, "whole number"),
    ({"extends": "classic", "server": {"size_limit": 0}}, "at least 1"),
    ({"extends": "classic", "server": {"idle_timeout": 0}}, "positive"),
    ({"extends": "classic", "server": {"greylist_delay": -1}}, "negative"),
    ({"extends": "classic", "server": {"auth_mechanisms": ["CRAM-MD5"]}}, "not available"),
    ({"extends": "classic", "server": {"speed": 3}}, "unknown setting"),
    ({"rule": []}, "missing"),
    ({"name": "loop", "extends": "loop"}, "loop"),
    ({"extends": "no-such-thing"}, "no scenario named"),
])
def test_bad_scenarios_are_named_and_explained(bad, words):
    with pytest.raises(ScenarioError, match=words):
        load_scenario(bad)


def test_bad_sources():
    with pytest.raises(ScenarioError, match="a name, a .toml path or a dict"):
        load_scenario(42)
    with pytest.raises(ScenarioError, match="does not exist"):
        load_scenario("/nowhere/x.toml")


def test_invalid_toml_is_reported(tmp_path):
    path = tmp_path / "broken.toml"
    path.write_text("[[rule]\nwhen = ")
    with pytest.raises(ScenarioError, match="not valid TOML"):
        load_scenario(str(path))


def test_docs_describe_every_scenario_rule_key_and_placeholder():
    if not os.path.exists(DOCS):
        pytest.skip("docs/scenarios.md not present")
    text = open(DOCS, encoding="utf-8").read()
    for name in SHIPPED:
        assert f"`{name}`" in text, name
    from smtplearn.lab.scenarios import _RULE_KEYS
    for key in list(_RULE_KEYS) + list(SETTINGS) + [p for p in PHASES]:
        assert f"`{key}`" in text, key
    for placeholder in PLACEHOLDERS:
        assert "{" + placeholder + "}" in text, placeholder
