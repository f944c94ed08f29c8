"""Security for a local app that holds health data.

- Hosts: only requests addressed to this machine's loopback names (or the --host given) are
  answered, so a website that rebinds its domain to 127.0.0.1 gets nothing (DNS rebinding);
  cross-site requests (Sec-Fetch-Site, a foreign Origin) are refused before any body is read.
- CSRF: a random secret in an HttpOnly, SameSite=Strict cookie, and a token derived from it in
  every form (and the ``X-CSRF-Token`` header for scripts); every state-changing request must
  carry a token that matches its cookie, and an Origin, when sent, must be this server.
- Headers: a Content-Security-Policy that only allows this origin (no data leaves the
  machine), no framing by other sites, no MIME sniffing, no referrer.
- Uploads: read in chunks up to a size limit; the content, not the name, decides the format.
"""

from __future__ import annotations

import hashlib
import hmac
import logging
import re
import secrets
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Final

from fastapi import HTTPException, Request, Response, UploadFile
from fastapi.responses import PlainTextResponse

logger = logging.getLogger(__name__)

CSRF_COOKIE: Final = "backstride_csrf"
CSRF_FIELD: Final = "csrf_token"
CSRF_HEADER: Final = "x-csrf-token"
SAFE_METHODS: Final = frozenset({"GET", "HEAD", "OPTIONS"})
MAX_UPLOAD_BYTES: Final = 64 * 1024 * 1024  # a watch file or an export archive part
LARGE_BODY_BYTES: Final = 512 * 1024 * 1024  # an export archive or a video
LARGE_BODY_PATHS: Final = frozenset({"/import", "/analyse"})
FORM_OVERHEAD_BYTES: Final = 1024 * 1024  # the multipart framing and the other fields
CSP: Final = ("default-src 'self'; img-src 'self' data: blob:; media-src 'self' blob:; "
              "style-src 'self' 'unsafe-inline'; script-src 'self'; connect-src 'self'; "
              "frame-src 'self'; frame-ancestors 'self'; form-action 'self'; base-uri 'none'; "
              "object-src 'none'")
# The self-contained reports (analysis, plan) carry their own inline scripts; they are our
# own escaped output, shown in a sandboxed frame of the same origin.
REPORT_CSP: Final = (CSP.replace("script-src 'self'", "script-src 'self' 'unsafe-inline'")
                     + "; sandbox allow-scripts")  # its scripts never run as the app's origin
REPORT_PATHS: Final = re.compile(
    r"^/(runs/\d+|plan|videos/[0-9a-f]{32}|videos/stored/\d+)/report$")
LOOPBACK_HOSTS: Final = ("127.0.0.1", "localhost", "[::1]", "::1")


def csrf_token(secret: str, scope: str = "") -> str:
    """The forms' token for a browser's secret. ``scope`` (team mode: the user and the runner
    looked at) binds it to what the page was made for; the local app's scope is empty."""
    return hmac.new(secret.encode(), b"backstride-form" + scope.encode(), hashlib.sha256
                    ).hexdigest()


def scope_of(request: Request) -> str:
    """The CSRF scope web.auth set for this request (empty without team mode)."""
    return str(getattr(request.state, "csrf_scope", ""))


def ensure_csrf_secret(request: Request) -> str:
    """The browser's CSRF secret (a new one on its first visit, set by the middleware)."""
    secret = request.cookies.get(CSRF_COOKIE) or getattr(request.state, "new_csrf", None)
    if secret is None:
        secret = secrets.token_urlsafe(32)
        request.state.new_csrf = secret
    return secret


def host_allowed(request: Request) -> bool:
    host = (request.headers.get("host") or "").lower()
    name = host.rsplit(":", 1)[0] if not host.endswith("]") else host
    allowed: tuple[str, ...] = request.app.state.allowed_hosts
    return name in allowed


def refusal(request: Request) -> str | None:
    """Why a request must not reach the app at all, before its body is read."""
    if not host_allowed(request):
        return "This address is not backstride's; open it at http://127.0.0.1 instead."
    # The sandboxed report frame has an opaque origin: its requests for our scripts count as
    # cross-site, and static files hold no data, so only they are served cross-site.
    static = request.method == "GET" and request.url.path.startswith(("/static/", "/static-lib/"))
    if request.headers.get("sec-fetch-site") == "cross-site" and not static:
        return "Cross-site request refused."
    origin = request.headers.get("origin")
    if request.method not in SAFE_METHODS and origin is not None and \
            origin != f"{request.url.scheme}://{request.headers.get('host', '')}":
        return "Cross-site request refused."
    return None


