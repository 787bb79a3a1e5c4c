"""``arrears templates``, ``arrears letters`` and ``arrears messages``: letters and messages through real channels.

Every send goes through the compliance guard and is recorded as a contact; see docs/comms.md.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.table import Table

from arrears.audit.service import cli_actor
from arrears.cli import context
from arrears.cli.options import parse_date, parse_moment
from arrears.comms import batch, flows, optout, outbox, service
from arrears.comms.channels import configured
from arrears.comms.config import CommsSettings
from arrears.comms.enums import MessageChannel, MessageStatus
from arrears.comms.models import CommsTemplate
from arrears.comms.rules import parse_key
from arrears.errors import InvalidInput
from arrears.org import service as tenants
from arrears.scripts.library.bundled import load_shipped as shipped_scripts
from arrears.scripts.library.enums import Locale, ScriptStatus

templates_app = typer.Typer(no_args_is_help=True, help="Letter and message templates: seed, list, show, approve.")
letters_app = typer.Typer(no_args_is_help=True, help="Letters as PDF: the day's batch, lawyer's letters.")
messages_app = typer.Typer(no_args_is_help=True, help="The outbox: send what is due, see delivery states.")
console = Console(highlight=False, soft_wrap=True)

TenantOption = Annotated[str, typer.Option("--tenant", help="tenant code")]
AsOfOption = Annotated[str, typer.Option("--as-of", help="the run date, YYYY-MM-DD")]
ByOption = Annotated[str, typer.Option("--by", help="username of the person doing it")]
JsonOption = Annotated[bool, typer.Option("--json", help="print JSON")]


@templates_app.command("seed")
def seed_command() -> None:
    """Load the shipped templates (tenant NULL, approved by 'library'); unchanged ones are left alone."""
    with context.session() as db_session, db_session.begin():
        report = flows.seed_shipped(db_session=db_session, at=datetime.now(UTC))
    console.print(f"seeded {len(report.created)} template(s), {len(report.unchanged)} unchanged")


@templates_app.command("list")
def list_command(
    tenant: Annotated[str | None, typer.Option("--tenant", help="tenant code; default: the shipped set")] = None,
    status: Annotated[str | None, typer.Option("--status", help="draft, approved or retired")] = None,
) -> None:
    """Every version of every template, one line each: id, key, version, status, locales."""
    chosen = _status(status)
    with context.session() as db_session:
        tenant_id = None if tenant is None else tenants.get_by_code(db_session=db_session, code=tenant).id
        for template in service.get_all(db_session=db_session, tenant_id=tenant_id, status=chosen):
            typer.echo(_line(template))


@templates_app.command("show")
def show_command(
    key: Annotated[str, typer.Argument(help="<kind>/<channel>, e.g. collection_letter/letter")],
    tenant: Annotated[str | None, typer.Option("--tenant", help="tenant code; default: the shipped set")] = None,
    locale: Annotated[str | None, typer.Option("--locale", help="zh-CN, zh-TW or en; default: every locale")] = None,
) -> None:
    """The newest version of a template, its subject and body per locale."""
    kind, channel = parse_key(key)
    wanted = _locale(locale)
    with context.session() as db_session:
        tenant_id = None if tenant is None else tenants.get_by_code(db_session=db_session, code=tenant).id
        template = service.get_latest(db_session=db_session, tenant_id=tenant_id, key=f"{kind.value}/{channel.value}")
        if template is None:
            raise InvalidInput(f"no template {key}", where="key", hint="see `arrears templates list`")
        approval = f", approved by {template.approver}" if template.approver else ""
        typer.echo(f"{template.key} v{template.version} {template.status.value} by {template.author}{approval}")
        for text in template.texts:
            if wanted is None or text.locale == wanted:
                subject = f" {text.subject}" if text.subject else ""
                typer.echo(f"[{text.locale}]{subject}\n{text.body.rstrip()}")


@templates_app.command("approve")
def approve_command(
    template_id: Annotated[int, typer.Argument(help="template id (see `arrears templates list`)")],
    by: Annotated[str, typer.Option("--by", help="username of a compliance user who did not write it")],
) -> None:
    """Publish a draft: maker-checker, compliance role only; the previous approved version is retired."""
    with context.session() as db_session, db_session.begin():
        approver = tenants.get_user_by_username(db_session=db_session, username=by)
        template = flows.approve(
            db_session=db_session, template_id=template_id, approver=approver, at=datetime.now(UTC)
        )
        line = f"approved template {template.id}: {template.key} version {template.version}"
    console.print(line)


@letters_app.command("render")
def render_command(
    tenant: TenantOption,
    as_of: AsOfOption,
    out: Annotated[Path, typer.Option("--out", help="directory for the PDFs")],
    by: ByOption,
    seal: Annotated[Path | None, typer.Option("--seal", help="the company seal as an image file")] = None,
) -> None:
    """Every letter the run planned for the day: one PDF per letter and batch.pdf, queued for the print channel."""
    day = parse_date(as_of, option="--as-of")
    if seal is not None and not seal.is_file():
        raise InvalidInput(f"no seal image at {seal}", where="--seal")
    with context.session() as db_session, db_session.begin():
        sender = tenants.get_user_by_username(db_session=db_session, username=by)
        owner = tenants.get_by_code(db_session=db_session, code=tenant)
        _same_tenant(sender.tenant_id, owner.id, by, tenant)
        result = batch.render_day(
            db_session=db_session,
            tenant_id=owner.id,
            as_of=day,
            out_dir=out,
            sender=sender,
            settings=shipped_scripts().defaults,
            comms=CommsSettings(),
            seal_path=seal,
        )
    _print_queue(result.report)
    for path in result.letters:
        typer.echo(str(path))
    if result.batch is not None:
        console.print(f"batch: {result.batch}")


@letters_app.command("lawyer")
def lawyer_command(
    case: Annotated[int, typer.Option("--case", help="case id")],
    as_of: AsOfOption,
    out: Annotated[Path, typer.Option("--out", help="directory for the PDF")],
    by: Annotated[str, typer.Option("--by", help="username of a lawyer of an engaged law firm")],
) -> None:
    """A lawyer's letter (律师函): only a user of a law firm the case's lender has engaged may issue one."""
    day = parse_date(as_of, option="--as-of")
    with context.session() as db_session, db_session.begin():
        lawyer = tenants.get_user_by_username(db_session=db_session, username=by)
        result = batch.issue_lawyer_letter(
            db_session=db_session,
            case_id=case,
            lawyer=lawyer,
            as_of=day,
            out_dir=out,
            settings=shipped_scripts().defaults,
            comms=CommsSettings(),
        )
    typer.echo(str(result.letters[0]))


@letters_app.command("engage")
def engage_command(
    tenant: TenantOption,
    law_firm: Annotated[str, typer.Option("--law-firm", help="the law firm's tenant code")],
    starts_on: Annotated[str, typer.Option("--from", help="first day, YYYY-MM-DD")],
    ends_on: Annotated[str | None, typer.Option("--until", help="last day, YYYY-MM-DD; default open-ended")] = None,
) -> None:
    """Record that the lender engaged a law firm: only then may its lawyers issue lawyer's letters."""
    first = parse_date(starts_on, option="--from")
    last = None if ends_on is None else parse_date(ends_on, option="--until")
    with context.session() as db_session, db_session.begin():
        lender = tenants.get_by_code(db_session=db_session, code=tenant)
        firm = tenants.get_by_code(db_session=db_session, code=law_firm)
        engagement = flows.engage_law_firm(
            db_session=db_session,
            tenant_id=lender.id,
            law_firm_id=firm.id,
            starts_on=first,
            ends_on=last,
            actor=cli_actor(),
        )
        line = f"engagement {engagement.id}: {firm.code} for {lender.code} from {first.isoformat()}"
    console.print(line)


