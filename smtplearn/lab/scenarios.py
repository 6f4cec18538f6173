"""Lab scenarios: small declarative rule sets that decide what the lab server replies.

A scenario is a TOML file (``smtplearn/data/scenarios/<name>.toml``, or a teacher's own file)
or the same structure as a dict.  It has a ``[server]`` table of settings and a list of
``[[rule]]`` tables; the first rule whose conditions all hold gives the reply.  A scenario may
``extends`` another one: its settings override the parent's and its rules are tried first.
The format is described in docs/scenarios.md.  Pure Python: no network, no aiosmtpd.
"""

from __future__ import annotations

import fnmatch
import os
import string
from dataclasses import dataclass, field
from types import MappingProxyType

from smtplearn import data as _data
from smtplearn.codes import BASIC_CODE_RE, ENHANCED_CODE_RE
from smtplearn.errors import ScenarioError

# The moments at which a rule can answer.  END_OF_DATA is the reply after the final dot;
# ANY is tried before the rules of whichever command arrives; STOP is what open sessions are
# told when LabServer.stop() is called.
PHASES = ("CONNECT", "EHLO", "HELO", "MAIL", "RCPT", "DATA", "END_OF_DATA", "RSET", "NOOP",
          "VRFY", "EXPN", "HELP", "AUTH", "QUIT", "ANY", "STOP")
COMMANDS = tuple(p for p in PHASES if p not in ("CONNECT", "END_OF_DATA", "ANY", "STOP"))

# Settings of the [server] table and the type each must have.
SETTINGS = {
    "size_limit": int,  # bytes; advertised with EHLO SIZE and enforced on DATA
    "idle_timeout": (int, float),  # seconds without a command before the server hangs up
    "max_messages": int,  # messages kept in memory; beyond that, mail is refused with 452
    "greylist_delay": (int, float),  # seconds a greylisted sender must wait before retrying
    "auth_mechanisms": list,  # SASL mechanisms offered (PLAIN, LOGIN); empty: no AUTH
    "credentials": dict,  # user name -> password accepted by AUTH
    "local_domains": list,  # domains the lab server receives mail for
    "enhanced_status_codes": bool,  # advertise ENHANCEDSTATUSCODES (RFC 2034)
    "enhanced_defaults": dict,  # basic code -> enhanced code added to aiosmtpd's own replies
}
AUTH_MECHANISMS = ("PLAIN", "LOGIN")  # what aiosmtpd implements

# Keys of a [[rule]] table.
_CONDITIONS = ("argument", "sender", "sender_not", "recipient", "recipient_not", "parameter",
               "value_in", "value_not_in", "value_above", "first_attempt", "authenticated",
               "auth_offered", "command_not", "storage_full")
_REPLY_KEYS = ("code", "enhanced", "text", "close", "source", "note")
_RULE_KEYS = ("when",) + _CONDITIONS + _REPLY_KEYS
_TOP_KEYS = ("name", "title", "summary", "extends", "server", "rule")

# Names a reply text may use in braces, e.g. "{hostname} closing connection".
PLACEHOLDERS = ("hostname", "scenario", "client", "argument", "sender", "recipient",
                "recipients", "size_limit", "greylist_delay", "mechanisms", "commands",
                "value", "messages", "local_domains")


def scenario_names() -> list[str]:
    """The scenarios shipped with smtplearn, e.g. ['auth', 'classic', 'greylist', ...]."""
    folder = _data.path("scenarios")
    return sorted(name[:-5] for name in os.listdir(folder) if name.endswith(".toml"))