async def check_csrf(request: Request) -> None:
    """Refuse a state change that does not come from one of this app's own pages."""
    if request.method in SAFE_METHODS:
        return
    secret = request.cookies.get(CSRF_COOKIE)
    sent = request.headers.get(CSRF_HEADER)
    if sent is None and request.headers.get("content-type", "").startswith(
            ("application/x-www-form-urlencoded", "multipart/form-data")):
        form = await request.form()
        value = form.get(CSRF_FIELD)
        sent = value if isinstance(value, str) else None
    if not secret or not sent or not hmac.compare_digest(sent,
                                                         csrf_token(secret, scope_of(request))):
        raise HTTPException(status_code=403, detail=(
            "This form has expired or did not come from backstride: reload the page and try "
            "again."))


def body_refusal(request: Request) -> Response | None:
    """Bodies are bounded before they are read: a declared length over the route's limit is
    refused at once (413), and a body without a declared length (chunked) is not taken (411);
    browsers always declare it for forms and uploads."""
    if request.method in ("GET", "HEAD", "OPTIONS"):
        return None
    declared = request.headers.get("content-length")
    if declared is None:
        if request.headers.get("transfer-encoding"):
            return PlainTextResponse("Send the request with a Content-Length.", status_code=411)
        return None
    limit = (LARGE_BODY_BYTES if request.url.path in LARGE_BODY_PATHS
             else MAX_UPLOAD_BYTES) + FORM_OVERHEAD_BYTES
    try:
        too_large = int(declared) > limit
    except ValueError:
        return PlainTextResponse("Bad Content-Length.", status_code=400)
    if too_large:
        return PlainTextResponse(
            f"That is more than backstride takes here ({limit // (1024 * 1024)} MB at most).",
            status_code=413)
    return None


EarlyCheck = Callable[[Request], Awaitable[Response | None]]


def security_middleware(early_check: EarlyCheck) -> Callable[
        [Request, Callable[[Request], Awaitable[Response]]], Awaitable[Response]]:
    """The app's one middleware: refusals and checks that must come before any body is read
    (cross-site, body size, ``early_check``: team mode's login), then security headers on
    every answer."""
    async def middleware(request: Request,
                         call_next: Callable[[Request], Awaitable[Response]]) -> Response:
        return await security_headers(request, call_next, early_check)
    return middleware


async def _early_answer(request: Request, early_check: EarlyCheck) -> Response | None:
    """The first refusal that needs no body: cross-site, body size, then ``early_check``."""
    reason = refusal(request)
    if reason is not None:
        return PlainTextResponse(reason, status_code=403)
    return body_refusal(request) or await early_check(request)


async def security_headers(request: Request,
                           call_next: Callable[[Request], Awaitable[Response]],
                           early_check: EarlyCheck) -> Response:
    response = await _early_answer(request, early_check)
    if response is None:
        try:
            response = await call_next(request)
        except Exception:
            logger.exception("request failed: %s %s", request.method, request.url.path)
            response = PlainTextResponse(
                "Something went wrong on our side (it is logged). Go back and try again.",
                status_code=500)
    report = REPORT_PATHS.match(request.url.path) is not None
    response.headers.setdefault("Content-Security-Policy", REPORT_CSP if report else CSP)
    response.headers["X-Content-Type-Options"] = "nosniff"
    # same-origin: other sites get no referrer, and our own form posts carry their Origin
    response.headers["Referrer-Policy"] = "same-origin"
    response.headers["X-Frame-Options"] = "SAMEORIGIN"
    new_secret = getattr(request.state, "new_csrf", None)
    if new_secret is not None:
        response.set_cookie(CSRF_COOKIE, new_secret, httponly=True, samesite="strict",
                            secure=request.url.scheme == "https")
    return response


def safe_file_name(name: str | None, default: str = "upload") -> str:
    """The upload's base name with only safe characters: never a path, never hidden."""
    base = re.split(r"[/\\]", name or "")[-1]
    cleaned = re.sub(r"[^A-Za-z0-9._-]+", "_", base).lstrip(".")[:120]
    return cleaned or default


async def read_upload(upload: UploadFile, *, limit: int = MAX_UPLOAD_BYTES) -> bytes:
    """The uploaded bytes, refusing more than ``limit`` without reading them all."""
    chunks, size = [], 0
    while chunk := await upload.read(1024 * 1024):
        size += len(chunk)
        if size > limit:
            raise HTTPException(status_code=413, detail=(
                f"The file is larger than {limit // (1024 * 1024)} MB. Upload a single "
                "activity file, or import an export archive with 'backstride import'."))
        chunks.append(chunk)
    return b"".join(chunks)


async def save_upload(upload: UploadFile, target: Path, *, limit: int, too_large: str) -> int:
    """Stream the upload into ``target`` in 1 MB chunks (never whole in memory); its size.
    Beyond ``limit`` the partial file is deleted and the request refused (413, ``too_large``)."""
    size = 0
    with target.open("xb") as handle:  # a fresh name in a fresh folder: never overwrite
        while chunk := await upload.read(1024 * 1024):
            size += len(chunk)
            if size > limit:
                handle.close()
                target.unlink(missing_ok=True)
                raise HTTPException(status_code=413, detail=too_large)
            handle.write(chunk)
    return size
