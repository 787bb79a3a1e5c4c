"""Propensity to pay: a model that learns a tenant's history, never sees the future, and falls back to rules."""

from __future__ import annotations

import json
import math
from collections.abc import Iterator
from datetime import date, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

import numpy as np
import polars as pl
import pytest
from sklearn.linear_model import LogisticRegression
from sqlalchemy import insert
from sqlalchemy.orm import Session
from typer.testing import CliRunner

from arrears.cases.models import Case
from arrears.cli.main import app as main_app
from arrears.db.migrate import upgrade
from arrears.db.session import create_db_engine, make_session_factory
from arrears.delinquency.models import BucketHistory
from arrears.errors import InvalidInput, NotFound, exit_code_for
from arrears.ledger.models import Loan, Payment
from arrears.org.models import Tenant
from arrears.portfolio.models import Borrower
from arrears.settings import get_settings
from arrears.strategy.features import ATTEMPT_SCHEMA, ENTRY_SCHEMA, PAYMENT_SCHEMA, PROMISE_SCHEMA, EntryHistory
from arrears.strategy.propensity import (
    RULES_SOURCE,
    active_model,
    evaluate,
    fit,
    model_inputs,
    rules_propensity,
    score,
    segment_cases,
    train,
    training_frame,
)
from arrears.strategy.segmentation import FEATURE_SCHEMA
from tests.factories import Factories

START = date(2025, 1, 1)
SPAN_DAYS = 400
AS_OF = START + timedelta(days=SPAN_DAYS + 30)

runner = CliRunner()


def _synthetic(entries: int, seed: int = 7) -> tuple[pl.DataFrame, pl.DataFrame]:
    """Entries, one loan each, and payments: paying depends on being local and on a small overdue amount.

    The rules know neither, so a model that learns them must beat the rules.
    """
    rng = np.random.default_rng(seed)
    ids = np.arange(1, entries + 1)
    local = rng.random(entries) < 0.5
    overdue = rng.lognormal(mean=7.5, sigma=0.8, size=entries)
    logit = -0.3 + 1.6 * local - 1.4 * (np.log(overdue) - 7.5)
    paid = rng.random(entries) < 1 / (1 + np.exp(-logit))
    entered = [START + timedelta(days=int(day)) for day in rng.integers(0, SPAN_DAYS, entries)]
    frame = pl.DataFrame(
        {
            "entry_id": ids,
            "loan_id": ids,
            "case_id": ids,
            "borrower_id": ids,
            "entered_on": entered,
            "days_past_due": rng.choice([1, 6, 11, 31], entries),
            "overdue_cents": (overdue * 100).astype(np.int64),
            "principal_cents": rng.integers(300_000, 3_000_000, entries),
            "income_cents": rng.integers(300_000, 1_500_000, entries),
            "employer": ["厂"] * entries,
            "owns_home": rng.random(entries) < 0.4,
            "marital_status": ["married"] * entries,
            "children": [1] * entries,
            "is_local": local,
            "birth_date": [date(1985, 1, 1)] * entries,
        },
        schema=ENTRY_SCHEMA,
    )
    lags = rng.integers(1, 8, entries)
    payments = pl.DataFrame(
        {
            "loan_id": ids[paid],
            "value_date": [
                day + timedelta(days=int(lag)) for day, lag, p in zip(entered, lags, paid, strict=True) if p
            ],
        },
        schema=PAYMENT_SCHEMA,
    )
    return frame, payments


def _history(
    entries: pl.DataFrame,
    payments: pl.DataFrame | None = None,
    promises: list[tuple[int, date, str]] | None = None,
    attempts: list[tuple[int, date, bool]] | None = None,
) -> EntryHistory:
    return EntryHistory(
        entries=entries,
        payments=pl.DataFrame(schema=PAYMENT_SCHEMA) if payments is None else payments.cast(PAYMENT_SCHEMA),  # type: ignore[arg-type]
        promises=pl.DataFrame(promises or [], schema=PROMISE_SCHEMA, orient="row"),
        attempts=pl.DataFrame(
            [
                (case_id, datetime(day.year, day.month, day.day, 12), connected)
                for case_id, day, connected in attempts or []
            ],
            schema=ATTEMPT_SCHEMA,
            orient="row",
        ),
    )


@pytest.fixture(scope="module")
def synthetic() -> pl.DataFrame:
    entries, payments = _synthetic(3000)
    return training_frame(_history(entries, payments), as_of=AS_OF)


