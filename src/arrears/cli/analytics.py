"""``arrears analytics``: the dashboard's measures in the terminal, as JSON or CSV, or every one in a workbook."""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer
from rich.console import Console
from rich.table import Table as RichTable
from sqlalchemy import select
from sqlalchemy.orm import Session

from arrears.analytics.filters import Filters, check_day
from arrears.cli import context
from arrears.cli.options import parse_date
from arrears.errors import InvalidInput, NotFound
from arrears.ledger.models import Product
from arrears.org import service as tenants
from arrears.org.models import Team
from arrears.strategy.enums import Arm

if TYPE_CHECKING:
    from arrears.analytics.measures import Request
    from arrears.analytics.tables import Table

# The measures load Polars: they are imported inside the commands, so that other commands start without it.

app = typer.Typer(no_args_is_help=True, help="Measures: recovery, roll rates, contacts, promises, complaints, people.")
console = Console(highlight=False, soft_wrap=True)

TenantOption = Annotated[str, typer.Option("--tenant", help="tenant code")]
FromOption = Annotated[str, typer.Option("--from", help="first day, YYYY-MM-DD")]
ToOption = Annotated[str, typer.Option("--to", help="last day (included), YYYY-MM-DD")]
AsOfOption = Annotated[str | None, typer.Option("--as-of", help="day the figures are seen from; default --to")]
ProductOption = Annotated[str | None, typer.Option("--product", help="product code")]
BucketOption = Annotated[str | None, typer.Option("--bucket", help="bucket name")]
TeamOption = Annotated[str | None, typer.Option("--team", help="team name")]
CollectorOption = Annotated[str | None, typer.Option("--collector", help="collector's login name")]
ArmOption = Annotated[Arm | None, typer.Option("--arm", help="champion or challenger")]
TargetOption = Annotated[
    list[str] | None,
    typer.Option("--target", help="recovery target [bucket:]day:share; repeat; default: the tenant's own"),
]


@dataclass(frozen=True)
class Given:
    tenant: str
    start: str
    end: str
    as_of: str | None
    product: str | None
    bucket: str | None
    team: str | None
    collector: str | None
    arm: Arm | None
    targets: list[str] | None

    def request(self, db_session: Session) -> Request:
        from arrears.analytics.measures import Request
        from arrears.analytics.recovery import parse_target

        tenant = tenants.get_by_code(db_session=db_session, code=self.tenant)
        product_id = team_id = collector_id = None
        if self.product is not None:
            product_id = db_session.scalar(
                select(Product.id).where(Product.tenant_id == tenant.id, Product.code == self.product)
            )
            if product_id is None:
                raise NotFound(f"no product '{self.product}' in {self.tenant}", hint="give the product code")
        if self.team is not None:
            team_id = db_session.scalar(select(Team.id).where(Team.tenant_id == tenant.id, Team.name == self.team))
            if team_id is None:
                raise NotFound(f"no team '{self.team}' in {self.tenant}", hint="give the team's name")
        if self.collector is not None:
            user = tenants.get_user_by_username(db_session=db_session, username=self.collector)
            if user.tenant_id != tenant.id:
                raise NotFound(f"no user '{self.collector}' in {self.tenant}", hint="give the user's login name")
            collector_id = user.id
        end = parse_date(self.end, option="--to")
        filters = Filters(
            tenant.id,
            parse_date(self.start, option="--from"),
            end,
            product_id=product_id,
            bucket=self.bucket,
            team_id=team_id,
            collector_id=collector_id,
            arm=self.arm,
        )
        targets = tuple(parse_target(t) for t in self.targets) if self.targets else None
        as_of = check_day(parse_date(self.as_of, option="--as-of"), where="--as-of") if self.as_of else end
        return Request(filters, as_of=as_of, targets=targets)


def _print(table: Table) -> None:
    shown = RichTable(title=table.measure)
    for column in table.columns:
        shown.add_column(column)
    for row in table.records():
        shown.add_row(*("" if value is None else str(value) for value in row.values()))
    console.print(shown)
    if table.ignored:
        console.print(f"not applied to this measure: {', '.join(table.ignored)}")


@app.command("list")
def list_command() -> None:
    """The measures, one line each (docs/metrics.md defines them)."""
    from arrears.analytics.measures import DESCRIPTIONS, MEASURES

    for name in MEASURES:
        console.print(f"{name:<18} {DESCRIPTIONS[name]}")


@app.command("show")
def show_command(
    measure: Annotated[str, typer.Argument(help="a measure from `arrears analytics list`")],
    tenant: TenantOption,
    start: FromOption,
    end: ToOption,
    as_of: AsOfOption = None,
    product: ProductOption = None,
    bucket: BucketOption = None,
    team: TeamOption = None,
    collector: CollectorOption = None,
    arm: ArmOption = None,
    target: TargetOption = None,
    output: Annotated[str, typer.Option("--format", help="table, json or csv")] = "table",
) -> None:
    """One measure for a tenant and period, as a table, JSON or CSV."""
    from arrears.analytics.measures import compute
    from arrears.analytics.tables import text, to_csv

    if output not in ("table", "json", "csv"):
        raise InvalidInput(f"unknown format '{output}'", where="--format", hint="table, json or csv")
    given = Given(tenant, start, end, as_of, product, bucket, team, collector, arm, target)
    with context.session() as db_session:
        table = compute(db_session=db_session, name=measure, request=given.request(db_session))
    if output == "json":
        body = {"measure": table.measure, "rows": table.records(), "ignored_filters": list(table.ignored)}
        typer.echo(json.dumps(body, ensure_ascii=False, default=text))
    elif output == "csv":
        typer.echo(to_csv(table), nl=False)
    else:
        _print(table)


