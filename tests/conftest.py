"""Shared test helpers: the real sample files live in ../shared/fixtures, never in this repo."""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest

if TYPE_CHECKING:
    from backstride.adapters.storage.store import Store

REPO = Path(__file__).resolve().parents[1]
FIXTURES = REPO.parent / "shared" / "fixtures"
WATCH = FIXTURES / "watch"
VIDEO = FIXTURES / "video"


def fixture_file(*parts: str) -> Path:
    """Path of a shared fixture; the test is skipped (with the reason) when it is absent."""
    path = FIXTURES.joinpath(*parts)
    if not path.exists():
        if os.environ.get("BACKSTRIDE_REQUIRE_FIXTURES") == "1":
            pytest.fail(f"required fixture missing: {path}")
        pytest.skip(f"shared fixture {'/'.join(parts)} not found beside the repo ({FIXTURES})")
    return path

def fit_run(folder: Path, day: int) -> Path:
    """A simulated 10-minute FIT run on 2024-03-DAY at 07:00 UTC (seeded by the day), written
    into ``folder``."""
    from datetime import UTC, datetime

    from backstride.adapters.formats.fit_writer import simulated_run_messages, write_fit_bytes
    from backstride.core.simulate import RunPlan, simulate_run

    plan = RunPlan(duration_s=600, pauses=(), walks=(),
                   start_utc=datetime(2024, 3, day, 7, tzinfo=UTC))
    path = folder / f"run-{day}.fit"
    path.write_bytes(write_fit_bytes(simulated_run_messages(simulate_run(plan, seed=day))))
    return path



def screenshot_dir() -> Path:
    """Where browser tests put their screenshots: a temp folder, so that a test run leaves the
    checkout clean; docs/screenshots only when regenerating the docs on purpose
    (scripts/screenshots.sh sets BACKSTRIDE_SCREENSHOTS=docs)."""
    import tempfile

    if os.environ.get("BACKSTRIDE_SCREENSHOTS") == "docs":
        folder = REPO / "docs" / "screenshots"
    else:
        folder = Path(tempfile.gettempdir()) / "backstride-test-screenshots"
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def chromium_path() -> str:
    """The Debian Chromium the browser tests drive; skipped when absent, failed under CI=true
    (scripts/test.sh sets BACKSTRIDE_REQUIRE_SERVICES=1)."""
    import shutil

    found = shutil.which("chromium") or shutil.which("chromium-browser")
    if found is None:
        if os.environ.get("BACKSTRIDE_REQUIRE_SERVICES") == "1":
            pytest.fail("Chromium is required (CI=true) but not installed: run scripts/setup.sh")
        pytest.skip("Chromium not installed (scripts/setup.sh installs it)")
    return found


@pytest.fixture
def home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A fresh data folder (BACKSTRIDE_DATA_DIR) and working folder for a command test."""
    monkeypatch.setenv("BACKSTRIDE_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.chdir(tmp_path)
    return tmp_path


@pytest.fixture
def watch_file() -> object:
    return lambda name: fixture_file("watch", name)


def issue_codes(result: object) -> set[str]:
    """The codes of an activity's or an analysis's issues."""
    return {issue.code for issue in result.issues}  # type: ignore[attr-defined]


def cadence_mode(values: object) -> float:
    """Most common non-zero value (cadence exports are per-foot integers)."""
    import numpy as np

    array = np.asarray(values, dtype=np.float64)
    moving = array[array > 0]
    unique, counts = np.unique(moving, return_counts=True)
    return float(unique[np.argmax(counts)])


# --- history databases: the same tests on SQLite and on PostgreSQL ------------------------

POSTGRES_URL_VAR = "BACKSTRIDE_TEST_POSTGRES_URL"


def _postgres_server_url() -> str:
    """The test server's URL (scripts/test.sh starts a throwaway one and sets it)."""
    url = os.environ.get(POSTGRES_URL_VAR, "")
    required = os.environ.get("BACKSTRIDE_REQUIRE_SERVICES") == "1"
    if not url:
        if required:
            pytest.fail(f"PostgreSQL is required (CI=true) but {POSTGRES_URL_VAR} is not set: "
                        "run the tests with scripts/test.sh")
        pytest.skip(f"{POSTGRES_URL_VAR} is not set (scripts/test.sh starts a throwaway "
                    "PostgreSQL and sets it)")
    try:
        import psycopg  # noqa: F401
    except ImportError:
        if required:
            pytest.fail("PostgreSQL is required (CI=true) but psycopg is not installed: "
                        "run scripts/setup.sh")
        pytest.skip("psycopg is not installed (pip install -e '.[postgres]')")
    return url


