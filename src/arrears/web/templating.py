"""Rendering pages: one Jinja2 environment, the caller's language, and the filters pages share."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from fastapi import Request
from fastapi.templating import Jinja2Templates
from starlette.responses import HTMLResponse

from arrears.web.auth import Principal
from arrears.web.i18n import LANGUAGE_NAMES, LOCALES, negotiate, translator

TEMPLATES = Path(__file__).parent / "templates"
LANGUAGE_COOKIE = "arrears_lang"

templates = Jinja2Templates(directory=str(TEMPLATES))
templates.env.trim_blocks = True
templates.env.lstrip_blocks = True


def money(value: Decimal | int | None) -> str:
    """¥1,234.50 style, exact: never through float."""
    if value is None:
        return "—"
    amount = Decimal(value).quantize(Decimal("0.01"))
    sign = "-" if amount < 0 else ""
    return f"{sign}¥{abs(amount):,.2f}"


def local_time(value: datetime | None, zone: str = "Asia/Shanghai", fmt: str = "%Y-%m-%d %H:%M") -> str:
    """A stored UTC time as the wall-clock time of ``zone``."""
    if value is None:
        return "—"
    return value.astimezone(ZoneInfo(zone)).strftime(fmt)


def iso_day(value: date | None) -> str:
    return value.isoformat() if value else "—"


templates.env.filters["money"] = money
templates.env.filters["local_time"] = local_time
templates.env.filters["day"] = iso_day


def locale_for(request: Request, principal: Principal | None) -> str:
    """The language cookie when set, else the person's own language, else the browser's."""
    chosen = request.cookies.get(LANGUAGE_COOKIE)
    if chosen in LOCALES:
        return chosen
    if principal is not None and principal.user_id is not None:
        return principal.locale if principal.locale in LOCALES else negotiate(None, None)
    return negotiate(None, request.headers.get("accept-language"))


def render(
    request: Request,
    template: str,
    context: dict[str, Any] | None = None,
    *,
    principal: Principal | None = None,
    status_code: int = 200,
) -> HTMLResponse:
    """Render ``template`` in the caller's language with the layout's common context."""
    locale = locale_for(request, principal)
    values: dict[str, Any] = {
        "_": translator(locale),
        "locale": locale,
        "html_lang": locale,
        "languages": LANGUAGE_NAMES,
        "principal": principal,
        "csrf_token": principal.csrf_token if principal else None,
        "path": request.url.path,
    }
    values.update(context or {})
    return templates.TemplateResponse(request, template, values, status_code=status_code)
