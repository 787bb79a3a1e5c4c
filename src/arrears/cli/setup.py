"""``arrears tenant`` and ``arrears product``: the reference data imports rely on."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

import typer
import yaml

from arrears.audit import service as audit
from arrears.cli import context
from arrears.compliance.service import set_tenant_pack
from arrears.delinquency.catalog import load_product, read_product_file
from arrears.errors import InvalidInput
from arrears.files import read_text
from arrears.org import service as tenants
from arrears.org.enums import TenantKind

tenant_app = typer.Typer(no_args_is_help=True, help="Tenants: lenders and agencies.")
product_app = typer.Typer(no_args_is_help=True, help="Products and their versioned rules.")


@tenant_app.command("create")
def create_tenant(
    code: Annotated[str, typer.Argument(help="short code, e.g. acme")],
    name: Annotated[str | None, typer.Option("--name")] = None,
    kind: Annotated[TenantKind, typer.Option("--kind")] = TenantKind.LENDER,
) -> None:
    """Create a tenant (nothing happens if it exists)."""
    with context.session() as db_session, db_session.begin():
        tenant = tenants.get_or_create(db_session=db_session, code=code, name=name, kind=kind)
        audit.record(
            db_session=db_session,
            actor=audit.cli_actor(),
            action="tenant.ensured",
            subject_type="tenant",
            subject_id=tenant.id,
            tenant_id=tenant.id,
        )
    typer.echo(f"tenant {code} ready")


@tenant_app.command("set-pack")
def set_pack(
    code: Annotated[str, typer.Argument(help="tenant code")],
    pack: Annotated[str, typer.Option("--pack", help="compliance rule pack: cn or us")],
    overrides: Annotated[
        Path | None, typer.Option("--overrides", help="YAML that tightens the pack (docs/compliance.md)")
    ] = None,
) -> None:
    """Choose the tenant's compliance rule pack; overrides may only tighten it."""
    data = _read_overrides(overrides) if overrides else None
    with context.session() as db_session, db_session.begin():
        owner = tenants.get_by_code(db_session=db_session, code=code)
        effective = set_tenant_pack(
            db_session=db_session, tenant=owner, pack_id=pack, overrides=data, actor=audit.cli_actor()
        )
    typer.echo(f"tenant {code} uses pack {effective.id} version {effective.version}")


def _read_overrides(path: Path) -> dict[str, Any]:
    text = read_text(path, what="a compliance overrides YAML file")
    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError as error:
        raise InvalidInput(f"not valid YAML: {error}".splitlines()[0], where=str(path)) from None
    if not isinstance(data, dict):
        raise InvalidInput("overrides must be a mapping (rules, add, retention_years)", where=str(path))
    return data


@product_app.command("load")
def load_product_command(
    file: Annotated[Path, typer.Argument(help="product YAML (docs/examples/product-cash12.yaml)")],
    tenant: Annotated[str, typer.Option("--tenant", envvar="ARREARS_TENANT")] = "default",
) -> None:
    """Create a product or add a new version of its rules; unchanged rules add nothing."""
    product_file = read_product_file(file)
    with context.session() as db_session, db_session.begin():
        owner = tenants.get_by_code(db_session=db_session, code=tenant)
        product, version = load_product(db_session=db_session, tenant_id=owner.id, product_file=product_file)
        audit.record(
            db_session=db_session,
            actor=audit.cli_actor(),
            action="product.loaded",
            subject_type="product",
            subject_id=product.id,
            tenant_id=owner.id,
            details={"code": product.code, "version": version.version, "file": str(file)},
        )
    typer.echo(f"product {product.code} at rules version {version.version}")
