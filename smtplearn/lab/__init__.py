"""The live SMTP lab: a real SMTP server on loopback whose replies follow a scenario, and a
client session that records and annotates every exchange.

``LabServer`` and the scenarios need aiosmtpd; ``Session`` needs only the standard library
(and pandas for ``.transcript``).  Everything is imported on first use.
"""

from smtplearn import _lazy_exports

_EXPORTS = {
    "LabServer": "server", "LabMessage": "server", "LabExchange": "server",
    "DEFAULT_HOSTNAME": "server",
    "Session": "session", "Delivery": "session",
    "Scenario": "scenarios", "Rule": "scenarios", "load_scenario": "scenarios",
    "scenario_names": "scenarios",
}

__all__ = sorted(_EXPORTS)

__getattr__, __dir__ = _lazy_exports(__name__, _EXPORTS, globals())
