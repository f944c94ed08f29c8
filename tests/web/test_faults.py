"""While the database is down, every page says so in a sentence that names no host, port,
database or user, and shows no traceback or SQL: in local mode and in team mode, also to an
unauthenticated request that carries any session cookie. A job that fails on something
unexpected shows a sentence, not the exception's text."""

from __future__ import annotations

import time

import pytest
from fastapi.testclient import TestClient

from backstride.config import Settings
from backstride.web.app import create_app
from backstride.web.auth import SESSION_COOKIE
from backstride.web.jobs import JobRunner
from backstride.workflows import migrate_database
from tests.fault_places import own_postgres

PAGES = ("/", "/runs", "/runs/1", "/trends", "/pain", "/shoes", "/plan", "/triage",
         "/import", "/clearance")


def _leaks(body: str, where: list[str]) -> list[str]:
    words = ["Traceback", "sqlalche.me", "SELECT", "psycopg", "postgresql", "OperationalError",
             *where]
    return [w for w in words if w in body]


@pytest.mark.parametrize("team", [False, True], ids=["local", "team"])
def test_pages_while_postgres_is_down_say_so_without_its_address(team: bool) -> None:
    with own_postgres() as server:
        migrate_database(Settings(db=server.url))
        server.pg_ctl("-m", "fast", "stop")
        where = [str(server.folder), "5433", "faults"]  # socket folder, port, database name
        app = create_app(Settings(db=server.url), team=team)
        with TestClient(app, base_url="http://127.0.0.1:8765") as client:
            client.cookies.set(SESSION_COOKIE, "a-cookie-from-anywhere")
            refused = []
            for page in PAGES:  # a page that needs no database (the triage form) still works
                response = client.get(page, follow_redirects=False)
                assert response.status_code in (200, 503), (page, response.status_code)
                if response.status_code == 503:
                    refused.append(page)
                    assert "The history database server cannot be reached" in response.text
                assert _leaks(response.text, where) == [], page
            assert {"/", "/runs", "/trends", "/plan"} <= set(refused)
            posted = client.post("/pain", data={"pain": "3"}, follow_redirects=False)
            assert posted.status_code in (403, 503)  # no CSRF token, or the database first
            assert _leaks(posted.text, where) == []


def test_a_job_that_fails_unexpectedly_shows_a_sentence() -> None:
    jobs = JobRunner()

    def work(_progress: object) -> str:
        raise RuntimeError("(psycopg.OperationalError) connection to server at db.example "
                           "port 5432 failed [SQL: INSERT INTO runs …]")

    job = jobs.submit("Importing run.fit", work)  # type: ignore[arg-type]
    for _ in range(100):
        if job.json()["state"] not in ("queued", "running"):
            break
        time.sleep(0.02)
    state = job.json()
    assert state["state"] == "failed"
    assert state["error"].startswith("Importing run.fit stopped on an unexpected error")
    assert _leaks(state["error"], ["db.example", "5432", "INSERT"]) == []
