"""The widgets, driven as a student would: set values, click buttons, read what is shown."""

from __future__ import annotations

import html
import subprocess
import sys
from pathlib import Path

import ipywidgets
import pytest

from smtplearn import codes, render
from smtplearn.errors import InvalidCodeError, QuestionBankError, QuizError
from smtplearn.quiz import Quiz
from smtplearn.widgets import CatalogBrowser, CompareWidget, ExplainWidget, QuizWidget

ROOT = Path(__file__).resolve().parent.parent
SAMPLE_BANK = ROOT / "notebooks" / "sample_bank.toml"


def shown(widget) -> bool:
    return widget.layout.display != "none"


def controls(widget):
    """Every widget inside a container, depth first."""
    yield widget
    for child in getattr(widget, "children", ()):
        yield from controls(child)


def wrong_choice(question):
    return next(choice for choice in question.choices if choice != question.answer)


def assert_labelled_and_styled(view, prefix):
    for control in controls(view):
        if isinstance(control, (ipywidgets.Dropdown, ipywidgets.RadioButtons, ipywidgets.Text,
                                ipywidgets.Textarea, ipywidgets.ToggleButtons,
                                ipywidgets.IntProgress, ipywidgets.Button)):
            assert control.description.strip(), control
            assert any(c.startswith(prefix) for c in control._dom_classes), control
    assert prefix.rstrip("-") in view._dom_classes


def assert_plain_repr(view):
    text = view._repr_mimebundle_()["text/plain"]
    assert text == repr(view)
    assert view.model_id not in text and "children" not in text


def test_importing_smtplearn_does_not_import_ipywidgets():
    code = "import sys, smtplearn; smtplearn.Quiz; print('ipywidgets' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT)
    assert out.stdout.strip() == "False", out.stderr


# --- QuizWidget ---------------------------------------------------------------------------------

def test_a_full_round_answered_right(capsys):
    widget = QuizWidget(Quiz.classes(seed=1, n=4))
    assert_labelled_and_styled(widget, "smtplearn-quiz-")
    for number in range(1, 5):
        question = widget.quiz.current
        assert html.escape(question.prompt.split("`")[0]) in widget.prompt.value
        assert f"{number} of 4" in widget.prompt.value
        assert widget.choices.options == question.choices and widget.choices.value is None
        assert widget.next.disabled
        widget.choices.value = question.answer
        widget.submit.click()
        feedback = widget.quiz.last_feedback
        assert feedback.correct
        assert html.escape(feedback.text) in widget.feedback.value
        assert html.escape(question.explanation) in widget.feedback.value
        assert render.CLASS_COLOURS["success"] in widget.feedback.value
        assert widget.choices.disabled and widget.submit.disabled and not widget.next.disabled
        assert widget.progress.value == number
        widget.next.click()
    assert widget.quiz.done
    assert shown(widget.summary) and shown(widget.new_round) and not shown(widget.choices)
    assert html.escape(widget.quiz.summary) in widget.summary.value
    assert widget.summary.value.count("smtplearn-quiz-result smtplearn-success") == 4
    assert widget.quiz.results()["correct"].all()
    assert capsys.readouterr() == ("", "")  # feedback lives in widget values, never printed


def test_a_full_round_answered_wrong_shows_the_right_answers():
    widget = QuizWidget(Quiz.classes(seed=2, n=3))
    for _ in range(3):
        question = widget.quiz.current
        widget.choices.value = wrong_choice(question)
        widget.submit.click()
        assert "Not quite" in widget.feedback.value
        assert html.escape(question.answer) in widget.feedback.value
        assert render.CLASS_COLOURS["permanent"] in widget.feedback.value
        widget.next.click()
    assert widget.quiz.score == 0
    assert widget.summary.value.count("smtplearn-quiz-result smtplearn-permanent") == 3
    assert not widget.quiz.results()["correct"].any()


