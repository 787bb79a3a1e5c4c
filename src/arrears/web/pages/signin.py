"""Signing in and out, choosing a language, and the start page of each role."""

from __future__ import annotations

import hmac
import secrets
from typing import Annotated
from urllib.parse import urlsplit

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import RedirectResponse, Response

from arrears.org.enums import Role
from arrears.web import sessions
from arrears.web.auth import SESSION_COOKIE, Principal, current_principal, require_signed_in
from arrears.web.deps import DbSession
from arrears.web.exceptions import LoginRefused, TooManyAttempts
from arrears.web.i18n import LOCALES, translator
from arrears.web.templating import LANGUAGE_COOKIE, locale_for, render

router = APIRouter(include_in_schema=False)

LOGIN_CSRF_COOKIE = "arrears_login_csrf"
START_PAGES = {
    Role.COLLECTOR: "/queue",
    Role.TEAM_LEAD: "/supervisor",
    Role.OPERATIONS: "/supervisor",
    Role.COMPLIANCE: "/compliance",
    Role.APPROVER: "/supervisor/approvals",
    Role.ADMIN: "/compliance",
}


def _secure(request: Request) -> bool:
    return bool(request.app.state.settings.cookie_secure)


def safe_next(target: str | None) -> str:
    """Only a path on this site: never an open redirect to somewhere else."""
    if not target:
        return "/"
    parts = urlsplit(target)
    if parts.scheme or parts.netloc or not target.startswith("/") or target.startswith("//"):
        return "/"
    return target


@router.get("/login")
def login_page(request: Request, next: str = "/", lang: str | None = None) -> Response:
    """The sign-in form, with a fresh double-submit token against login CSRF."""
    token = secrets.token_urlsafe(32)
    response = render(request, "login.html", {"next": safe_next(next), "login_csrf": token, "error": None})
    response.set_cookie(
        LOGIN_CSRF_COOKIE, token, httponly=True, samesite="strict", secure=_secure(request), path="/login"
    )
    if lang in LOCALES:
        response.set_cookie(LANGUAGE_COOKIE, lang, samesite="lax", secure=_secure(request), max_age=365 * 86400)
    return response


@router.post("/login")
def login(
    request: Request,
    db_session: DbSession,
    username: Annotated[str, Form(max_length=80)],
    password: Annotated[str, Form(max_length=1024)],
    csrf_token: Annotated[str, Form()] = "",
    next: Annotated[str, Form()] = "/",
) -> Response:
    """Open a session and go where the person was going; the same form again with one message otherwise."""
    cookie = request.cookies.get(LOGIN_CSRF_COOKIE, "")
    _ = translator(locale_for(request, None))
    if not cookie or not hmac.compare_digest(cookie.encode(), csrf_token.encode()):  # bytes: any text compares
        return _again(request, username, next, _("The sign-in form had expired. Please try again."), 403)
    client_ip = request.client.host if request.client else None
    try:
        opened = sessions.login(
            db_session=db_session,
            username=username,
            password=password,
            client_ip=client_ip,
            user_agent=request.headers.get("user-agent"),
        )
    except LoginRefused:
        db_session.commit()  # the failed attempt and any lock are kept
        return _again(request, username, next, _("Wrong username or password, or the account is locked."), 401)
    except TooManyAttempts:
        return _again(request, username, next, _("Too many failed sign-ins from here. Wait 15 minutes."), 429)
    response = RedirectResponse(safe_next(next), status_code=303)
    response.set_cookie(
        SESSION_COOKIE,
        opened.secret,
        httponly=True,
        samesite="lax",
        secure=_secure(request),
        max_age=sessions.MAX_HOURS * 3600,
    )
    response.delete_cookie(LOGIN_CSRF_COOKIE, path="/login")
    return response


def _again(request: Request, username: str, next_path: str, error: str, status: int) -> Response:
    token = secrets.token_urlsafe(32)
    context = {"next": safe_next(next_path), "login_csrf": token, "error": error, "username": username}
    response = render(request, "login.html", context, status_code=status)
    response.set_cookie(
        LOGIN_CSRF_COOKIE, token, httponly=True, samesite="strict", secure=_secure(request), path="/login"
    )
    return response


@router.post("/logout")
def logout(
    request: Request, db_session: DbSession, _caller: Annotated[Principal, Depends(require_signed_in)]
) -> Response:
    signed = sessions.lookup(db_session=db_session, secret=request.cookies.get(SESSION_COOKIE))
    if signed is not None:
        sessions.logout(db_session=db_session, signed=signed)
    response = RedirectResponse("/login", status_code=303)
    response.delete_cookie(SESSION_COOKIE)
    return response


@router.post("/language")
def choose_language(
    request: Request,
    _caller: Annotated[Principal, Depends(require_signed_in)],
    lang: Annotated[str, Form()],
    next: Annotated[str, Form()] = "/",
) -> Response:
    response = RedirectResponse(safe_next(next), status_code=303)
    if lang in LOCALES:
        response.set_cookie(LANGUAGE_COOKIE, lang, samesite="lax", secure=_secure(request), max_age=365 * 86400)
    return response


@router.get("/")
def start(caller: Annotated[Principal, Depends(current_principal)]) -> Response:
    """Each role's own start page."""
    target = START_PAGES.get(caller.role, "/queue") if caller.role else "/docs"
    return RedirectResponse(target, status_code=303)
