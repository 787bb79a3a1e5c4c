"""The FastAPI application: one factory, one error envelope for every failure."""

from __future__ import annotations

from collections.abc import AsyncIterator, Mapping
from contextlib import asynccontextmanager
from pathlib import Path

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, RedirectResponse, Response
from fastapi.staticfiles import StaticFiles
from starlette.exceptions import HTTPException

import arrears
from arrears.db.base import utcnow
from arrears.db.migrate import check_schema
from arrears.db.session import create_db_engine, make_session_factory
from arrears.errors import ArrearsError
from arrears.settings import Settings
from arrears.web import observability
from arrears.web import openapi as openapi_doc
from arrears.web.api import router
from arrears.web.concurrency import ConcurrencyLimit
from arrears.web.exceptions import status_for
from arrears.web.i18n import translator
from arrears.web.pages import analytics as analytics_pages
from arrears.web.pages import compliance, signin, supervisor, workbench
from arrears.web.pages import legal as legal_pages
from arrears.web.pages import letters as letter_pages
from arrears.web.pages import negotiation as negotiation_pages
from arrears.web.pages import plans as plan_pages
from arrears.web.routes import analytics as analytics_routes
from arrears.web.routes import comms as comms_routes
from arrears.web.routes import legal as legal_routes
from arrears.web.routes import settlement as settlement_routes
from arrears.web.templating import locale_for, render

STATIC = Path(__file__).parent / "static"


def create_app(settings: Settings) -> FastAPI:
    """The pages and the HTTP API on the configured database, which must be migrated to the latest schema."""
    engine = create_db_engine(
        settings.resolved_database_url, echo=settings.echo_sql, connections=settings.web_connections
    )
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
    app.state.settings = settings
    app.state.clock = utcnow
    app.state.session_factory = make_session_factory(engine)
    observability.install(app)
    app.mount("/static", StaticFiles(directory=STATIC), name="static")
    app.include_router(router)
    app.include_router(analytics_routes.router)
    app.include_router(comms_routes.router)
    app.include_router(legal_routes.router)
    app.include_router(settlement_routes.router)
    app.include_router(plan_pages.router)
    app.include_router(negotiation_pages.router)
    app.include_router(legal_pages.router)
    app.include_router(letter_pages.router)
    app.include_router(signin.router)
    app.include_router(workbench.router)
    app.include_router(supervisor.router)
    app.include_router(analytics_pages.router)
    app.include_router(compliance.router)
    openapi_doc.install(app)
    app.add_middleware(ConcurrencyLimit, limit=settings.web_connections)
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


def wants_page(request: Request) -> bool:
    """A person's browser (a page or an HTMX fragment), not an API client."""
    return not request.url.path.startswith(("/api/", "/openapi.json", "/docs", "/metrics"))


async def _arrears_error(request: Request, error: Exception) -> Response:
    assert isinstance(error, ArrearsError)
    status = status_for(error)
    if wants_page(request):
        return _page_error(request, error.code, error.one_line(), status)
    return envelope(error.code, error.one_line(), getattr(error, "where", None), status)


def _page_error(request: Request, code: str, message: str, status: int) -> Response:
    """Not signed in: to the sign-in page and back. Otherwise the message, as a page or an HTMX fragment."""
    if code == "unauthenticated":
        target = "/login?next=" + request.url.path
        if request.headers.get("HX-Request"):
            return Response(status_code=401, headers={"HX-Redirect": target})
        return RedirectResponse(target, status_code=303)
    if request.headers.get("HX-Request"):
        return render(request, "_error.html", {"code": code, "message": message}, status_code=status)
    heading = translator(locale_for(request, None))("Something needs attention")
    return render(request, "error.html", {"heading": heading, "message": message}, status_code=status)


async def _validation_error(request: Request, error: Exception) -> Response:
    """The first problem as one line naming the field, as the CLI reports a bad file."""
    assert isinstance(error, RequestValidationError)
    first = error.errors()[0]
    location = [str(part) for part in first.get("loc", ())]
    if location and location[0] in {"body", "query", "path", "header"}:
        source, field_path = location[0], location[1:]
    else:
        source, field_path = "body", location
    field = ".".join(field_path) or source
    message = f"{field}: {first.get('msg', 'invalid')}"
    if wants_page(request):
        return _page_error(request, "invalid_input", message, 422)
    return envelope("invalid_input", message, field, 422)


async def _http_error(request: Request, error: Exception) -> Response:
    """Routing failures (unknown path, wrong method) in the same envelope, or as a page."""
    assert isinstance(error, HTTPException)
    code = "not_found" if error.status_code == 404 else "http_error"
    if wants_page(request) and not request.url.path.startswith("/static/"):
        return _page_error(request, code, str(error.detail), error.status_code)
    return envelope(code, str(error.detail), None, error.status_code, error.headers)
