"""Running videos in the web app: an uploaded clip is analysed by the background worker (pose
estimation with progress, then the annotated MP4) and saved to the history of the job's
runner (its analysis and keypoints, never the clip, as ``backstride import`` does); its result
page shows the video report in the sandboxed frame, the annotated clip in a <video>, the
downloads and a link to the stored clip.

The annotated MP4 and the result's files live in the job's private temp folder (``mkdtemp``,
mode 0700) and only the last ``KEEP_VIDEOS`` are kept; older folders are deleted, and so are
all of them when the app shuts down. A result belongs to whoever started the job:
in team mode another user gets 404 for its pages and files, as for any job.

Stored clips: ``/videos`` lists them (newest first, 50 a page) and ``/videos/stored/{id}``
shows one, its report rebuilt from the stored keypoints (no key frames: the clip is gone),
scoped to the runner as runs are.
"""

from __future__ import annotations

import json
import logging
import shutil
import threading
import uuid
from collections import OrderedDict
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated, Any, Final

from fastapi import APIRouter, FastAPI, HTTPException, Request
from fastapi import Path as FastApiPath
from fastapi.responses import FileResponse, HTMLResponse, JSONResponse

from backstride import workflows
from backstride.config import Settings
from backstride.core.gait import View
from backstride.core.report import VideoReport
from backstride.core.types import Progress
from backstride.errors import BackstrideError, InputError
from backstride.web.auth import owner_key, runner_of
from backstride.web.jobs import Job
from backstride.web.pages import cached, render, settings_of

logger = logging.getLogger(__name__)
router = APIRouter()

VIDEO_MAX_BYTES: Final = 512 * 1024 * 1024  # as for an export archive
KEEP_VIDEOS: Final = 4  # finished video results kept (each: report, annotated MP4, JSON)
VIEWS: Final[dict[str, View | None]] = {"auto": None, "side": "side", "rear": "rear",
                                         "front": "front"}
HEIGHT_M: Final = (0.8, 2.5)
REPORT: Final = "report.html"
ANNOTATED: Final = "annotated.mp4"
ANALYSIS: Final = "analysis.json"
VIDEO_PHASES: Final = ("pose estimation", "drawing the annotated copy")  # see _analyse
VIDEOS_PER_PAGE: Final = 50
Token = Annotated[str, FastApiPath(pattern=r"^[0-9a-f]{32}$")]
VideoId = Annotated[int, FastApiPath(ge=1, le=2**31 - 1)]


@dataclass(frozen=True, slots=True, kw_only=True)
class VideoResult:
    token: str
    owner: str | None  # team mode: the username that started the job
    name: str  # the upload's cleaned file name
    folder: Path  # the job's private temp folder: report.html, annotated.mp4, analysis.json
    analysis: dict[str, Any]
    video_id: int  # the clip in the runner's history
    newly_stored: bool  # False: the same clip (by content) was in the history already


class VideoResults:
    """The last few finished video results, oldest first; older folders are deleted."""

    def __init__(self, keep: int = KEEP_VIDEOS) -> None:
        self._keep = keep
        self._results: OrderedDict[str, VideoResult] = OrderedDict()
        self._lock = threading.Lock()
        self._closed = False

    def add(self, result: VideoResult) -> None:
        dropped: list[VideoResult] = []
        with self._lock:
            if self._closed:  # a job that finished while the app shut down
                dropped.append(result)
            else:
                self._results[result.token] = result
                while len(self._results) > self._keep:
                    dropped.append(self._results.popitem(last=False)[1])
        for old in dropped:
            shutil.rmtree(old.folder, ignore_errors=True)

    def get(self, token: str) -> VideoResult | None:
        with self._lock:
            return self._results.get(token)

    def close(self) -> None:
        """Delete every kept result (the app is shutting down)."""
        with self._lock:
            self._closed = True
            dropped = list(self._results.values())
            self._results.clear()
        for old in dropped:
            shutil.rmtree(old.folder, ignore_errors=True)


def results_of(app: FastAPI) -> VideoResults:
    found: VideoResults | None = getattr(app.state, "video_results", None)
    if found is None:
        found = VideoResults()
        app.state.video_results = found
    return found


