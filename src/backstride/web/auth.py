"""Team mode (``serve --team``): logins, server-side sessions, and whose data a request sees.

- Every request but the login page and the static files needs a session: a random token
  (``secrets.token_urlsafe(32)``) in a cookie that is HttpOnly, SameSite=Strict and Secure
  (``__Host-`` prefixed over HTTPS; browsers accept Secure cookies from http://127.0.0.1 and
  localhost, which count as secure origins). The database keeps only its SHA-256; it ends
  when idle for 30 min, after 12 h whatever happens, at logout, and when the user is removed.
  Each login makes a new token (and a new CSRF secret), so a token planted before login is
  worth nothing after it.
- Whose data: a runner sees their own; a coach or clinician picks one of their runners
  (``?runner=NAME`` on any page, or the Runners page), checked against their grants on every
  request. Another runner's name or run id is "not found" (404), exactly as one that does not
  exist, so neither names nor ids leak.
- Coaches and clinicians look; they do not write the runner's own entries (triage answers,
  self-tests, pain, shoes, runs, uploads). A coach or clinician may make the plan; only a
  clinician (or the runner) records a clearance.
- Failed logins are limited per username and client: after 5 in a row that pair waits 60 s.

Without ``--team`` the app is the single local runner's, with no logins (``LOCAL``).
"""

from __future__ import annotations

import threading
import time
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass
from typing import Final
from urllib.parse import quote

from fastapi import HTTPException, Request
from fastapi.responses import PlainTextResponse, RedirectResponse, Response
from starlette.concurrency import run_in_threadpool

from backstride import workflows
from backstride.errors import BackstrideError
from backstride.web.pages import settings_of

SESSION_COOKIE: Final = "backstride_session"
SECURE_SESSION_COOKIE: Final = "__Host-backstride_session"  # HTTPS only: Secure, Path=/, no Domain
PUBLIC_PATHS: Final = frozenset({"/login", "/static-lib/plotly.min.js"})
SAFE_METHODS: Final = frozenset({"GET", "HEAD", "OPTIONS"})
MAX_FAILURES: Final = 5
LOCK_S: Final = 60.0
TRACKED_PAIRS: Final = 10_000  # failed-login counters kept in memory at most
# What a coach or clinician may post; everything else changes the runner's own record.
STAFF_POSTS: Final = {"/logout": ("coach", "clinician"), "/login": ("coach", "clinician"),
                      "/triage/check": ("coach", "clinician"),  # computes, stores nothing
                      "/plan/make": ("coach", "clinician"), "/clearance": ("clinician",)}


@dataclass(frozen=True, slots=True, kw_only=True)
class Viewer:
    """Who is asking and whose data they see. ``user`` None: the local app without logins."""

    user: workflows.User | None
    runner: str | None  # None: a coach or clinician who has not picked a runner yet
    token: str | None = None


LOCAL: Final = Viewer(user=None, runner=workflows.DEFAULT_RUNNER)


class Redirect(Exception):
    """Raised where a page cannot be shown yet (not logged in, no runner picked): a 303."""

    def __init__(self, location: str) -> None:
        super().__init__(location)
        self.location = location


def team_mode(request: Request) -> bool:
    return bool(getattr(request.app.state, "team", False))


def cookie_name(request: Request) -> str:
    return SECURE_SESSION_COOKIE if request.url.scheme == "https" else SESSION_COOKIE


def viewer_of(request: Request) -> Viewer | None:
    found: Viewer | None = getattr(request.state, "viewer", None)
    return found


def runner_of(request: Request) -> str:
    """The runner whose data this request may see; a coach or clinician who has not picked
    one is sent to the picker."""
    viewer = viewer_of(request)
    if viewer is None:
        raise Redirect(login_url(request))
    if viewer.runner is None:
        raise Redirect("/team")
    return viewer.runner


def owner_key(request: Request) -> str | None:
    """Whose background jobs and import summaries a request may see (None: the local app)."""
    viewer = viewer_of(request)
    return None if viewer is None or viewer.user is None else viewer.user.username


def csrf_scope(request: Request) -> str:
    """Part of every form's CSRF token in team mode: a form made for one user and runner is
    refused once the session looks at another runner (another tab switched it)."""
    viewer = viewer_of(request)
    if viewer is None or viewer.user is None:
        return ""
    return f"{viewer.user.username}\n{viewer.runner or ''}"


def safe_next(target: str | None) -> str:
    """A local path to go to after login; anything else (another site) is the dashboard."""
    if not target or not target.startswith("/") or target.startswith(("//", "/\\")):
        return "/"
    return target


def login_url(request: Request) -> str:
    here = request.url.path + (f"?{request.url.query}" if request.url.query else "")
    return "/login" if here in ("/", "/login") else f"/login?next={quote(here, safe='')}"


