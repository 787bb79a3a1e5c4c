"""``/metrics`` and the JSON request log: latency per route template, the business gauges from the database."""

from __future__ import annotations

import json
import logging
import logging.config
from datetime import UTC, date, datetime
from decimal import Decimal

import pytest
from fastapi.testclient import TestClient
from prometheus_client.parser import text_string_to_metric_families
from sqlalchemy.orm import Session

from arrears.audit.service import record_many
from arrears.strategy.enums import RunStatus
from arrears.strategy.models import QueueEntry, Run, RunStep
from arrears.web.observability import log_config
from tests.factories import Factories
from tests.web.conftest import Issue, bearer


def samples(client: TestClient) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    response = client.get("/metrics")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/plain")
    return {
        (sample.name, tuple(sorted(sample.labels.items()))): sample.value
        for family in text_string_to_metric_families(response.text)
        for sample in family.samples
    }


def test_latency_is_labelled_by_route_template_not_by_path(client: TestClient, issue: Issue) -> None:
    secret = issue("analytics:read")
    params = {"from": "2026-03-01", "to": "2026-03-31"}
    client.get("/api/v1/analytics/contact_rates", params=params, headers=bearer(secret))
    client.get("/api/v1/analytics/promises_kept", params=params, headers=bearer(secret))
    client.get("/no/such/page/12345")

    found = samples(client)

    key = (("method", "GET"), ("route", "/api/v1/analytics/{measure}"), ("status", "200"))
    assert found[("arrears_http_request_seconds_count", key)] >= 2
    assert not any("12345" in str(labels) or "contact_rates" in str(labels) for _, labels in found)
    assert any(dict(labels).get("route") == "<unmatched>" for _, labels in found)


def test_run_stages_and_guard_decisions_are_read_from_the_database(
    client: TestClient, db_session: Session, factories: Factories
) -> None:
    """The latest run of the tenant took 2 s + 3 s in 'pass' (two partitions) and 1 s in 'segment'.
    An older run is ignored. The audit log holds 2 refusals and 1 allowed contact.
    """
    tenant = factories.tenant()
    t0 = datetime(2026, 3, 2, 1, tzinfo=UTC)
    old = Run(tenant_id=tenant.id, as_of=date(2026, 3, 1), status=RunStatus.DONE, started_at=t0)
    new = Run(tenant_id=tenant.id, as_of=date(2026, 3, 2), status=RunStatus.DONE, started_at=t0)
    db_session.add_all([old, new])
    db_session.flush()

    def step(run: Run, stage: str, partition: int, seconds: int) -> RunStep:
        return RunStep(
            run_id=run.id,
            stage=stage,
            partition=partition,
            status=RunStatus.DONE,
            started_at=t0,
            finished_at=t0.replace(second=seconds),
        )

    db_session.add_all(
        [step(old, "pass", 0, 50), step(new, "pass", 0, 2), step(new, "pass", 1, 3), step(new, "segment", 0, 1)]
    )
    record_many(
        db_session=db_session,
        rows=[
            {"actor": "t", "action": action, "subject_type": "case", "tenant_id": tenant.id}
            for action in ("contact.blocked", "contact.blocked", "contact.allowed")
        ],
    )
    db_session.flush()

    found = samples(client)

    code = tenant.code
    assert found[("arrears_run_stage_seconds", (("stage", "pass"), ("tenant", code)))] == 5.0
    assert found[("arrears_run_stage_seconds", (("stage", "segment"), ("tenant", code)))] == 1.0
    assert found[("arrears_run_stage_steps", (("stage", "pass"), ("status", "done"), ("tenant", code)))] == 2
    assert found[("arrears_guard_decisions", (("decision", "blocked"), ("tenant", code)))] == 2
    assert found[("arrears_guard_decisions", (("decision", "allowed"), ("tenant", code)))] == 1


def test_each_request_is_one_json_log_line(
    client: TestClient, issue: Issue, capsys: pytest.CaptureFixture[str]
) -> None:
    logging.config.dictConfig(log_config())
    try:
        client.get("/api/v1/analytics/measures", headers=bearer(issue("analytics:read")))
        lines = [json.loads(line) for line in capsys.readouterr().err.splitlines() if line.startswith("{")]
    finally:
        logging.config.dictConfig({"version": 1, "disable_existing_loggers": False, "root": {"handlers": []}})

    entry = next(line for line in lines if line.get("route") == "/api/v1/analytics/measures")
    assert entry["message"] == "request"
    assert entry["level"] == "INFO"
    assert entry["logger"] == "arrears.web"
    assert entry["status"] == 200
    assert entry["method"] == "GET"
    assert entry["duration_ms"] >= 0


def test_queue_sizes_count_the_latest_days_entries_per_tenant(
    client: TestClient, db_session: Session, factories: Factories
) -> None:
    """Two cases queued for the tenant's collector on the latest day, one on the day before (not counted)."""
    tenant = factories.tenant()
    collector = factories.user(tenant)
    cases = [factories.case(factories.borrower(tenant)) for _ in range(3)]
    latest, before = date(2030, 1, 2), date(2030, 1, 1)
    for rank, (case, day) in enumerate(zip(cases, (latest, latest, before), strict=True)):
        db_session.add(
            QueueEntry(as_of=day, user_id=collector.id, case_id=case.id, rank=rank, expected_value=Decimal("1"))
        )
    db_session.flush()

    found = samples(client)

    assert found[("arrears_queue_entries", (("tenant", tenant.code),))] == 2