def test_submit_without_a_choice_asks_for_one_and_changes_nothing():
    widget = QuizWidget(Quiz.classes(seed=1, n=2))
    widget.submit.click()
    assert "Choose an answer first." in widget.feedback.value
    assert widget.quiz.index == 0 and widget.quiz.attempts == ()


def test_practice_mode_lets_the_student_try_again():
    widget = QuizWidget(Quiz.meanings(seed=1, n=2))
    question = widget.quiz.current
    widget.choices.value = wrong_choice(question)
    widget.submit.click()
    assert "Try again" in widget.feedback.value
    assert not widget.choices.disabled and widget.next.disabled
    assert widget.quiz.current is question
    widget.choices.value = question.answer
    widget.submit.click()
    assert "Right, on try 2" in widget.feedback.value
    assert not widget.next.disabled
    assert "0 of 1 right" in widget.score.value


def test_show_answer_closes_the_question():
    widget = QuizWidget(Quiz.classes(seed=1, n=2))
    question = widget.quiz.current
    widget.skip.click()
    assert html.escape(question.answer) in widget.feedback.value
    assert widget.submit.disabled and not widget.next.disabled
    widget.next.click()
    assert widget.quiz.index == 1


def test_exam_mode_moves_on_and_marks_at_the_end():
    widget = QuizWidget(Quiz.classes(seed=3, n=4), mode="exam")
    assert widget.mode == "exam" and not shown(widget.next) and not shown(widget.skip)
    right = []
    for number in range(4):
        question = widget.quiz.current
        choice = question.answer if number % 2 == 0 else wrong_choice(question)
        right.append(choice == question.answer)
        widget.choices.value = choice
        widget.submit.click()
        assert "Right" not in widget.feedback.value and "Not quite" not in widget.feedback.value
        assert html.escape(question.answer) not in widget.feedback.value
        if number < 3:
            assert widget.quiz.index == number + 1
            assert "right first time" not in widget.score.value
    assert widget.quiz.done and shown(widget.summary)
    assert widget.summary.value.count("smtplearn-success") == sum(right)
    assert widget.summary.value.count("smtplearn-permanent") == 4 - sum(right)
    assert list(widget.quiz.results()["correct"]) == right
    for question in widget.quiz.questions:  # the explanations come with the marks
        assert html.escape(question.explanation) in widget.summary.value


def test_the_mode_cannot_change_in_the_middle_of_a_round():
    quiz = Quiz.classes(seed=1, n=3)
    quiz.answer(quiz.current.answer)
    with pytest.raises(QuizError, match="already started"):
        QuizWidget(quiz, mode="exam")


def test_a_new_round_keeps_the_old_results():
    widget = QuizWidget(Quiz.classes(seed=5, n=2))
    first = widget.quiz
    for _ in range(2):
        widget.choices.value = widget.quiz.current.answer
        widget.submit.click()
        widget.next.click()
    widget.new_round.click()
    assert widget.quiz is not first and widget.quiz.history == (first,)
    assert widget.quiz.seed == 6 and widget.progress.value == 0
    assert shown(widget.choices) and not shown(widget.summary)
    widget.choices.value = wrong_choice(widget.quiz.current)
    widget.submit.click()
    table = widget.results()
    assert list(table["round"]) == [1, 1, 2] and list(table["correct"]) == [True, True, False]


def test_a_bank_can_be_taken_in_the_widget_and_a_bad_bank_is_a_clear_error(tmp_path):
    widget = QuizWidget(Quiz.from_file(SAMPLE_BANK, seed=1))
    assert html.escape(widget.quiz.title) in widget.heading.value
    assert "<code>550 5.1.1" in widget.prompt.value
    bad = tmp_path / "bad.toml"
    bad.write_text('[[question]]\nprompt = "Which?"\nchoices = ["a", "b"]\nanswer = "z"\n')
    with pytest.raises(QuestionBankError, match=r"question 1, field 'answer'"):
        QuizWidget(Quiz.from_file(bad))


