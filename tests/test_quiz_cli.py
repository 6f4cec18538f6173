"""The terminal quiz, driven by piping answers into the real ``smtplearn`` entry point."""

from __future__ import annotations

import csv
import subprocess
import sys
from pathlib import Path

import pytest

from smtplearn.quiz import Quiz

ROOT = Path(__file__).resolve().parent.parent
ENTRY_POINT = ROOT / ".venv" / "bin" / "smtplearn"
SAMPLE_BANK = ROOT / "notebooks" / "sample_bank.toml"


def command() -> list[str]:
    if ENTRY_POINT.exists():
        return [str(ENTRY_POINT)]
    return [sys.executable, "-m", "smtplearn"]


def run_quiz(args, answers: str):
    return subprocess.run(command() + ["quiz", *args], input=answers, capture_output=True,
                          text=True, cwd=ROOT, timeout=60)


def numbers(quiz: Quiz, right: bool) -> list[str]:
    """The choice numbers a student would type to answer every question right (or wrong)."""
    out = []
    for question in quiz.questions:
        if right:
            out.append(str(question.choices.index(question.answer) + 1))
        else:
            out.append(str(next(i for i, c in enumerate(question.choices, 1) if c != question.answer)))
    return out


def test_all_right_by_number():
    quiz = Quiz.classes((2, 5), n=10, seed=1)
    result = run_quiz(["--classes", "2,5", "-n", "10", "--seed", "1"],
                      "\n".join(numbers(quiz, right=True)) + "\n")
    assert result.returncode == 0, result.stderr
    assert result.stderr == ""
    assert quiz.questions[0].prompt in result.stdout
    assert result.stdout.count("Right:") == 10
    while not quiz.done:
        quiz.answer(quiz.current.answer)
    assert result.stdout.rstrip().endswith(quiz.summary)


def test_all_wrong_by_text_shows_each_answer():
    quiz = Quiz.classes((2, 5), n=4, seed=2)
    answers = [next(c for c in q.choices if c != q.answer) for q in quiz.questions]
    result = run_quiz(["-n", "4", "--seed", "2"], "\n".join(answers) + "\n")
    assert result.returncode == 0, result.stderr
    for question in quiz.questions:
        assert question.explanation in result.stdout
    for _ in quiz.questions:
        quiz.answer(next(c for c in quiz.current.choices if c != quiz.current.answer))
    assert quiz.summary in result.stdout


def test_end_of_input_stops_cleanly_with_the_score_so_far():
    quiz = Quiz.classes((2, 5), n=10, seed=3)
    first_two = numbers(quiz, right=True)[:2]
    result = run_quiz(["--seed", "3"], "\n".join(first_two) + "\n")
    assert result.returncode == 0 and result.stderr == ""
    quiz.answer(quiz.current.answer)
    quiz.answer(quiz.current.answer)
    assert quiz.summary in result.stdout
    assert "Traceback" not in result.stdout


def test_no_input_at_all_is_still_a_clean_exit():
    result = run_quiz(["--seed", "3"], "")
    assert result.returncode == 0 and result.stderr == ""
    assert "0 of 10" in result.stdout


def test_an_answer_not_offered_is_asked_again():
    quiz = Quiz.classes((2, 5), n=1, seed=4)
    result = run_quiz(["-n", "1", "--seed", "4"], "7\nmaybe\n" + numbers(quiz, True)[0] + "\n")
    assert result.returncode == 0
    assert result.stdout.count("Type a number from 1 to 2") == 2
    assert result.stdout.count(quiz.questions[0].prompt) == 1
    assert "Right:" in result.stdout


def test_practice_mode_offers_a_second_try_in_the_meanings_quiz():
    quiz = Quiz.meanings(n=1, seed=5)
    question = quiz.current
    wrong = next(c for c in question.choices if c != question.answer)
    feedback = quiz.answer(wrong)
    result = run_quiz(["--kind", "meanings", "-n", "1", "--seed", "5"],
                      f"{wrong}\n{question.answer}\n")
    assert feedback.text in result.stdout
    assert "Right, on try 2" in result.stdout
    assert "0 of 1 right" in result.stdout


@pytest.mark.parametrize("kind, factory", [("retry", Quiz.retry), ("meanings", Quiz.meanings)])
def test_other_kinds_use_the_same_questions_as_the_library(kind, factory):
    quiz = factory(n=3, seed=6)
    result = run_quiz(["--kind", kind, "-n", "3", "--seed", "6"],
                      "\n".join(numbers(quiz, right=True)) + "\n")
    assert result.returncode == 0, result.stderr
    for question in quiz.questions:
        assert question.prompt in result.stdout
    assert "3 of 3 right" in result.stdout


def test_exam_mode_marks_at_the_end_and_saves_results(tmp_path):
    quiz = Quiz.classes((2, 5), n=3, seed=7)
    answers = numbers(quiz, right=True)
    answers[1] = numbers(quiz, right=False)[1]
    target = tmp_path / "results.csv"
    result = run_quiz(["-n", "3", "--seed", "7", "--mode", "exam", "--results", str(target)],
                      "\n".join(answers) + "\n")
    assert result.returncode == 0, result.stderr
    marking = result.stdout.split("Answer recorded (3 of 3).")[1]
    assert "Right:" not in result.stdout.split("Answer recorded (3 of 3).")[0]
    assert "1. Right" in marking and "2. Not quite" in marking and "3. Right" in marking
    with open(target, newline="", encoding="utf-8") as handle:
        rows = list(csv.DictReader(handle))
    assert [row["correct"] for row in rows] == ["True", "False", "True"]


def test_a_teachers_bank_in_the_terminal():
    quiz = Quiz.from_file(SAMPLE_BANK, seed=1)
    result = run_quiz(["--bank", str(SAMPLE_BANK), "--seed", "1"],
                      "\n".join(numbers(quiz, right=True)) + "\n")
    assert result.returncode == 0, result.stderr
    assert quiz.title in result.stdout
    assert f"{quiz.total} of {quiz.total} right" in result.stdout


@pytest.mark.parametrize("args, words", [
    (["--classes", "2,7"], "not a reply class"),
    (["-n", "0"], "at least 1"),
    (["-n", "5000"], "at most"),
    (["--bank", "no-such-bank.toml"], "no such file"),
])
def test_bad_options_exit_2_with_one_line(args, words):
    result = run_quiz(args, "")
    assert result.returncode == 2
    assert words in result.stderr and "Traceback" not in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1
