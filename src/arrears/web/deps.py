"""What every route can ask for: a database session per request and the time (callers: web.auth)."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import datetime
from typing import Annotated

from fastapi import Depends, Path, Request
from fastapi.security import HTTPBearer
from sqlalchemy.orm import Session, sessionmaker

bearer = HTTPBearer(auto_error=False, description="an API token from `arrears token issue`")


def get_db(request: Request) -> Iterator[Session]:
    """One session per request: committed when the route succeeds, rolled back when it raises.

    Used with ``scope="function"``: the commit happens before the response is sent.
    With FastAPI's default (after the response), a client could act on an answer
    whose writes were not yet visible, such as the htmx event that reloads a case's
    timeline after an outcome, or get a success for work whose commit then failed.
    """
    factory: sessionmaker[Session] = request.app.state.session_factory
    with factory() as db_session:
        try:
            yield db_session
        except BaseException:
            db_session.rollback()
            raise
        db_session.commit()


DbSession = Annotated[Session, Depends(get_db, scope="function")]


def now(request: Request) -> datetime:
    """The current time as the app sees it (UTC): the clock is the app's, so tests can set it."""
    clock: Callable[[], datetime] = request.app.state.clock
    return clock()


Now = Annotated[datetime, Depends(now)]


MAX_ROW_ID = 2**31 - 1
"""The largest id an INTEGER primary key holds on PostgreSQL; a bigger one is bad input (422), not a crash."""

CaseId = Annotated[int, Path(ge=1, le=MAX_ROW_ID, description="a case number")]