def test_the_model_learns_what_the_rules_cannot_see(synthetic: pl.DataFrame) -> None:
    metrics = fit(synthetic).metrics

    assert metrics["holdout_entries"] > 400
    assert metrics["auc_model"] > 0.75
    assert metrics["auc_model"] > metrics["auc_rules"] + 0.1
    assert metrics["brier_model"] < metrics["brier_rules"]


def test_the_model_is_calibrated_on_the_holdout(synthetic: pl.DataFrame) -> None:
    table = fit(synthetic).metrics["calibration"]

    assert [row["bin"] for row in table] == list(range(1, 11))
    gaps = [abs(row["mean_predicted"] - row["observed"]) for row in table]
    assert sum(gaps) / len(gaps) < 0.08
    predicted = [row["mean_predicted"] for row in table]
    assert predicted == sorted(predicted)
    assert table[-1]["observed"] - table[0]["observed"] > 0.4


def test_the_holdout_is_the_latest_fifth_of_the_time_range(synthetic: pl.DataFrame) -> None:
    fitted = fit(synthetic)
    cut = date.fromisoformat(fitted.metrics["holdout_from"])

    first, last = synthetic["entered_on"].min(), synthetic["entered_on"].max()
    assert isinstance(first, date)
    assert isinstance(last, date)

    assert fitted.trained_through < cut
    assert (cut - first).days == math.ceil((last - first).days * 0.8)
    assert fitted.metrics["training_entries"] + fitted.metrics["holdout_entries"] == synthetic.height


def test_scoring_from_json_equals_sklearn(synthetic: pl.DataFrame) -> None:
    parameters = fit(synthetic).parameters
    train = synthetic.filter(pl.col("entered_on") < date.fromisoformat(fit(synthetic).metrics["holdout_from"]))
    x = (model_inputs(train).to_numpy() - parameters["means"]) / parameters["scales"]
    model = LogisticRegression(C=1.0, max_iter=1000).fit(x, train["label"].to_numpy())
    everyone = (model_inputs(synthetic).to_numpy() - parameters["means"]) / parameters["scales"]
    platt = parameters["calibration"]
    calibrated = 1 / (1 + np.exp(-(model.decision_function(everyone) * platt["slope"] + platt["intercept"])))

    assert np.allclose(score(synthetic, parameters, calibrated=False).to_numpy(), model.predict_proba(everyone)[:, 1])
    assert np.allclose(score(synthetic, parameters).to_numpy(), calibrated)


def test_the_label_counts_payments_in_the_days_after_the_entry_only() -> None:
    entries = _synthetic(4)[0].with_columns(entered_on=pl.lit(date(2026, 1, 10)))
    payments = pl.DataFrame(
        {
            "loan_id": [1, 2, 3, 3],
            "value_date": [date(2026, 1, 10), date(2026, 1, 17), date(2026, 1, 18), date(2026, 1, 5)],
        }
    )

    frame = training_frame(_history(entries, payments), as_of=date(2026, 1, 17), horizon_days=7)

    assert frame.sort("loan_id")["label"].to_list() == [False, True, False, False]
    assert training_frame(_history(entries, payments), as_of=date(2026, 1, 16)).height == 0


def test_nothing_after_the_entry_day_reaches_the_features() -> None:
    entries = _synthetic(2)[0].with_columns(
        entered_on=pl.lit(date(2026, 1, 10)), days_past_due=pl.lit(1, dtype=pl.Int64)
    )
    day = date(2026, 1, 10)
    before = _history(
        entries,
        promises=[(1, day - timedelta(days=3), "broken"), (1, day, "kept")],
        attempts=[(1, day, True), (1, day - timedelta(days=1), False)],
    )
    after = _history(
        entries.vstack(
            entries.with_columns(entry_id=pl.lit(9, dtype=pl.Int64), entered_on=pl.lit(day + timedelta(days=2)))
        ),
        payments=pl.DataFrame({"loan_id": [1, 2], "value_date": [day + timedelta(days=1), day + timedelta(days=2)]}),
        promises=[
            *before.promises.rows(),
            (1, day + timedelta(days=1), "broken"),
            (2, day + timedelta(days=5), "kept"),
        ],
        attempts=[(1, day, True), (1, day - timedelta(days=1), False), (1, day + timedelta(days=1), True)],
    )
    columns = [*FEATURE_SCHEMA.keys() - {"reason", "persona"}, "days_past_due", "overdue_cents"]

    seen = training_frame(before, as_of=date(2026, 2, 1)).sort("entry_id").select(columns)
    later = training_frame(after, as_of=date(2026, 2, 1)).filter(pl.col("entry_id") != 9).sort("entry_id")

    assert later.select(columns).equals(seen)
    assert later["label"].to_list() == [True, True]
    first = seen.filter(pl.col("case_id") == 1).row(0, named=True)
    assert (first["promises_broken"], first["promises_kept"], first["attempts"], first["connected"]) == (1, 1, 2, 1)
    assert first["entries_last_year"] == 1


