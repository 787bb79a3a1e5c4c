"""``arrears tenant`` and ``arrears product``: the reference data imports rely on."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from arrears.audit import service as audit
from arrears.cli import context
from arrears.delinquency.catalog import load_product, read_product_file
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
