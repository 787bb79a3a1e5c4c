"""Propensity to pay: will a loan that just entered a bucket see a payment within the horizon?

Training data is every bucket entry of the tenant (entering delinquency and every
roll to a later bucket, so the model scores cases at any stage); the label is a
payment, not reversed, valued in the ``horizon_days`` after the entry day. Features
are those known at the end of the entry day only (:func:`training_frame` builds
them from events on or before it), and they are the same columns the daily scoring
reads from :func:`arrears.strategy.features.read_features`.

The model is a logistic regression on standardised features with Platt scaling
fitted on out-of-fold scores; its parameters are JSON, so scoring is a Polars
expression and no pickle is ever loaded. Until a tenant has enough history, or a
model that beats them, the transparent rules of :func:`rules_propensity` score.
docs/segmentation.md describes it all.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

import numpy as np
import polars as pl
from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from arrears.errors import InvalidInput, NotFound
from arrears.strategy.definitions import DELINQUENCY_ENTRY_MAX_DPD
from arrears.strategy.enums import Quadrant
from arrears.strategy.features import LOOKBACK_DAYS, EntryHistory, read_entry_history
from arrears.strategy.models import PropensityModel
from arrears.strategy.segmentation import (
    DEFAULT_CONFIG,
    SegmentationConfig,
    ability_score,
    quadrant_expr,
    segment,
    willingness_score,
    with_optional_columns,
)

KIND = "logistic"
RULES_SOURCE = "rules"
HORIZON_DAYS = 7
MIN_ENTRIES = 500
MIN_POSITIVES = 50
"""Below either count of labelled entries a model would learn noise: the rules score instead."""
HOLDOUT_SHARE = 0.2
"""The latest fifth of the entries' date range is held out, never trained on."""
CALIBRATION_BINS = 10
CV_FOLDS = 5
MIN_OUT_OF_TIME = 100
"""Entries after a model's training needed before ``evaluate`` judges it on them instead of its hold-out."""

FEATURES: dict[str, pl.Expr] = {
    "days_past_due": pl.col("days_past_due").cast(pl.Float64),
    "log_overdue": (pl.col("overdue_cents") / 100).log1p(),
    "log_principal": (pl.col("principal_cents") / 100).log1p(),
    "log_income": pl.col("monthly_income").fill_null(0.0).clip(0.0, None).log1p(),
    "income_known": pl.col("monthly_income").is_not_null().cast(pl.Float64),
    "has_employer": pl.col("has_employer").cast(pl.Float64).fill_null(0.5),
    "owns_home": pl.col("owns_home").cast(pl.Float64).fill_null(0.5),
    "married": pl.when(pl.col("marital_status") == "married")
    .then(1.0)
    .when(pl.col("marital_status").is_in(["single", "divorced", "widowed"]))
    .then(0.0)
    .otherwise(0.5),
    "is_local": pl.col("is_local").cast(pl.Float64).fill_null(0.5),
    "has_children": (pl.col("children") > 0).cast(pl.Float64).fill_null(0.5),
    "entries_last_year": pl.col("entries_last_year").cast(pl.Float64),
    "promises_kept": pl.col("promises_kept") + 0.5 * pl.col("promises_partly_kept"),
    "promises_broken": pl.col("promises_broken").cast(pl.Float64),
    "responsiveness": pl.when(pl.col("attempts") > 0).then(pl.col("connected") / pl.col("attempts")).otherwise(0.5),
    "log_attempts": pl.col("attempts").cast(pl.Float64).log1p(),
}
"""The model's inputs, each a column of the frames both training and daily scoring build."""

RULES: dict[str, Any] = {
    "start": 0.50,
    "per_day_past_due": -0.004,
    "days_past_due_cap": 75,  # at most -0.30
    "per_broken_promise": -0.08,
    "broken_promises_cap": 3,  # at most -0.24
    "per_kept_promise": 0.05,
    "kept_promises_cap": 3,  # at most +0.15
    "responsiveness": 0.20,  # x (connected share - 0.5), only when there were attempts
    "quadrant": {
        Quadrant.ABLE_WILLING.value: 0.10,
        Quadrant.UNABLE_WILLING.value: 0.0,
        Quadrant.ABLE_UNWILLING.value: -0.05,
        Quadrant.UNABLE_UNWILLING.value: -0.10,
    },
    "floor": 0.02,
    "ceiling": 0.98,
}
"""The fallback, whole: start at even odds and move by what a collector would weigh."""


