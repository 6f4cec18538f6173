"""The notebook exercises: right answers pass, wrong ones get a hint and never the answer."""

import re
import subprocess
import sys

import pytest

import smtplearn
from smtplearn import ExerciseError
from smtplearn.codes import Action, ReplyClass, Subject
from smtplearn.exercises import Exercise, Feedback, exercises_for, notebooks

ALL = [q for notebook in notebooks() for q in exercises_for(notebook)]
IDS = [q.label for q in ALL]


def right_answer(q):
    """One answer that must pass, in the plainest form a student would type."""
    expected = q.expected()
    if q.kind == "code" and isinstance(expected, frozenset):
        return min(expected)
    if q.kind == "codes":
        return sorted(expected)
    if q.kind == "action":
        return Action(expected).label
    return expected


def wrong_answers(q):
    """Answers of the right form that must fail."""
    expected = q.expected()
    if q.kind == "reply_class":
        return [d for d in (2, 3, 4, 5) if d != expected]
    if q.kind == "subject":
        return [d for d in range(6) if d != expected]
    if q.kind == "action":
        return [a for a in Action if a.value != expected]
    if q.kind == "code":
        right = expected if isinstance(expected, frozenset) else {expected}
        return [c.code for c in smtplearn.basic_codes() if c.code not in right][:5]
    if q.kind == "codes":
        outsider = next(c.code for c in smtplearn.basic_codes() if c.code not in expected)
        return [sorted(expected)[1:], sorted(expected) + [outsider], [outsider]]
    if q.kind == "enhanced":
        klass, subject, detail = expected.split(".")
        other_class = "4" if klass != "4" else "5"
        return [f"{other_class}.{subject}.{detail}", f"{klass}.{subject}.{int(detail) + 1}"]
    if q.kind == "number":
        return [expected + 1, expected - 1, 0]
    if q.kind == "choice":
        return [c for c in q.choices if c != expected]
    raise AssertionError(q.kind)


def revealing_tokens(q):
    """Texts that would give the expected value away if a wrong answer's feedback showed them."""
    expected = q.expected()
    if q.kind == "reply_class":
        return [f"{expected}xx", ReplyClass(expected).label]
    if q.kind == "subject":
        return [f"x{expected}x", Subject(expected).label]
    if q.kind == "action":
        return [Action(expected).label]
    if isinstance(expected, frozenset):
        return [str(v) for v in expected]
    return [str(expected)]


def test_every_notebook_has_exercises():
    assert notebooks() == [
        "01_reply_anatomy", "02_positive_vs_negative", "03_catalog_with_pandas",
        "04_classroom_quiz", "05_live_smtp_session", "06_enhanced_codes_and_bounces"]
    assert all(len(exercises_for(n)) >= 2 for n in notebooks())


@pytest.mark.parametrize("q", ALL, ids=IDS)
def test_right_answer_passes(q):
    feedback = q.check(right_answer(q))
    assert feedback.passed, feedback
    assert bool(feedback) and feedback.status == "correct"


@pytest.mark.parametrize("q", ALL, ids=IDS)
def test_wrong_answers_get_a_hint_and_never_the_answer(q):
    for wrong in wrong_answers(q):
        feedback = q.check(wrong)
        assert not feedback.passed, (wrong, feedback)
        assert feedback.status == "incorrect"
        assert q.hints[0] in feedback.message
        for token in revealing_tokens(q):
            if q.kind in ("reply_class", "subject", "action"):
                assert token not in feedback.message, (wrong, token, feedback)
            else:
                assert not re.search(rf"(?<![\d.]){re.escape(token)}(?![\d.])", feedback.message), (
                    wrong, token, feedback)


@pytest.mark.parametrize("q", ALL, ids=IDS)
def test_hints_never_give_the_answer_away(q):
    if q.kind in ("reply_class", "subject", "action"):
        return  # hints may name classes and actions in general; the value tests above cover these
    for number in range(1, len(q.hints) + 1):
        text = q.hint(number).message
        for token in revealing_tokens(q):
            assert not re.search(rf"(?<![\d.]){re.escape(token)}(?![\d.])", text), (number, token)


@pytest.mark.parametrize("q", ALL, ids=IDS)
def test_unanswered_and_malformed_answers_explain_the_form(q):
    for blank in (..., None):
        assert q.check(blank).status == "unanswered"
    assert q.check().status == "unanswered"
    for junk in ("banana", True, 3.5, object(), ["x"]):
        feedback = q.check(junk)
        assert feedback.status in ("invalid", "incorrect"), (junk, feedback)
        assert not feedback.passed