@messages_app.command("send")
def send_command(
    tenant: TenantOption,
    as_of: AsOfOption,
    by: ByOption,
    at: Annotated[str | None, typer.Option("--at", help="the send time, with UTC offset; default now")] = None,
) -> None:
    """Queue the day's SMS and email reminders, then send every due message through the guard."""
    day = parse_date(as_of, option="--as-of")
    now = parse_moment(at, option="--at")
    comms = CommsSettings()
    with context.session_factory() as factory:
        with factory() as db_session, db_session.begin():
            sender = tenants.get_user_by_username(db_session=db_session, username=by)
            owner = tenants.get_by_code(db_session=db_session, code=tenant)
            _same_tenant(sender.tenant_id, owner.id, by, tenant)
            queued = outbox.queue_reminders(
                db_session=db_session,
                tenant_id=owner.id,
                as_of=day,
                sender=sender,
                settings=shipped_scripts().defaults,
                comms=comms,
            )
            tenant_id = owner.id
        _print_queue(queued)
        channels = configured(comms)
        report = outbox.send_due(
            factory=factory, tenant_id=tenant_id, now=now, channels=channels, comms=comms, actor=cli_actor()
        )
    console.print("  ".join(f"{name} {count}" for name, count in report.as_dict().items()))
    missing = sorted(channel.value for channel in MessageChannel if channel not in channels)
    if missing:
        console.print(f"not configured (left queued): {', '.join(missing)}; see docs/comms.md")


