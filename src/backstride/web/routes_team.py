"""Team mode's own pages: log in, log out, and the runner picker of a coach or clinician.
Without ``--team`` they do not exist (404): the local app has no logins."""

from __future__ import annotations

import secrets

from fastapi import APIRouter, HTTPException, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from starlette.concurrency import run_in_threadpool

from backstride import workflows
from backstride.errors import InputError
from backstride.web import auth
from backstride.web.pages import render, settings_of

router = APIRouter()


def _require_team(request: Request) -> None:
    if not auth.team_mode(request):
        raise HTTPException(status_code=404, detail=(
            "There are no logins here: this is the local app (start 'backstride serve --team' "
            "for logins)."))


def _login_page(request: Request, *, message: str | None = None, username: str = "",
                next_url: str = "/", status_code: int = 200) -> HTMLResponse:
    return render(request, "login.html.j2", status_code=status_code, message=message,
                  username=username, next_url=next_url)


@router.get("/login", response_class=HTMLResponse)
def login_page(request: Request, next: str | None = None) -> HTMLResponse:
    """Also for someone logged in: logging in again (as another user) ends that session."""
    _require_team(request)
    return _login_page(request, next_url=auth.safe_next(next))


@router.post("/login", response_model=None)
async def login_submit(request: Request) -> HTMLResponse | RedirectResponse:
    _require_team(request)
    form = await request.form()
    username = str(form.get("username") or "").strip()
    password = str(form.get("password") or "")
    next_url = auth.safe_next(str(form.get("next") or "/"))
    throttle: auth.LoginThrottle = request.app.state.login_throttle
    key = (username.casefold(), request.client.host if request.client else "")
    wait_s = throttle.begin(key)
    if wait_s > 0:
        return _login_page(request, status_code=429, username=username, next_url=next_url,
                           message=f"Too many wrong passwords for {username!r} from this "
                                   f"computer: wait {wait_s:.0f} seconds, then try again.")
    try:
        token, _session = await run_in_threadpool(
            workflows.log_in, username, password, settings=settings_of(request),
            replaces=request.cookies.get(auth.cookie_name(request)))
    except InputError as exc:
        throttle.failed(key)
        return _login_page(request, status_code=401, message=str(exc), username=username,
                           next_url=next_url)
    except BaseException:
        throttle.abandoned(key)
        raise
    throttle.succeeded(key)
    response = RedirectResponse(next_url, status_code=303)
    auth.set_session_cookie(request, response, token)
    # A new CSRF secret with the new session: nothing planted before the login carries over.
    request.state.new_csrf = secrets.token_urlsafe(32)
    return response


@router.post("/logout")
def logout(request: Request) -> Response:
    _require_team(request)
    viewer = auth.viewer_of(request)
    workflows.log_out(None if viewer is None else viewer.token, settings=settings_of(request))
    response = RedirectResponse("/login", status_code=303)
    auth.clear_session_cookie(request, response)
    return response


@router.get("/team", response_model=None)
def runner_picker(request: Request) -> HTMLResponse | RedirectResponse:
    """A coach's or clinician's runners; a runner has only their own, and goes home."""
    _require_team(request)
    viewer = auth.viewer_of(request)
    if viewer is None or viewer.user is None:
        raise auth.Redirect("/login")
    if viewer.user.role == "runner":
        return RedirectResponse("/", status_code=303)
    return render(request, "team.html.j2", runners=viewer.user.runners, current=viewer.runner)