def test_answers_are_accepted_in_every_natural_form():
    q1, q2, q3, q4, q5 = exercises_for("01_reply_anatomy")
    for answer in (5, "5", "5xx", "5XX", ReplyClass.PERMANENT_NEGATIVE, smtplearn.lookup(554)):
        assert q1.check(answer), answer
    for answer in (2, "x2x", Subject.CONNECTIONS, smtplearn.lookup(221)):
        assert q2.check(answer), answer
    for answer in (220, "220", smtplearn.lookup(220)):
        assert q3.check(answer), answer
    reply = smtplearn.parse_reply("550 5.1.1 <bob@example.org>: Recipient address rejected")
    for answer in ("5.1.1", " 5.1.1 ", smtplearn.lookup("5.1.1"), reply):
        assert q4.check(answer), answer
    for answer in (Action.RETRY_LATER, "retry_later", "Retry later", smtplearn.lookup(451).action):
        assert q5.check(answer), answer


def test_pandas_answers_are_accepted():
    q1, q2, q3, q4 = exercises_for("03")
    table = smtplearn.catalog()
    assert q1.check(int((table["class"] == 4).sum()))
    assert q1.check((table["class"] == 4).sum())  # a numpy integer
    assert q2.check(table[table.closes_connection].code)  # a Series
    meanings = smtplearn.catalog(meanings=True)
    assert q3.check(meanings[meanings.rfc == "RFC 4954"].code.unique())  # a numpy array
    assert q4.check(len(table[table.meanings > 1]))


def test_partial_sets_and_numbers_say_which_way_to_go():
    _, q2, _, _ = exercises_for("03")
    expected = sorted(q2.expected())
    missing_one = q2.check(expected[1:]).message
    assert "missing" in missing_one and "do not belong" not in missing_one
    one_extra = q2.check(expected + [250]).message  # 250 never closes the connection
    assert "do not belong" in one_extra and "missing" not in one_extra
    q1 = exercises_for("03")[0]
    assert "too high" in q1.check(q1.expected() + 5).message
    assert "too low" in q1.check(0).message


def test_enhanced_answer_with_the_wrong_class_is_told_so():
    q4 = exercises_for("01")[3]
    assert "class digit" in q4.check("4.1.1").message
    assert "class digit" not in q4.check("5.1.2").message


def test_specific_feedback_for_a_tempting_wrong_answer():
    q5 = exercises_for("01")[4]
    assert "5xx" in q5.check("do not retry").message


def test_hints_come_one_after_another_and_stop_at_the_last():
    q1 = exercises_for("01")[0]
    texts = [q1.hint().message for _ in range(len(q1.hints) + 1)]
    assert q1.hints[0] in texts[0] and q1.hints[-1] in texts[-1] and texts[-1] == texts[-2]
    assert q1.hint(1).message == texts[0]
    with pytest.raises(ExerciseError, match="hints 1 to"):
        q1.hint(99)


def test_solution_gives_the_answer_only_when_asked():
    q3 = exercises_for("01")[2]
    assert "220" in q3.solution().message
    any_of = exercises_for("02")[2]
    assert all(str(code) in any_of.solution().message for code in any_of.expected())


def test_unknown_notebook_names_the_valid_ones():
    with pytest.raises(ExerciseError) as error:
        exercises_for("99_nothing")
    assert "01_reply_anatomy" in str(error.value) and "99_nothing" in str(error.value)
    by_number = [q.label for q in exercises_for("01")]
    assert by_number == [q.label for q in exercises_for("01_reply_anatomy.ipynb")]
    assert by_number == [f"01_reply_anatomy.q{n}" for n in range(1, len(by_number) + 1)]


def test_bad_exercise_specs_are_refused():
    spec = {"notebook": "x", "name": "q1", "prompt": "?", "kind": "colour", "expect": {"value": 1},
            "hints": ["h"]}
    with pytest.raises(ExerciseError, match="kind"):
        Exercise(spec)
    with pytest.raises(ExerciseError, match="hint"):
        Exercise({**spec, "kind": "number", "hints": []})


def test_feedback_displays_with_theme_colours():
    q1 = exercises_for("01")[0]
    wrong = q1.check(2)
    assert isinstance(wrong, Feedback)
    html = wrong._repr_html_()
    assert "var(--jp-error-color1" in html and "smtplearn-feedback-incorrect" in html
    assert "var(--jp-success-color1" in q1.check(5)._repr_html_()
    assert str(wrong).startswith(wrong.heading) and repr(wrong) == str(wrong)


def test_exercise_shows_its_prompt_with_replies_as_code():
    q = exercises_for("01")[0]
    assert q.prompt in str(q) and q.name in q._repr_markdown_()
    assert "`554 Transaction failed`" in q._repr_markdown_()  # a code span, not escaped backticks
    hint = exercises_for("03")[1].hint(2)._repr_html_()
    assert "<code>table[table.closes_connection].code.tolist()</code>" in hint


def test_importing_exercises_stays_light():
    code = ("import sys, smtplearn.exercises as e; e.exercises_for('01')[0].check(5); "
            "print(sorted(m for m in ('pandas', 'ipywidgets', 'aiosmtpd') if m in sys.modules))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"


@pytest.mark.parametrize("q", ALL, ids=IDS)
def test_every_exercise_is_written_out(q):
    for text in (q.prompt, q.explanation, *q.hints):
        assert text.strip() and "TODO" not in text, q.label
    assert len(q.hints) >= 2, f"{q.label}: give a gentle hint and a more explicit one"
