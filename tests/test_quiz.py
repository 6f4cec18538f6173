"""The quiz engine: questions drawn from the catalog, determinism, modes, results, banks."""

from __future__ import annotations

import csv
import ipaddress
import json
import re
import subprocess
import sys
from pathlib import Path

import pytest

from smtplearn import codes, data, render
from smtplearn.errors import QuestionBankError, QuizError
from smtplearn.quiz import RESULT_COLUMNS, Question, Quiz

ROOT = Path(__file__).resolve().parent.parent
SAMPLE_BANK = ROOT / "notebooks" / "sample_bank.toml"
SAMPLE_BANK_JSON = ROOT / "tests" / "sample_bank.json"
TEXTS = data.load("quiz")


def snapshot(quiz):
    return [(q.prompt, q.choices, q.answer) for q in quiz.questions]


def wrong_choice(question):
    return next(choice for choice in question.choices if choice != question.answer)


class FakeClock:
    def __init__(self):
        self.now = 100.0

    def __call__(self):
        return self.now


# --- generated quizzes --------------------------------------------------------------------------

@pytest.mark.parametrize("factory", [Quiz.classes, Quiz.retry, Quiz.meanings])
def test_same_seed_same_questions_and_choice_order(factory):
    assert snapshot(factory(n=10, seed=7)) == snapshot(factory(n=10, seed=7))


@pytest.mark.parametrize("factory", [Quiz.classes, Quiz.retry, Quiz.meanings])
def test_different_seeds_give_different_rounds(factory):
    rounds = [snapshot(factory(n=10, seed=seed)) for seed in range(6)]
    assert len({repr(r) for r in rounds}) == len(rounds)


def test_seed_none_is_recorded_so_the_round_can_be_replayed():
    quiz = Quiz.classes()
    assert isinstance(quiz.seed, int)
    assert snapshot(Quiz.classes(seed=quiz.seed)) == snapshot(quiz)


