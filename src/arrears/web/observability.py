"""What operators watch: Prometheus metrics at ``/metrics`` and one JSON log line per request.

Request latency is a histogram labelled by the *route template*
(``/api/v1/analytics/{measure}``, never the filled-in path, so the number of series
stays bounded) with method and status. The business gauges are read from the
database at scrape time, through the scrape's own session, with one aggregate query each: the stages of each
tenant's latest end-of-day run, today's work queues and due actions, the outbox
by status and channel, and the guard's decisions from the audit log.

Each app gets its own registry, so several apps in one process (tests) do not clash.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Awaitable, Callable, Iterator
from typing import Any

from fastapi import FastAPI, Request, Response
from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, Histogram, generate_latest
from prometheus_client.core import GaugeMetricFamily, Metric
from prometheus_client.registry import Collector
from pythonjsonlogger.json import JsonFormatter
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from arrears.audit.models import AuditRecord
from arrears.comms.models import Message
from arrears.org.models import Tenant, User
from arrears.strategy.enums import ActionStatus
from arrears.strategy.models import CollectionAction, QueueEntry, Run, RunStep
from arrears.web.deps import DbSession

LOG = logging.getLogger("arrears.web")
UNMATCHED = "<unmatched>"
LATENCY_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0)
GUARD_ACTIONS = ("contact.allowed", "contact.blocked")


def route_template(request: Request) -> str:
    """The path pattern the request matched, or ``<unmatched>`` (an unknown path must not become a label)."""
    route = request.scope.get("route")
    path = getattr(route, "path", None)
    return path if isinstance(path, str) else UNMATCHED


class DatabaseCollector(Collector):
    """Business gauges read through one scrape's database session."""

    def __init__(self, db_session: Session) -> None:
        self.db_session = db_session

    def collect(self) -> Iterator[Metric]:
        yield from run_stage_seconds(self.db_session)
        yield from queue_sizes(self.db_session)
        yield from outbox(self.db_session)
        yield from guard_decisions(self.db_session)


def run_stage_seconds(db_session: Session) -> Iterator[Metric]:
    """Seconds each stage took in each tenant's latest run (summed over its partitions), and the run's day."""
    latest = select(Run.tenant_id, func.max(Run.id).label("run_id")).group_by(Run.tenant_id).subquery()
    seconds = GaugeMetricFamily(
        "arrears_run_stage_seconds",
        "seconds of work per stage in the latest end-of-day run",
        labels=["tenant", "stage"],
    )
    steps = GaugeMetricFamily(
        "arrears_run_stage_steps", "steps per stage and status in the latest run", labels=["tenant", "stage", "status"]
    )
    rows = db_session.execute(
        select(Tenant.code, RunStep.stage, RunStep.status, RunStep.started_at, RunStep.finished_at)
        .join(latest, latest.c.run_id == RunStep.run_id)
        .join(Tenant, Tenant.id == latest.c.tenant_id)
    ).all()
    totals: dict[tuple[str, str], float] = {}
    counts: dict[tuple[str, str, str], int] = {}
    for tenant, stage, state, started, finished in rows:
        if finished is not None:
            totals[(tenant, stage)] = totals.get((tenant, stage), 0.0) + (finished - started).total_seconds()
        key = (tenant, stage, str(state))
        counts[key] = counts.get(key, 0) + 1
    for (tenant, stage), value in sorted(totals.items()):
        seconds.add_metric([tenant, stage], value)
    for (tenant, stage, status), count in sorted(counts.items()):
        steps.add_metric([tenant, stage, status], count)
    yield seconds
    yield steps


def queue_sizes(db_session: Session) -> Iterator[Metric]:
    """Cases in the latest day's work queues, and collection actions still due, per tenant."""
    queued = GaugeMetricFamily("arrears_queue_entries", "cases in the latest day's work queues", labels=["tenant"])
    day = db_session.scalar(select(func.max(QueueEntry.as_of)))
    if day is not None:
        for code, count in db_session.execute(
            select(Tenant.code, func.count())
            .select_from(QueueEntry)
            .join(User, User.id == QueueEntry.user_id)
            .join(Tenant, Tenant.id == User.tenant_id)
            .where(QueueEntry.as_of == day)
            .group_by(Tenant.code)
        ):
            queued.add_metric([code], count)
    yield queued
    due = GaugeMetricFamily("arrears_actions_due", "collection actions not yet done", labels=["treatment"])
    for treatment, count in db_session.execute(
        select(CollectionAction.treatment, func.count())
        .where(CollectionAction.status == ActionStatus.DUE)
        .group_by(CollectionAction.treatment)
    ):
        due.add_metric([str(treatment)], count)
    yield due