def test_delinquency_entries_count_over_the_year_up_to_the_entry() -> None:
    base = _synthetic(1)[0]
    days = [date(2025, 1, 5), date(2025, 6, 1), date(2025, 6, 20), date(2026, 1, 5)]
    dpds = [1, 1, 11, 1]
    entries = pl.concat(
        base.with_columns(
            entry_id=pl.lit(n, dtype=pl.Int64), entered_on=pl.lit(day), days_past_due=pl.lit(dpd, dtype=pl.Int64)
        )
        for n, (day, dpd) in enumerate(zip(days, dpds, strict=True), 1)
    )

    frame = training_frame(_history(entries), as_of=date(2026, 3, 1)).sort("entry_id")

    assert frame["entries_last_year"].to_list() == [1, 2, 2, 2]


def _rules_row(**values: Any) -> pl.DataFrame:
    row = {"days_past_due": 10, "promises_broken": 1, "promises_kept": 0, "attempts": 4, "connected": 3}
    return pl.DataFrame([row | values])


@pytest.mark.parametrize(
    ("values", "expected"),
    [
        ({"quadrant": "able_willing"}, 0.5 - 0.04 - 0.08 + 0.05 + 0.10),
        ({"quadrant": "unable_unwilling", "attempts": 0}, 0.5 - 0.04 - 0.08 - 0.10),
        ({"quadrant": "able_unwilling", "days_past_due": 400, "promises_broken": 9}, 0.02),
        ({"quadrant": "unable_willing", "days_past_due": 0, "promises_broken": 0, "promises_kept": 5}, 0.70),
    ],
)
def test_the_rules_by_hand(values: dict[str, Any], expected: float) -> None:
    assert rules_propensity(_rules_row(**values)).item() == pytest.approx(expected)


def test_the_rules_work_out_the_quadrant_when_the_frame_has_none(synthetic: pl.DataFrame) -> None:
    scores = rules_propensity(synthetic)

    assert scores.len() == synthetic.height
    assert scores.is_between(0.02, 0.98).all()


def test_without_a_model_the_rules_score_cases() -> None:
    features = pl.DataFrame(
        [dict.fromkeys(FEATURE_SCHEMA) | _rules_row().row(0, named=True) | {"case_id": 1}], schema=FEATURE_SCHEMA
    ).with_columns(days_past_due=pl.lit(10), overdue_cents=pl.lit(10_000), principal_cents=pl.lit(100_000))

    segments = segment_cases(features, as_of=AS_OF, model=None)

    assert segments["propensity_source"].to_list() == [RULES_SOURCE]
    assert segments["propensity"].item() == pytest.approx(rules_propensity(features).item())


def _insert(db_session: Session, model: Any, rows: list[dict[str, Any]]) -> list[int]:
    stmt = insert(model).returning(model.id, sort_by_parameter_order=True)
    return list(db_session.scalars(stmt, rows))


def _store_history(db_session: Session, factories: Factories, tenant: Tenant, entries: int, seed: int = 7) -> None:
    """A synthetic history in one bulk insert per table: a borrower, loan and case per entry, and the payments."""
    frame, payments = _synthetic(entries, seed)
    product, version = factories.product(tenant)
    rows = frame.to_dicts()
    borrowers = _insert(
        db_session,
        Borrower,
        [
            {
                "tenant_id": tenant.id,
                "external_id": f"SYN{tenant.id}-{row['entry_id']}",
                "name": "合成",
                "is_local": row["is_local"],
                "owns_home": row["owns_home"],
                "monthly_income": Decimal(row["income_cents"]) / 100,
            }
            for row in rows
        ],
    )
    loans = _insert(
        db_session,
        Loan,
        [
            {
                "tenant_id": tenant.id,
                "borrower_id": borrower,
                "product_id": product.id,
                "rule_version_id": version.id,
                "account_number": f"SYN{tenant.id}-{row['entry_id']}",
                "principal": Decimal(row["principal_cents"]) / 100,
                "contract_date": START,
                "disbursed_on": START,
            }
            for borrower, row in zip(borrowers, rows, strict=True)
        ],
    )
    _insert(
        db_session,
        Case,
        [{"tenant_id": tenant.id, "borrower_id": borrower, "opened_on": START} for borrower in borrowers],
    )
    _insert(
        db_session,
        BucketHistory,
        [
            {
                "loan_id": loan,
                "bucket": "M1",
                "entered_on": row["entered_on"],
                "dpd_at_entry": row["days_past_due"],
                "overdue_at_entry": Decimal(row["overdue_cents"]) / 100,
            }
            for loan, row in zip(loans, rows, strict=True)
        ],
    )
    loan_of = dict(zip(frame["loan_id"].to_list(), loans, strict=True))
    _insert(
        db_session,
        Payment,
        [
            {"loan_id": loan_of[row["loan_id"]], "reference": f"SYN{n}", "value_date": row["value_date"], "amount": 1}
            for n, row in enumerate(payments.to_dicts())
        ],
    )


