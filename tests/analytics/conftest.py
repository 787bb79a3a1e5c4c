"""Every analytics test runs twice: on the book itself, and on daily aggregates refreshed from it.

In the ``aggregates`` run, whenever a measure asks whether days are aggregated,
those days are first aggregated (:func:`arrears.analytics.daily.refresh`) in the
test's session, so the measure takes its aggregate path and must give the
hand-computed figures the test states.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from datetime import date

import pytest
from sqlalchemy.orm import Session

from arrears.analytics import daily


@pytest.fixture(params=["book", "aggregates"], autouse=True)
def source(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    if request.param == "aggregates":
        covered, covered_days = daily.covered, daily.covered_days

        def refreshed(*, db_session: Session, tenant_id: int, first: date, last: date) -> bool:
            if first <= last:
                daily.refresh(db_session=db_session, tenant_id=tenant_id, first=first, last=last)
            assert covered(db_session=db_session, tenant_id=tenant_id, first=first, last=last)
            return True

        def refreshed_days(*, db_session: Session, tenant_id: int, days: Iterable[date]) -> bool:
            wanted = list(days)
            for day in wanted:
                daily.refresh(db_session=db_session, tenant_id=tenant_id, first=day, last=day)
            assert covered_days(db_session=db_session, tenant_id=tenant_id, days=wanted)
            return True

        monkeypatch.setattr(daily, "covered", refreshed)
        monkeypatch.setattr(daily, "covered_days", refreshed_days)
    yield request.param
