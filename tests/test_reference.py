"""The catalog held against ../shared/reference (the researched ground truth), when present.

Facts must match the reference exactly; prose must be our own (no run of eight words shared
with the reference's notes or the registry's descriptions).  Skipped where the reference is absent:
the package ships its own data and never reads it.
"""

import csv
import pathlib
import re

import pytest

import smtplearn
from smtplearn.codes import basic_codes, enhanced_codes

REFERENCE = pathlib.Path(__file__).resolve().parents[1].parent / "shared" / "reference"
pytestmark = pytest.mark.skipif(not (REFERENCE / "basic_codes.csv").exists(),
                                reason=f"reference data not present at {REFERENCE}")


def read(name):
    with open(REFERENCE / name, newline="", encoding="utf-8") as handle:
        return list(csv.DictReader(handle))


def test_every_reference_row_is_a_meaning_with_the_same_facts():
    ours = {(c.code, m.source): m for c in basic_codes() for m in c.meanings}
    rows = read("basic_codes.csv")
    assert len(rows) == len(ours)
    for row in rows:
        meaning = ours[(int(row["code"]), row["rfc"])]
        assert meaning.section == row["section"], row["code"]
        assert meaning.rfc_text == row["rfc_text"], row["code"]
        assert meaning.checked == row["source_checked"], row["code"]
        assert meaning.enhanced == row["enhanced_code"], row["code"]
        code = smtplearn.lookup(int(row["code"]))
        assert (code.reply_class.value, code.subject.value) == (int(row["class_digit"]), int(row["subject_digit"]))


def _registry_code(row):
    code, table = row["code"], row["registry_table"]
    if table == "Class Sub-Codes":
        return code.split(".")[0] + ".X.X"
    if table == "Subject Sub-Codes":
        return "X." + code.split(".")[1] + ".X"
    return code


def test_enhanced_entries_match_the_registry_copy():
    rows = read("enhanced_codes.csv")
    ours = {e.code: e for e in enhanced_codes()}
    assert len(rows) == len(ours)
    for row in rows:
        entry = ours[_registry_code(row)]
        assert entry.name == row["sample_text"]
        assert entry.reference == row["reference"]
        if entry.kind == "detail":
            assert entry.associated == row["associated_basic_code"]


def _word_runs(text, length=8):
    words = re.findall(r"[a-z0-9']+", text.lower())
    return {" ".join(words[i:i + length]) for i in range(len(words) - length + 1)}


def test_prose_is_our_own():
    borrowed = set()
    for row in read("basic_codes.csv"):
        borrowed |= _word_runs(row["notes"])
    for row in read("enhanced_codes.csv"):
        borrowed |= _word_runs(row["description"])
    quoted = set()  # the RFCs' own words are quoted on purpose in rfc_text; they may be cited in prose
    for row in read("basic_codes.csv"):
        quoted |= _word_runs(row["rfc_text"])
    copied = []
    for code in basic_codes():
        for meaning in code.meanings:
            for name in ("description", "when", "fix_client", "fix_admin", "next_step"):
                runs = _word_runs(getattr(meaning, name)) & borrowed - quoted
                copied += [(code.code, name, run) for run in runs]
    for entry in enhanced_codes():
        for name in ("description", "when", "fix"):
            runs = _word_runs(getattr(entry, name)) & borrowed - quoted
            copied += [(entry.code, name, run) for run in runs]
    assert not copied, copied[:10]
