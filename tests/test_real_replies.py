"""Every real reply line of ../shared/reference/real_replies.csv (skipped where that file is absent).

parse_reply must return the basic and enhanced codes of the file's `code` and `enhanced` columns;
a line with neither raises ReplySyntaxError; explain() gets the class right and raises nothing else.
"""

import csv
from pathlib import Path

import pytest

from smtplearn import ReplySyntaxError, explain, parse_reply
from smtplearn.codes import ReplyClass

REAL_REPLIES = Path(__file__).resolve().parent.parent.parent / "shared" / "reference" / "real_replies.csv"

if REAL_REPLIES.exists():
    with REAL_REPLIES.open(newline="", encoding="utf-8") as handle:
        ROWS = list(csv.DictReader(handle))
else:
    ROWS = []

pytestmark = pytest.mark.skipif(not ROWS, reason=f"{REAL_REPLIES} is not present")


def _ids(rows):
    return [f"{n}-{row['provider']}-{row['code'] or 'none'}" for n, row in enumerate(rows, start=2)]


@pytest.mark.parametrize("row", ROWS, ids=_ids(ROWS))
def test_codes_as_the_file_gives_them(row):
    if not row["code"] and not row["enhanced"]:
        with pytest.raises(ReplySyntaxError):
            parse_reply(row["reply_line"])
        return
    reply = parse_reply(row["reply_line"])
    assert reply.code == (int(row["code"]) if row["code"] else None)
    assert reply.enhanced == (row["enhanced"] or None)
    assert parse_reply(str(reply)) == reply


@pytest.mark.parametrize("row", ROWS, ids=_ids(ROWS))
def test_explained_with_the_right_class(row):
    if not row["code"] and not row["enhanced"]:
        with pytest.raises(ReplySyntaxError):
            explain(row["reply_line"])
        return
    explanation = explain(row["reply_line"])
    digit = int((row["code"] or row["enhanced"])[0])
    assert explanation.reply_class is ReplyClass(digit)
    assert explanation.reply.code == (int(row["code"]) if row["code"] else None)
    for rendering in (str(explanation), explanation.to_markdown(), explanation._repr_html_()):
        assert rendering
    explanation.to_dict()


@pytest.mark.parametrize("row", [r for r in ROWS if r["status"].count(".") == 2
                                 and r["status"] != r["enhanced"] and r["status"] in r["reply_line"]],
                         ids=lambda row: row["status"])
def test_a_code_written_elsewhere_is_mentioned(row):
    explanation = explain(row["reply_line"])
    assert row["status"] in explanation.hints
    assert row["status"] in str(explanation)
