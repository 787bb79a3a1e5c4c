"""``arrears model``: train a tenant's propensity-to-pay model and see how it does against the rules."""

from __future__ import annotations

import json
from datetime import date
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.table import Table

from arrears.audit import service as audit
from arrears.cli import context
from arrears.cli.options import parse_date
from arrears.org import service as tenants

app = typer.Typer(
    no_args_is_help=True,
    help="Propensity-to-pay models: train on the tenant's own history, evaluate on a time-split hold-out.",
)
console = Console(highlight=False, soft_wrap=True)

TenantOption = Annotated[str, typer.Option("--tenant", envvar="ARREARS_TENANT", help="tenant code")]
AsOfOption = Annotated[
    str | None, typer.Option("--as-of", help="YYYY-MM-DD: history up to the end of this day (default today)")
]
JsonOption = Annotated[bool, typer.Option("--json", help="print JSON instead of tables")]


@app.command("train")
def train_command(
    tenant: TenantOption,
    as_of: AsOfOption = None,
    horizon_days: Annotated[
        int, typer.Option("--horizon-days", min=1, help="a payment within this many days after a bucket entry")
    ] = 7,
    as_json: JsonOption = False,
) -> None:
    """Fit a new model version; it is activated only if it beats the rules on the hold-out."""
    from arrears.strategy import propensity  # scikit-learn and Polars load only for this command

    day = _as_of(as_of)
    with context.session() as db_session, db_session.begin():
        owner = tenants.get_by_code(db_session=db_session, code=tenant)
        model = propensity.train(db_session=db_session, tenant_id=owner.id, as_of=day, horizon_days=horizon_days)
        audit.record(
            db_session=db_session,
            actor=audit.cli_actor(),
            action="propensity_model.trained",
            subject_type="propensity_model",
            subject_id=model.id,
            tenant_id=owner.id,
            details={
                "version": model.version,
                "active": model.active,
                "auc_model": f"{model.metrics['auc_model']:.4f}",
                "auc_rules": f"{model.metrics['auc_rules']:.4f}",
            },
        )
        report = _report(model.version, model.active, f"hold-out from {model.metrics['holdout_from']}", model.metrics)
    if as_json:
        typer.echo(json.dumps(report, ensure_ascii=False, indent=2))
        return
    state = "active" if model.active else "inactive: it does not beat the rules, which keep scoring"
    console.print(f"{tenant}: propensity model v{model.version} trained through {model.trained_through}, {state}")
    _print(report)


@app.command("evaluate")
def evaluate_command(tenant: TenantOption, as_of: AsOfOption = None, as_json: JsonOption = False) -> None:
    """AUC and Brier score of the active (else newest) model and of the rules, and the calibration table."""
    from arrears.strategy import propensity

    day = _as_of(as_of)
    with context.session() as db_session, db_session.begin():
        owner = tenants.get_by_code(db_session=db_session, code=tenant)
        evaluation = propensity.evaluate(db_session=db_session, tenant_id=owner.id, as_of=day)
    report = _report(evaluation.version, evaluation.active, evaluation.basis, evaluation.metrics)
    if as_json:
        typer.echo(json.dumps(report, ensure_ascii=False, indent=2))
        return
    state = "active" if evaluation.active else "inactive"
    console.print(f"{tenant}: propensity model v{evaluation.version} ({state})")
    _print(report)


def _as_of(text: str | None) -> date:
    return parse_date(text, option="--as-of") if text else date.today()


def _report(version: int, active: bool, basis: str, metrics: dict[str, Any]) -> dict[str, Any]:
    return {
        "version": version,
        "active": active,
        "basis": basis,
        "entries": metrics["holdout_entries"],
        "paid": metrics["holdout_positives"],
        "auc": {"model": metrics["auc_model"], "rules": metrics["auc_rules"]},
        "brier": {"model": metrics["brier_model"], "rules": metrics["brier_rules"]},
        "calibration": metrics["calibration"],
    }


def _print(report: dict[str, Any]) -> None:
    console.print(f"{report['basis']}: {report['entries']} entries, {report['paid']} paid within the horizon")
    scores = Table(title="Model against the rules")
    for column in ("", "model", "rules"):
        scores.add_column(column, justify="right")
    scores.add_row("AUC (higher is better)", f"{report['auc']['model']:.3f}", f"{report['auc']['rules']:.3f}")
    scores.add_row("Brier (lower is better)", f"{report['brier']['model']:.3f}", f"{report['brier']['rules']:.3f}")
    console.print(scores)
    calibration = Table(title="Calibration of the model (bins of equal size by predicted probability)")
    for column in ("bin", "entries", "mean predicted", "observed"):
        calibration.add_column(column, justify="right")
    for row in report["calibration"]:
        calibration.add_row(
            str(row["bin"]), str(row["entries"]), f"{row['mean_predicted']:.3f}", f"{row['observed']:.3f}"
        )
    console.print(calibration)
