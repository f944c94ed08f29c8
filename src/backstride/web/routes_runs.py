"""Dashboard, analysing an upload (with progress), the run list and a run's report."""

from __future__ import annotations

import shutil
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import Annotated, Any

from fastapi import APIRouter, File, Form, HTTPException, Request, UploadFile
from fastapi import Path as FastApiPath
from fastapi.responses import HTMLResponse, JSONResponse, RedirectResponse

from backstride import workflows
from backstride.adapters.render.today_json import today_json
from backstride.errors import InputError
from backstride.web import routes_video, security
from backstride.web.auth import owner_key, runner_of
from backstride.web.pages import PageCache, cached, cached_page, render, settings_of

router = APIRouter()
RunId = Annotated[int, FastApiPath(ge=1, le=2**31 - 1)]
RUNS_PER_PAGE = 50
TOO_LARGE = ("The file is larger than 512 MB. A running video may be up to 512 MB (trim it to "
             "the 10–30 s that matter) and a watch file up to 64 MB.")


@router.get("/", response_class=HTMLResponse)
def dashboard(request: Request) -> HTMLResponse:
    return cached_page(request, lambda: _dashboard(request))


def _dashboard(request: Request) -> HTMLResponse:
    settings, runner = settings_of(request), runner_of(request)
    recent = workflows.list_runs(settings=settings, limit=30, runner=runner)
    runs = recent[:8]  # newest first: the list, and the trend below, from one query
    shoes = [s for s in workflows.list_shoes(settings=settings, runner=runner).shoes
             if s.status in ("replace_soon", "replace")]
    state = workflows.care_state(settings, runner=runner)
    record = state.holding or state.latest  # a later, lower triage does not lift a hold
    cleared = state.seen and not state.held
    cadence = [(r.start_text, r.metric_value("cadence_spm"))
               for r in reversed(recent)]
    videos = workflows.list_videos(settings=settings, runner=runner)
    try:  # the "today / this week" card (backstride today); none without a triage or plan
        today = today_json(workflows.today_card(settings=settings, runner=runner))
    except InputError:
        today = None
    return render(request, "dashboard.html.j2", runs=runs, shoe_alerts=shoes,
                  triage=None if record is None else record.result, cleared=cleared,
                  cadence=[c for c in cadence if c[1] is not None], videos=videos,
                  today=today)


@router.get("/analyse", response_class=HTMLResponse)
def analyse_form(request: Request) -> HTMLResponse:
    return render(request, "analyse.html.j2", height_range=routes_video.HEIGHT_M)


@router.post("/analyse")
async def analyse_upload(request: Request, file: Annotated[UploadFile, File()],
                         view: Annotated[str, Form()] = "auto",
                         height_m: Annotated[str, Form()] = "") -> RedirectResponse:
    """Store the upload (streamed to disk), then analyse it in the background: a watch file is
    imported into the history; a video is analysed on its own (routes_video)."""
    settings, runner = settings_of(request), runner_of(request)
    video_view, video_height = routes_video.video_options(view, height_m)  # before any bytes
    name = security.safe_file_name(file.filename)
    folder = Path(tempfile.mkdtemp(prefix="backstride-upload-"))
    upload = folder / name  # a cleaned bare name in a fresh folder: no path traversal
    try:
        size = await security.save_upload(file, upload, limit=routes_video.VIDEO_MAX_BYTES,
                                          too_large=TOO_LARGE)
        if not size:
            raise InputError("The upload is empty: choose a FIT, TCX or GPX file from your "
                             "watch, or a running video.")
        if workflows.looks_like_video(upload):
            job = routes_video.start_video_job(request, upload=upload, view=video_view,
                                               height_m=video_height)
            return RedirectResponse(f"/jobs/{job.id}", status_code=303)
        if size > security.MAX_UPLOAD_BYTES:
            raise HTTPException(status_code=413, detail=(
                f"The file is larger than {security.MAX_UPLOAD_BYTES // (1024 * 1024)} MB. "
                "Upload a single activity file, or import an export archive with "
                "'backstride import'."))
    except BaseException:
        shutil.rmtree(folder, ignore_errors=True)
        raise

    def work(progress: Any) -> str:
        try:
            summary = workflows.import_paths([upload], settings=settings, workers=1,
                                             progress=progress, runner=runner)
            if summary.skipped:
                raise InputError(summary.skipped[0][1])
            sha = workflows.content_sha256(upload.read_bytes(), name)
        finally:
            shutil.rmtree(folder, ignore_errors=True)  # the run is in the history now
        run_id = workflows.run_id_for_sha256(sha, settings=settings, runner=runner)
        if run_id is None:
            raise InputError(f"{name} holds no run to analyse (is it a walk or a ride?).")
        return f"/runs/{run_id}"

    job = request.app.state.jobs.submit(f"Analysing {name}", work, owner=owner_key(request),
                                        upload_dir=folder, counts="file")
    return RedirectResponse(f"/jobs/{job.id}", status_code=303)