@dataclass(frozen=True)
class Rule:
    """One declared reply: when it applies (phase and conditions) and what to answer."""

    when: str
    code: int
    text: tuple[str, ...]
    enhanced: str = ""
    close: bool = False
    source: str = ""
    note: str = ""
    conditions: MappingProxyType = field(default_factory=lambda: MappingProxyType({}))

    def __post_init__(self):
        # Each reply line as one template with its code and enhanced code already in place,
        # so a reply costs one format_map per line; a text without placeholders gives the
        # same lines every time, so those are built once here.
        prefix = f"{self.enhanced} " if self.enhanced else ""
        texts = self.text or ("",)
        last = len(texts) - 1
        templates = tuple(
            tuple(_escape_braces(f"{self.code}{' ' if i == last else '-'}{p}") + text
                  for i, text in enumerate(texts))
            for p in ("", prefix))
        object.__setattr__(self, "_templates", templates)
        static = not any("{" in line for line in self.text)
        object.__setattr__(self, "needs_values", not static)
        object.__setattr__(self, "_static", (self._build(None, False), self._build(None, True))
                           if static else None)

    def lines(self, values, enhanced: bool = True) -> list[str]:
        """The reply lines, placeholders filled: ['250-2.0.0 first', '250 2.0.0 last'].

        ``values`` maps placeholder names to values; it is not read when ``needs_values``
        is False (a text without placeholders), so None will do then.
        """
        if self._static is not None:
            return list(self._static[enhanced])
        return self._build(values, enhanced)

    def _build(self, values, enhanced: bool) -> list[str]:
        if values is None:
            return [line.replace("{{", "{").replace("}}", "}").rstrip()
                    for line in self._templates[enhanced]]
        return [line.format_map(values).rstrip() for line in self._templates[enhanced]]

    def matches(self, facts: dict, first_attempt=None) -> bool:
        """Whether every condition holds for ``facts`` (see Scenario.match)."""
        for key, wanted in self.conditions.items():
            if key == "first_attempt":
                continue  # checked last: it records the attempt
            if not _CHECKS[key](wanted, facts, self.conditions):
                return False
        if "first_attempt" in self.conditions:
            seen_first = bool(first_attempt and first_attempt())
            return seen_first == self.conditions["first_attempt"]
        return True


def _escape_braces(text: str) -> str:
    return text.replace("{", "{{").replace("}", "}}")


def _globs_match(patterns, value) -> bool:
    if value is None:
        return False
    value = value.lower()
    return any(fnmatch.fnmatchcase(value, p.lower()) for p in patterns)


def _any_recipient(patterns, facts, conditions=None) -> bool:
    if facts.get("recipient") is not None:
        return _globs_match(patterns, facts["recipient"])
    return any(_globs_match(patterns, r) for r in facts.get("recipients", ()))


def _parameter_value(facts, conditions):
    return facts.get("parameters", {}).get(conditions["parameter"])


def _value_above(limit, facts, conditions):
    value = _parameter_value(facts, conditions)
    if limit == "size_limit":
        limit = facts.get("size_limit")
    return isinstance(value, str) and value.isdigit() and int(value) > int(limit)


_CHECKS = {
    "argument": lambda wanted, facts, _: _globs_match(wanted, facts.get("argument") or ""),
    "sender": lambda wanted, facts, _: _globs_match(wanted, facts.get("sender")),
    "sender_not": lambda wanted, facts, _: (facts.get("sender") is not None
                                            and not _globs_match(wanted, facts["sender"])),
    "recipient": _any_recipient,
    "recipient_not": lambda wanted, facts, _: (
        (facts.get("recipient") is not None or bool(facts.get("recipients")))
        and not _any_recipient(wanted, facts)),
    "parameter": lambda wanted, facts, _: wanted in facts.get("parameters", {}),
    "value_in": lambda wanted, facts, conds: str(_parameter_value(facts, conds)).upper() in wanted,
    "value_not_in": lambda wanted, facts, conds: (
        str(_parameter_value(facts, conds)).upper() not in wanted),
    "value_above": _value_above,
    "authenticated": lambda wanted, facts, _: bool(facts.get("authenticated")) == wanted,
    "auth_offered": lambda wanted, facts, _: bool(facts.get("auth_offered")) == wanted,
    "command_not": lambda wanted, facts, _: facts.get("command") not in wanted,
    "storage_full": lambda wanted, facts, _: bool(facts.get("storage_full")) == wanted,
}


