"""What a route can ask for: a database session, the caller's token, a scope."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Annotated

from fastapi import Depends, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from sqlalchemy.orm import Session, sessionmaker

from arrears.web import tokens
from arrears.web.exceptions import Forbidden, Unauthenticated
from arrears.web.models import ApiToken

bearer = HTTPBearer(auto_error=False, description="an API token from `arrears token issue`")


def get_db(request: Request) -> Iterator[Session]:
    """One session per request: committed when the route succeeds, rolled back when it raises."""
    factory: sessionmaker[Session] = request.app.state.session_factory
    with factory() as db_session:
        try:
            yield db_session
        except BaseException:
            db_session.rollback()
            raise
        db_session.commit()


DbSession = Annotated[Session, Depends(get_db)]


def current_token(
    db_session: DbSession,
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(bearer)],
) -> ApiToken:
    """The caller's live token; 401 otherwise (the refusal's audit entry is kept)."""
    try:
        return tokens.authenticate(db_session=db_session, presented=credentials.credentials if credentials else None)
    except Unauthenticated:
        db_session.commit()
        raise


def require_scope(scope: str) -> Callable[[ApiToken], ApiToken]:
    """A dependency giving the caller's token when it carries ``scope``; 403 when it does not."""
    if scope not in tokens.SCOPES:
        raise ValueError(f"unknown scope {scope!r}")

    def check(token: Annotated[ApiToken, Depends(current_token)]) -> ApiToken:
        if scope not in token.scopes:
            raise Forbidden(f"this API token lacks the scope '{scope}'", hint="issue a token with --scope " + scope)
        return token

    return check
