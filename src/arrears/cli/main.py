"""The ``arrears`` command: assembles each area's sub-commands."""

from __future__ import annotations

import typer

from arrears.cli import analytics as analytics_cli
from arrears.cli import audit as audit_cli
from arrears.cli import comms as comms_cli
from arrears.cli import compliance, contact, db, ledger, policy, queue, setup, token
from arrears.cli import demo as demo_cli
from arrears.cli import legal as legal_cli
from arrears.cli import model as model_cli
from arrears.cli import scripts as scripts_cli
from arrears.cli import settlement as settlement_cli
from arrears.cli.errors import run_cli
from arrears.cli.importing import app as import_app
from arrears.cli.lint import lint_command
from arrears.cli.run import run_command, worker_command
from arrears.cli.serve import serve_command
from arrears.cli.user import app as user_app

app = typer.Typer(
    no_args_is_help=True,
    add_completion=False,
    help="Arrears: compliance-first debt collection.",
    pretty_exceptions_enable=False,
)
app.add_typer(db.app, name="db")
app.add_typer(compliance.app, name="compliance")
app.add_typer(contact.contact_app, name="contact")
app.add_typer(contact.hold_app, name="hold")
app.add_typer(contact.complaint_app, name="complaint")
app.add_typer(ledger.app, name="ledger")
app.add_typer(setup.tenant_app, name="tenant")
app.add_typer(setup.product_app, name="product")
app.command("demo")(demo_cli.demo_command)
app.command("summary")(demo_cli.summary_command)
app.add_typer(import_app, name="import")
app.command("lint")(lint_command)
app.command("run")(run_command)
app.command("worker")(worker_command)
app.add_typer(audit_cli.app, name="audit")
app.add_typer(policy.app, name="policy")
app.add_typer(queue.app, name="queue")
app.add_typer(model_cli.app, name="model")
app.add_typer(scripts_cli.app, name="scripts")
app.add_typer(token.app, name="token")
app.add_typer(settlement_cli.plan_app, name="plan")
app.add_typer(settlement_cli.evidence_app, name="evidence")
app.add_typer(analytics_cli.app, name="analytics")
app.command("serve")(serve_command)
app.add_typer(user_app, name="user")
app.add_typer(legal_cli.legal_app, name="legal")
app.add_typer(legal_cli.agency_app, name="agency")
app.add_typer(comms_cli.templates_app, name="templates")
app.add_typer(comms_cli.letters_app, name="letters")
app.add_typer(comms_cli.messages_app, name="messages")


def run() -> None:
    run_cli(app)


if __name__ == "__main__":
    run()