def test_a_failure_inside_a_handler_is_shown_in_the_widget(monkeypatch, capsys, caplog):
    widget = QuizWidget(Quiz.classes(seed=1, n=2))

    def broken(choice):
        raise RuntimeError("the engine broke")

    monkeypatch.setattr(widget.quiz, "answer", broken)
    widget.choices.value = widget.quiz.current.answer
    widget.submit.click()  # must not raise, and must not print
    assert "smtplearn-error" in widget.feedback.value
    assert "the engine broke" in widget.feedback.value
    assert capsys.readouterr() == ("", "")
    assert not caplog.records  # ipywidgets logs exceptions that escape a click handler


def test_the_widget_times_a_question_from_when_it_is_shown():
    clock = iter([0.0, 50.0, 52.5, 60.0, 61.0]).__next__
    quiz = Quiz(Quiz.classes(seed=1, n=2).questions, clock=clock)  # built at t=0
    widget = QuizWidget(quiz)  # shown at t=50
    widget.choices.value = quiz.current.answer
    widget.submit.click()  # answered at t=52.5
    widget.next.click()  # the next question is shown at t=60
    widget.choices.value = quiz.current.answer
    widget.submit.click()  # answered at t=61
    assert list(quiz.results()["seconds"]) == [2.5, 1.0]


def test_quiz_widget_needs_a_quiz():
    with pytest.raises(QuizError, match="needs a smtplearn Quiz"):
        QuizWidget([1, 2, 3])


def test_quiz_widget_repr_is_plain_and_deterministic():
    one, two = QuizWidget(Quiz.classes(seed=1)), QuizWidget(Quiz.classes(seed=2))
    assert repr(one) == repr(two) == "QuizWidget('Which class is it? (2xx, 5xx)', question 1 of 10, practice)"
    assert_plain_repr(one)


# --- CompareWidget ------------------------------------------------------------------------------

@pytest.fixture
def compare():
    return pytest.importorskip("smtplearn.comparison").compare


def test_compare_widget_shows_the_comparison_and_follows_the_dropdowns(compare):
    widget = CompareWidget(211, 504)
    assert_labelled_and_styled(widget, "smtplearn-compare-")
    assert widget.output.value == compare(211, 504)._repr_html_()
    assert widget.headline == compare(211, 504).headline
    widget.first.value = 250
    assert widget.output.value == compare(250, 504)._repr_html_()
    widget.second.value = 550
    assert widget.output.value == compare(250, 550)._repr_html_()
    assert repr(widget) == "CompareWidget(250 vs 550)"
    assert_plain_repr(widget)


def test_compare_widget_swap(compare):
    widget = CompareWidget(a=421, b=550)
    widget.swap.click()
    assert (widget.first.value, widget.second.value) == (550, 421)
    assert widget.output.value == compare(550, 421)._repr_html_()


def test_compare_widget_labels_name_code_and_title():
    widget = CompareWidget(211, 504)
    assert widget.first.label == f"211 — {codes.lookup(211).title}"
    assert len(widget.first.options) == len(codes.basic_codes())


