"""Proof that the suite's nbval set-up really compares outputs (a check that cannot fail is no check).

Each sample notebook in tests/nbval_samples/ is run by pytest in a subprocess with exactly the
nbval options of pyproject.toml: the one whose stored outputs match (apart from a port and a
memory address, which the sanitize file masks) must pass; the ones whose stored text or HTML
differ must fail.
"""

import shlex
import subprocess
import sys
import tomllib

from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
SAMPLES = ROOT / "tests" / "nbval_samples"


def nbval_options():
    """The nbval flags of the main run, read from pyproject.toml."""
    with open(ROOT / "pyproject.toml", "rb") as handle:
        addopts = shlex.split(tomllib.load(handle)["tool"]["pytest"]["ini_options"]["addopts"])
    options = [opt for opt in addopts if opt.startswith("--nbval")]
    if "--nbval-sanitize-with" in addopts:
        options.append(addopts[addopts.index("--nbval-sanitize-with") + 1])
    return options


def run_sample(name, tmp_path):
    empty_config = tmp_path / "pytest.ini"
    empty_config.write_text("[pytest]\n")
    command = [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "-c", str(empty_config),
               "--rootdir", str(ROOT), *nbval_options(), str(SAMPLES / name)]
    return subprocess.run(command, cwd=ROOT, capture_output=True, text=True, timeout=120)


def test_main_run_uses_strict_nbval_with_the_committed_sanitize_file():
    options = nbval_options()
    assert "--nbval" in options and "--nbval-lax" not in options
    assert "--nbval-current-env" in options
    assert (ROOT / options[-1]).is_file() and options[-1] == "notebooks/sanitize.cfg"


def test_matching_outputs_pass(tmp_path):
    result = run_sample("pass.ipynb", tmp_path)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "4 passed" in result.stdout


@pytest.mark.parametrize("name", ["fail_text.ipynb", "fail_html.ipynb"])
def test_different_outputs_fail(tmp_path, name):
    result = run_sample(name, tmp_path)
    assert result.returncode == 1, result.stdout + result.stderr
    assert "1 failed" in result.stdout
    assert "Cell outputs differ" in result.stdout


def test_sanitize_file_masks_only_volatile_things():
    import re

    patterns = re.findall(r"^regex: (.*)$\n^replace: (.*)$", (ROOT / "notebooks" / "sanitize.cfg").read_text(),
                          flags=re.MULTILINE)
    assert patterns

    def sanitize(text):
        for regex, replace in patterns:
            text = re.sub(regex, replace, text)
        return text

    assert sanitize("127.0.0.1:2525") == sanitize("127.0.0.1:40111")
    assert sanitize("<object at 0x7f00deadbeef>") == sanitize("<object at 0x55d0c0ffee00>")
    assert sanitize("Date: Fri, 04 Dec 2026 15:01:51 +0000") == sanitize("Date: Sat, 05 Dec 2026 09:00:00 +0000")
    # reply codes, enhanced codes and counts must never be masked
    for real in ("250 2.1.0 OK", "550 5.1.1 unknown user", "45 rows", "RFC 5321 sec 4.2.3", "5.7.30"):
        assert sanitize(real) == real
    assert sanitize("550") != sanitize("250")