@router.get("/jobs/{job_id}", response_model=None)
def job_page(request: Request, job_id: str) -> HTMLResponse | JSONResponse:
    job = request.app.state.jobs.get(job_id)
    if job is None or job.owner != owner_key(request):  # another user's job is no job
        raise HTTPException(status_code=404, detail="No such job: it may have finished long ago.")
    # One URL, two answers (the page, and the JSON its script polls): neither may be kept, or
    # the back button shows the last JSON poll in place of the page.
    live = {"Cache-Control": "no-store", "Vary": "Accept"}
    if "application/json" in request.headers.get("accept", ""):
        return JSONResponse(job.json(), headers=live)
    page = render(request, "job.html.j2", job=job.json())
    page.headers.update(live)
    return page


@router.get("/runs", response_class=HTMLResponse)
def runs_page(request: Request, page: int = 1) -> HTMLResponse:
    return cached_page(request, lambda: _runs_page(request, page))


def _runs_page(request: Request, page: int) -> HTMLResponse:
    settings, runner = settings_of(request), runner_of(request)
    total = workflows.count_runs(settings=settings, runner=runner)
    pages = max(1, -(-total // RUNS_PER_PAGE))
    page = min(max(page, 1), pages)
    runs = workflows.list_runs(settings=settings, limit=RUNS_PER_PAGE,
                               offset=(page - 1) * RUNS_PER_PAGE, runner=runner)
    return render(request, "runs.html.j2", runs=runs, page=page, pages=pages, total=total)


@router.get("/runs/{run_id}", response_class=HTMLResponse)
def run_page(request: Request, run_id: RunId) -> HTMLResponse:
    from backstride.web.routes_care import finding_plan_of, planned_of

    def build() -> HTMLResponse:
        analysis = workflows.run_analysis(run_id, settings=settings_of(request),
                                          runner=runner_of(request))
        return render(request, "run.html.j2", run_id=run_id, analysis=analysis,
                      surfaces=workflows.SURFACES,
                      finding_plan=finding_plan_of(request, analysis.get("findings") or []))
    # The findings link to the plan on show: the page is kept for that very plan.
    return cached_page(request, build, memory=planned_of(request))


@router.get("/runs/{run_id}/analysis.json")
def run_json(request: Request, run_id: RunId) -> JSONResponse:
    """The run's backstride.analysis/1, as `backstride runs show ID --json` writes it."""
    analysis = workflows.run_analysis(run_id, settings=settings_of(request),
                                      runner=runner_of(request))
    return JSONResponse(analysis, headers={
        "Content-Disposition": f'attachment; filename="run-{run_id}.analysis.json"'})


@router.get("/runs/{run_id}/report", response_class=HTMLResponse)
def run_report(request: Request, run_id: RunId) -> HTMLResponse:
    from backstride.web.routes_care import planned_of

    runner = runner_of(request)
    drawn: PageCache = request.app.state.reports  # by what they are drawn from: see workflow

    def memo(key: str, draw: Callable[[], str]) -> str:
        return drawn.get((key,), 0, draw)

    planned = planned_of(request)
    # Its findings name the plan's parts; the links are on the run page, under the report's
    # frame (the frame's sandbox lets no link navigate the page). The plan's JSON is made
    # only when the report is: a kept report needs only the key.
    def report() -> str:
        return workflows.run_report_html(
            run_id, settings=settings_of(request), plotly_src="/static-lib/plotly.min.js",
            runner=runner, memo=memo, plan=None if planned is None else planned.json())

    html = cached(request, ("report", run_id, _plan_key(planned)), report)
    return HTMLResponse(html)


@router.post("/runs/{run_id}/surface")
async def run_surface(request: Request, run_id: RunId) -> RedirectResponse:
    form = await request.form()
    workflows.set_surface(run_id, str(form.get("surface", "")), settings=settings_of(request),
                          runner=runner_of(request))
    return RedirectResponse(f"/runs/{run_id}", status_code=303)


def _plan_key(planned: workflows.Planned | None) -> tuple[object, ...] | None:
    """What of the plan a report's links depend on (part of the report's cache key)."""
    if planned is None:
        return None
    plan = planned.plan
    return (plan.held, tuple(step.target_spm for step in plan.cadence_steps),
            tuple(chosen.exercise.id for chosen in plan.exercises))