def model_inputs(frame: pl.DataFrame) -> pl.DataFrame:
    return frame.select([expr.alias(name) for name, expr in FEATURES.items()])


def rules_propensity(frame: pl.DataFrame, config: SegmentationConfig = DEFAULT_CONFIG) -> pl.Series:
    """The transparent fallback (:data:`RULES`); uses the frame's quadrant or computes it from its columns."""
    full = with_optional_columns(frame)
    quadrant = (
        pl.col("quadrant") if "quadrant" in full.columns else quadrant_expr(ability_score(config), willingness_score())
    )
    attempts = pl.col("attempts")
    p = (
        RULES["start"]
        + RULES["per_day_past_due"] * pl.col("days_past_due").clip(0, RULES["days_past_due_cap"])
        + RULES["per_broken_promise"] * pl.col("promises_broken").clip(0, RULES["broken_promises_cap"])
        + RULES["per_kept_promise"] * pl.col("promises_kept").clip(0, RULES["kept_promises_cap"])
        + pl.when(attempts > 0).then(RULES["responsiveness"] * (pl.col("connected") / attempts - 0.5)).otherwise(0.0)
        + quadrant.replace_strict(RULES["quadrant"], return_dtype=pl.Float64)
    )
    return full.select(p.clip(RULES["floor"], RULES["ceiling"]).alias("propensity")).to_series()


def score(frame: pl.DataFrame, parameters: dict[str, Any], *, calibrated: bool = True) -> pl.Series:
    """Probabilities from a model's JSON parameters, as one Polars expression (no sklearn, no pickle)."""
    inputs = model_inputs(frame)
    terms = [
        (pl.col(name) - mean) / scale * coefficient
        for name, mean, scale, coefficient in zip(
            parameters["features"], parameters["means"], parameters["scales"], parameters["coefficients"], strict=True
        )
    ]
    z = pl.sum_horizontal(terms) + parameters["intercept"]
    if calibrated:
        z = z * parameters["calibration"]["slope"] + parameters["calibration"]["intercept"]
    return inputs.select((1.0 / (1.0 + (-z).exp())).alias("propensity")).to_series()


def propensity(frame: pl.DataFrame, model: PropensityModel | None) -> tuple[pl.Series, str]:
    """The active model's probabilities, or the rules' when there is no model; with their source."""
    if model is None:
        return rules_propensity(frame), RULES_SOURCE
    return score(frame, model.parameters), source_of(model)


def source_of(model: PropensityModel) -> str:
    return f"model:v{model.version}"


def segment_cases(
    features: pl.DataFrame,
    *,
    as_of: date,
    model: PropensityModel | None,
    config: SegmentationConfig = DEFAULT_CONFIG,
) -> pl.DataFrame:
    """Segments with their propensity: the frame :func:`arrears.strategy.features.write_segments` stores."""
    segments = segment(features, as_of=as_of, config=config)
    scores, source = propensity(features.with_columns(quadrant=segments["quadrant"]), model)
    return segments.with_columns(propensity=scores, propensity_source=pl.lit(source))


def training_frame(history: EntryHistory, *, as_of: date, horizon_days: int = HORIZON_DAYS) -> pl.DataFrame:
    """One row per entry whose horizon has passed by ``as_of``: features at the end of the entry day and ``label``.

    Every count comes from events dated on or before the entry day, so nothing that
    happens after an entry (its payments, later promises, later calls) can reach its
    features; only ``label`` looks forward, over the ``horizon_days`` after the entry.
    """
    entries = history.entries.filter(pl.col("entered_on") + timedelta(days=horizon_days) <= as_of).sort("entered_on")
    frame = entries.with_columns(
        monthly_income=pl.col("income_cents") / 100,
        has_employer=pl.col("employer").str.strip_chars().str.len_chars() > 0,
        year_before=pl.col("entered_on") - timedelta(days=LOOKBACK_DAYS),
    )
    frame = _with_label(frame, history.payments, horizon_days)
    frame = _with_late_entries(frame, history.entries)
    frame = _with_running_counts(frame, _promise_events(history.promises), ("kept", "partly_kept", "broken"))
    frame = _with_running_counts(frame, _attempt_events(history.attempts), ("attempts", "connected"))
    return frame.rename(
        {"kept": "promises_kept", "partly_kept": "promises_partly_kept", "broken": "promises_broken"}
    ).drop("year_before")


