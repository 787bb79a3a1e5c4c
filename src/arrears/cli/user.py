"""``arrears user``: people who sign in to the web app."""

from __future__ import annotations

import sys
from typing import Annotated

import typer
from rich.console import Console
from rich.table import Table
from sqlalchemy import select

from arrears.audit.service import cli_actor
from arrears.cli import context
from arrears.errors import InvalidInput
from arrears.org import service as tenants
from arrears.org import users
from arrears.org.enums import Role
from arrears.org.models import Team, User

app = typer.Typer(no_args_is_help=True, help="People who sign in to the web app.")
console = Console(highlight=False)

PasswordStdin = Annotated[
    bool, typer.Option("--password-stdin", help="read the password from standard input instead of asking")
]


def _password(from_stdin: bool) -> str:
    if from_stdin:
        return sys.stdin.readline().rstrip("\n")
    first = typer.prompt("password", hide_input=True)
    if typer.prompt("again", hide_input=True) != first:
        raise InvalidInput("the two passwords differ", where="password", hint="type the same password twice")
    return str(first)


@app.command("add")
def add(
    tenant: Annotated[str, typer.Option("--tenant", help="tenant code")],
    username: Annotated[str, typer.Option("--username")],
    name: Annotated[str, typer.Option("--name", help="the name colleagues and debtors hear")],
    role: Annotated[Role, typer.Option("--role")],
    staff_number: Annotated[str, typer.Option("--staff-number", help="工号, given on every call")],
    team: Annotated[str | None, typer.Option("--team", help="team name")] = None,
    locale: Annotated[str, typer.Option("--locale", help="zh-CN, zh-TW or en")] = "zh-CN",
    password_stdin: PasswordStdin = False,
) -> None:
    """Add a person who can sign in (argon2 password hash; at least 10 characters)."""
    password = _password(password_stdin)
    with context.session() as db_session, db_session.begin():
        owner = tenants.get_by_code(db_session=db_session, code=tenant)
        user = users.create(
            db_session=db_session,
            tenant=owner,
            username=username,
            display_name=name,
            role=role,
            staff_number=staff_number,
            password=password,
            actor=cli_actor(),
            team_name=team,
            locale=locale,
        )
    typer.echo(f"user {user.username} ({role.value}) added")


@app.command("passwd")
def passwd(username: Annotated[str, typer.Argument()], password_stdin: PasswordStdin = False) -> None:
    """Give a person a new password; their open sessions end."""
    from arrears.web.accounts import change_password

    password = _password(password_stdin)
    with context.session() as db_session, db_session.begin():
        user = tenants.get_user_by_username(db_session=db_session, username=username)
        ended = change_password(db_session=db_session, user=user, password=password, actor=cli_actor())
    typer.echo(f"password of {username} changed; {ended} session(s) ended")


@app.command("unlock")
def unlock(username: Annotated[str, typer.Argument()]) -> None:
    """Lift a lockout after too many wrong passwords."""
    from arrears.web.sessions import unlock as lift

    with context.session() as db_session, db_session.begin():
        user = tenants.get_user_by_username(db_session=db_session, username=username)
        lift(db_session=db_session, user=user, actor=cli_actor())
    typer.echo(f"{username} unlocked")


@app.command("list")
def list_users(tenant: Annotated[str, typer.Option("--tenant", help="tenant code")]) -> None:
    """The tenant's people, their roles and teams, and whether they can sign in."""
    with context.session() as db_session:
        owner = tenants.get_by_code(db_session=db_session, code=tenant)
        rows = db_session.execute(
            select(User, Team.name)
            .outerjoin(Team, Team.id == User.team_id)
            .where(User.tenant_id == owner.id)
            .order_by(User.id)
        ).all()
    table = Table()
    for column in ("username", "name", "role", "team", "can sign in"):
        table.add_column(column)
    for user, team in rows:
        table.add_row(
            user.username, user.display_name, user.role.value, team or "", "yes" if user.password_hash else "no"
        )
    console.print(table)


@app.command("demo-logins")
def demo_logins(tenant: Annotated[str, typer.Option("--tenant", help="tenant code")] = "demo") -> None:
    """Give one person of each role a fresh password and print them (for the demo only)."""
    from arrears.web.accounts import demo_logins as reset

    with context.session() as db_session, db_session.begin():
        owner = tenants.get_by_code(db_session=db_session, code=tenant)
        logins = reset(db_session=db_session, tenant=owner, actor=cli_actor())
    table = Table(title=f"demo sign-ins for tenant '{tenant}' (new passwords, shown once)")
    for column in ("role", "username", "password", "name", "team"):
        table.add_column(column)
    for login in logins:
        table.add_row(login.role.value, login.username, login.password, login.display_name, login.team or "")
    console.print(table)