def video_options(view: str | None, height_m: str | None) -> tuple[View | None, float | None]:
    """The form's view (auto, side, rear) and height in metres (optional, 0.8–2.5)."""
    choice = (view or "auto").strip().lower()
    if choice not in VIEWS:
        raise InputError(f"Unknown view {view!r}: choose auto, side, rear or front.")
    text = (height_m or "").strip().replace(",", ".")
    if not text:
        return VIEWS[choice], None
    low, high = HEIGHT_M
    try:
        height = float(text)
    except ValueError:
        height = float("nan")
    if not low <= height <= high:  # NaN and inf fail too
        raise InputError(f"Height must be in metres, between {low} and {high} (for example "
                         f"1.75); {text[:20]!r} is not. Leave it empty if you do not know it.")
    return VIEWS[choice], height


def start_video_job(request: Request, *, upload: Path, view: View | None,
                    height_m: float | None) -> Job:
    """Analyse ``upload`` (alone in its fresh temp folder) in the background; the folder
    becomes the result's, or is deleted if the analysis fails."""
    settings: Settings = settings_of(request)
    owner, runner = owner_key(request), runner_of(request)
    results = results_of(request.app)
    folder, name = upload.parent, upload.name

    def work(progress: Progress) -> str:
        try:
            analysis, report = _analyse(upload, settings=settings, view=view,
                                        height_m=height_m, progress=progress)
            # Into the history of the runner the job belongs to (the clip itself is not kept).
            new, video_id = workflows.save_video_report(report, name=name, settings=settings,
                                                        runner=runner)
        except BaseException:
            shutil.rmtree(folder, ignore_errors=True)
            raise
        token = uuid.uuid4().hex
        results.add(VideoResult(token=token, owner=owner, name=name, folder=folder,
                                analysis=analysis, video_id=video_id, newly_stored=new))
        return f"/videos/{token}"

    job: Job = request.app.state.jobs.submit(
        f"Analysing {name}", work, owner=owner, upload_dir=folder, keep_upload=True,
        counts="frame", phases=VIDEO_PHASES)
    return job