def outbox(db_session: Session) -> Iterator[Metric]:
    """Letters, texts and emails by channel and delivery status (queued ones are the send queue)."""
    family = GaugeMetricFamily(
        "arrears_messages", "outbox messages by channel and status", labels=["channel", "status"]
    )
    for channel, status, count in db_session.execute(
        select(Message.channel, Message.status, func.count()).group_by(Message.channel, Message.status)
    ):
        family.add_metric([str(channel), str(status)], count)
    yield family


def guard_decisions(db_session: Session) -> Iterator[Metric]:
    """The guard's audited decisions so far, per tenant: allowed and blocked (a counter: it only grows)."""
    family = GaugeMetricFamily(
        "arrears_guard_decisions", "contact guard decisions recorded in the audit log", labels=["tenant", "decision"]
    )
    for code, action, count in db_session.execute(
        select(Tenant.code, AuditRecord.action, func.count())
        .join(Tenant, Tenant.id == AuditRecord.tenant_id)
        .where(AuditRecord.action.in_(GUARD_ACTIONS))
        .group_by(Tenant.code, AuditRecord.action)
    ):
        family.add_metric([code, action.removeprefix("contact.")], count)
    yield family


def install(app: FastAPI) -> CollectorRegistry:
    """Time every request, log it as one JSON line, and serve ``/metrics`` from the app's own registry."""
    registry = CollectorRegistry()
    latency = Histogram(
        "arrears_http_request_seconds",
        "time to answer an HTTP request",
        labelnames=["method", "route", "status"],
        buckets=LATENCY_BUCKETS,
        registry=registry,
    )

    @app.middleware("http")
    async def observe(request: Request, call_next: Callable[[Request], Awaitable[Response]]) -> Response:
        started = time.perf_counter()
        status = 500
        try:
            response = await call_next(request)
            status = response.status_code
            return response
        finally:
            elapsed = time.perf_counter() - started
            route = route_template(request)
            latency.labels(request.method, route, str(status)).observe(elapsed)
            LOG.info(
                "request",
                extra={
                    "method": request.method,
                    "route": route,
                    "path": request.url.path,
                    "status": status,
                    "duration_ms": round(elapsed * 1000, 3),
                },
            )

    @app.get("/metrics", include_in_schema=False)
    def metrics(db_session: DbSession) -> Response:
        business = CollectorRegistry()
        business.register(DatabaseCollector(db_session))
        return Response(generate_latest(registry) + generate_latest(business), media_type=CONTENT_TYPE_LATEST)

    return registry


def log_config(level: str = "INFO") -> dict[str, Any]:
    """A ``logging.config.dictConfig`` for ``arrears serve``: every logger, uvicorn's included, as JSON lines."""
    return {
        "version": 1,
        "disable_existing_loggers": False,
        "formatters": {
            "json": {
                "()": JsonFormatter,
                "fmt": "%(asctime)s %(levelname)s %(name)s %(message)s",
                "rename_fields": {"asctime": "time", "levelname": "level", "name": "logger"},
                "datefmt": "%Y-%m-%dT%H:%M:%S%z",
            }
        },
        "handlers": {"stderr": {"class": "logging.StreamHandler", "formatter": "json", "stream": "ext://sys.stderr"}},
        "root": {"handlers": ["stderr"], "level": level},
        "loggers": {
            "uvicorn": {"handlers": [], "propagate": True, "level": level},
            "uvicorn.error": {"handlers": [], "propagate": True, "level": level},
            # Our middleware logs each request with its route and timing; uvicorn's access line would repeat it.
            "uvicorn.access": {"handlers": [], "propagate": False, "level": "WARNING"},
        },
    }
