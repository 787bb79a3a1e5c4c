"""The operations dashboard, a drill-down, the daily PDF report, as people signed in with each role see them.

The book (March 2026): collector 甲 (team X) made 2 attempts, one right-party with a
promise of 120.00 due 03-10 and kept; collector 乙 (team Y) made 1 attempt; 甲's case
paid 120.00 on 03-10; a complaint about 甲 on 03-05.
"""

from __future__ import annotations

import html
import re
import shutil
import subprocess
from dataclasses import dataclass
from datetime import date
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from arrears.contact.enums import PromiseStatus
from arrears.org.enums import Role
from arrears.org.models import Team, User
from arrears.org.passwords import hash_password
from tests.analytics.book import Book, at
from tests.factories import Factories
from tests.web.conftest import PASSWORD, sign_in

MARCH = "from=2026-03-01&to=2026-03-31"
_HASH = hash_password(PASSWORD)


@dataclass
class People:
    ops: User
    lead: User
    jia: User
    yi: User


@pytest.fixture
def people(db_session: Session, factories: Factories) -> People:
    book = Book(db_session, factories)
    tenant = factories.tenant()
    teams = [Team(tenant_id=tenant.id, name=name) for name in ("X", "Y")]
    db_session.add_all(teams)
    db_session.flush()
    jia = factories.user(tenant, team_id=teams[0].id, password_hash=_HASH)
    yi = factories.user(tenant, team_id=teams[1].id, password_hash=_HASH)
    lead = factories.user(tenant, Role.TEAM_LEAD, team_id=teams[1].id, password_hash=_HASH)
    ops = factories.user(tenant, Role.OPERATIONS, password_hash=_HASH)
    jia.display_name, yi.display_name = "甲某", "乙某"
    loan = factories.loan(tenant=tenant)
    k1, k2 = book.case_of(loan), book.case_of(factories.loan(tenant=tenant))
    book.assign(k1, jia, at(date(2026, 2, 1)))
    book.assign(k2, yi, at(date(2026, 2, 1)))
    book.contact(k1, jia, at(date(2026, 3, 2)))
    promised = book.contact(k1, jia, at(date(2026, 3, 3)), connected=True, right_party=True)
    book.promise(k1, "120.00", date(2026, 3, 10), PromiseStatus.KEPT, paid="120.00", by=jia, attempt=promised)
    book.contact(k2, yi, at(date(2026, 3, 4)))
    book.complaint(k1, at(date(2026, 3, 5)), about=jia)
    factories.payment(loan, "120.00", date(2026, 3, 10))
    book.stay(loan, "M1", date(2026, 3, 2), "1000.00", dpd=1)
    db_session.flush()
    return People(ops, lead, jia, yi)


def test_operations_sees_every_measure_with_charts(browser: TestClient, people: People) -> None:
    sign_in(browser, people.ops.username)

    page = browser.get(f"/analytics?{MARCH}")
    panels = re.findall(r'hx-get="(/analytics/\w+/panel\?[^"]*)"', page.text)
    filled = "".join(browser.get(html.unescape(path)).text for path in panels)

    assert page.status_code == 200
    assert "运营看板" in page.text
    for title in ("入催后逐日回款率", "迁徙率与治愈率", "催收员人效", "合规拦截的联系", "冠军策略与挑战策略"):
        assert title in page.text
    assert "/static/vendor/echarts/echarts.min.js" in page.text
    assert f'href="/analytics/productivity?{MARCH.replace("&", "&amp;")}"' in page.text
    assert len(panels) == 10
    assert 'id="chart-recovery_curve"' in filled
    assert "甲某" in filled and "乙某" in filled
    assert "¥120.00" in filled


def test_a_panel_is_one_measure_without_the_page_around_it(browser: TestClient, people: People) -> None:
    sign_in(browser, people.ops.username)

    panel = browser.get(f"/analytics/promises_kept/panel?{MARCH}")

    assert panel.status_code == 200
    assert 'data-panel="promises_kept"' in panel.text
    assert "100.0%" in panel.text  # kept rate: 1 of 1
    assert "<html" not in panel.text


def test_a_team_lead_cannot_open_another_teams_panel(browser: TestClient, people: People) -> None:
    sign_in(browser, people.lead.username)
    other = people.jia.team_id

    assert browser.get(f"/analytics?{MARCH}&team={other}").status_code == 403
    assert browser.get(f"/analytics/productivity/panel?{MARCH}&team={other}").status_code == 403


def test_without_a_period_the_last_thirty_days_are_shown(browser: TestClient, people: People) -> None:
    sign_in(browser, people.ops.username)

    page = browser.get("/analytics")

    assert page.status_code == 200
    assert 'name="from" value="' in page.text


def test_a_drill_down_shows_one_measure_with_its_downloads(browser: TestClient, people: People) -> None:
    sign_in(browser, people.ops.username)

    page = browser.get(f"/analytics/promises_kept?{MARCH}")

    assert page.status_code == 200
    assert "100.0%" in page.text  # kept rate: 1 of 1
    assert f"/api/v1/analytics/promises_kept?{MARCH.replace('&', '&amp;')}&amp;format=csv" in page.text
    csv = browser.get(f"/api/v1/analytics/promises_kept?{MARCH}&format=csv")
    assert csv.text.splitlines()[1] == "1,1,0,0,1.000000,120.00,120.00,1.000000"


