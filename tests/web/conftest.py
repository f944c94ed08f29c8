"""Web tests: FastAPI's TestClient for routes; a live server and headless Chromium (Playwright
driving the Debian chromium package) for end-to-end tests. With CI=true (scripts/test.sh sets
BACKSTRIDE_REQUIRE_SERVICES=1) a missing browser fails instead of skipping."""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from backstride.config import Settings
from backstride.web.app import create_app
from tests.conftest import screenshot_dir


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    return Settings(data_dir=tmp_path / "data")


@pytest.fixture
def client(settings: Settings) -> Iterator[TestClient]:
    with TestClient(create_app(settings), base_url="http://127.0.0.1:8765") as test_client:
        yield test_client


def csrf_of(client: TestClient, page: str = "/") -> str:
    """The CSRF token of a page's forms (the cookie is kept by the client)."""
    import re

    html = client.get(page).text
    found = re.search(r'name="csrf_token" value="([0-9a-f]+)"', html)
    assert found, f"no CSRF token on {page}"
    return found.group(1)


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@contextmanager
def serving(app: Any) -> Iterator[str]:
    """The app on a real server on a free loopback port, in a thread; its URL."""
    import uvicorn

    port = _free_port()
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port,
                                           log_level="warning"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 10
    while not server.started and time.monotonic() < deadline:
        time.sleep(0.02)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(timeout=10)


@pytest.fixture
def live_server(settings: Settings) -> Iterator[str]:
    with serving(create_app(settings)) as url:
        yield url


@pytest.fixture
def page(browser: Any) -> Iterator[Any]:
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    opened = context.new_page()
    yield opened
    context.close()


def screenshot(page: Any, name: str) -> Path:
    """Full-page screenshot for reviewers (docs/screenshots when regenerating the docs)."""
    path = screenshot_dir() / f"{name}.png"
    page.screenshot(path=str(path), full_page=True)
    return path