@dataclass(frozen=True)
class Scenario:
    """A named rule set with its server settings; built by ``load_scenario``."""

    name: str
    title: str
    summary: str
    settings: MappingProxyType
    rules: tuple[Rule, ...]
    parents: tuple[str, ...] = ()

    def __post_init__(self):
        by_phase: dict[str, list[Rule]] = {phase: [] for phase in PHASES}
        for rule in self.rules:
            by_phase[rule.when].append(rule)
        object.__setattr__(self, "_by_phase", {k: tuple(v) for k, v in by_phase.items()})
        # Rules that test a MAIL/RCPT parameter are tried before aiosmtpd checks parameters.
        object.__setattr__(self, "_parameter_rules", {
            phase: tuple(r for r in by_phase[phase] if "parameter" in r.conditions)
            for phase in ("MAIL", "RCPT")})

    def rules_for(self, phase: str) -> tuple[Rule, ...]:
        return self._by_phase[phase]

    def match(self, phase: str, facts: dict, first_attempt=None) -> Rule | None:
        """The first rule for ``phase`` whose conditions hold, or None.

        ``facts`` holds what is known at that moment (command, argument, sender, recipient,
        recipients, parameters, authenticated, auth_offered, size_limit).  ``first_attempt``
        is called only when a greylist rule is reached; it says whether this is a first try.
        """
        for rule in self._by_phase[phase]:
            if rule.matches(facts, first_attempt):
                return rule
        return None

    def match_parameters(self, phase: str, facts: dict) -> Rule | None:
        """The first MAIL/RCPT rule that tests a parameter and holds, or None."""
        for rule in self._parameter_rules.get(phase, ()):
            if rule.matches(facts):
                return rule
        return None

    def tests_parameters(self, phase: str) -> bool:
        """Whether any MAIL/RCPT rule of this phase tests a parameter."""
        return bool(self._parameter_rules.get(phase))

    def __repr__(self) -> str:
        return f"<Scenario {self.name!r}: {len(self.rules)} rules>"


def load_scenario(scenario="classic") -> Scenario:
    """A Scenario from a shipped name ('greylist'), a TOML file path, a dict, or a Scenario."""
    if isinstance(scenario, Scenario):
        return scenario
    return _build(scenario, seen=())


def _read(source) -> tuple[dict, str]:
    """The raw table of a scenario and a name for error messages."""
    import tomllib

    if isinstance(source, dict):
        return source, str(source.get("name", "<dict>"))
    if isinstance(source, os.PathLike) or (isinstance(source, str) and source.endswith(".toml")):
        where = os.fspath(source)
    elif isinstance(source, str):
        where = _data.path(os.path.join("scenarios", source + ".toml"))
        if not os.path.exists(where):
            raise ScenarioError(f"no scenario named {source!r}; the shipped scenarios are "
                                f"{', '.join(scenario_names())}, or pass a .toml path or a dict")
    else:
        raise ScenarioError(f"a scenario must be a name, a .toml path or a dict, "
                            f"not {type(source).__name__}")
    try:
        with open(where, "rb") as handle:
            return tomllib.load(handle), os.path.basename(where)[:-5]
    except FileNotFoundError:
        raise ScenarioError(f"scenario file {where!r} does not exist") from None
    except tomllib.TOMLDecodeError as error:
        raise ScenarioError(f"scenario file {where!r} is not valid TOML: {error}") from None


