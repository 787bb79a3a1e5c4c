"""The FastAPI application: one factory, one error envelope for every failure."""

from __future__ import annotations

from collections.abc import AsyncIterator, Mapping
from contextlib import asynccontextmanager

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException

import arrears
from arrears.db.migrate import check_schema
from arrears.db.session import create_db_engine, make_session_factory
from arrears.errors import ArrearsError
from arrears.settings import Settings
from arrears.web.api import router
from arrears.web.exceptions import status_for
from arrears.web.routes import analytics as analytics_routes


def create_app(settings: Settings) -> FastAPI:
    """The HTTP API on the configured database, which must be migrated to the latest schema."""
    engine = create_db_engine(settings.resolved_database_url, echo=settings.echo_sql)
    try:
        check_schema(engine)
    except ArrearsError:
        engine.dispose()
        raise

    @asynccontextmanager
    async def lifespan(_app: FastAPI) -> AsyncIterator[None]:
        yield
        engine.dispose()

    app = FastAPI(
        title="Arrears",
        version=arrears.__version__,
        description="Compliance-first debt collection: the JSON API. See docs/api.md.",
        lifespan=lifespan,
    )
    app.state.engine = engine
    app.state.session_factory = make_session_factory(engine)
    app.include_router(router)
    app.include_router(analytics_routes.router)
    app.add_exception_handler(ArrearsError, _arrears_error)
    app.add_exception_handler(RequestValidationError, _validation_error)
    app.add_exception_handler(HTTPException, _http_error)
    return app


def envelope(
    code: str, message: str, where: str | None, status: int, headers: Mapping[str, str] | None = None
) -> JSONResponse:
    """The one shape of every error the API returns."""
    body = {"error": {"code": code, "message": message, "where": where}}
    return JSONResponse(body, status_code=status, headers=headers)


async def _arrears_error(_request: Request, error: Exception) -> JSONResponse:
    assert isinstance(error, ArrearsError)
    return envelope(error.code, error.one_line(), getattr(error, "where", None), status_for(error))


async def _validation_error(_request: Request, error: Exception) -> JSONResponse:
    """The first problem as one line naming the field, as the CLI reports a bad file."""
    assert isinstance(error, RequestValidationError)
    first = error.errors()[0]
    location = [str(part) for part in first.get("loc", ())]
    if location and location[0] in {"body", "query", "path", "header"}:
        source, field_path = location[0], location[1:]
    else:
        source, field_path = "body", location
    field = ".".join(field_path) or source
    return envelope("invalid_input", f"{field}: {first.get('msg', 'invalid')}", field, 422)


async def _http_error(_request: Request, error: Exception) -> JSONResponse:
    """Routing failures (unknown path, wrong method) in the same envelope."""
    assert isinstance(error, HTTPException)
    code = "not_found" if error.status_code == 404 else "http_error"
    return envelope(code, str(error.detail), None, error.status_code, error.headers)
