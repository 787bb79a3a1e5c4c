"""Every operation of the published OpenAPI document, fuzzed: whatever a client sends, never a 5xx.

Schemathesis reads ``/openapi.json`` from the app in process and generates
requests from it, both fitting the schema and not (wrong types, missing fields,
out-of-range values), sent with a token holding every permission so the routes
behind authorisation are reached. A 4xx is a correct refusal; a 5xx is a bug.

It runs on SQLite only: the point is the routes' input handling, which both back
ends share, and a fuzzing run is slow. Operations are looped over here rather
than through schemathesis' pytest plugin, so one run reports every failing
operation at once.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from typing import Any

import pytest
import schemathesis
from fastapi import FastAPI
from fastapi.testclient import TestClient
from hypothesis import HealthCheck, given, settings
from hypothesis.errors import Unsatisfiable
from schemathesis import APIOperation, Case, GenerationMode
from schemathesis.checks import not_a_server_error
from schemathesis.core.result import Ok
from sqlalchemy.orm import Session

from arrears.org.passwords import hash_password
from arrears.web.deps import get_db
from arrears.web.permissions import PERMISSIONS
from tests.factories import Factories
from tests.web.conftest import PASSWORD, Issue, bearer, sign_in

# Kept small so the suite stays fast with dozens of operations on a shared machine; set
# ARREARS_FUZZ_EXAMPLES (fitting requests per operation; half as many unfitting) to dig deeper.
_FITTING = int(os.environ.get("ARREARS_FUZZ_EXAMPLES", "6"))
Operation = APIOperation[Any, Any, Any, Any]
EXAMPLES = {GenerationMode.POSITIVE: _FITTING, GenerationMode.NEGATIVE: max(1, _FITTING // 2)}
# The first lint loads its dictionaries, which takes seconds on a busy machine; slow is not a failure here.
TIMEOUT_SECONDS = 120


@pytest.fixture
def operations(api_app: FastAPI, db_session: Session) -> Iterator[list[Operation]]:
    """The app's own OpenAPI operations, every request served inside the test's rolled-back transaction."""

    def same_session() -> Iterator[Session]:
        yield db_session

    api_app.dependency_overrides[get_db] = same_session
    try:
        schema = schemathesis.openapi.from_asgi("/openapi.json", api_app)
        loaded = [result.ok() for result in schema.get_all_operations() if isinstance(result, Ok)]
        yield loaded
    finally:
        api_app.dependency_overrides.clear()


def _fuzz(operation: Operation, mode: GenerationMode, headers: dict[str, str]) -> set[int]:
    """The statuses answered to this operation's generated requests; raises on the first 5xx."""
    statuses: set[int] = set()

    @settings(
        max_examples=EXAMPLES[mode],
        deadline=None,
        derandomize=True,
        database=None,
        suppress_health_check=list(HealthCheck),
    )
    @given(case=operation.as_strategy(generation_mode=mode))
    def run(case: Case[Any]) -> None:
        response = case.call_and_validate(headers=headers, checks=[not_a_server_error], timeout=TIMEOUT_SECONDS)
        statuses.add(response.status_code)

    try:
        run()
    except Unsatisfiable:
        if mode is GenerationMode.POSITIVE:
            raise  # nothing in it can be made invalid (no parameters, no body): nothing to fuzz
    return statuses


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
def test_no_request_makes_the_api_fail_with_a_server_error(
    operations: list[Operation], db_session: Session, issue: Issue
) -> None:
    factories = Factories(db_session)
    tenant = factories.tenant()
    factories.case(borrower=factories.borrower(tenant=tenant))  # so a generated case id can reach a real case
    headers = bearer(issue(*PERMISSIONS, tenant=tenant))
    assert len(operations) >= 5, "the OpenAPI document lost its operations"
    failures, answered = [], {}
    for operation in operations:
        for mode in EXAMPLES:
            try:
                answered[operation.label, mode] = _fuzz(operation, mode, headers)
            except Exception as error:  # every failing operation is reported, not only the first
                failures.append(f"{operation.label} ({mode}): {error}")
    assert not failures, "\n\n".join(failures)
    shut_out = [label for (label, mode), statuses in answered.items() if mode == "positive" and statuses <= {401, 403}]
    assert not shut_out, f"the token never got past authorisation on {shut_out}: the fuzzing reached nothing"


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
@pytest.mark.parametrize("case_id", [0, -1, 2**31, 2**63])
def test_a_case_id_no_row_can_have_is_refused_as_input(client: TestClient, issue: Issue, case_id: int) -> None:
    """2**63 cannot even be bound on SQLite: found by the fuzzing above as a server error."""
    answer = client.post(
        "/api/v1/scripts/suggest",
        json={"case_id": case_id, "utterance": "明天还"},
        headers=bearer(issue("scripts:suggest")),
    )
    assert answer.status_code == 422
    assert answer.json()["error"]["where"] == "case_id"


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
def test_a_sign_in_form_token_in_any_script_is_refused_not_a_server_error(browser: TestClient) -> None:
    """Pages are not in the OpenAPI document; the fuzzer's finding on the API (non-ASCII tokens) held here too."""
    browser.get("/login")
    answer = browser.post("/login", data={"username": "someone", "password": "a long password", "csrf_token": "中文"})
    assert answer.status_code == 403
    assert "登录页面已过期" in answer.text


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
def test_a_session_csrf_token_in_any_script_is_refused_not_a_server_error(
    browser: TestClient, db_session: Session
) -> None:
    user = Factories(db_session).user(password_hash=hash_password(PASSWORD))
    sign_in(browser, user.username)
    by_form = browser.post("/language", data={"lang": "en", "csrf_token": "令牌"})
    by_header = browser.post("/language", data={"lang": "en"}, headers={"X-CSRF-Token": "jeton-é".encode()})
    assert (by_form.status_code, by_header.status_code) == (403, 403)