@messages_app.command("status")
def status_command(
    tenant: TenantOption,
    as_of: Annotated[str | None, typer.Option("--as-of", help="only the messages of this run date")] = None,
    case: Annotated[int | None, typer.Option("--case", help="only this case's messages")] = None,
    as_json: JsonOption = False,
) -> None:
    """Delivery state per channel, then each message: id, case, channel, kind, status, attempts, last error."""
    day = None if as_of is None else parse_date(as_of, option="--as-of")
    with context.session() as db_session:
        owner = tenants.get_by_code(db_session=db_session, code=tenant)
        counts = service.status_counts(db_session=db_session, tenant_id=owner.id, as_of=day)
        messages = service.get_messages(db_session=db_session, tenant_id=owner.id, as_of=day, case_id=case)
        rows = [
            {
                "id": m.id,
                "case_id": m.case_id,
                "channel": m.channel.value,
                "kind": m.kind.value,
                "status": m.status.value,
                "attempts": m.attempts,
                "next_attempt_at": m.next_attempt_at.isoformat() if m.next_attempt_at else None,
                "provider_id": m.provider_id,
                "last_error": m.last_error,
            }
            for m in messages
        ]
    if as_json:
        summary = [{"channel": c, "status": s, "count": n} for (c, s), n in sorted(counts.items())]
        typer.echo(json.dumps({"counts": summary, "messages": rows}, ensure_ascii=False))
        return
    table = Table("channel", *(status.value for status in MessageStatus))
    for channel in sorted({c for c, _ in counts}):
        table.add_row(channel, *(str(counts.get((channel, status.value), 0)) for status in MessageStatus))
    console.print(table)
    for row in rows:
        error = f"  {row['last_error']}" if row["last_error"] else ""
        typer.echo(
            f"{row['id']}\tcase {row['case_id']}\t{row['channel']}\t{row['kind']}\t{row['status']}\t"
            f"{row['attempts']} attempt(s){error}"
        )


@messages_app.command("inbound")
def inbound_command(
    tenant: TenantOption,
    sender: Annotated[str, typer.Option("--from", help="the number the reply came from")],
    text: Annotated[str, typer.Option("--text", help="what the reply said")],
    at: Annotated[str | None, typer.Option("--at", help="when it arrived, with UTC offset; default now")] = None,
) -> None:
    """Take in an SMS reply: an opt-out keyword (TD, 退订, STOP) stops SMS on every open case of that number."""
    received = parse_moment(at, option="--at")
    with context.session() as db_session, db_session.begin():
        owner = tenants.get_by_code(db_session=db_session, code=tenant)
        report = optout.handle_inbound_sms(
            db_session=db_session, tenant_id=owner.id, sender=sender, text=text, received_at=received, actor=cli_actor()
        )
    if not report.opted_out:
        console.print("not an opt-out: nothing changed")
        return
    console.print(
        f"opted out of SMS on case(s) {', '.join(map(str, report.cases)) or 'none'}; cancelled {len(report.cancelled)}"
    )


def _print_queue(report: outbox.QueueReport) -> None:
    console.print(
        f"queued {len(report.queued)}, already queued {len(report.existing)}, "
        f"refused by the linter {len(report.refused)}, skipped {len(report.skipped)}"
    )
    for line in report.skipped:
        console.print(f"  skipped {line}")


def _same_tenant(user_tenant: int, tenant_id: int, username: str, code: str) -> None:
    if user_tenant != tenant_id:
        raise InvalidInput(f"{username} is not a user of tenant {code}", where="--by")


def _line(template: CommsTemplate) -> str:
    return f"{template.id}\t{template.key}\tv{template.version}\t{template.status.value}\t" + ",".join(
        text.locale for text in template.texts
    )


def _status(value: str | None) -> ScriptStatus | None:
    if value is None:
        return None
    try:
        return ScriptStatus(value)
    except ValueError:
        raise InvalidInput(f"unknown status '{value}'", where="--status", hint="draft, approved or retired") from None


def _locale(value: str | None) -> Locale | None:
    if value is None:
        return None
    try:
        return Locale(value)
    except ValueError:
        raise InvalidInput(f"unknown locale '{value}'", where="--locale", hint="zh-CN, zh-TW or en") from None
