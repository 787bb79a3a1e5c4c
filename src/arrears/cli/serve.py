"""``arrears serve``: the HTTP API (docs/api.md) under uvicorn."""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated

import typer

if TYPE_CHECKING:
    from fastapi import FastAPI


def serve_command(
    host: Annotated[str, typer.Option("--host", help="address to listen on")] = "127.0.0.1",
    port: Annotated[int, typer.Option("--port", help="TCP port to listen on")] = 8000,
    workers: Annotated[
        int, typer.Option("--workers", min=1, help="worker processes (more than one uses more cores)")
    ] = 1,
) -> None:
    """Serve the JSON API under /api/v1 (OpenAPI at /openapi.json) on the configured, migrated database."""
    # FastAPI and uvicorn load here, not at module level, so other commands start without them.
    import uvicorn

    from arrears.web.observability import log_config

    # JSON log lines on stderr, one per request (docs/metrics.md); uvicorn's own access log is folded in.
    if workers == 1:
        uvicorn.run(app_from_environment(), host=host, port=port, log_config=log_config())
        return
    # Each worker process builds its own app (and database engine) from the same settings.
    uvicorn.run(
        "arrears.cli.serve:app_from_environment",
        factory=True,
        host=host,
        port=port,
        workers=workers,
        log_config=log_config(),
    )


def app_from_environment() -> FastAPI:
    """The app on the settings of the environment (``ARREARS_*``), checked against the schema."""
    from arrears.settings import get_settings
    from arrears.web.app import create_app

    return create_app(get_settings())