def _with_label(frame: pl.DataFrame, payments: pl.DataFrame, horizon_days: int) -> pl.DataFrame:
    """``label``: the first payment after the entry day falls within the horizon."""
    paid = payments.select("loan_id", pl.col("value_date").alias("paid_on")).unique().sort("paid_on")
    joined = frame.join_asof(
        paid,
        left_on="entered_on",
        right_on="paid_on",
        by="loan_id",
        strategy="forward",
        allow_exact_matches=False,
        check_sortedness=False,
    )
    label = (pl.col("paid_on") <= pl.col("entered_on") + timedelta(days=horizon_days)).fill_null(False)
    return joined.with_columns(label=label).drop("paid_on")


def _with_late_entries(frame: pl.DataFrame, entries: pl.DataFrame) -> pl.DataFrame:
    """``entries_last_year``: the borrower's new delinquencies in the year up to and including the entry day."""
    late = (
        entries.filter(pl.col("days_past_due") <= DELINQUENCY_ENTRY_MAX_DPD)
        .group_by("borrower_id", pl.col("entered_on").alias("day"))
        .agg(pl.len().alias("late"))
        .sort("day")
        .with_columns(pl.col("late").cum_sum().over("borrower_id"))
    )
    upto_day = _as_of_join(frame, late, "entered_on", "borrower_id", "late")
    before_year = _as_of_join(frame, late, "year_before", "borrower_id", "late")
    return frame.with_columns(entries_last_year=upto_day - before_year)


def _promise_events(promises: pl.DataFrame) -> pl.DataFrame:
    return promises.select(
        "case_id",
        pl.col("resolved_on").alias("day"),
        kept=(pl.col("status") == "kept").cast(pl.Int64),
        partly_kept=(pl.col("status") == "partly_kept").cast(pl.Int64),
        broken=(pl.col("status") == "broken").cast(pl.Int64),
    )


def _attempt_events(attempts: pl.DataFrame) -> pl.DataFrame:
    return attempts.select(
        "case_id",
        pl.col("attempted_at").dt.date().alias("day"),
        attempts=pl.lit(1, dtype=pl.Int64),
        connected=pl.col("connected").cast(pl.Int64),
    )


def _with_running_counts(frame: pl.DataFrame, events: pl.DataFrame, columns: tuple[str, ...]) -> pl.DataFrame:
    """Each column summed over the case's events dated on or before the entry day."""
    running = (
        events.group_by("case_id", "day")
        .agg(pl.col(columns).sum())
        .sort("day")
        .with_columns(pl.col(columns).cum_sum().over("case_id"))
    )
    return frame.with_columns(
        **{column: _as_of_join(frame, running, "entered_on", "case_id", column) for column in columns}
    )


def _as_of_join(frame: pl.DataFrame, running: pl.DataFrame, on: str, by: str, column: str) -> pl.Series:
    """The running total of ``column`` at the last event on or before ``frame[on]`` (0 before any), in frame order."""
    keyed = frame.select(by, pl.col(on).alias("at")).with_row_index("row")
    totals = running.select(by, "day", column)
    joined = keyed.sort("at").join_asof(
        totals, left_on="at", right_on="day", by=by, strategy="backward", check_sortedness=False
    )
    return joined.sort("row")[column].fill_null(0).alias(column)


@dataclass(frozen=True, slots=True)
class Fitted:
    parameters: dict[str, Any]
    metrics: dict[str, Any]
    trained_through: date