def _build(source, seen) -> Scenario:
    raw, default_name = _read(source)
    name = str(raw.get("name", default_name))
    unknown = sorted(set(raw) - set(_TOP_KEYS))
    if unknown:
        raise ScenarioError(f"scenario {name!r}: unknown key(s) {', '.join(unknown)}; "
                            f"valid keys are {', '.join(_TOP_KEYS)}")
    parent = None
    extends = raw.get("extends")
    if extends:
        if extends in seen or extends == name:
            raise ScenarioError(f"scenario {name!r}: 'extends' makes a loop ({extends!r})")
        parent = _build(extends, seen + (name,))
    settings = dict(parent.settings) if parent else {}
    server = raw.get("server", {})
    if not isinstance(server, dict):
        raise ScenarioError(f"scenario {name!r}: [server] must be a table")
    for key, value in server.items():
        settings[key] = check_setting(name, key, value)
    missing = sorted(set(SETTINGS) - set(settings))
    if missing:
        raise ScenarioError(f"scenario {name!r}: setting(s) {', '.join(missing)} missing "
                            f"(give them in [server] or extend 'classic')")
    rules_raw = raw.get("rule", [])
    if not isinstance(rules_raw, list):
        raise ScenarioError(f"scenario {name!r}: 'rule' must be a list of tables ([[rule]])")
    rules = tuple(_rule(name, i + 1, r) for i, r in enumerate(rules_raw))
    return Scenario(
        name=name,
        title=str(raw.get("title", parent.title if parent else name)),
        summary=str(raw.get("summary", "")),
        settings=MappingProxyType(settings),
        rules=rules + (parent.rules if parent else ()),
        parents=((parent.name,) + parent.parents) if parent else (),
    )


def check_setting(name: str, key: str, value):
    """A [server] setting, checked; ScenarioError names the scenario and the key."""
    if key not in SETTINGS:
        raise ScenarioError(f"scenario {name!r}: unknown setting {key!r}; valid settings "
                            f"are {', '.join(SETTINGS)}")
    wanted = SETTINGS[key]
    if not isinstance(value, wanted) or (isinstance(value, bool) and wanted is not bool):
        raise ScenarioError(f"scenario {name!r}: setting {key!r} must be "
                            f"{_type_name(wanted)}, not {value!r}")
    if key in ("size_limit", "max_messages") and value < 1:
        raise ScenarioError(f"scenario {name!r}: setting {key!r} must be at least 1")
    if key == "idle_timeout" and value <= 0:
        raise ScenarioError(f"scenario {name!r}: setting 'idle_timeout' must be a positive "
                            f"number of seconds")
    if key == "greylist_delay" and value < 0:
        raise ScenarioError(f"scenario {name!r}: setting 'greylist_delay' must not be negative")
    if key == "auth_mechanisms":
        value = [str(m).upper() for m in value]
        bad = [m for m in value if m not in AUTH_MECHANISMS]
        if bad:
            raise ScenarioError(f"scenario {name!r}: AUTH mechanism(s) {', '.join(bad)} not "
                                f"available; the lab offers {', '.join(AUTH_MECHANISMS)}")
    if key == "enhanced_defaults":
        for basic, enhanced in value.items():
            _check_pair(f"scenario {name!r}: enhanced_defaults", basic, enhanced)
    return value


def _type_name(wanted) -> str:
    types = wanted if isinstance(wanted, tuple) else (wanted,)
    names = {int: "a whole number", float: "a number", bool: "true or false",
             list: "a list", dict: "a table"}
    return " or ".join(dict.fromkeys(names[t] for t in types))


def _check_pair(where: str, code, enhanced) -> None:
    if not BASIC_CODE_RE.fullmatch(str(code)):
        raise ScenarioError(f"{where}: {code!r} is not a reply code (three digits, 2xx to 5xx)")
    if enhanced:
        found = ENHANCED_CODE_RE.fullmatch(str(enhanced))
        if not found:
            raise ScenarioError(f"{where}: enhanced code {enhanced!r} is not of the form "
                                f"class.subject.detail such as 5.1.1")
        if found.group(1) != str(code)[0]:
            raise ScenarioError(f"{where}: enhanced code {enhanced} does not belong with "
                                f"{code}: their first digits must be equal (RFC 3463 sec 2)")


