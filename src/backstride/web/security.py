"""Security for a local app that holds health data.

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
import secrets
from collections.abc import Awaitable, Callable
from typing import Final

from fastapi import HTTPException, Request, Response, UploadFile

CSRF_COOKIE: Final = "backstride_csrf"
CSRF_FIELD: Final = "csrf_token"
CSRF_HEADER: Final = "x-csrf-token"
SAFE_METHODS: Final = frozenset({"GET", "HEAD", "OPTIONS"})
MAX_UPLOAD_BYTES: Final = 64 * 1024 * 1024  # a watch file or an export archive part
CSP: Final = ("default-src 'self'; img-src 'self' data: blob:; media-src 'self' blob:; "
              "style-src 'self' 'unsafe-inline'; script-src 'self'; connect-src 'self'; "
              "frame-src 'self'; frame-ancestors 'self'; form-action 'self'; base-uri 'none'; "
              "object-src 'none'")
# The self-contained reports (analysis, plan) carry their own inline scripts; they are our
# own escaped output, shown in a sandboxed frame of the same origin.
REPORT_CSP: Final = CSP.replace("script-src 'self'", "script-src 'self' 'unsafe-inline'")


def csrf_token(secret: str) -> str:
    return hmac.new(secret.encode(), b"backstride-form", hashlib.sha256).hexdigest()


def ensure_csrf_secret(request: Request) -> str:
    """The browser's CSRF secret (a new one on its first visit, set by the middleware)."""
    secret = request.cookies.get(CSRF_COOKIE) or getattr(request.state, "new_csrf", None)
    if secret is None:
        secret = secrets.token_urlsafe(32)
        request.state.new_csrf = secret
    return secret


async def check_csrf(request: Request) -> None:
    """Refuse a state change that does not come from one of this app's own pages."""
    if request.method in SAFE_METHODS:
        return
    origin = request.headers.get("origin")
    if origin is not None and origin != f"{request.url.scheme}://{request.url.netloc}":
        raise HTTPException(status_code=403, detail="Cross-site request refused.")
    secret = request.cookies.get(CSRF_COOKIE)
    sent = request.headers.get(CSRF_HEADER)
    if sent is None and request.headers.get("content-type", "").startswith(
            ("application/x-www-form-urlencoded", "multipart/form-data")):
        form = await request.form()
        value = form.get(CSRF_FIELD)
        sent = value if isinstance(value, str) else None
    if not secret or not sent or not hmac.compare_digest(sent, csrf_token(secret)):
        raise HTTPException(status_code=403, detail=(
            "This form has expired or did not come from backstride: reload the page and try "
            "again."))


async def security_headers(request: Request,
                           call_next: Callable[[Request], Awaitable[Response]]) -> Response:
    response = await call_next(request)
    report = request.url.path.endswith("/report")
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