def holdout_cut(frame: pl.DataFrame) -> date:
    """The first day of the hold-out: the last :data:`HOLDOUT_SHARE` of the entries' date range."""
    first: date = frame["entered_on"].min()  # type: ignore[assignment]
    last: date = frame["entered_on"].max()  # type: ignore[assignment]
    return first + timedelta(days=math.ceil((last - first).days * (1 - HOLDOUT_SHARE)))


def fit(frame: pl.DataFrame, *, horizon_days: int = HORIZON_DAYS, cut: date | None = None) -> Fitted:
    """Train on entries before ``cut`` (default :func:`holdout_cut`) and measure model and rules on the rest."""
    cut = cut or holdout_cut(frame)
    train = frame.filter(pl.col("entered_on") < cut)
    holdout = frame.filter(pl.col("entered_on") >= cut)
    for part, name in ((train, "training part"), (holdout, f"hold-out from {cut}")):
        if part["label"].n_unique() < 2:
            raise InvalidInput(
                f"the {name} has {part.height} entries, all with the same outcome",
                hint="a time split needs payments and non-payments on both sides; wait for more history",
            )
    parameters = _fit_parameters(train)
    parameters["horizon_days"] = horizon_days
    metrics = {
        **measure(holdout, parameters),
        "holdout_from": cut.isoformat(),
        "training_entries": train.height,
        "training_positives": int(train["label"].sum()),
    }
    return Fitted(parameters=parameters, metrics=metrics, trained_through=train["entered_on"].max())  # type: ignore[arg-type]


def _fit_parameters(train: pl.DataFrame) -> dict[str, Any]:
    # scikit-learn takes seconds to import: only training and evaluation load it, never the CLI's start or scoring
    from sklearn.linear_model import LogisticRegression
    from sklearn.model_selection import StratifiedKFold, cross_val_predict

    x = model_inputs(train).to_numpy()
    y = train["label"].to_numpy()
    means = x.mean(axis=0)
    scales = x.std(axis=0)
    scales[scales == 0] = 1.0
    standard = (x - means) / scales
    model = LogisticRegression(C=1.0, max_iter=1000).fit(standard, y)
    folds = StratifiedKFold(n_splits=CV_FOLDS)
    out_of_fold = cross_val_predict(
        LogisticRegression(C=1.0, max_iter=1000), standard, y, cv=folds, method="decision_function"
    )
    platt = LogisticRegression(C=1e6, max_iter=1000).fit(out_of_fold.reshape(-1, 1), y)
    return {
        "features": list(FEATURES),
        "means": means.tolist(),
        "scales": scales.tolist(),
        "coefficients": model.coef_[0].tolist(),
        "intercept": float(model.intercept_[0]),
        "calibration": {
            "method": "platt",
            "slope": float(platt.coef_[0][0]),
            "intercept": float(platt.intercept_[0]),
        },
    }


def measure(holdout: pl.DataFrame, parameters: dict[str, Any]) -> dict[str, Any]:
    """AUC and Brier score of the model and of the rules on the same entries, and the model's calibration table."""
    from sklearn.metrics import brier_score_loss, roc_auc_score

    labels = holdout["label"].cast(pl.Int64).to_numpy()
    model = score(holdout, parameters).to_numpy()
    rules = rules_propensity(holdout).to_numpy()
    return {
        "holdout_entries": holdout.height,
        "holdout_positives": int(labels.sum()),
        "auc_model": float(roc_auc_score(labels, model)),
        "auc_rules": float(roc_auc_score(labels, rules)),
        "brier_model": float(brier_score_loss(labels, model)),
        "brier_rules": float(brier_score_loss(labels, rules)),
        "calibration": calibration_table(model, labels),
    }


