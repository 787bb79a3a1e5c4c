"""Signing in: sessions with safe cookies, CSRF on every form, throttling and lockout."""

from __future__ import annotations

from datetime import timedelta

from fastapi.testclient import TestClient
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from arrears.audit.models import AuditRecord
from arrears.db.base import utcnow
from arrears.org.enums import Role
from arrears.org.models import User
from arrears.org.passwords import hash_password
from arrears.web import sessions
from arrears.web.models import LoginAttempt, WebSession
from tests.factories import Factories
from tests.web.conftest import PASSWORD, sign_in

_HASH = hash_password(PASSWORD)


def _person(db_session: Session, role: Role = Role.COLLECTOR) -> User:
    return Factories(db_session).user(role=role, password_hash=_HASH)


def _login(client: TestClient, username: str, password: str, ip_token: str | None = None) -> int:
    client.get("/login")
    token = ip_token if ip_token is not None else client.cookies.get("arrears_login_csrf", path="/login")
    answer = client.post("/login", data={"username": username, "password": password, "csrf_token": token or ""})
    return answer.status_code


def test_signing_in_sets_a_secure_http_only_cookie_and_opens_the_role_start_page(
    browser: TestClient, db_session: Session
) -> None:
    user = _person(db_session)
    browser.get("/login")
    token = browser.cookies.get("arrears_login_csrf", path="/login")
    answer = browser.post("/login", data={"username": user.username, "password": PASSWORD, "csrf_token": token})
    assert answer.status_code == 303
    cookie = answer.headers["set-cookie"].lower()
    assert "arrears_session=" in cookie
    assert "httponly" in cookie and "secure" in cookie and "samesite=lax" in cookie
    assert browser.get("/").headers["location"] == "/queue"
    stored = db_session.scalar(select(WebSession).where(WebSession.user_id == user.id))
    assert stored is not None and stored.token_hash not in answer.headers["set-cookie"]


def test_a_wrong_password_and_an_unknown_user_get_the_same_answer(browser: TestClient, db_session: Session) -> None:
    user = _person(db_session)
    wrong = browser.post("/login", data={"username": user.username, "password": "nope-nope-nope"})
    assert wrong.status_code in {401, 403}
    assert _login(browser, user.username, "nope-nope-nope") == 401
    unknown_page = browser.get("/login")
    token = browser.cookies.get("arrears_login_csrf", path="/login")
    unknown = browser.post("/login", data={"username": "nobody-here", "password": PASSWORD, "csrf_token": token})
    assert unknown.status_code == 401
    assert unknown_page.status_code == 200
    assert "用户名或密码错误" in unknown.text


def test_the_fifth_wrong_password_locks_the_account_even_against_the_right_one(
    browser: TestClient, db_session: Session
) -> None:
    user = _person(db_session)
    for _ in range(sessions.MAX_FAILURES - 1):
        assert _login(browser, user.username, "wrong-password-1") == 401
    assert user.locked_until is None
    assert _login(browser, user.username, "wrong-password-1") == 401
    assert user.locked_until is not None
    assert _login(browser, user.username, PASSWORD) == 401
    locked = db_session.scalar(
        select(func.count()).where(AuditRecord.action == "user.locked", AuditRecord.subject_id == str(user.id))
    )
    assert locked == 1


def test_a_lock_ends_by_itself_or_when_an_administrator_lifts_it(browser: TestClient, db_session: Session) -> None:
    user = _person(db_session)
    user.locked_until = utcnow() + timedelta(minutes=5)
    db_session.flush()
    assert _login(browser, user.username, PASSWORD) == 401
    sessions.unlock(db_session=db_session, user=user, actor="admin")
    assert _login(browser, user.username, PASSWORD) == 303


def test_four_wrong_passwords_then_the_right_one_start_the_count_again(
    browser: TestClient, db_session: Session
) -> None:
    user = _person(db_session)
    for _ in range(sessions.MAX_FAILURES - 1):
        _login(browser, user.username, "wrong-password-1")
    assert _login(browser, user.username, PASSWORD) == 303
    assert user.failed_logins == 0


def test_one_address_failing_too_often_is_held_back_whatever_the_username(
    browser: TestClient, db_session: Session
) -> None:
    user = _person(db_session)
    now = utcnow()
    db_session.add_all(
        LoginAttempt(username=f"guess{n}", client_ip="testclient", at=now, succeeded=False)
        for n in range(sessions.MAX_FAILURES_PER_IP)
    )
    db_session.flush()
    assert _login(browser, user.username, PASSWORD) == 429


def test_the_sign_in_form_refuses_a_post_without_its_own_token(browser: TestClient, db_session: Session) -> None:
    user = _person(db_session)
    assert _login(browser, user.username, PASSWORD, ip_token="forged") == 403


def test_a_state_change_without_the_session_csrf_token_is_refused(browser: TestClient, db_session: Session) -> None:
    user = _person(db_session)
    token = sign_in(browser, user.username)
    refused = browser.post("/language", data={"lang": "en", "next": "/queue"})
    assert refused.status_code == 403
    assert "security token" in refused.text
    accepted = browser.post("/language", data={"lang": "en", "next": "/queue", "csrf_token": token})
    assert accepted.status_code == 303
    by_header = browser.post("/language", data={"lang": "zh-CN"}, headers={"X-CSRF-Token": token})
    assert by_header.status_code == 303


def test_after_signing_out_the_old_cookie_opens_nothing(browser: TestClient, db_session: Session) -> None:
    user = _person(db_session)
    token = sign_in(browser, user.username)
    old = browser.cookies.get("arrears_session")
    assert browser.post("/logout", data={"csrf_token": token}).status_code == 303
    browser.cookies.clear()
    browser.cookies.set("arrears_session", old or "")
    replay = browser.get("/")
    assert replay.request.headers["cookie"] == f"arrears_session={old}"
    assert replay.status_code == 303
    assert replay.headers["location"].startswith("/login")


def test_a_session_idle_too_long_has_ended(browser: TestClient, db_session: Session) -> None:
    user = _person(db_session)
    sign_in(browser, user.username)
    live = db_session.scalar(select(WebSession).where(WebSession.user_id == user.id))
    assert live is not None
    live.last_seen_at = utcnow() - timedelta(minutes=sessions.IDLE_MINUTES + 1)
    db_session.flush()
    assert browser.get("/").headers["location"].startswith("/login")


def test_next_never_leads_off_the_site(browser: TestClient, db_session: Session) -> None:
    user = _person(db_session)
    browser.get("/login")
    token = browser.cookies.get("arrears_login_csrf", path="/login")
    answer = browser.post(
        "/login",
        data={"username": user.username, "password": PASSWORD, "csrf_token": token, "next": "//evil.example/x"},
    )
    assert answer.headers["location"] == "/"


def test_an_api_route_accepts_a_signed_in_person_with_the_permission(browser: TestClient, db_session: Session) -> None:
    user = _person(db_session)
    token = sign_in(browser, user.username)
    answer = browser.post("/api/v1/lint", json={"text": "你好"}, headers={"X-CSRF-Token": token})
    assert answer.status_code == 200
    assert browser.post("/api/v1/lint", json={"text": "你好"}).status_code == 403
