"""Background and batch work on a task queue: Procrastinate on PostgreSQL, in process on SQLite."""
