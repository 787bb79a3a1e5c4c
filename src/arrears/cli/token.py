"""``arrears token``: API tokens for integrations of the HTTP API (docs/api.md)."""

from __future__ import annotations

from typing import Annotated

import typer
from rich.console import Console

from arrears.audit.service import cli_actor
from arrears.cli import context
from arrears.org import service as tenants
from arrears.web import tokens

app = typer.Typer(no_args_is_help=True, help="API tokens: issue, list, revoke.")
notes = Console(highlight=False, soft_wrap=True, stderr=True)


@app.command("issue")
def issue_command(
    tenant: Annotated[str, typer.Option("--tenant", help="tenant code")],
    name: Annotated[str, typer.Option("--name", help="which integration will use it")],
    scope: Annotated[list[str], typer.Option("--scope", help=f"repeat for each: {', '.join(tokens.SCOPES)}")],
) -> None:
    """Issue a token; its secret is printed on standard output this once and never stored."""
    with context.session() as db_session, db_session.begin():
        owner = tenants.get_by_code(db_session=db_session, code=tenant)
        token, secret = tokens.issue(
            db_session=db_session, tenant_id=owner.id, name=name, scopes=scope, actor=cli_actor()
        )
    notes.print(
        f"issued API token {token.id} '{token.name}' for tenant {tenant} ({', '.join(token.scopes)}); "
        "the secret below is shown only now"
    )
    typer.echo(secret)


@app.command("revoke")
def revoke_command(token_id: Annotated[int, typer.Argument(help="token id (see `arrears token list`)")]) -> None:
    """Refuse a token from now on."""
    with context.session() as db_session, db_session.begin():
        token = tokens.revoke(db_session=db_session, token_id=token_id, actor=cli_actor())
    typer.echo(f"revoked API token {token.id} '{token.name}' ({token.prefix}…)")


@app.command("list")
def list_command(tenant: Annotated[str, typer.Option("--tenant", help="tenant code")]) -> None:
    """The tenant's tokens, one line each: id, prefix, name, scopes, created, last used, revoked."""
    with context.session() as db_session:
        owner = tenants.get_by_code(db_session=db_session, code=tenant)
        for token in tokens.get_all(db_session=db_session, tenant_id=owner.id):
            used = token.last_used_at.isoformat(timespec="seconds") if token.last_used_at else "never used"
            state = f"revoked {token.revoked_at.isoformat(timespec='seconds')}" if token.revoked_at else "active"
            typer.echo(
                f"{token.id}\t{token.prefix}…\t{token.name}\t{','.join(token.scopes)}\t"
                f"created {token.created_at.isoformat(timespec='seconds')} by {token.created_by}\t{used}\t{state}"
            )