def calibration_table(predicted: np.ndarray[Any, Any], observed: np.ndarray[Any, Any]) -> list[dict[str, Any]]:
    """Entries in :data:`CALIBRATION_BINS` bins of equal size by predicted probability: mean predicted vs observed."""
    frame = pl.DataFrame({"predicted": predicted, "observed": observed.astype(float)}).sort("predicted")
    binned = frame.with_row_index("rank").with_columns(
        bin=(pl.col("rank") * CALIBRATION_BINS // frame.height + 1).cast(pl.Int64)
    )
    table = (
        binned.group_by("bin")
        .agg(
            entries=pl.len(),
            mean_predicted=pl.col("predicted").mean(),
            observed=pl.col("observed").mean(),
        )
        .sort("bin")
    )
    return table.to_dicts()


def active_model(*, db_session: Session, tenant_id: int) -> PropensityModel | None:
    return db_session.scalar(
        select(PropensityModel).where(PropensityModel.tenant_id == tenant_id, PropensityModel.active.is_(True))
    )


def labelled_entries(
    *, db_session: Session, tenant_id: int, as_of: date, horizon_days: int = HORIZON_DAYS
) -> pl.DataFrame:
    history = read_entry_history(db_session=db_session, tenant_id=tenant_id, through=as_of)
    return training_frame(history, as_of=as_of, horizon_days=horizon_days)


def train(
    *,
    db_session: Session,
    tenant_id: int,
    as_of: date,
    horizon_days: int = HORIZON_DAYS,
    min_entries: int = MIN_ENTRIES,
    min_positives: int = MIN_POSITIVES,
) -> PropensityModel:
    """Fit and store the tenant's next model version; it becomes active only if it beats the rules on the hold-out."""
    if horizon_days < 1:
        raise InvalidInput("the horizon must be at least one day", where="--horizon-days")
    frame = labelled_entries(db_session=db_session, tenant_id=tenant_id, as_of=as_of, horizon_days=horizon_days)
    positives = int(frame["label"].sum())
    if frame.height < min_entries or positives < min_positives:
        raise InvalidInput(
            f"not enough history: {frame.height} labelled bucket entries with {positives} paid within "
            f"{horizon_days} days; training needs at least {min_entries} entries and {min_positives} paid",
            hint="the rules fallback scores until then",
        )
    fitted = fit(frame, horizon_days=horizon_days)
    beats_rules = fitted.metrics["auc_model"] > fitted.metrics["auc_rules"]
    if beats_rules:
        db_session.execute(update(PropensityModel).where(PropensityModel.tenant_id == tenant_id).values(active=False))
    latest = db_session.scalar(select(func.max(PropensityModel.version)).where(PropensityModel.tenant_id == tenant_id))
    model = PropensityModel(
        tenant_id=tenant_id,
        version=(latest or 0) + 1,
        kind=KIND,
        horizon_days=horizon_days,
        trained_through=fitted.trained_through,
        parameters=fitted.parameters,
        metrics=fitted.metrics,
        active=beats_rules,
    )
    db_session.add(model)
    db_session.flush()
    return model


@dataclass(frozen=True, slots=True)
class Evaluation:
    """How a model does against the rules, on entries it never saw."""

    version: int
    active: bool
    basis: str
    metrics: dict[str, Any]


def evaluate(*, db_session: Session, tenant_id: int, as_of: date) -> Evaluation:
    """Judge the active model (else the newest) on the entries after its training, or on its stored hold-out.

    Entries after ``trained_through`` whose horizon has passed by ``as_of`` are a
    fresh out-of-time sample; with fewer than :data:`MIN_OUT_OF_TIME` of them (or
    only one outcome) the metrics measured at training time are reported.
    """
    model = active_model(db_session=db_session, tenant_id=tenant_id) or db_session.scalar(
        select(PropensityModel)
        .where(PropensityModel.tenant_id == tenant_id)
        .order_by(PropensityModel.version.desc())
        .limit(1)
    )
    if model is None:
        raise NotFound("the tenant has no propensity model", hint="train one with `arrears model train`")
    frame = labelled_entries(
        db_session=db_session, tenant_id=tenant_id, as_of=as_of, horizon_days=model.horizon_days
    ).filter(pl.col("entered_on") > model.trained_through)
    if frame.height >= MIN_OUT_OF_TIME and frame["label"].n_unique() == 2:
        basis = f"out of time: {frame.height} entries after {model.trained_through}"
        return Evaluation(model.version, model.active, basis, measure(frame, model.parameters))
    basis = f"hold-out at training: entries from {model.metrics['holdout_from']}"
    return Evaluation(model.version, model.active, basis, model.metrics)