def test_a_short_history_keeps_the_rules_and_says_how_much_is_missing(
    db_session: Session, factories: Factories
) -> None:
    tenant = factories.tenant()
    _store_history(db_session, factories, tenant, 40)

    with pytest.raises(InvalidInput, match=r"40 labelled bucket entries with \d+ paid within 7 days.*at least 500"):
        train(db_session=db_session, tenant_id=tenant.id, as_of=AS_OF)
    assert active_model(db_session=db_session, tenant_id=tenant.id) is None
    with pytest.raises(NotFound):
        evaluate(db_session=db_session, tenant_id=tenant.id, as_of=AS_OF)


def test_training_stores_a_version_that_beats_the_rules_and_activates_it(
    db_session: Session, factories: Factories
) -> None:
    tenant = factories.tenant()
    _store_history(db_session, factories, tenant, 700)

    first = train(db_session=db_session, tenant_id=tenant.id, as_of=AS_OF)
    second = train(db_session=db_session, tenant_id=tenant.id, as_of=AS_OF)
    evaluation = evaluate(db_session=db_session, tenant_id=tenant.id, as_of=AS_OF)

    assert (first.version, second.version) == (1, 2)
    assert first.metrics["auc_model"] > first.metrics["auc_rules"]
    assert active_model(db_session=db_session, tenant_id=tenant.id) is second
    assert not first.active
    assert second.parameters["features"][0] == "days_past_due"
    assert (evaluation.version, evaluation.active) == (2, True)
    assert evaluation.metrics["auc_model"] == pytest.approx(second.metrics["auc_model"])


@pytest.fixture
def cli_database(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Session]:
    """A migrated SQLite file the CLI is pointed at, and a session on it for the arrangement."""
    url = f"sqlite:///{tmp_path}/arrears.sqlite3"
    upgrade(url)
    monkeypatch.setenv("ARREARS_DATABASE_URL", url)
    get_settings.cache_clear()
    engine = create_db_engine(url)
    with make_session_factory(engine)() as db_session:
        yield db_session
    engine.dispose()
    get_settings.cache_clear()


def test_the_commands_say_in_one_line_how_much_history_is_missing(cli_database: Session) -> None:
    with cli_database.begin():
        Factories(cli_database).tenant("acme")

    trained = runner.invoke(main_app, ["model", "train", "--tenant", "acme", "--as-of", "2026-03-01"])
    evaluated = runner.invoke(main_app, ["model", "evaluate", "--tenant", "acme", "--as-of", "2026-03-01"])

    assert isinstance(trained.exception, InvalidInput)
    assert exit_code_for(trained.exception) == 2
    assert "0 labelled bucket entries" in trained.exception.one_line()
    assert "at least 500 entries and 50 paid" in trained.exception.one_line()
    assert isinstance(evaluated.exception, NotFound)
    assert "arrears model train" in evaluated.exception.one_line()


def test_train_and_evaluate_print_auc_brier_and_calibration(cli_database: Session) -> None:
    with cli_database.begin():
        factories = Factories(cli_database)
        _store_history(cli_database, factories, factories.tenant("acme"), 700)

    trained = runner.invoke(main_app, ["model", "train", "--tenant", "acme", "--as-of", AS_OF.isoformat()])
    evaluated = runner.invoke(
        main_app, ["model", "evaluate", "--tenant", "acme", "--as-of", AS_OF.isoformat(), "--json"]
    )

    assert trained.exit_code == 0, trained.output
    assert "propensity model v1" in trained.output
    assert "AUC" in trained.output
    assert "Brier" in trained.output
    assert "mean predicted" in trained.output
    report = json.loads(evaluated.output)
    assert report["version"] == 1
    assert report["auc"]["model"] > report["auc"]["rules"]
    assert len(report["calibration"]) == 10
