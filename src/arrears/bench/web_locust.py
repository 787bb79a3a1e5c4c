"""The simulated collectors of ``make bench-web``: a locustfile, loaded by ``locust -f`` (see :mod:`arrears.bench.web`).

Each simulated user is one of the benchmark's collectors. It signs in once
through the form, as a browser does (the form's own CSRF token, then the
session cookie), and then works its queue in a loop: the queue page, one case
of that queue, an outcome recorded with the session's CSRF header, with a
think time between steps. Once every user has signed in (sign-ins are slow on
purpose), the steady state is marked and lasts ``ARREARS_BENCH_WEB_SECONDS``.
Every request is written to a JSON lines file (``ARREARS_BENCH_WEB_OUT``) so
that :mod:`arrears.bench.web` computes the percentiles itself, exactly, from
every sample.

The outcome post may be refused by the compliance guard (409, e.g. too many
calls to that debtor today): that is a correct answer, so locust counts it as a
success and the report counts it apart from errors.
"""

from __future__ import annotations

import itertools
import json
import os
import random
import re
import time
from pathlib import Path
from typing import Any, TextIO

import gevent  # type: ignore[import-untyped]  # locust runs on gevent; no stubs installed
from locust import between, events, task
from locust.contrib.fasthttp import FastHttpUser, FastResponse
from locust.env import Environment

from arrears.bench.web import OUT_ENV, PASSWORD_ENV, REFERENCE, SECONDS_ENV, THINK_ENV, USERS_ENV

OUTCOMES = ("no_answer", "busy", "voicemail")

CASE_LINK = re.compile(r'href="/cases/(\d+)"')
SESSION_CSRF = re.compile(r'X-CSRF-Token": "([^"]+)"')
FORM_CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')

_seats = itertools.count()
_samples: TextIO | None = None
_signed_in = 0


def _think() -> tuple[float, float]:
    low, _, high = os.environ.get(THINK_ENV, "1,3").partition(",")
    return float(low), float(high or low)


THINK = _think()


def _open_samples(environment: Environment, **_: Any) -> None:
    global _samples
    _samples = Path(os.environ[OUT_ENV]).open("w", encoding="utf-8")  # noqa: SIM115 - closed when the test stops


def _steady(environment: Environment) -> None:
    """Every user has signed in: from now on the steady state the report measures, for the time asked."""
    if _samples is not None:
        _samples.write(json.dumps({"steady_since": time.time(), "users": _signed_in}) + "\n")
    runner = environment.runner
    if runner is not None:
        gevent.spawn_later(float(os.environ[SECONDS_ENV]), runner.quit)


def _sample(
    name: str,
    response_time: float,
    response: FastResponse | None,
    exception: BaseException | None,
    start_time: float | None = None,
    **_: Any,
) -> None:
    if _samples is None:
        return
    status = getattr(response, "status_code", 0) or 0
    row = {"name": name, "ms": response_time, "status": status, "at": start_time, "failed": exception is not None}
    _samples.write(json.dumps(row) + "\n")


def _close_samples(environment: Environment, **_: Any) -> None:
    if _samples is not None:
        _samples.flush()
        _samples.close()


class Collector(FastHttpUser):
    """One collector: signs in once, then queue, case, outcome, again and again."""

    wait_time = between(*THINK)

    def on_start(self) -> None:
        self.username = f"bench-collector-{next(_seats)}"
        self.csrf = ""
        login = self.client.get("/login", name="/login")
        token = FORM_CSRF.search(login.text or "")
        with self.client.post(
            "/login",
            data={
                "username": self.username,
                "password": os.environ[PASSWORD_ENV],
                "csrf_token": token[1] if token else "",
            },
            name="POST /login",
            allow_redirects=False,
            catch_response=True,
        ) as answer:
            if answer.status_code != 303:
                answer.failure(f"sign-in as {self.username} answered {answer.status_code}")
        global _signed_in
        _signed_in += 1
        if _signed_in == int(os.environ[USERS_ENV]):
            _steady(self.environment)

    @staticmethod
    def _found(pattern: re.Pattern[str], text: str | None) -> list[str]:
        return pattern.findall(text or "")

    @task
    def work_one_case(self) -> None:
        queue = self.client.get("/queue", name="/queue")
        cases = self._found(CASE_LINK, queue.text)
        tokens = self._found(SESSION_CSRF, queue.text)
        if tokens:
            self.csrf = tokens[0]
        if not cases:
            return
        case_id = random.choice(cases)
        time.sleep(random.uniform(*THINK))  # cooperative: locust runs users on gevent
        self.client.get(f"/cases/{case_id}", name="/cases/[id]")
        time.sleep(random.uniform(*THINK))  # cooperative: locust runs users on gevent
        with self.client.post(
            f"/cases/{case_id}/contacts",
            data={"outcome": random.choice(OUTCOMES), "channel": "call"},
            headers={"X-CSRF-Token": self.csrf, "HX-Request": "true"},
            name="POST /cases/[id]/contacts",
            catch_response=True,
        ) as answer:
            if answer.status_code == 409:
                answer.success()  # the guard's refusal is a correct answer; the report counts it apart
        # The reference: the cheapest route (one trivial query) under the same load, the server's own floor.
        self.client.get("/api/v1/health", name=REFERENCE)


# locust's EventHook.add_listener carries no annotations
events.test_start.add_listener(_open_samples)  # type: ignore[no-untyped-call]
events.request.add_listener(_sample)  # type: ignore[no-untyped-call]
events.test_stop.add_listener(_close_samples)  # type: ignore[no-untyped-call]
