"""The live SMTP lab: a real SMTP server on loopback whose replies follow a scenario, and a
client session that records and annotates every exchange.

``LabServer`` and the scenarios need aiosmtpd; ``Session`` needs only the standard library
(and pandas for ``.transcript``).  Everything is imported on first use.
"""

_EXPORTS = {
    "LabServer": "server", "LabMessage": "server", "LabExchange": "server",
    "DEFAULT_HOSTNAME": "server",
    "Session": "session", "Delivery": "session",
    "Scenario": "scenarios", "Rule": "scenarios", "load_scenario": "scenarios",
    "scenario_names": "scenarios",
}

__all__ = sorted(_EXPORTS)


def __getattr__(name):
    module_name = _EXPORTS.get(name)
    if module_name is None:
        raise AttributeError(f"module 'smtplearn.lab' has no attribute {name!r}")
    import importlib

    value = getattr(importlib.import_module(f"smtplearn.lab.{module_name}"), name)
    globals()[name] = value
    return value


def __dir__():
    return sorted(set(globals()) | set(_EXPORTS))