def _rule(name: str, number: int, raw) -> Rule:
    where = f"scenario {name!r}, rule {number}"
    if not isinstance(raw, dict):
        raise ScenarioError(f"{where}: a rule must be a table")
    unknown = sorted(set(raw) - set(_RULE_KEYS))
    if unknown:
        raise ScenarioError(f"{where}: unknown key(s) {', '.join(unknown)}; valid keys are "
                            f"{', '.join(_RULE_KEYS)}")
    when = str(raw.get("when", "")).upper()
    if when not in PHASES:
        raise ScenarioError(f"{where}: 'when' must be one of {', '.join(PHASES)}, "
                            f"not {raw.get('when')!r}")
    if "code" not in raw:
        raise ScenarioError(f"{where}: 'code' (the reply code) is missing")
    code, enhanced = raw["code"], str(raw.get("enhanced", ""))
    _check_pair(where, code, enhanced)
    text = raw.get("text", "")
    text = (text,) if isinstance(text, str) else tuple(text)
    if not all(isinstance(t, str) for t in text):
        raise ScenarioError(f"{where}: 'text' must be a string or a list of strings")
    for line in text:
        _check_placeholders(where, line)
        if "\r" in line or "\n" in line:
            raise ScenarioError(f"{where}: a reply line cannot contain a line break; "
                                f"give a list of lines instead")
    conditions = {}
    for key in _CONDITIONS:
        if key in raw:
            conditions[key] = _condition(where, key, raw[key])
    if when in ("CONNECT", "STOP") and conditions:
        raise ScenarioError(f"{where}: {when} rules take no conditions")
    for key in ("value_in", "value_not_in", "value_above"):
        if key in conditions and "parameter" not in conditions:
            raise ScenarioError(f"{where}: {key!r} needs 'parameter' (which parameter to test)")
    if "parameter" in conditions and when not in ("MAIL", "RCPT"):
        raise ScenarioError(f"{where}: 'parameter' applies only to MAIL and RCPT rules")
    return Rule(when=when, code=int(code), text=text, enhanced=enhanced,
                close=bool(raw.get("close", False)), source=str(raw.get("source", "")),
                note=str(raw.get("note", "")), conditions=MappingProxyType(conditions))


def _condition(where: str, key: str, value):
    if key in ("first_attempt", "authenticated", "auth_offered", "storage_full"):
        if not isinstance(value, bool):
            raise ScenarioError(f"{where}: {key!r} must be true or false, not {value!r}")
        return value
    if key == "parameter":
        if not isinstance(value, str) or not value.isalnum():
            raise ScenarioError(f"{where}: 'parameter' must be a parameter name such as "
                                f"SIZE or BODY, not {value!r}")
        return value.upper()
    if key == "value_above":
        if value != "size_limit" and (not isinstance(value, int) or isinstance(value, bool)):
            raise ScenarioError(f"{where}: 'value_above' must be a whole number or "
                                f"\"size_limit\", not {value!r}")
        return value
    values = [value] if isinstance(value, str) else value
    if not isinstance(values, list) or not all(isinstance(v, str) for v in values):
        raise ScenarioError(f"{where}: {key!r} must be a string or a list of strings")
    if key in ("value_in", "value_not_in", "command_not"):
        return tuple(v.upper() for v in values)
    return tuple(values)


def _check_placeholders(where: str, text: str) -> None:
    try:
        names = [f for _, f, _, _ in string.Formatter().parse(text) if f is not None]
    except ValueError as error:
        raise ScenarioError(f"{where}: reply text {text!r} has unbalanced braces ({error}); "
                            f"write {{{{ and }}}} for literal braces") from None
    bad = [n for n in names if n not in PLACEHOLDERS]
    if bad:
        raise ScenarioError(f"{where}: unknown placeholder(s) {', '.join('{' + n + '}' for n in bad)} "
                            f"in {text!r}; available: {', '.join(PLACEHOLDERS)}")
