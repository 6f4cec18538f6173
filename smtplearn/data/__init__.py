"""The data files: every fact and every sentence of explanation smtplearn shows.

Each ``*.toml`` file here is read once, on first use, and kept.  Their format is described in
docs/data-format.md; code elsewhere reads them only through these functions.
"""

import os

_HERE = os.path.dirname(os.path.abspath(__file__))
_CACHE: dict = {}


def path(name: str) -> str:
    """The absolute path of a file shipped in smtplearn/data."""
    return os.path.join(_HERE, name)


def load(name: str) -> dict:
    """The parsed contents of ``smtplearn/data/<name>.toml``, cached."""
    try:
        return _CACHE[name]
    except KeyError:
        import tomllib

        with open(path(name + ".toml"), "rb") as handle:
            _CACHE[name] = tomllib.load(handle)
        return _CACHE[name]


def phrase(file: str, section: str, key: str, /, **values) -> str:
    """One template from ``<file>.toml`` ``[section]``, filled in (positional-only: templates may use any name)."""
    return load(file)[section][key].format(**values)


def basic_codes() -> dict:
    return load("basic_codes")


def enhanced_codes() -> dict:
    return load("enhanced_codes")


def digits() -> dict:
    return load("digits")


def labels() -> dict:
    return load("labels")