def _analyse(upload: Path, *, settings: Settings, view: View | None, height_m: float | None,
             progress: Progress) -> tuple[dict[str, Any], VideoReport]:
    """Pose, measure, report and annotate; the upload itself is deleted once done. Progress
    counts each frame twice: once posed, once drawn into the annotated copy."""
    frames: list[int] = [0]

    def posing(done: int, total: int | None) -> None:
        frames[0] = total or done
        progress(done, None if total is None else 2 * total)

    def drawing(done: int, total: int | None) -> None:
        count = total or frames[0]
        progress(frames[0] + done, frames[0] + count)

    folder = upload.parent
    try:
        report = workflows.analyze_video(upload, view=view, height_m=height_m,
                                         progress=posing)
        outcome = workflows.Analysed(path=upload, report=report)
        analysis = outcome.json()
        (folder / ANALYSIS).write_text(
            json.dumps(analysis, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
        (folder / REPORT).write_text(workflows.render_html(outcome, settings=settings),
                                     encoding="utf-8")
        workflows.write_annotated(report, upload, folder / ANNOTATED, progress=drawing)
    except BackstrideError:  # one line that says what is wrong and what to do
        raise
    except Exception as exc:  # never a traceback on the page; the log has it
        logger.exception("video analysis failed: %s", upload.name)
        raise InputError(
            f"{upload.name} could not be analysed ({type(exc).__name__}: "
            f"{_one_line(str(exc))[:200]}). Check that the clip plays; if it does, please "
            "report this.") from exc
    upload.unlink(missing_ok=True)  # the annotated copy is what the page shows
    return analysis, report


def _one_line(text: str) -> str:
    return " ".join(text.split())


# ---------------------------------------------------------------- result pages


def _result(request: Request, token: str) -> VideoResult:
    result = results_of(request.app).get(token)
    if result is None or result.owner != owner_key(request):  # another user's is none
        raise HTTPException(status_code=404, detail=(
            f"This video result is no longer kept: backstride keeps the annotated copies of "
            f"the last {KEEP_VIDEOS} videos until it restarts. The clip's analysis is in your "
            "history: see Videos."))
    return result


@router.get("/videos/{token}", response_class=HTMLResponse)
def video_page(request: Request, token: Token) -> HTMLResponse:
    result = _result(request, token)
    stem = Path(result.name).stem
    from backstride.web.routes_care import finding_plan_of

    return render(request, "video.html.j2", token=token, name=result.name,
                  analysis=result.analysis, keep=KEEP_VIDEOS, video_id=result.video_id,
                  newly_stored=result.newly_stored,
                  finding_plan=finding_plan_of(request, result.analysis.get("findings") or []),
                  annotated_name=f"{stem}-annotated.mp4", json_name=f"{stem}.analysis.json")


@router.get("/videos/{token}/report")
def video_report(request: Request, token: Token) -> FileResponse:
    """The offline video report; served under the report CSP (sandboxed, its own scripts)."""
    result = _result(request, token)
    return FileResponse(result.folder / REPORT, media_type="text/html; charset=utf-8")


@router.get("/videos/{token}/annotated.mp4")
def video_annotated(request: Request, token: Token) -> FileResponse:
    """The annotated clip; Starlette's FileResponse answers Range requests (206) itself."""
    result = _result(request, token)
    return FileResponse(result.folder / ANNOTATED, media_type="video/mp4",
                        filename=f"{Path(result.name).stem}-annotated.mp4",
                        content_disposition_type="inline")


@router.get("/videos/{token}/analysis.json")
def video_json(request: Request, token: Token) -> FileResponse:
    result = _result(request, token)
    return FileResponse(result.folder / ANALYSIS, media_type="application/json",
                        filename=f"{Path(result.name).stem}.analysis.json")


# ---------------------------------------------------------------- stored clips (history)


@router.get("/videos", response_class=HTMLResponse)
def videos_page(request: Request, page: int = 1) -> HTMLResponse:
    """The runner's stored clips, newest first."""
    videos = workflows.list_videos(settings=settings_of(request), runner=runner_of(request))
    total = len(videos)
    pages = max(1, -(-total // VIDEOS_PER_PAGE))
    page = min(max(page, 1), pages)
    shown = videos[(page - 1) * VIDEOS_PER_PAGE:page * VIDEOS_PER_PAGE]
    return render(request, "videos.html.j2", videos=shown, page=page, pages=pages, total=total)


@router.get("/videos/stored/{video_id}", response_class=HTMLResponse)
def stored_video_page(request: Request, video_id: VideoId) -> HTMLResponse:
    analysis = workflows.stored_video(video_id, settings=settings_of(request),
                                      runner=runner_of(request))
    name = str((analysis.get("source") or {}).get("path") or f"video {video_id}")
    from backstride.web.routes_care import finding_plan_of

    return render(request, "video_stored.html.j2", video_id=video_id, analysis=analysis,
                  name=name.replace("\\", "/").rsplit("/", 1)[-1],
                  finding_plan=finding_plan_of(request, analysis.get("findings") or []))


@router.get("/videos/stored/{video_id}/analysis.json")
def stored_video_json(request: Request, video_id: VideoId) -> JSONResponse:
    """The clip's backstride.analysis/1 as stored (`backstride videos show ID --json`)."""
    analysis = workflows.stored_video(video_id, settings=settings_of(request),
                                      runner=runner_of(request))
    return JSONResponse(analysis, headers={
        "Content-Disposition": f'attachment; filename="video-{video_id}.analysis.json"'})


@router.get("/videos/stored/{video_id}/report", response_class=HTMLResponse)
def stored_video_report(request: Request, video_id: VideoId) -> HTMLResponse:
    """The video report rebuilt from the stored keypoints (no key frames: the clip is not
    stored); served under the report CSP, like a run's."""
    from backstride.adapters.render.video_html import render_video_html

    settings, runner = settings_of(request), runner_of(request)

    def build() -> str:
        analysis = workflows.stored_video(video_id, settings=settings, runner=runner)
        report = workflows.stored_video_report(video_id, settings=settings, runner=runner)
        return render_video_html(analysis, report)

    return HTMLResponse(cached(request, ("video-report", video_id), build))
