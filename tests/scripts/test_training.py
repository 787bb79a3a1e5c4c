"""Training mode: a simulated debtor answers in character; the session is scored on the core tasks and compliance."""

from __future__ import annotations

from datetime import date

import pytest

from arrears.scripts.guided import CoreTask
from arrears.scripts.intents.corpus import load
from arrears.scripts.library.enums import CallStep, Persona
from arrears.scripts.training import ANSWERS, Practice, practise
from tests.arrears_cli import run_arrears

TODAY = date(2026, 3, 3)
GOOD_CALL = {
    CallStep.VERIFY_IDENTITY: "您好，请问是张伟先生本人吗？",
    CallStep.INTRODUCE: "我是安信消费金融的李明，工号 A1024，您可以拨打官方客服热线核实我的身份。",
    CallStep.ASK_PAYMENT_TODAY: "您的账单已逾期，请问今天能通过官方APP还清逾期的金额吗？",
    CallStep.LISTEN_REASON: "方便说一下是什么原因没能按时还款吗？",
    CallStep.COSTS_BENEFITS: "继续逾期每天会产生罚息，也会影响您的征信记录；按时还款可以避免这些额外费用。",
    CallStep.SECURE_PROMISE: "那我们约定一个具体的日期和金额，好吗？",
    CallStep.RECORD: "我记录一下您的还款安排。",
    CallStep.CLOSE: "感谢您的配合，再见。",
}


def play(persona: Persona, lines: dict[CallStep, str], seed: int = 1) -> Practice:
    session = practise(persona, lang="zh", today=TODAY, seed=seed)
    while not session.finished:
        session.say(lines[session.call.step])
    return session


@pytest.mark.parametrize("persona", list(Persona))
def test_every_persona_answers_in_character_at_the_step_that_asks_for_payment(persona: Persona) -> None:
    session = practise(persona, lang="zh", today=TODAY, seed=3)
    session.say(GOOD_CALL[CallStep.VERIFY_IDENTITY])
    session.say(GOOD_CALL[CallStep.INTRODUCE])
    turn = session.say(GOOD_CALL[CallStep.ASK_PAYMENT_TODAY])
    in_character = {e.text for e in load() if e.intent in ANSWERS[persona][CallStep.ASK_PAYMENT_TODAY]}
    assert turn.reply in in_character


def test_a_well_run_call_scores_the_core_tasks_and_the_introduction() -> None:
    session = play(Persona.SERIAL_PROMISER, GOOD_CALL)
    score = session.score()
    assert score.introduced_with_staff_number
    assert score.tasks[CoreTask.ASK_PAYMENT_TODAY.value] and score.tasks[CoreTask.COSTS_AND_BENEFITS.value]
    assert score.findings == 0 and score.points >= 60


def test_a_threat_in_practice_is_caught_and_zeroes_the_score() -> None:
    threatening = {**GOOD_CALL, CallStep.COSTS_BENEFITS: "再不还钱就让警察上门抓你去坐牢。"}
    score = play(Persona.HOSTILE, threatening).score()
    assert score.errors and score.points == 0


def test_an_introduction_without_a_staff_number_loses_its_points() -> None:
    anonymous = {**GOOD_CALL, CallStep.INTRODUCE: "我是催收部门的，找您有事。"}
    score = play(Persona.VICTIM, anonymous).score()
    assert not score.introduced_with_staff_number


def test_the_same_seed_replays_the_same_debtor() -> None:
    first = [turn.reply for turn in play(Persona.STUBBORN, GOOD_CALL, seed=7).turns]
    second = [turn.reply for turn in play(Persona.STUBBORN, GOOD_CALL, seed=7).turns]
    assert first == second


def test_practice_from_the_command_line_reads_a_line_per_step_and_prints_the_score() -> None:
    lines = "\n".join(GOOD_CALL[step] for step in GOOD_CALL) + "\n"
    done = run_arrears("scripts", "practise", "--persona", "victim", "--today", "2026-03-03", stdin=lines)
    assert done.returncode == 0, done.stderr
    assert "debtor:" in done.stdout and "score " in done.stdout


def test_an_unknown_practice_language_is_one_line_and_exit_2() -> None:
    done = run_arrears("scripts", "practise", "--persona", "victim", "--lang", "fr", stdin="")
    assert done.returncode == 2
    assert "practice language" in done.stderr and "Traceback" not in done.stderr
