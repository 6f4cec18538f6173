"""The command line, run through its real entry points in subprocesses.

Both `.venv/bin/smtplearn` (the console script) and `python -m smtplearn` are exercised.
"""

import json
import subprocess
import sys
from pathlib import Path

import pytest

from smtplearn import compare, explain, lookup

SCRIPT = Path(sys.executable).with_name("smtplearn")
ENTRY_POINTS = [[str(SCRIPT)], [sys.executable, "-m", "smtplearn"]]
ENTRY_IDS = ["script", "module"]


def run(entry, *args, stdin=None):
    if not Path(entry[0]).exists():
        pytest.skip(f"{entry[0]} is not installed")
    return subprocess.run(entry + list(args), input=stdin, capture_output=True, text=True, timeout=60)


@pytest.fixture(params=ENTRY_POINTS, ids=ENTRY_IDS)
def entry(request):
    return request.param


def test_lookup(entry):
    result = run(entry, "lookup", "211")
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == str(lookup(211))
    assert result.stderr == ""


def test_lookup_enhanced_as_json(entry):
    result = run(entry, "lookup", "5.1.1", "--format", "json")
    assert result.returncode == 0
    assert json.loads(result.stdout) == lookup("5.1.1").to_dict()


def test_explain_a_reply(entry):
    reply = "550 5.1.1 <bob@example.org>: Recipient address rejected"
    result = run(entry, "explain", reply)
    assert result.returncode == 0
    assert result.stdout.strip() == str(explain(reply))


def test_explain_markdown_and_json():
    markdown = run(ENTRY_POINTS[0], "explain", "571", "--format", "markdown")
    assert markdown.returncode == 0 and markdown.stdout.strip() == explain(571).to_markdown().strip()
    as_json = run(ENTRY_POINTS[0], "explain", "550 4.2.2 full", "--format", "json")
    assert json.loads(as_json.stdout) == explain("550 4.2.2 full").to_dict()


def test_explain_stdin_one_reply_per_line_and_multiline_kept_together(entry):
    stdin = "250 OK\n550-5.1.1 The account does not exist.\n550 5.1.1 Check the address.\n4.7.32 rate limited\n"
    result = run(entry, "explain", "-", "--format", "json", stdin=stdin)
    assert result.returncode == 0, result.stderr
    items = json.loads(result.stdout)
    assert [item["code"] for item in items] == [250, 550, None]
    assert items[1]["reply"]["lines"] == ["The account does not exist.", "Check the address."]
    assert items[2]["enhanced"] == "4.7.32"


def test_explain_stdin_with_a_bad_line_reports_it_and_goes_on(entry):
    result = run(entry, "explain", "-", stdin="250 OK\nnot a reply\n421 4.7.0 later\n")
    assert result.returncode == 2
    assert result.stderr.count("\n") == 1 and "stdin line 2" in result.stderr
    assert str(explain("250 OK")) in result.stdout and str(explain("421 4.7.0 later")) in result.stdout


def test_explain_empty_stdin(entry):
    result = run(entry, "explain", "-", stdin="\n\n")
    assert result.returncode == 2 and result.stderr.count("\n") == 1


def test_compare(entry):
    result = run(entry, "compare", "211", "504")
    assert result.returncode == 0
    assert result.stdout.strip() == str(compare(211, 504)).strip()
    assert result.stdout.startswith(compare(211, 504).headline)


def test_compare_markdown():
    result = run(ENTRY_POINTS[0], "compare", "550", "5.1.1", "--format", "markdown")
    assert result.returncode == 0 and result.stdout.strip() == compare(550, "5.1.1").to_markdown().strip()


@pytest.mark.parametrize("args", [
    ["lookup", "259"], ["lookup", "hello"], ["explain", "no code here"], ["compare", "211", "999"],
    ["compare", "211"], ["lookup", "211", "--format", "xml"], ["explain"], ["frobnicate"], [],
])
def test_bad_input_is_one_line_on_stderr_and_exit_2(entry, args):
    result = run(entry, *args)
    assert result.returncode == 2
    assert result.stderr.count("\n") == 1, result.stderr
    assert "Traceback" not in result.stderr and result.stdout == ""


@pytest.mark.parametrize("command", ["lookup", "explain", "compare"])
def test_help_for_every_subcommand(entry, command):
    result = run(entry, command, "--help")
    assert result.returncode == 0
    assert "--format" in result.stdout and "usage: smtplearn " + command in result.stdout


def test_top_level_help(entry):
    result = run(entry, "--help")
    assert result.returncode == 0
    for command in ("lookup", "explain", "compare", "quiz", "lab"):
        assert command in result.stdout
