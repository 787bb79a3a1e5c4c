"""``arrears run``: the end-of-day run, with a progress line per stage and the day's report.

The run's modules (Polars, Procrastinate) are imported inside the commands, so other
commands start without them.
"""

from __future__ import annotations

import json
from contextlib import ExitStack
from datetime import date
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.progress import Progress, TaskID
from rich.table import Table

from arrears.audit.service import cli_actor
from arrears.cli import context
from arrears.cli.options import parse_date
from arrears.cli.progress import progress_bar
from arrears.errors import InvalidInput
from arrears.settings import get_settings
from arrears.strategy.models import Run

console = Console(highlight=False, soft_wrap=True)


class _StageProgress:
    """One bar per stage, advanced as its partitions finish, with the counts of the last one."""

    def __init__(self, bar: Progress) -> None:
        self.bar = bar
        self.tasks: dict[str, TaskID] = {}

    def step_done(self, stage: str, partition: int, partitions: int, counts: dict[str, Any]) -> None:
        if stage not in self.tasks:
            self.tasks[stage] = self.bar.add_task(stage, total=partitions)
        summary = ", ".join(f"{key} {value}" for key, value in counts.items() if isinstance(value, int | bool))
        self.bar.update(self.tasks[stage], advance=1, description=f"{stage}: {summary}"[:80])

    def waiting(self, stage: str, why: str) -> None:
        self.bar.console.print(f"[yellow]{stage}: {why}[/]", markup=True, highlight=False)


def run_command(
    as_of: Annotated[str, typer.Option("--as-of", help="YYYY-MM-DD: the day that just ended")],
    tenant: Annotated[str, typer.Option("--tenant", envvar="ARREARS_TENANT")] = "default",
    as_json: Annotated[bool, typer.Option("--json", help="print the run report as JSON")] = False,
    queue: Annotated[
        bool, typer.Option("--queue", help="hand the steps to `arrears worker` processes (PostgreSQL only)")
    ] = False,
    loans_per_step: Annotated[
        int | None,
        typer.Option("--loans-per-step", min=1, help="loan ids per pass step (default 100,000); kept with the run"),
    ] = None,
    cases_per_step: Annotated[
        int | None,
        typer.Option("--cases-per-step", min=1, help="case ids per step of the later stages (default 50,000)"),
    ] = None,
    workers: Annotated[
        int | None,
        typer.Option(
            "--workers",
            min=1,
            help="start this many `arrears worker` processes here for the run (implies --queue; one per core)",
        ),
    ] = None,
) -> None:
    """Accrue and age, judge promises, segment, apply the policy, allocate and queue; resumable and idempotent.

    With --queue, give at least as many steps as workers (smaller --loans-per-step), or some workers wait;
    --workers sizes the steps for its workers unless told otherwise.
    """
    from arrears.jobs.local import local_workers
    from arrears.jobs.queue import ensure_schema, make_app, run_day_on_queue
    from arrears.strategy.run import LOAN_PARTITION_SIZE, PARTITION_SIZE, StepSizes, run_day
    from arrears.strategy.stages import STAGES

    sizes = None
    if loans_per_step is not None or cases_per_step is not None:
        sizes = StepSizes(loans=loans_per_step or LOAN_PARTITION_SIZE, cases=cases_per_step or PARTITION_SIZE)

    day = parse_date(as_of, option="--as-of")
    if day > date.today():
        raise InvalidInput(
            f"{day} has not ended yet", where="--as-of", hint="the run closes a day that is over: today or earlier"
        )
    settings = get_settings()
    with context.session_factory() as factory:
        with progress_bar() as bar:
            if queue or workers:
                app = make_app(settings.resolved_database_url, STAGES)
                with factory() as db_session:
                    ensure_schema(app, db_session)
                    if workers and sizes is None:
                        sizes = StepSizes.for_workers(db_session=db_session, tenant_code=tenant, workers=workers)
                with ExitStack() as started:
                    if workers:
                        logs = started.enter_context(
                            local_workers(settings.resolved_database_url, workers, settings.data_dir / "logs")
                        )
                        bar.console.print(f"{workers} workers started here; their logs: {logs[0].parent}")
                    run_id = run_day_on_queue(
                        factory=factory,
                        app=app,
                        tenant_code=tenant,
                        as_of=day,
                        actor=cli_actor(),
                        stages=STAGES,
                        progress=_StageProgress(bar),
                        sizes=sizes,
                    )
            else:
                run_id = run_day(
                    factory=factory,
                    tenant_code=tenant,
                    as_of=day,
                    actor=cli_actor(),
                    stages=STAGES,
                    progress=_StageProgress(bar),
                    sizes=sizes,
                )
        with factory() as db_session:
            run = db_session.get_one(Run, run_id)
            report, kept = run.report, StepSizes.of(run)
    if sizes is not None and kept != sizes:
        Console(stderr=True, highlight=False).print(
            f"[yellow]this day's run had opened with steps of {kept.loans:,} loans and {kept.cases:,} cases, "
            "and kept them[/]"
        )
    if as_json:
        typer.echo(json.dumps(report, ensure_ascii=False, indent=2))
    else:
        _print_report(report)


def worker_command(
    concurrency: Annotated[int, typer.Option("--concurrency", min=1, help="steps run at once")] = 1,
    until_empty: Annotated[bool, typer.Option("--until-empty", help="stop once the queue is empty")] = False,
) -> None:
    """Take run steps from the task queue (PostgreSQL); start as many as you like, on any machine."""
    from arrears.jobs.queue import QUEUE, ensure_schema, make_app
    from arrears.strategy.stages import STAGES

    with context.session_factory() as factory:
        app = make_app(get_settings().resolved_database_url, STAGES)
        with factory() as db_session:
            ensure_schema(app, db_session)
    app.run_worker(queues=[QUEUE], concurrency=concurrency, wait=not until_empty)


def _print_report(report: dict[str, Any]) -> None:
    states = Table(title="cases by strategy state")
    states.add_column("state")
    states.add_column("cases", justify="right")
    for state, count in sorted(report.get("states", {}).items(), key=lambda item: -item[1]):
        states.add_row(state, f"{count:,}")
    console.print(states)
    actions = Table(title="actions created")
    actions.add_column("treatment")
    actions.add_column("count", justify="right")
    for treatment, count in sorted(report.get("actions", {}).items()):
        actions.add_row(treatment, f"{count:,}")
    console.print(actions)
    for arm, by_state in sorted(report.get("arms", {}).items()):
        console.print(f"{arm}: {sum(by_state.values()):,} cases")
    blocks = report.get("guard_blocks", {})
    if blocks:
        console.print("blocked by the compliance guard: " + ", ".join(f"{rule} {n}" for rule, n in blocks.items()))
    yesterday = report.get("roll_yesterday", {})
    for bucket, moves in sorted(report.get("roll", {}).items()):
        before = yesterday.get(bucket, {})
        console.print(
            f"left {bucket} today: "
            + ", ".join(f"to {target} {n} (yesterday {before.get(target, 0)})" for target, n in moves.items())
        )