@app.command("export")
def export_command(
    out: Annotated[Path, typer.Option("--out", help="the .xlsx file to write")],
    tenant: TenantOption,
    start: FromOption,
    end: ToOption,
    as_of: AsOfOption = None,
    product: ProductOption = None,
    bucket: BucketOption = None,
    team: TeamOption = None,
    collector: CollectorOption = None,
    arm: ArmOption = None,
    target: TargetOption = None,
) -> None:
    """Every measure for a tenant and period in one workbook, a sheet each."""
    from arrears.analytics.measures import MEASURES, compute
    from arrears.analytics.tables import to_xlsx

    if out.suffix.lower() != ".xlsx":
        raise InvalidInput(f"'{out}' is not an .xlsx file", where="--out", hint="name it e.g. march.xlsx")
    given = Given(tenant, start, end, as_of, product, bucket, team, collector, arm, target)
    with context.session() as db_session:
        request = given.request(db_session)
        tables = [compute(db_session=db_session, name=name, request=request) for name in MEASURES]
    out.write_bytes(to_xlsx(tables))
    console.print(f"wrote {len(tables)} measures to {out}")


@app.command("refresh")
def refresh_command(tenant: TenantOption, start: FromOption, end: ToOption) -> None:
    """Aggregate the tenant's days --from..--to again for the dashboard (backfill, or after importing history).

    The end-of-day run aggregates its own day; this fills in the days before the
    first run, or redoes days whose history was loaded or corrected in bulk. Each
    day's aggregates are replaced, so running it twice changes nothing; all the
    days are written in one transaction.
    """
    from arrears.analytics import daily

    first, last = parse_date(start, option="--from"), parse_date(end, option="--to")
    check_day(first, where="--from")
    check_day(last, where="--to")
    with context.session() as db_session, db_session.begin():
        tenant_id = tenants.get_by_code(db_session=db_session, code=tenant).id
        written = daily.refresh(db_session=db_session, tenant_id=tenant_id, first=first, last=last)
    console.print(
        f"aggregated {written['days']} days of {tenant} ({first} to {last}): "
        + ", ".join(f"{count} {table}" for table, count in written.items() if table != "days")
        + " rows"
    )


targets_app = typer.Typer(no_args_is_help=True, help="The tenant's recovery targets: show them, or set new ones.")
app.add_typer(targets_app, name="targets")


@targets_app.command("show")
def targets_show_command(
    tenant: TenantOption, as_json: Annotated[bool, typer.Option("--json", help="print JSON")] = False
) -> None:
    """The targets the recovery curve is judged against now, and every version set before."""
    from arrears.analytics import targets

    with context.session() as db_session:
        tenant_id = tenants.get_by_code(db_session=db_session, code=tenant).id
        now = targets.current(db_session=db_session, tenant_id=tenant_id)
        versions = targets.history(db_session=db_session, tenant_id=tenant_id)
        if as_json:
            typer.echo(
                json.dumps(
                    {
                        "current": targets.encode(now),
                        "version": versions[0].version if versions else 0,
                        "versions": [
                            {"version": v.version, "targets": v.targets, "set_at": v.set_at.isoformat(), "by": v.set_by}
                            for v in versions
                        ],
                    }
                )
            )
            return
        source = f"version {versions[0].version}" if versions else "the defaults (none set)"
        console.print(f"{tenant}: {targets.describe(now)} ({source})")
        for version in versions[1:]:
            console.print(
                f"  version {version.version}: {targets.describe(targets.decode(version.targets))}, "
                f"set {version.set_at:%Y-%m-%d %H:%M} UTC by {version.set_by}"
            )


@targets_app.command("set")
def targets_set_command(
    tenant: TenantOption,
    target: Annotated[list[str], typer.Argument(help="[bucket:]day:share, e.g. 7:0.6 15:0.8 M2:30:0.5")],
) -> None:
    """Judge the tenant's recovery curve against these targets from now on (a new version; the old ones stay)."""
    from arrears.analytics import targets
    from arrears.analytics.recovery import parse_target
    from arrears.audit.service import cli_actor

    wanted = tuple(parse_target(text) for text in target)
    with context.session() as db_session, db_session.begin():
        tenant_id = tenants.get_by_code(db_session=db_session, code=tenant).id
        version, added = targets.set_targets(
            db_session=db_session, tenant_id=tenant_id, targets=wanted, actor=cli_actor()
        )
    described = targets.describe(targets.ordered(wanted))
    if added:
        console.print(f"{tenant}: targets {described} set as version {version}")
    else:
        console.print(f"{tenant}: targets {described} unchanged" + (f" at version {version}" if version else ""))
