"""``arrears serve``: the HTTP API (docs/api.md) under uvicorn."""

from __future__ import annotations

from typing import Annotated

import typer


def serve_command(
    host: Annotated[str, typer.Option("--host", help="address to listen on")] = "127.0.0.1",
    port: Annotated[int, typer.Option("--port", help="TCP port to listen on")] = 8000,
) -> None:
    """Serve the JSON API under /api/v1 (OpenAPI at /openapi.json) on the configured, migrated database."""
    # FastAPI and uvicorn load here, not at module level, so other commands start without them.
    import uvicorn

    from arrears.settings import get_settings
    from arrears.web.app import create_app
    from arrears.web.observability import log_config

    # JSON log lines on stderr, one per request (docs/metrics.md); uvicorn's own access log is folded in.
    uvicorn.run(create_app(get_settings()), host=host, port=port, log_config=log_config())
