"""``make bench-guard``: the contact guard's decision time on long histories, against an empty one.

The target (issue: compliance engine) is a median under 1 ms for a decision on
a history of 1,000 events, in process. The reference taken in the same run is
the same decision on an empty history: what the rules cost before any history
is read. Histories are built once, as a case's history is loaded once, and the
decision is then asked many times at different planned times.
"""

from __future__ import annotations

import argparse
import json
import platform
import random
import statistics
import time
from collections.abc import Callable, Iterator
from datetime import datetime, timedelta
from functools import partial
from pathlib import Path
from zoneinfo import ZoneInfo

from arrears.bench.report import commit, write_section
from arrears.compliance.facts import ContactEvent, ContactHistory, Debtor, PlannedContact
from arrears.compliance.guard import decide
from arrears.compliance.pack import RulePack, load_pack
from arrears.compliance.schemas import parse_check_input
from arrears.contact.enums import ContactChannel, Party

SHANGHAI = ZoneInfo("Asia/Shanghai")
START = datetime(2026, 1, 1, 9, 0, tzinfo=SHANGHAI)
RESULTS = ("answered", "no_answer", "voicemail", "busy", "not_in_service")
MARKER_START = "<!-- bench-guard:start -->"
MARKER_END = "<!-- bench-guard:end -->"


def _history(events: int, *, span_days: int, rng: random.Random) -> list[ContactEvent]:
    history = []
    for _ in range(events):
        at = START + timedelta(seconds=rng.randrange(span_days * 86_400))
        third = rng.random() < 0.2
        history.append(
            ContactEvent(
                at=at,
                channel=ContactChannel.CALL if rng.random() < 0.8 else ContactChannel.SMS,
                party=Party.THIRD_PARTY if third else Party.DEBTOR,
                party_id=f"c{rng.randrange(5)}" if third else "p1",
                number=f"+86138000000{rng.randrange(10):02d}",
                debt_id=f"L{rng.randrange(3)}",
                result=rng.choice(RESULTS),
                conversation=rng.random() < 0.05,
            )
        )
    return history


def _attempts(span_days: int, rng: random.Random, count: int) -> list[PlannedContact]:
    end = START + timedelta(days=span_days)
    attempts = []
    for _ in range(count):
        third = rng.random() < 0.2
        attempts.append(
            PlannedContact(
                at=end + timedelta(minutes=rng.randrange(2 * 24 * 60)),
                channel=ContactChannel.CALL,
                party=Party.THIRD_PARTY if third else Party.DEBTOR,
                party_id=f"c{rng.randrange(5)}" if third else "p1",
                number="+8613800000001",
                debt_id="L1",
            )
        )
    return attempts


def _median_us(run: Callable[[], object], repeats: int) -> tuple[float, float]:
    samples = []
    for _ in range(repeats):
        started = time.perf_counter_ns()
        run()
        samples.append((time.perf_counter_ns() - started) / 1000)
    samples.sort()
    return statistics.median(samples), samples[int(len(samples) * 0.99) - 1]


def _ask_next(pack: RulePack, debtor: Debtor, attempts: Iterator[PlannedContact], history: ContactHistory) -> None:
    decide(pack, debtor, next(attempts), history)


def measure(*, events: int, repeats: int, seed: int = 7) -> list[dict[str, object]]:
    rng = random.Random(seed)
    debtor = Debtor(timezones=(SHANGHAI,))
    rows: list[dict[str, object]] = []
    scenarios = [
        ("empty history (reference)", 0, 90),
        (f"{events:,} events over 90 days", events, 90),
        (f"{events:,} events over 7 days (worst case)", events, 7),
    ]
    for pack_id in ("cn", "us"):
        pack = load_pack(pack_id)
        for label, size, span in scenarios:
            history = ContactHistory.of(_history(size, span_days=span, rng=rng))
            attempts = iter(_attempts(span, rng, repeats))
            median, p99 = _median_us(partial(_ask_next, pack, debtor, attempts, history), repeats)
            rows.append({"pack": pack_id, "history": label, "median_us": median, "p99_us": p99})
    rows.append(_end_to_end(events, repeats=max(repeats // 20, 50), rng=rng))
    return rows


def _end_to_end(events: int, *, repeats: int, rng: random.Random) -> dict[str, object]:
    """Parsing the integration JSON and indexing the history, then deciding: what one CLI question costs."""
    payload = {
        "debtor": {"timezones": ["Asia/Shanghai"]},
        "history": [
            {
                "at": e.at.isoformat(),
                "channel": e.channel.value,
                "party": e.party.value,
                "party_id": e.party_id,
                "number": e.number,
                "debt_id": e.debt_id,
                "result": e.result if e.channel is ContactChannel.CALL else None,
                "conversation": e.conversation,
            }
            for e in _history(events, span_days=90, rng=rng)
        ],
        "attempt": {"at": (START + timedelta(days=91)).isoformat(), "channel": "call", "party": "debtor"},
    }
    text = json.dumps(payload)
    pack = load_pack("cn")

    def run() -> None:
        decide(pack, *parse_check_input(json.loads(text), where="bench").to_facts())

    median, p99 = _median_us(run, repeats)
    return {
        "pack": "cn",
        "history": f"{events:,} events as JSON, parsed + indexed + decided",
        "median_us": median,
        "p99_us": p99,
    }


def render(rows: list[dict[str, object]], *, events: int, repeats: int) -> str:
    lines = [
        MARKER_START,
        "## Compliance guard: one decision on a long history (`make bench-guard`)",
        "",
        f"Measured on {datetime.now().date().isoformat()} on {platform.system()} {platform.machine()}, "
        f"Python {platform.python_version()}, commit {commit()}. Each figure is the median (and 99th percentile) "
        f"of {repeats:,} decisions at different planned times. Target: median under 1 ms with {events:,} events.",
        "",
        "| pack | history | median µs | p99 µs |",
        "|---|---|---:|---:|",
    ]
    lines += [f"| {r['pack']} | {r['history']} | {r['median_us']:.0f} | {r['p99_us']:.0f} |" for r in rows]
    lines += [
        "",
        "- The history is sorted and indexed once per case (as when a case's contacts are loaded); each rule then "
        "reads only the events inside its own window, found by bisection.",
        "- The last row is what one `arrears compliance check` question costs inside the process, JSON parsing and "
        "validation of every event included; most of it is validation, not the decision.",
        MARKER_END,
    ]
    return "\n".join(lines)


def write_report(report: Path, section: str) -> None:
    write_section(report, section, start=MARKER_START, end=MARKER_END)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--events", type=int, default=1000)
    parser.add_argument("--repeats", type=int, default=5000)
    parser.add_argument("--report", type=Path)
    args = parser.parse_args()
    rows = measure(events=args.events, repeats=args.repeats)
    section = render(rows, events=args.events, repeats=args.repeats)
    print(section)
    if args.report:
        write_report(args.report, section)


if __name__ == "__main__":
    main()
