"""Rendering pages: one Jinja2 environment per process, the CSRF token and units in every page."""

from __future__ import annotations

import threading
from collections.abc import Callable
from functools import lru_cache
from typing import Any, TypeVar

from fastapi import Request
from fastapi.responses import HTMLResponse
from jinja2 import Environment, PackageLoader, select_autoescape

from backstride.adapters.render.units import distance_text, pace_text
from backstride.config import Settings
from backstride.core.report import DISCLAIMER
from backstride.web import security

T = TypeVar("T")

NAV = (("/", "Dashboard"), ("/analyse", "Analyse"), ("/runs", "Runs"), ("/videos", "Videos"),
       ("/triage", "Triage"),
       ("/selftests", "Self-tests"), ("/plan", "Plan"), ("/pain", "Pain diary"),
       ("/shoes", "Shoes"),
       ("/trends", "Trends"),
       ("/import", "Import"))


@lru_cache(maxsize=1)
def environment() -> Environment:
    env = Environment(loader=PackageLoader("backstride.web", "templates"),
                      autoescape=select_autoescape(["html", "j2"]), trim_blocks=True,
                      lstrip_blocks=True)
    env.globals.update(distance_text=distance_text, pace_text=pace_text, nav=NAV,
                       disclaimer=DISCLAIMER)
    return env


def settings_of(request: Request) -> Settings:
    settings: Settings = request.app.state.settings
    return settings


def render(request: Request, template: str, *, status_code: int = 200,
           **context: Any) -> HTMLResponse:
    secret = security.ensure_csrf_secret(request)
    viewer = getattr(request.state, "viewer", None)
    html = environment().get_template(template).render(
        request=request, csrf_token=security.csrf_token(secret, security.scope_of(request)),
        csrf_field=security.CSRF_FIELD, units=settings_of(request).units,
        path=request.url.path, team=bool(getattr(request.app.state, "team", False)),
        viewer=None if viewer is None or viewer.user is None else viewer, **context)
    response = HTMLResponse(html, status_code=status_code)
    return response


NOT_FOUND = ("There is no page at {path}: check the address, or start again from the "
             "dashboard.")
RETRY_STATUSES = frozenset({429, 500, 502, 503, 504})


def render_error(request: Request, *, status_code: int, message: str) -> HTMLResponse:
    """The one error page: the same heading everywhere, the sentence that says what is wrong
    and what to do, and the next step as links: back to the page the request came from (a
    same-site Referer, else the dashboard) and, where trying again can help (a busy or
    unreachable database, a fault), "Try again"."""
    if status_code == 404 and message in ("Not Found", ""):  # no route: Starlette's own text
        message = NOT_FOUND.format(path=request.url.path)
    back = _same_site_path(request, request.headers.get("referer", "")) or "/"
    retry = None
    if status_code in RETRY_STATUSES:  # a GET can be asked again; a form is sent from its page
        retry = str(request.url.path) + (f"?{request.url.query}" if request.url.query else "")
        if request.method != "GET":
            retry = back
    return render(request, "error.html.j2", status_code=status_code, message=message,
                  back=back, retry=retry)


def _same_site_path(request: Request, referer: str) -> str | None:
    """The path (and query) of a Referer on this server; None for another site or none."""
    from urllib.parse import urlsplit

    found = urlsplit(referer)
    if not referer or found.netloc != request.url.netloc or found.scheme not in ("http",
                                                                                 "https"):
        return None
    path = found.path or "/"
    if not path.startswith("/") or path.startswith("//"):
        return None
    return path + (f"?{found.query}" if found.query else "")


CACHE_SIZE = 64


def cached(request: Request, key: tuple[object, ...], compute: Callable[[], T]) -> T:
    """A result computed from the whole history, kept until the history changes (its
    version is part of the key), so a page over 1,500 runs is fast after its first view."""
    from backstride import workflows

    store: dict[tuple[object, ...], Any] = request.app.state.cache
    lock: threading.Lock = request.app.state.cache_lock
    # The runner is part of every key: one runner's page is never served to another.
    viewer = getattr(request.state, "viewer", None)
    full_key = (getattr(viewer, "runner", None), *key,
                workflows.history_version(settings=settings_of(request)),
                settings_of(request).units)
    with lock:
        if full_key in store:
            found: T = store[full_key]
            return found
    value = compute()  # outside the lock: two first views may both compute, harmlessly
    with lock:
        if len(store) >= CACHE_SIZE:
            store.pop(next(iter(store)))
        store[full_key] = value
    return value