def authenticate(request: Request) -> None:
    """App-wide dependency, before the CSRF check: who is asking, and whose data they see.
    In team mode :func:`early_check` has already run it before the body was read."""
    if getattr(request.state, "viewer", None) is not None:
        return
    if not team_mode(request):
        request.state.viewer = LOCAL
        return
    settings = settings_of(request)
    token = request.cookies.get(cookie_name(request))
    session = workflows.open_session(token, settings=settings)
    if session is None or token is None:
        if request.url.path in PUBLIC_PATHS:
            return
        raise Redirect(login_url(request))
    wanted = request.query_params.get("runner")
    if wanted is not None and request.method in SAFE_METHODS:
        session = workflows.choose_runner(token, session, wanted, settings=settings)
    request.state.viewer = Viewer(user=session.user, runner=session.runner, token=token)
    request.state.csrf_scope = csrf_scope(request)
    role = session.user.role
    if request.method not in SAFE_METHODS and role != "runner" \
            and role not in STAFF_POSTS.get(request.url.path, ()):
        raise HTTPException(status_code=403, detail=(
            f"A {role} looks at their runners' data; only the runner enters their own "
            "(triage answers, self-tests, pain, shoes, runs)"
            + (", and a clinician records a clearance." if request.url.path == "/clearance"
               else ".")))


def set_session_cookie(request: Request, response: Response, token: str) -> None:
    # Secure over https and on loopback (browsers count http://127.0.0.1 and localhost as
    # secure contexts). Over plain http to another address a browser drops a Secure cookie, so
    # there it is not marked: serve warns that passwords then cross the network in clear text.
    # No max-age: the cookie goes when the browser closes; the server ends it anyway.
    secure = request.url.scheme == "https" or request.url.hostname in (
        "127.0.0.1", "localhost", "::1")
    response.set_cookie(cookie_name(request), token, httponly=True, samesite="strict",
                        secure=secure, path="/")


def clear_session_cookie(request: Request, response: Response) -> None:
    response.delete_cookie(cookie_name(request), path="/", secure=request.url.scheme == "https",
                           httponly=True, samesite="strict")


class LoginThrottle:
    """Failed logins per (username, client): after MAX_FAILURES the pair waits LOCK_S
    seconds, even with the right password. An attempt is counted when it *starts* (under the
    lock), so guesses sent all at once cannot slip past before the first failure is counted.
    In memory: a restart forgets it."""

    def __init__(self, clock: Callable[[], float] = time.monotonic) -> None:
        self.clock = clock
        # (failures, attempts in progress, locked until)
        self._pairs: OrderedDict[tuple[str, str], tuple[int, int, float]] = OrderedDict()
        self._lock = threading.Lock()

    def begin(self, key: tuple[str, str]) -> float:
        """Start an attempt: 0 if it may go on (then settle it with :meth:`failed`,
        :meth:`succeeded` or :meth:`abandoned`), else the seconds to wait."""
        with self._lock:
            failures, pending, until = self._pairs.pop(key, (0, 0, 0.0))
            if failures >= MAX_FAILURES and until <= self.clock() and pending == 0:
                failures = 0  # the wait is over: a fresh start
            if failures + pending >= MAX_FAILURES:
                self._pairs[key] = (failures, pending, until)
                return max(until - self.clock(), 1.0)
            self._pairs[key] = (failures, pending + 1, until)
            while len(self._pairs) > TRACKED_PAIRS:
                self._pairs.popitem(last=False)
            return 0.0

    def failed(self, key: tuple[str, str]) -> None:
        with self._lock:
            failures, pending, _until = self._pairs.pop(key, (0, 1, 0.0))
            self._pairs[key] = (failures + 1, max(pending - 1, 0), self.clock() + LOCK_S)

    def abandoned(self, key: tuple[str, str]) -> None:
        """The attempt ended without an answer (an error): it counts neither way."""
        with self._lock:
            if key in self._pairs:
                failures, pending, until = self._pairs[key]
                self._pairs[key] = (failures, max(pending - 1, 0), until)

    def succeeded(self, key: tuple[str, str]) -> None:
        with self._lock:
            self._pairs.pop(key, None)


async def early_check(request: Request) -> Response | None:
    """Team mode, before any request body is read: no session, no upload (a form post is
    parsed, and a file spooled to disk, before route dependencies run). The answer for a
    refused request, or None to go on."""
    if not team_mode(request) or request.method in SAFE_METHODS:
        return None  # no body to protect: the route's own dependency decides, as before
    try:
        await run_in_threadpool(authenticate, request)
    except Redirect as exc:
        return RedirectResponse(exc.location, status_code=303)
    except HTTPException as exc:
        return PlainTextResponse(str(exc.detail), status_code=exc.status_code)
    except BackstrideError:
        request.state.viewer = None  # let the route's dependency meet it, with its page
    return None