def _fresh_postgres_database(server_url: str) -> Iterator[str]:
    """A new, empty database on the test server, dropped afterwards."""
    from sqlalchemy import create_engine, text
    from sqlalchemy.engine import make_url
    from sqlalchemy.pool import NullPool

    name = f"backstride_test_{uuid.uuid4().hex[:12]}"
    admin = create_engine(server_url, isolation_level="AUTOCOMMIT", poolclass=NullPool)
    with admin.connect() as conn:
        conn.exec_driver_sql(f'CREATE DATABASE "{name}"')
    try:
        yield make_url(server_url).set(database=name).render_as_string(hide_password=False)
    finally:
        with admin.connect() as conn:  # a Store a failed test left open must not block the drop
            conn.execute(text("SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                              "WHERE datname = :name AND pid <> pg_backend_pid()"), {"name": name})
            conn.exec_driver_sql(f'DROP DATABASE IF EXISTS "{name}"')
        admin.dispose()


@pytest.fixture(params=[pytest.param("sqlite", id="sqlite"),
                        pytest.param("postgres", id="postgres", marks=pytest.mark.postgres)])
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """URL of an empty history database: a SQLite file in tmp_path, or a fresh database on the
    PostgreSQL test server (skipped with the reason when there is none, failed under CI=true).
    Open it with ``Store.open(url, auto_migrate=True)``: PostgreSQL never migrates on its own."""
    if request.param == "sqlite":
        from backstride.adapters.storage.store import sqlite_url

        yield sqlite_url(tmp_path / "history.db")
    else:
        yield from _fresh_postgres_database(_postgres_server_url())


@pytest.fixture
def postgres_url() -> Iterator[str]:
    """URL of a fresh, empty database on the PostgreSQL test server, for PostgreSQL-only tests
    (mark them ``@pytest.mark.postgres``); skipped or failed as ``database_url``."""
    yield from _fresh_postgres_database(_postgres_server_url())


@pytest.fixture
def store(database_url: str) -> Iterator[Store]:
    """An open Store on ``database_url``, migrated to head; closed afterwards."""
    from backstride.adapters.storage.store import Store

    opened = Store.open(database_url, auto_migrate=True)
    try:
        yield opened
    finally:
        opened.close()


@pytest.fixture(scope="session")
def browser() -> Iterator[Any]:
    """Headless Debian Chromium (--no-sandbox: CI runs as root), one for the whole run."""
    playwright_api = pytest.importorskip("playwright.sync_api")
    with playwright_api.sync_playwright() as playwright:
        launched = playwright.chromium.launch(
            executable_path=chromium_path(), headless=True,
            args=["--no-sandbox", "--disable-gpu", "--disable-background-networking",
                  "--disable-component-update", "--no-first-run"])
        yield launched
        launched.close()


@pytest.fixture(autouse=True)
def _close_shared_stores() -> Iterator[None]:
    """Each test starts without the shared Stores of earlier ones (one per process and URL:
    adapters/storage/opened.py), so a test's temp database is closed when the test ends."""
    yield
    import sys

    opened = sys.modules.get("backstride.adapters.storage.opened")
    if opened is not None:
        opened.close_all()