def test_an_unknown_measure_page_is_not_found(browser: TestClient, people: People) -> None:
    sign_in(browser, people.ops.username)

    assert browser.get(f"/analytics/nothing?{MARCH}").status_code == 404


@pytest.mark.parametrize(
    "path",
    [f"/analytics?{MARCH}&arm=third", "/analytics?to=0001-01-03", "/analytics/report.pdf?day=0001-01-05"],
)
def test_bad_filters_are_a_message_not_a_crash(browser: TestClient, people: People, path: str) -> None:
    sign_in(browser, people.ops.username)

    answer = browser.get(path)

    assert answer.status_code == 422
    assert "Traceback" not in answer.text


def test_a_collector_is_sent_to_their_own_productivity(browser: TestClient, people: People) -> None:
    sign_in(browser, people.jia.username)

    dashboard = browser.get(f"/analytics?{MARCH}")
    mine = browser.get(f"/analytics/productivity?{MARCH}")
    rates = browser.get(f"/analytics/contact_rates?{MARCH}")

    assert dashboard.status_code == 303
    assert dashboard.headers["location"] == "/analytics/productivity"
    assert "甲某" in mine.text and "乙某" not in mine.text
    assert rates.status_code == 403


def test_a_team_lead_sees_their_team(browser: TestClient, people: People) -> None:
    sign_in(browser, people.lead.username)

    page = browser.get(f"/analytics/productivity?{MARCH}")

    assert "乙某" in page.text and "甲某" not in page.text


@pytest.mark.skipif(shutil.which("pdftotext") is None, reason="pdftotext (poppler-utils) reads the PDF back")
def test_the_daily_report_prints_the_days_figures(browser: TestClient, people: People, tmp_path: Path) -> None:
    """On 03-03: 甲's right-party call; on 03-10 the promise fell due and was kept."""
    sign_in(browser, people.ops.username)

    answer = browser.get("/analytics/report.pdf?day=2026-03-10")

    assert answer.status_code == 200
    assert answer.headers["content-type"] == "application/pdf"
    assert answer.content.startswith(b"%PDF")
    pdf = tmp_path / "report.pdf"
    pdf.write_bytes(answer.content)
    words = subprocess.run(["pdftotext", "-layout", str(pdf), "-"], capture_output=True, text=True, check=True).stdout
    assert "日报" in words
    assert "2026-03-10" in words
    assert "承诺兑现" in words
    assert "¥120.00" in words


def test_a_name_that_looks_like_markup_stays_text_on_the_analytics_pages(
    browser: TestClient, people: People, db_session: Session
) -> None:
    people.jia.display_name = "</script><script>alert(1)</script>"
    db_session.flush()
    sign_in(browser, people.ops.username)
    for path in ("/analytics", "/analytics/productivity"):
        page = browser.get(f"{path}?{MARCH}").text
        assert "alert(1)" in page
        assert "<script>alert(1)</script>" not in page


def test_operations_sets_the_tenants_recovery_targets_on_the_curves_page(browser: TestClient, people: People) -> None:
    token = sign_in(browser, people.ops.username)
    before = browser.get(f"/analytics/recovery_curve?{MARCH}")

    answer = browser.post(
        "/analytics/targets", data={"targets": "7:0.5, 15:0.9"}, headers={"X-CSRF-Token": token, "HX-Request": "1"}
    )
    again = browser.post(
        "/analytics/targets", data={"targets": "15:0.9 7:0.5"}, headers={"X-CSRF-Token": token, "HX-Request": "1"}
    )
    after = browser.get(f"/analytics/recovery_curve?{MARCH}")

    assert "本机构的目标" in before.text and "7:0.6, 15:0.8" in before.text and "默认值，尚未设定" in before.text
    assert 'action="/analytics/targets"' in before.text
    assert answer.status_code == 200 and "目标已设定: 版本 1 · 7:0.5, 15:0.9" in answer.text
    assert answer.headers.get("HX-Refresh") == "true"
    assert "目标未变: 7:0.5, 15:0.9" in again.text and "HX-Refresh" not in again.headers
    assert "7:0.5, 15:0.9</strong>" in after.text and "版本 1" in after.text


def test_a_team_lead_sees_the_targets_but_may_not_set_them(browser: TestClient, people: People) -> None:
    token = sign_in(browser, people.lead.username)

    page = browser.get(f"/analytics/recovery_curve?{MARCH}")
    refused = browser.post("/analytics/targets", data={"targets": "7:0.5"}, headers={"X-CSRF-Token": token})

    assert "本机构的目标" in page.text and 'action="/analytics/targets"' not in page.text
    assert refused.status_code == 403


def test_bad_targets_from_the_page_are_one_clear_refusal(browser: TestClient, people: People) -> None:
    token = sign_in(browser, people.ops.username)

    refused = browser.post(
        "/analytics/targets", data={"targets": "7:sixty"}, headers={"X-CSRF-Token": token, "HX-Request": "1"}
    )
    page = browser.get(f"/analytics/recovery_curve?{MARCH}")

    assert refused.status_code == 422
    assert "needs a whole day and a share" in refused.text
    assert "默认值，尚未设定" in page.text
