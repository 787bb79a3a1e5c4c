"""The web load benchmark's arithmetic: what counts as steady state, an error, a guard refusal, a percentile."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from typer.testing import CliRunner

from arrears.bench.web import REFERENCE, _percentile, daytime_zone, render, server_errors, summarise
from arrears.cli.main import app

STEADY = 1_000.0


def _write(path: Path, rows: list[dict[str, object]]) -> Path:
    path.write_text("".join(json.dumps(row) + "\n" for row in rows), encoding="utf-8")
    return path


def _row(name: str, ms: float, status: int, at: float, failed: bool = False) -> dict[str, object]:
    return {"name": name, "ms": ms, "status": status, "at": at, "failed": failed}


def test_only_requests_after_every_sign_in_count_and_a_guard_refusal_is_not_an_error(tmp_path: Path) -> None:
    rows: list[dict[str, object]] = [
        _row("/login", 900, 200, STEADY - 20),
        _row("POST /login", 15_000, 303, STEADY - 19),
        _row("POST /login", 12_000, 401, STEADY - 18),
        _row("/queue", 5_000, 200, STEADY - 1),  # before the last sign-in: ramp-up, left out
        {"steady_since": STEADY, "users": 2},
        *[_row("/queue", float(ms), 200, STEADY + ms / 100) for ms in range(1, 101)],
        _row("POST /cases/[id]/contacts", 40, 200, STEADY + 1),
        _row("POST /cases/[id]/contacts", 30, 409, STEADY + 2),
        _row("POST /cases/[id]/contacts", 60, 500, STEADY + 3),
        _row("/cases/[id]", 70, 0, STEADY + 4, failed=True),
        _row(REFERENCE, 5, 200, STEADY + 5),
    ]
    figures = summarise(_write(tmp_path / "samples.jsonl", rows))
    queue = figures["endpoints"]["/queue"]
    assert (queue["count"], queue["p50"], queue["p95"], queue["p99"], queue["errors"]) == (100, 50, 95, 99, 0)
    outcome = figures["endpoints"]["POST /cases/[id]/contacts"]
    assert (outcome["count"], outcome["errors"], outcome["unanswered"], outcome["guard_refused"]) == (3, 1, 0, 1)
    assert (figures["endpoints"]["/cases/[id]"]["errors"], figures["endpoints"]["/cases/[id]"]["unanswered"]) == (1, 1)
    assert "/login" not in figures["endpoints"]
    assert (figures["users"], figures["sign_ins"], figures["sign_in_errors"]) == (2, 2, 1)
    assert list(figures["endpoints"])[:4] == ["/queue", "/cases/[id]", "POST /cases/[id]/contacts", REFERENCE]


def test_without_a_steady_state_there_is_nothing_to_report(tmp_path: Path) -> None:
    with pytest.raises(SystemExit, match="never finished"):
        summarise(_write(tmp_path / "samples.jsonl", [_row("POST /login", 15_000, 303, STEADY)]))


@pytest.mark.parametrize(("share", "expected"), [(0.5, 2), (0.95, 4), (0.99, 4), (0.01, 1)])
def test_a_percentile_is_the_nearest_rank_sample(share: float, expected: float) -> None:
    assert _percentile([1, 2, 3, 4], share) == expected


def test_a_run_at_night_in_china_calls_debtors_in_a_zone_where_it_is_day() -> None:
    assert daytime_zone(datetime(2026, 11, 23, 3, 0, tzinfo=UTC)) == "Asia/Shanghai"  # 11:00 in Shanghai
    evening = datetime(2026, 11, 23, 17, 30, tzinfo=UTC)  # 01:30 in Shanghai
    assert daytime_zone(evening) == "Europe/Berlin"
    for hour in range(24 * 4):  # every quarter of an hour of a day finds one
        moment = datetime(2026, 11, 23, tzinfo=UTC) + timedelta(minutes=15 * hour)
        assert 9 <= moment.astimezone(ZoneInfo(daytime_zone(moment))).hour < 19


def test_the_report_flags_a_p95_over_target_and_marks_the_reference(tmp_path: Path) -> None:
    rows: list[dict[str, object]] = [
        {"steady_since": STEADY, "users": 1},
        _row("/queue", 250, 200, STEADY + 1),
        _row("/cases/[id]", 20, 200, STEADY + 2),
        _row(REFERENCE, 3, 200, STEADY + 3),
    ]
    figures = summarise(_write(tmp_path / "samples.jsonl", rows))
    figures.update(loans=20_000, run_loans=10_000, workers=2, think=(1.0, 3.0), zone="Europe/Berlin")
    figures.update(load_before=1.0, load_after=2.0)
    figures["portfolio"] = {"loans": 20_000, "cases": 6_000, "queued": 5_000, "longest_queue": 40}
    section = render(figures, "a machine", "abc1234")
    assert "| `/queue` | 1 | 250 | 250 | 250 | 0 (0) | - | **no** |" in section
    assert "| `/cases/[id]` | 1 | 20 | 20 | 20 | 0 (0) | - | yes |" in section
    assert f"| `{REFERENCE}` | 1 | 3 | 3 | 3 | 0 (0) | - | (reference) |" in section
    assert "over the first 10,000 loans only and the other 10,000 were loaded after it" in section


def test_serve_needs_at_least_one_worker() -> None:
    answer = CliRunner().invoke(app, ["serve", "--workers", "0"])
    assert answer.exit_code == 2


def test_the_server_errors_are_counted_by_their_last_line(tmp_path: Path) -> None:
    timeout = "Traceback (most recent call last):\n  ...\nsqlalchemy.exc.TimeoutError: QueuePool limit reached"
    lines = [
        json.dumps({"message": "request", "status": 200}),
        json.dumps({"message": "Exception in ASGI application", "exc_info": timeout}),
        json.dumps({"message": "Exception in ASGI application", "exc_info": timeout}),
        json.dumps({"message": "Exception in ASGI application", "exc_info": "Traceback\nKeyError: 'x'"}),
        "not json at all",
    ]
    log = tmp_path / "serve.log"
    log.write_text("\n".join(lines), encoding="utf-8")
    assert server_errors(log) == {"sqlalchemy.exc.TimeoutError: QueuePool limit reached": 2, "KeyError: 'x'": 1}
