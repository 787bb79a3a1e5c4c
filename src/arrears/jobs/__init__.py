"""Background and batch work on a task queue: Procrastinate on PostgreSQL, in process on SQLite."""

from arrears.jobs.queue import QUEUE, conninfo, ensure_schema, make_app, run_day_on_queue

__all__ = ["QUEUE", "conninfo", "ensure_schema", "make_app", "run_day_on_queue"]
