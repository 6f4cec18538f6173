"""Shared fixtures and collection rules for the whole suite (others may add fixtures here)."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
NOTEBOOKS = ROOT / "notebooks"

# The nbval sample pair (one notebook meant to fail) is run by tests/test_nbval_setup.py in a
# subprocess of its own; the main run must never collect it.
collect_ignore = ["nbval_samples"]


def pytest_configure(config):
    """Let the relative sanitize path in pyproject.toml work from any working directory."""
    sanitize = getattr(config.option, "nbval_sanitize_with", None)
    if sanitize and not os.path.isabs(sanitize) and not os.path.exists(sanitize):
        config.option.nbval_sanitize_with = str(Path(config.rootpath) / sanitize)


@pytest.fixture(scope="session")
def repo_root() -> Path:
    return ROOT


@pytest.fixture(scope="session")
def notebook_paths() -> list[Path]:
    """The tutorial notebooks, in order."""
    return sorted(NOTEBOOKS.glob("[0-9][0-9]_*.ipynb"))
