"""Rendering pages: one Jinja2 environment per process, the CSRF token and units in every page."""

from __future__ import annotations

import secrets
import threading
from collections import OrderedDict
from collections.abc import Callable
from datetime import UTC, date, datetime
from functools import lru_cache
from typing import Any, Final, TypeVar, cast

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
    token = CSRF_PLACEHOLDER if getattr(request.state, "csrf_placeholder", False) \
        else security.csrf_token(secret, security.scope_of(request))
    viewer = getattr(request.state, "viewer", None)
    html = environment().get_template(template).render(
        request=request, csrf_token=token,
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




CACHE_ENTRIES = 128
CSRF_PLACEHOLDER: Final = "csrf-" + secrets.token_hex(16)
"""Stands for the CSRF token in a cached page; each answer gets its browser's own token."""
_MISSING: Final = object()


class PageCache:
    """Results computed from the history, kept until the history changes.

    Every key holds the history version (``Store.history_version``: the database bumps it in
    the same transaction as every write, from any process), so a write anywhere makes every
    older entry unreachable; the first request that sees a newer version drops them all. The
    version is read *before* computing, so an entry is never older than its key. One request
    computes a missing entry while the others asking for it wait and share its value (20
    clients after a write compute it once, not 20 times)."""

    def __init__(self, max_entries: int = CACHE_ENTRIES) -> None:
        self._entries: OrderedDict[tuple[object, ...], Any] = OrderedDict()
        self._lock = threading.Lock()
        self._computing: dict[tuple[object, ...], _Flight] = {}
        self._newest: int | None = None  # the newest history version seen
        self._max = max_entries

    def __len__(self) -> int:
        return len(self._entries)

    def kept_keys(self) -> list[tuple[object, ...]]:
        with self._lock:
            return list(self._entries)

    def get(self, key: tuple[object, ...], version: int | None, compute: Callable[[], T], *,
            keep: Callable[[T], bool] = lambda _value: True) -> T:
        """``compute()`` once per key and version; ``keep``: whether a value is kept."""
        if version is None:  # the database cannot say: nothing is cached
            return compute()
        key = (*key, version)
        with self._lock:
            if self._newest is None or version > self._newest:
                self._entries.clear()  # all older: unreachable from now on
                self._newest = version
            found = self._entries.get(key, _MISSING)
            if found is not _MISSING:
                self._entries.move_to_end(key)
                return cast(T, found)
            flight = self._computing.get(key)
            leading = flight is None
            if flight is None:
                flight = self._computing[key] = _Flight()
        if not leading:  # another request is computing it: its value is as new as this key
            flight.done.wait()
            if flight.value is not _MISSING:
                return cast(T, flight.value)
            return compute()  # it failed: try once more, alone
        try:
            value = compute()
            flight.value = value
            with self._lock:
                # not kept when a newer version came in meanwhile (it is answered all the same)
                if version == self._newest and keep(value):
                    self._entries[key] = value
                    while len(self._entries) > self._max:
                        self._entries.popitem(last=False)
            return value
        finally:
            with self._lock:
                self._computing.pop(key, None)
            flight.done.set()


class _Flight:
    """One computation in progress, and its value for the requests that waited for it."""

    def __init__(self) -> None:
        self.done = threading.Event()
        self.value: Any = _MISSING


def _scope(request: Request) -> tuple[object, ...]:
    """What besides the history a page depends on: the runner and the user looking (team
    mode: never one user's page for another), the settings (units, emergency number) and the
    day (forms default to today; the home card is the day's run)."""
    viewer = getattr(request.state, "viewer", None)
    return (getattr(viewer, "runner", None), security.scope_of(request),
            settings_of(request), date.today(), datetime.now(UTC).date())


def _version(request: Request) -> int | None:
    from backstride import workflows

    return workflows.history_version(settings=settings_of(request))


def cached(request: Request, key: tuple[object, ...], compute: Callable[[], T]) -> T:
    """A result computed from the whole history, kept until the history changes (its
    version is part of the key), so a page over 1,500 runs is fast after its first view."""
    cache: PageCache = request.app.state.cache
    return cache.get(("value", *_scope(request), *key), _version(request), compute)


class Same:
    """A key part that is equal only to itself for the same object (by identity, for objects
    that are not hashable); the key holds the object, so its id is not reused while kept."""

    __slots__ = ("held",)

    def __init__(self, held: object) -> None:
        self.held = held

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Same) and other.held is self.held

    def __hash__(self) -> int:
        return id(self.held)


def cached_page(request: Request, build: Callable[[], HTMLResponse], *,
                memory: object = None) -> HTMLResponse:
    """The whole page ``build`` renders, kept until the history changes; only a 200 answer is
    kept. The page is rendered with a placeholder for the CSRF token, and every answer gets
    the token of its own browser, user and runner. For pages made from the history and, at
    most, one object in the server's memory, ``memory`` (the plan page's plan): the page is
    kept for that very object (another, or none, is another page)."""
    cache: PageCache = request.app.state.cache
    key = ("page", *_scope(request), request.url.path, request.url.query, Same(memory))

    def compute() -> tuple[int, bytes]:
        request.state.csrf_placeholder = True
        try:
            response = build()
        finally:
            request.state.csrf_placeholder = False
        return (response.status_code, bytes(response.body))

    status, body = cache.get(key, _version(request), compute, keep=lambda found: found[0] == 200)
    token = security.csrf_token(security.ensure_csrf_secret(request), security.scope_of(request))
    return HTMLResponse(body.replace(CSRF_PLACEHOLDER.encode(), token.encode()),
                        status_code=status)