def test_default_classes_quiz_contrasts_2xx_with_5xx():
    quiz = Quiz.classes(seed=3)
    labels = {str(codes.ReplyClass(2)), str(codes.ReplyClass(5))}
    assert quiz.total == 10
    for question in quiz.questions:
        assert set(question.choices) == labels
        assert question.answer == str(codes.ReplyClass(question.code // 100))
    # balanced: neither class dominates the round
    answers = [q.answer for q in quiz.questions]
    assert {answers.count(label) for label in labels} == {5}


@pytest.mark.parametrize("classes", [(2, 3), (3, 4), (4, 5), (2, 3, 4, 5), "2,4", ("2xx", "5xx")])
def test_any_subset_of_classes_works(classes):
    quiz = Quiz.classes(classes, n=6, seed=1)
    digits = sorted({int(str(c)[0]) for c in (classes.split(",") if isinstance(classes, str) else classes)})
    for question in quiz.questions:
        assert sorted(int(choice[0]) for choice in question.choices) == digits
        assert int(question.answer[0]) == question.code // 100


def test_classes_quiz_asks_about_codes_and_realistic_reply_lines():
    quiz = Quiz.classes(classes=(2, 3, 4, 5), n=40, seed=2)
    by_code = [q for q in quiz.questions if "`" not in q.prompt]
    by_reply = [q for q in quiz.questions if "`" in q.prompt]
    assert by_code and by_reply
    for question in by_reply:
        line = re.search(r"`([^`]*)`", question.prompt).group(1)
        assert int(line[:3]) == question.code
    for question in by_code:
        assert str(question.code) in question.prompt


def test_explanations_come_from_the_catalog():
    for question in Quiz.classes(classes=(2, 3, 4, 5), n=20, seed=5).questions:
        reply_class = codes.ReplyClass(question.code // 100)
        assert reply_class.meaning in question.explanation
        description = codes.lookup(question.code).description
        if description not in ("", "TODO"):
            assert description in question.explanation
    for question in Quiz.retry(n=10, seed=5).questions:
        reply_class = codes.ReplyClass(question.code // 100)
        assert reply_class.for_client in question.explanation
    for question in Quiz.meanings(n=10, seed=5).questions:
        assert codes.lookup(question.code).label in question.explanation


def test_retry_quiz_is_about_4xx_and_5xx_and_the_action_they_call_for():
    quiz = Quiz.retry(n=12, seed=4)
    actions = {codes.Action.RETRY_LATER.label, codes.Action.DO_NOT_RETRY.label}
    for question in quiz.questions:
        assert question.code // 100 in (4, 5)
        assert set(question.choices) == actions
        assert question.answer == codes.ReplyClass(question.code // 100).action.label


def test_meanings_quiz_offers_four_codes_and_never_shows_the_answer_in_the_prompt():
    situations = {entry["text"]: entry for entry in TEXTS["situation"]}
    quiz = Quiz.meanings(n=30, seed=9)
    for question in quiz.questions:
        assert len(question.choices) == 4 and question.answer in question.choices
        assert all(codes.lookup(int(choice)) for choice in question.choices)
        assert not re.search(rf"\b{question.answer}\b", question.prompt)
        for text, entry in situations.items():
            if text in question.prompt:
                assert not set(map(str, entry.get("also_fits", ()))) & set(question.choices)


def test_hints_never_name_the_right_answer():
    for factory in (Quiz.classes, Quiz.retry, Quiz.meanings):
        for question in factory(n=10, seed=11).questions:
            for choice in question.choices:
                if choice != question.answer:
                    assert question.hint_for(choice)
                    assert question.answer not in question.hint_for(choice)


def test_asking_for_more_questions_than_exist_is_a_clear_error():
    with pytest.raises(QuizError, match="at most"):
        Quiz.classes(n=10_000, seed=1)


@pytest.mark.parametrize("kwargs, words", [
    ({"classes": (2, 7)}, "not a reply class"),
    ({"classes": (5,)}, "at least two"),
    ({"n": 0}, "at least 1"),
    ({"seed": "one"}, "whole number"),
    ({"mode": "homework"}, "practice"),
])
def test_bad_arguments_are_clear_errors(kwargs, words):
    with pytest.raises(QuizError, match=words):
        Quiz.classes(**kwargs)


# --- answering ----------------------------------------------------------------------------------

def test_a_full_round_answered_right():
    quiz = Quiz.classes(seed=1)
    while not quiz.done:
        question = quiz.current
        feedback = quiz.answer(question.answer)
        assert feedback.correct and feedback.finished
        assert feedback.answer == question.answer
        assert feedback.explanation == question.explanation
    assert quiz.score == 10 and quiz.progress == (10, 10) and quiz.current is None
    assert str(quiz.score) in quiz.summary
    table = quiz.results()
    assert list(table.columns) == list(RESULT_COLUMNS)
    assert table["correct"].all() and len(table) == 10


def test_a_full_round_answered_wrong_shows_the_answer_each_time():
    quiz = Quiz.classes(seed=2)  # two choices: one wrong try leaves nothing to retry
    for number in range(1, 11):
        question = quiz.current
        feedback = quiz.answer(wrong_choice(question))
        assert feedback.number == number
        assert feedback.correct is False and feedback.finished and not feedback.retry
        assert feedback.answer == question.answer and question.answer in feedback.text
    assert quiz.done and quiz.score == 0
    table = quiz.results()
    assert not table["correct"].any()
    assert list(table["given"]) != list(table["answer"])


def test_practice_mode_allows_a_second_try_without_revealing_the_answer():
    quiz = Quiz.meanings(n=3, seed=1)
    question = quiz.current
    first = quiz.answer(wrong_choice(question))
    assert first.retry and not first.finished
    assert first.answer is None and first.explanation == ""
    assert question.answer not in first.text
    assert quiz.current is question and quiz.attempts == (first.given,)
    with pytest.raises(QuizError, match="already tried"):
        quiz.answer(first.given)
    second = quiz.answer(question.answer)
    assert second.correct and second.finished and second.attempt == 2
    assert quiz.score == 0  # the score counts first tries only
    row = quiz.results().iloc[0]
    assert row["given"] == first.given and not row["correct"] and row["attempts"] == 2


def test_after_the_last_try_the_answer_is_shown_and_the_quiz_moves_on():
    quiz = Quiz.meanings(n=2, seed=1, tries=2)
    question = quiz.current
    wrong = [c for c in question.choices if c != question.answer]
    quiz.answer(wrong[0])
    feedback = quiz.answer(wrong[1])
    assert feedback.finished and feedback.answer == question.answer
    assert quiz.index == 1


def test_one_try_moves_on_at_once():
    quiz = Quiz.meanings(n=2, seed=1, tries=1)
    feedback = quiz.answer(wrong_choice(quiz.current))
    assert feedback.finished and quiz.index == 1


def test_choices_are_matched_by_text_or_first_word():
    quiz = Quiz.classes(seed=1, n=4)
    answer = quiz.current.answer
    assert quiz.answer(answer.upper()).correct
    assert quiz.answer(quiz.current.answer.split()[0]).correct  # "5xx"
    assert quiz.answer(quiz.current.answer[0]).correct  # "5"
    meanings = Quiz.meanings(seed=1, n=1)
    assert meanings.answer(int(meanings.current.answer)).correct  # 550 for "550"


def test_a_choice_not_offered_is_an_error_and_changes_nothing():
    quiz = Quiz.classes(seed=1, n=2)
    with pytest.raises(QuizError, match="not one of the choices"):
        quiz.answer("3xx Positive Intermediate")
    with pytest.raises(QuizError):
        quiz.answer("")
    assert quiz.index == 0 and quiz.attempts == () and quiz.results().empty


def test_answering_after_the_end_is_an_error():
    quiz = Quiz.classes(seed=1, n=1)
    quiz.answer(quiz.current.answer)
    with pytest.raises(QuizError, match="round is over"):
        quiz.answer("5xx")
    with pytest.raises(QuizError, match="round is over"):
        quiz.skip()


def test_skip_counts_as_wrong_and_shows_the_answer():
    quiz = Quiz.classes(seed=1, n=2)
    question = quiz.current
    feedback = quiz.skip()
    assert feedback.correct is False and feedback.answer == question.answer and feedback.given is None
    row = quiz.results().iloc[0]
    assert row["given"] is None and not row["correct"] and row["attempts"] == 0


def test_exam_mode_withholds_marks_until_the_end():
    quiz = Quiz.classes(seed=3, n=4, mode="exam")
    right = []
    while not quiz.done:
        question = quiz.current
        choice = question.answer if quiz.index % 2 == 0 else wrong_choice(question)
        right.append(choice == question.answer)
        feedback = quiz.answer(choice)
        assert feedback.correct is None and feedback.answer is None and feedback.explanation == ""
        assert feedback.finished and not feedback.retry
        if not quiz.done:
            with pytest.raises(QuizError, match="exam"):
                quiz.review()
    review = quiz.review()
    assert [f.correct for f in review] == right
    assert all(f.answer == q.answer for f, q in zip(review, quiz.questions))
    assert list(quiz.results()["correct"]) == right
    assert quiz.score == sum(right)


def test_exam_mode_gives_one_answer_per_question():
    quiz = Quiz.meanings(n=2, seed=1, mode="exam")
    quiz.answer(wrong_choice(quiz.current))
    assert quiz.index == 1


def test_the_mode_cannot_change_once_a_round_has_started():
    quiz = Quiz.classes(seed=1)
    quiz.mode = "exam"
    assert quiz.mode == "exam"
    quiz.answer(quiz.current.answer)
    with pytest.raises(QuizError, match="already started"):
        quiz.mode = "practice"


def test_seconds_per_question_come_from_the_clock():
    clock = FakeClock()
    questions = Quiz.classes(seed=1, n=2).questions
    quiz = Quiz(questions, clock=clock)
    clock.now += 4.5
    quiz.answer(quiz.current.answer)
    clock.now += 2.25
    quiz.answer(wrong_choice(quiz.current))
    assert list(quiz.results()["seconds"]) == [4.5, 2.25]


def test_the_clock_can_restart_when_a_question_is_shown():
    clock = FakeClock()
    quiz = Quiz(Quiz.classes(seed=1, n=2).questions, clock=clock)
    clock.now += 60  # the quiz waited a minute before anyone saw it
    quiz.restart_clock()
    clock.now += 3
    quiz.answer(quiz.current.answer)
    assert list(quiz.results()["seconds"]) == [3.0]


def test_new_rounds_keep_the_old_results():
    first = Quiz.classes(seed=1, n=3)
    first.answer(first.current.answer)
    second = first.new_round()
    assert second.seed == 2 and second.history == (first,)
    assert snapshot(second) == snapshot(Quiz.classes(seed=2, n=3))
    second.answer(wrong_choice(second.current))
    table = second.all_results()
    assert list(table["round"]) == [1, 2]
    assert list(table["correct"]) == [True, False]
    assert len(first.results()) == 1  # the old round is untouched


def test_to_csv_writes_the_results(tmp_path):
    quiz = Quiz.classes(seed=1, n=3)
    quiz.answer(quiz.current.answer)
    quiz.answer(wrong_choice(quiz.current))
    path = quiz.to_csv(tmp_path / "results.csv")
    with open(path, newline="", encoding="utf-8") as handle:
        rows = list(csv.DictReader(handle))
    assert [row["correct"] for row in rows] == ["True", "False"]
    assert rows[0]["question"] == quiz.questions[0].prompt
    assert list(rows[0]) == list(RESULT_COLUMNS)


def test_a_question_needs_its_answer_among_its_choices():
    with pytest.raises(QuizError, match="not one of the choices"):
        Question("Which?", ("a", "b"), "c")
    with pytest.raises(QuizError, match="two different"):
        Question("Which?", ("a", "a"), "a")


def test_repr_is_deterministic():
    assert repr(Quiz.classes(seed=1)) == repr(Quiz.classes(seed=2))
    assert "10 questions" in repr(Quiz.classes(seed=1))


def test_importing_the_engine_does_not_import_pandas_or_ipywidgets():
    code = ("import sys, smtplearn.quiz as q; q.Quiz.classes(seed=1).answer('5'); "
            "print('pandas' in sys.modules, 'ipywidgets' in sys.modules)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT)
    assert out.stdout.split() == ["False", "False"], out.stderr


# --- the quiz data ------------------------------------------------------------------------------

DOCUMENTATION_NETS = [ipaddress.ip_network(n) for n in
                      ("192.0.2.0/24", "198.51.100.0/24", "203.0.113.0/24", "2001:db8::/32")]


def test_every_reply_line_is_a_catalog_code_with_a_registry_enhanced_code():
    for entry in TEXTS["reply"]:
        match = re.match(r"([2-5]\d\d) (?:([245]\.\d+\.\d+) )?", entry["line"])
        assert match, entry["line"]
        code = codes.lookup(int(match.group(1)))
        if match.group(2):
            enhanced = codes.lookup(match.group(2))
            assert enhanced.class_digit == code.reply_class.value, entry["line"]
        assert entry["command"] in data.labels()["phase"], entry
        assert render.phase_label(entry["command"])


def test_every_situation_names_a_catalog_code():
    for entry in TEXTS["situation"]:
        assert not codes.lookup(entry["code"]).registry_only
        for other in entry.get("also_fits", ()):
            codes.lookup(other)


def test_quiz_data_uses_only_example_domains_and_documentation_addresses():
    text = (ROOT / "smtplearn" / "data" / "quiz.toml").read_text(encoding="utf-8")
    text += SAMPLE_BANK.read_text(encoding="utf-8")
    for domain in re.findall(r"@([\w.-]+)|\b((?:[\w-]+\.)+(?:org|com|net))\b", text):
        name = (domain[0] or domain[1]).rstrip(".")
        assert re.search(r"(^|\.)example\.(org|com|net)$", name), name
    for address in re.findall(r"\b\d{1,3}(?:\.\d{1,3}){3}\b", text):
        assert any(ipaddress.ip_address(address) in net for net in DOCUMENTATION_NETS), address


def test_every_template_placeholder_is_filled(monkeypatch):
    """Build many questions and all feedback kinds: a missing placeholder would raise KeyError."""
    for factory in (Quiz.classes, Quiz.retry, Quiz.meanings):
        quiz = factory(n=10, seed=13)
        quiz.skip()
        quiz.answer(wrong_choice(quiz.current))
        assert "{" not in " ".join(q.prompt + q.explanation for q in quiz.questions)
        assert "{" not in quiz.summary + str(quiz.progress) + quiz.score_text


# --- teachers' banks ----------------------------------------------------------------------------

def test_the_sample_bank_loads_from_toml_and_json_alike():
    toml_quiz = Quiz.from_file(SAMPLE_BANK, seed=4)
    json_quiz = Quiz.from_file(str(SAMPLE_BANK_JSON), seed=4)
    assert snapshot(toml_quiz) == snapshot(json_quiz)
    assert toml_quiz.title == json_quiz.title == "Reading bounces: a first look"
    raw = json.loads(SAMPLE_BANK_JSON.read_text(encoding="utf-8"))
    assert [q.prompt for q in toml_quiz.questions] == [q["prompt"] for q in raw["questions"]]


def test_bank_questions_without_explanation_take_the_catalogs():
    quiz = Quiz.from_file(SAMPLE_BANK, seed=1)
    by_code = {q.code: q for q in quiz.questions}
    assert codes.lookup(451).label in by_code[451].explanation
    assert codes.lookup("X.7.X").label in by_code["X.7.X"].explanation
    assert by_code[354].answer == "354" and "354" in by_code[354].choices


def test_bank_choice_order_is_seeded_and_question_order_kept():
    rounds = [snapshot(Quiz.from_file(SAMPLE_BANK, seed=seed)) for seed in range(5)]
    assert len({repr(r) for r in rounds}) > 1
    assert all([q[0] for q in r] == [q[0] for q in rounds[0]] for r in rounds)


def test_a_bank_round_can_be_played_to_the_end():
    quiz = Quiz.from_file(SAMPLE_BANK, seed=1)
    feedback = quiz.answer(wrong_choice(quiz.current))
    assert feedback.retry and feedback.hint == "Read only the first digit."
    while not quiz.done:
        quiz.answer(quiz.current.answer)
    assert quiz.score == quiz.total - 1


def write(tmp_path, name, text):
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


GOOD = 'prompt = "Which class is 250?"\nchoices = ["2xx", "5xx"]\nanswer = "2xx"\n'


@pytest.mark.parametrize("body, words", [
    ('[[question]]\nprompt = "Which?"\nchoices = ["2xx", "5xx"]\n', ["question 1", "'answer'", "missing"]),
    (f'[[question]]\n{GOOD}\n[[question]]\nprompt = "Which?"\nchoices = ["a", "b"]\nanswer = "c"\n',
     ["question 2", "'answer'", "'c'"]),
    (f'[[question]]\n{GOOD}anwser = "2xx"\n', ["question 1", "'anwser'", "unknown field"]),
    (f'[[question]]\n{GOOD}code = 999\n', ["question 1", "'code'", "999"]),
    ('[[question]]\nprompt = "Which?"\nchoices = ["a"]\nanswer = "a"\n', ["question 1", "'choices'", "at least two"]),
    ('[[question]]\nprompt = "Which?"\nchoices = ["a", "a"]\nanswer = "a"\n', ["question 1", "'choices'", "twice"]),
    ('[[question]]\nprompt = ""\nchoices = ["a", "b"]\nanswer = "a"\n', ["question 1", "'prompt'"]),
    (f'[[question]]\n{GOOD}explanation = 3\n', ["question 1", "'explanation'"]),
    ('title = "Empty"\n', ["at least one question"]),
    (f'titel = "x"\n[[question]]\n{GOOD}', ["'titel'"]),
    (f'shuffle = "yes"\n[[question]]\n{GOOD}', ["'shuffle'"]),
    ('[[question]\nprompt = "x"\n', ["not valid TOML"]),
])
def test_a_malformed_toml_bank_names_file_question_and_field(tmp_path, body, words):
    path = write(tmp_path, "bank.toml", body)
    with pytest.raises(QuestionBankError) as caught:
        Quiz.from_file(path)
    message = str(caught.value)
    assert str(path) in message
    for word in words:
        assert word in message
    assert isinstance(caught.value, ValueError)


def test_a_malformed_json_bank_names_file_question_and_field(tmp_path):
    path = write(tmp_path, "bank.json", json.dumps(
        {"questions": [{"prompt": "Which?", "choices": ["a", "b"], "answer": "a"},
                       {"prompt": "Which?", "choices": "a, b", "answer": "a"}]}))
    with pytest.raises(QuestionBankError, match=r"bank\.json: question 2, field 'choices'"):
        Quiz.from_file(path)
    broken = write(tmp_path, "broken.json", '{"questions": [')
    with pytest.raises(QuestionBankError, match="not valid JSON: line 1"):
        Quiz.from_file(broken)
    listed = write(tmp_path, "list.json", "[]")
    with pytest.raises(QuestionBankError, match="list of questions"):
        Quiz.from_file(listed)


def test_a_missing_or_unsupported_bank_file_is_a_bank_error(tmp_path):
    with pytest.raises(QuestionBankError, match="no such file"):
        Quiz.from_file(tmp_path / "nothing.toml")
    with pytest.raises(QuestionBankError, match=".toml or a .json"):
        Quiz.from_file(write(tmp_path, "bank.yaml", "question: []"))


# --- properties ---------------------------------------------------------------------------------

from hypothesis import given, settings  # noqa: E402
from hypothesis import strategies as st  # noqa: E402


@settings(max_examples=60, deadline=None)
@given(seed=st.integers(0, 2 ** 31), n=st.integers(1, 12),
       classes=st.sets(st.sampled_from([2, 3, 4, 5]), min_size=2))
def test_generated_questions_always_hold_together(seed, n, classes):
    for quiz in (Quiz.classes(classes, n=n, seed=seed), Quiz.retry(n=n, seed=seed),
                 Quiz.meanings(n=n, seed=seed)):
        assert quiz.total == n
        prompts = [q.prompt for q in quiz.questions]
        assert len(set(prompts)) == n  # no question twice in a round
        for question in quiz.questions:
            assert question.answer in question.choices
            assert len(set(question.choices)) == len(question.choices)
            assert question.explanation
            for choice in question.choices:
                if choice != question.answer:
                    assert question.answer not in question.hint_for(choice)
        while not quiz.done:  # any mix of answers ends the round with consistent results
            question = quiz.current
            pick = question.choices[(seed + quiz.index) % len(question.choices)]
            if pick in quiz.attempts:
                quiz.skip()
            else:
                quiz.answer(pick)
        rows = quiz.result_rows()
        assert len(rows) == n and quiz.score == sum(row["correct"] for row in rows)


JSONISH = st.recursive(
    st.none() | st.booleans() | st.integers(-5, 600) | st.text(max_size=8),
    lambda children: st.lists(children, max_size=4)
    | st.dictionaries(st.sampled_from(["prompt", "choices", "answer", "explanation", "code",
                                       "hint", "question", "questions", "title", "shuffle"]),
                      children, max_size=5),
    max_leaves=12)


@settings(max_examples=150, deadline=None)
@given(content=JSONISH)
def test_any_json_bank_either_loads_or_is_a_bank_error(content, tmp_path_factory):
    path = tmp_path_factory.mktemp("bank") / "bank.json"
    path.write_text(json.dumps(content), encoding="utf-8")
    try:
        quiz = Quiz.from_file(path, seed=1)
    except QuestionBankError as error:
        assert str(path) in str(error)
    else:
        assert quiz.total >= 1
