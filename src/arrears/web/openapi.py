"""The OpenAPI document says which permission each operation needs, read from the routes themselves."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from fastapi import FastAPI
from fastapi.dependencies.models import Dependant
from fastapi.openapi.utils import get_openapi

from arrears.web.auth import Require


def route_permissions(dependant: Dependant) -> tuple[str, ...] | None:
    """The permissions a route accepts (empty: any caller); None when it asks for no caller."""
    for dependency in dependant.dependencies:
        if isinstance(dependency.call, Require):
            return dependency.call.permissions
        found = route_permissions(dependency)
        if found is not None:
            return found
    return None


def routes_of(app: FastAPI) -> Iterator[Any]:
    """Every route of the app, through the included routers."""

    def walk(routes: list[Any]) -> Iterator[Any]:
        for route in routes:
            nested = getattr(route, "effective_candidates", None)
            if nested is not None:
                yield from walk(list(nested()))
            else:
                yield route

    return walk(list(app.routes))


def install(app: FastAPI) -> None:
    """Replace the app's OpenAPI builder by one that adds ``x-permissions`` and a line to each description."""

    def build() -> dict[str, Any]:
        if app.openapi_schema is None:
            schema = get_openapi(title=app.title, version=app.version, description=app.description, routes=app.routes)
            _annotate(app, schema)
            app.openapi_schema = schema
        return app.openapi_schema

    app.openapi = build  # type: ignore[method-assign]


def _annotate(app: FastAPI, schema: dict[str, Any]) -> None:
    paths = schema.get("paths", {})
    for route in routes_of(app):
        dependant = getattr(route, "dependant", None)
        operations = paths.get(getattr(route, "path", None))
        if dependant is None or operations is None:
            continue
        permissions = route_permissions(dependant)
        for method in getattr(route, "methods", ()) or ():
            operation = operations.get(method.lower())
            if operation is None:
                continue
            if permissions is None:
                operation["x-permissions"] = []
                continue
            operation["x-permissions"] = list(permissions)
            needed = " or ".join(f"`{name}`" for name in permissions) if permissions else "any signed-in caller"
            operation["description"] = (operation.get("description", "") + f"\n\nNeeds: {needed}.").strip()
