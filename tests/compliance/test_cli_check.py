"""``arrears compliance check``: the public contract for integrations (shape, exit codes, errors)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from tests.arrears_cli import Completed, run_arrears

ATTEMPT = {
    "at": "2026-03-03T09:00:00+08:00",
    "channel": "call",
    "party": "debtor",
    "party_id": "p1",
    "number": "+8613800000000",
    "debt_id": "L1",
}
CONVERSATION = {**ATTEMPT, "at": "2026-03-02T10:15:00+08:00", "result": "answered", "conversation": True}


def question(**changes: Any) -> dict[str, Any]:
    base: dict[str, Any] = {
        "debtor": {"timezones": ["Asia/Shanghai"], "holds": [], "consent_windows": []},
        "history": [CONVERSATION],
        "attempt": ATTEMPT,
    }
    return {**base, **changes}


def check(tmp_path: Path, payload: object, *options: str) -> Completed:
    source = tmp_path / "check.json"
    source.write_text(payload if isinstance(payload, str) else json.dumps(payload), encoding="utf-8")
    return run_arrears("compliance", "check", "--input", str(source), *options)


def test_an_allowed_contact_exits_zero_with_the_documented_shape(tmp_path: Path) -> None:
    done = check(tmp_path, question(), "--pack", "cn", "--json")
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout) == {"allowed": True, "violations": [], "next_allowed_at": None}


def test_a_blocked_contact_exits_three_naming_rules_and_the_next_allowed_time(tmp_path: Path) -> None:
    done = check(tmp_path, question(), "--pack", "us", "--json")
    assert done.returncode == 3
    printed = json.loads(done.stdout)
    assert printed["allowed"] is False
    assert [v["rule"] for v in printed["violations"]] == ["post_conversation_wait"]
    assert all(v["message"] for v in printed["violations"])
    assert printed["next_allowed_at"] == "2026-03-09T08:00:00+08:00"


def test_a_cease_contact_hold_blocks_with_no_next_time(tmp_path: Path) -> None:
    debtor = {"timezones": ["Asia/Shanghai"], "holds": [{"type": "cease_contact", "from": "2026-03-01", "to": None}]}
    done = check(tmp_path, question(debtor=debtor), "--json")
    assert done.returncode == 3
    assert json.loads(done.stdout)["next_allowed_at"] is None


def test_the_readable_output_gives_both_languages_and_the_source(tmp_path: Path) -> None:
    done = check(tmp_path, question(), "--pack", "us")
    assert done.returncode == 3
    assert "post_conversation_wait" in done.stdout and "12 CFR 1006.14" in done.stdout
    assert "7 天内" in done.stdout


@pytest.mark.parametrize(
    ("payload", "says"),
    [
        ("{not json", "not valid JSON"),
        (question(attempt={**ATTEMPT, "at": "2026-03-03T09:00:00"}), "attempt.at"),
        (question(attempt={**ATTEMPT, "channel": "pigeon"}), "attempt.channel"),
        (question(debtor={"timezones": ["Mars/Olympus"]}), "Mars/Olympus"),
        (question(debtor={"timezones": []}), "debtor.timezones"),
        (question(history=[{**CONVERSATION, "result": "maybe"}]), "history.0.result"),
        ({"attempt": ATTEMPT}, "debtor"),
    ],
)
def test_malformed_input_exits_two_with_one_line(tmp_path: Path, payload: object, says: str) -> None:
    done = check(tmp_path, payload, "--json")
    assert done.returncode == 2
    assert says in done.stderr
    assert "Traceback" not in done.stderr
    assert len(done.stderr.strip().splitlines()) == 1


def test_an_unknown_pack_exits_two(tmp_path: Path) -> None:
    done = check(tmp_path, question(), "--pack", "eu")
    assert done.returncode == 2
    assert "cn, us" in done.stderr