def test_compare_widget_can_be_limited_to_some_classes():
    widget = CompareWidget(450, 550, classes=(4, 5))
    assert {value // 100 for _, value in widget.first.options} == {4, 5}
    with pytest.raises(InvalidCodeError, match="not offered"):
        CompareWidget(211, 550, classes=(4, 5))
    with pytest.raises(InvalidCodeError):
        CompareWidget(999, 550)


def test_compare_widget_shows_a_failing_comparison_as_a_message(monkeypatch, compare):
    import smtplearn.comparison

    widget = CompareWidget(211, 504)

    def broken(a, b):
        raise RuntimeError("cannot compare today")

    monkeypatch.setattr(smtplearn.comparison, "compare", broken)
    widget.first.value = 250
    assert "smtplearn-error" in widget.output.value and "cannot compare today" in widget.output.value
    assert widget.comparison is None and widget.headline == ""


# --- ExplainWidget ------------------------------------------------------------------------------

def test_explain_widget_explains_what_is_pasted():
    from smtplearn.explanation import explain

    widget = ExplainWidget()
    assert_labelled_and_styled(widget, "smtplearn-explain-")
    assert "smtplearn-explain-message" in widget.output.value and widget.explanation is None
    reply = "550 5.1.1 <ana@example.org>: no such user"
    widget.input.value = reply
    assert widget.output.value == explain(reply)._repr_html_()
    assert widget.text == str(explain(reply))
    widget.explain.click()
    assert widget.output.value == explain(reply)._repr_html_()
    assert repr(widget) == f"ExplainWidget({reply!r})"
    assert_plain_repr(widget)


@pytest.mark.parametrize("bad", ["hello there", "25", "5.9.9.9"])
def test_explain_widget_shows_bad_input_as_a_clear_message(bad):
    from smtplearn.explanation import explain

    with pytest.raises((ValueError, LookupError)) as caught:
        explain(bad)
    widget = ExplainWidget(bad)
    assert "smtplearn-error" in widget.output.value
    assert html.escape(str(caught.value)) in widget.output.value
    assert widget.explanation is None and widget.text == str(caught.value)


def test_explain_widget_catches_anything_else(monkeypatch):
    import smtplearn.explanation

    widget = ExplainWidget()

    def broken(text):
        raise RuntimeError("explainer down")

    monkeypatch.setattr(smtplearn.explanation, "explain", broken)
    widget.input.value = "250 OK"
    assert "explainer down" in widget.output.value


# --- CatalogBrowser -----------------------------------------------------------------------------

def test_catalog_browser_filters_by_class_subject_and_text():
    browser = CatalogBrowser()
    assert_labelled_and_styled(browser, "smtplearn-catalog-")
    every = codes.basic_codes()
    assert browser.codes == [str(code.code) for code in every]
    assert browser.reply_class.index == 0 and browser.subject.index == 0
    browser.reply_class.value = 5
    assert browser.codes == [str(c.code) for c in every if c.reply_class.value == 5]
    browser.subject.value = 0
    assert browser.codes == [str(c.code) for c in every if c.code // 10 == 50]
    assert f"{len(browser.codes)} of {len(every)}" in browser.count.value
    browser.reply_class.value = None
    browser.subject.value = None
    browser.search.value = "TLS"
    assert "454" in browser.codes and "250" not in browser.codes
    browser.search.value = "no such thing anywhere"
    assert browser.codes == [] and "smtplearn-catalog-message" in browser.table.value


def test_catalog_browser_shows_class_by_text_and_colour():
    browser = CatalogBrowser()
    browser.reply_class.value = 4
    assert str(codes.ReplyClass(4)) in browser.table.value
    assert render.CLASS_COLOURS["transient"] in browser.table.value
    assert render.CLASS_COLOURS["success"] not in browser.table.value


def test_catalog_browser_enhanced_codes():
    browser = CatalogBrowser()
    browser.search.value = "relay"
    browser.kind.value = "enhanced"
    assert browser.reply_class.value is None and browser.subject.value is None
    # the 'all' entries are selected, not an empty selection (which would show a blank dropdown)
    assert browser.reply_class.index == 0 and browser.subject.index == 0
    browser.search.value = ""
    assert len(browser.codes) == len(codes.enhanced_codes())
    browser.subject.value = 7
    assert browser.codes and all(code.split(".")[1] == "7" for code in browser.codes)
    browser.subject.value = None
    browser.search.value = "5.1.1"
    assert "X.1.1" in browser.codes
    assert repr(browser) == f"CatalogBrowser(enhanced, {len(browser.codes)} entries)"
    assert_plain_repr(browser)
