"""Pages for the history: the pain diary, shoes, trends and importing watch files or exports.

Thin handlers: read the form, call one workflow, render or redirect (post/redirect/get, so a
reload never repeats an entry). A bad value becomes an ``InputError`` and the form comes back
with the message and what was typed (422).
"""

from __future__ import annotations

import shutil
import tempfile
import uuid
from collections import OrderedDict
from datetime import date
from pathlib import Path
from typing import Annotated, Any, Final

from fastapi import APIRouter, File, HTTPException, Request, UploadFile
from fastapi.responses import HTMLResponse, RedirectResponse

from backstride import workflows
from backstride.adapters.render.trends_json import trends_json
from backstride.adapters.render.units import M_PER_KM, M_PER_MILE, METRIC_UNITS
from backstride.config import Settings
from backstride.core.types import Progress
from backstride.errors import InputError
from backstride.web import security
from backstride.web.auth import owner_key, runner_of
from backstride.web.pages import cached, render, settings_of

router = APIRouter()

IMPORT_MAX_BYTES: Final = 512 * 1024 * 1024  # an export archive (Garmin, Strava, Apple Health)
KEPT_SUMMARIES: Final = 50  # import summaries kept in memory for their result page
RECENT_RUNS: Final = 30  # runs offered in the pain form's run list
PAIN_KIND_LABELS: Final = {"during": "During a run", "after_run": "After a run",
                           "next_morning": "The next morning", "other": "Other"}
PAIN_PLACES: Final = ("low back, left", "low back, right", "low back, both sides",
                      "buttock", "hip", "hamstring", "knee", "calf", "shin", "foot")
TREND_METRICS: Final = {"cadence_spm": "Cadence", "ground_contact_time_ms": "Contact",
                        "vertical_oscillation_mm": "Vert. osc.",
                        "vertical_ratio_pct": "Vert. ratio", "step_length_m": "Step"}
"""The weekly table's columns: short headings (the full name is in the abbr title)."""
METRIC_BY_KEY: Final = {u.key: u for u in METRIC_UNITS.values()}


# ---------------------------------------------------------------- form values


async def _form(request: Request) -> dict[str, str]:
    """The submitted text fields, trimmed (files are read by their own parameter)."""
    form = await request.form()
    return {key: value.strip() for key, value in form.items() if isinstance(value, str)}


def _number(values: dict[str, str], key: str, label: str) -> float | None:
    text = values.get(key, "").replace(",", ".")
    if not text:
        return None
    try:
        return float(text)
    except ValueError:
        raise InputError(f"{label} {text!r} is not a number; leave it empty if you "
                         "do not know.") from None


def _day(values: dict[str, str], key: str, label: str) -> date | None:
    text = values.get(key, "")
    if not text:
        return None
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise InputError(f"{label} {text!r} is not a date; give it as YYYY-MM-DD.") from None


def _whole(values: dict[str, str], key: str, label: str, hint: str) -> int:
    text = values.get(key, "")
    if not text:
        raise InputError(f"Choose {label}: {hint}.")
    try:
        return int(text)
    except ValueError:
        raise InputError(f"{label.capitalize()} {text!r} is not a whole number: {hint}.") \
            from None


# ---------------------------------------------------------------- pain diary


@router.get("/pain", response_class=HTMLResponse)
def pain_page(request: Request) -> HTMLResponse:
    return _pain_page(request, changed=request.query_params.get("changed") == "1",
                      saved=request.query_params.get("saved") == "1")


@router.post("/pain", response_model=None)
async def pain_add(request: Request) -> HTMLResponse | RedirectResponse:
    values = await _form(request)
    try:
        run_text = values.get("run", "")
        changed = workflows.add_pain(
            settings=settings_of(request), runner=runner_of(request),
            score=_whole(values, "score", "a pain score", "0 (none) to 10 (worst)"),
            kind=values.get("kind", "during"), location=values.get("location") or None,
            onset_min=_number(values, "onset_min", "The minute"),
            onset_km=_number(values, "onset_km", "The km"),
            run_id=_whole(values, "run", "a run", "pick one from the list") if run_text else None,
            recorded_on=_day(values, "recorded_on", "The date"),
            note=values.get("note") or None)
    except InputError as exc:
        return _pain_page(request, error=str(exc), values=values, status_code=422)
    return RedirectResponse("/pain?changed=1" if changed else "/pain?saved=1", status_code=303)


def _pain_page(request: Request, *, changed: bool = False, saved: bool = False,
               error: str | None = None, values: dict[str, str] | None = None,
               status_code: int = 200) -> HTMLResponse:
    settings, runner = settings_of(request), runner_of(request)
    entries = list(reversed(workflows.list_pain(settings=settings, runner=runner)))
    runs = workflows.list_runs(settings=settings, limit=RECENT_RUNS, runner=runner)
    return render(request, "pain.html.j2", status_code=status_code, entries=entries, runs=runs,
                  kinds=PAIN_KIND_LABELS, places=PAIN_PLACES, changed=changed, saved=saved,
                  error=error, values=values or {}, today=date.today().isoformat())


# ---------------------------------------------------------------- shoes


@router.get("/shoes", response_class=HTMLResponse)
def shoes_page(request: Request) -> HTMLResponse:
    return _shoes_page(request, done=request.query_params.get("done"))


@router.post("/shoes", response_model=None)
async def shoes_add(request: Request) -> HTMLResponse | RedirectResponse:
    values = await _form(request)
    try:
        start = _number(values, "start_distance", "The starting distance") or 0.0
        unit = values.get("start_unit", "km")
        if unit not in ("km", "mi"):
            raise InputError(f"Unknown unit {unit!r}: use km or mi.")
        workflows.add_shoe(
            settings=settings_of(request), runner=runner_of(request), name=values.get("name", ""),
            start_distance_m=start * (M_PER_MILE if unit == "mi" else M_PER_KM),
            default_from=_day(values, "default_from", "The first day"),
            default_to=_day(values, "default_to", "The last day"))
    except InputError as exc:
        return _shoes_page(request, error=str(exc), values=values, failed="add",
                           status_code=422)
    return RedirectResponse("/shoes?done=added", status_code=303)


@router.post("/shoes/{shoe_id}/retire")
def shoes_retire(request: Request, shoe_id: int) -> RedirectResponse:
    workflows.retire_shoe(shoe_id, settings=settings_of(request), on=None,
                          runner=runner_of(request))
    return RedirectResponse("/shoes?done=retired", status_code=303)


@router.post("/shoes/default", response_model=None)
async def shoes_default(request: Request) -> HTMLResponse | RedirectResponse:
    values = await _form(request)
    try:
        shoe_id = _whole(values, "shoe", "a shoe", "pick one from the list")
        start = _day(values, "default_from", "The first day")
        if start is None:
            raise InputError("Give the first day this shoe is your default (YYYY-MM-DD).")
        workflows.set_default_shoe(shoe_id, settings=settings_of(request), default_from=start,
                                   default_to=_day(values, "default_to", "The last day"),
                                   runner=runner_of(request))
    except InputError as exc:
        return _shoes_page(request, error=str(exc), values=values, failed="default",
                           status_code=422)
    return RedirectResponse("/shoes?done=default", status_code=303)


def _shoes_page(request: Request, *, done: str | None = None, error: str | None = None,
                values: dict[str, str] | None = None, failed: str | None = None,
                status_code: int = 200) -> HTMLResponse:
    settings = settings_of(request)
    found = workflows.list_shoes(settings=settings, runner=runner_of(request))
    return render(request, "shoes.html.j2", status_code=status_code,
                  shoes=found.in_use, retired=found.retired,
                  warn_m=found.warn_m, replace_m=found.replace_m,
                  warn_text=_round_distance(found.warn_m, settings),
                  replace_text=_round_distance(found.replace_m, settings),
                  done=done, error=error, values=values or {}, failed=failed,
                  unit="mi" if settings.units == "imperial" else "km")


def _round_distance(distance_m: float, settings: Settings) -> str:
    """A threshold in the runner's units, to the whole km or mile."""
    if settings.units == "imperial":
        return f"{distance_m / M_PER_MILE:.0f} mi"
    return f"{distance_m / M_PER_KM:.0f} km"


# ---------------------------------------------------------------- trends


@router.get("/trends", response_class=HTMLResponse)
def trends_page(request: Request) -> HTMLResponse:
    runner = runner_of(request)
    found, charts = cached(request, ("trends",), lambda: _trends_and_charts(
        settings_of(request), runner))
    weekly = list(reversed(found["weekly"]))
    shown = [k for k in TREND_METRICS if any(k in w["metrics"] for w in weekly)]
    comparisons = found["pain_vs_form"]
    return render(request, "trends.html.j2", trends=found, weekly=weekly,
                  metrics=[(k, TREND_METRICS[k], METRIC_BY_KEY[k]) for k in shown],
                  metric_by_key=METRIC_BY_KEY,
                  compared=[c for c in comparisons if c["status"] == "ok"],
                  not_compared=[c for c in comparisons if c["status"] != "ok"],
                  charts=charts["charts"], charts_json=charts["json"])


def _trends_and_charts(settings: Settings, runner: str) -> tuple[dict[str, Any],
                                                                 dict[str, Any]]:
    """The trends JSON and the charts (their figures serialised once, so a cached page only
    inserts the text)."""
    import json

    from backstride.adapters.render.trend_charts import chart_config, trend_charts

    found, series = workflows.trends_with_series(settings=settings, runner=runner)
    charts = trend_charts(series)
    drawn = [{"id": c["id"], "figure": c["figure"]} for c in charts if c["figure"] is not None]
    text = json.dumps({"config": chart_config(), "charts": drawn}, separators=(",", ":"))
    # Inside <script type="application/json">: "</" must not end the element early.
    return trends_json(found), {"charts": charts, "json": text.replace("</", "<\\/")}


# ---------------------------------------------------------------- import


@router.get("/import", response_class=HTMLResponse)
def import_page(request: Request) -> HTMLResponse:
    return render(request, "import.html.j2", limit_mb=IMPORT_MAX_BYTES // (1024 * 1024))


@router.post("/import")
async def import_upload(request: Request,
                        file: Annotated[UploadFile | None, File()] = None) -> RedirectResponse:
    """Keep the upload in a fresh folder under a safe name, then import it in the background
    and show the summary when the job is done."""
    if file is None:
        raise InputError("Choose a file to import: an export archive (.zip) or a watch file.")
    data = await security.read_upload(file, limit=IMPORT_MAX_BYTES)
    if not data:
        raise InputError("The upload is empty: choose an export archive (.zip) or a FIT, TCX "
                         "or GPX file from your watch.")
    settings, runner, owner = settings_of(request), runner_of(request), owner_key(request)
    name = safe_file_name(file.filename)
    folder = Path(tempfile.mkdtemp(prefix="backstride-import-"))
    upload = folder / name
    upload.write_bytes(data)
    archive = data[:4] == b"PK\x03\x04"  # a zip: decode its members on all cores
    del data
    token = uuid.uuid4().hex
    summaries = _summaries(request)

    def work(progress: Progress) -> str:
        try:
            summary = workflows.import_paths([upload], settings=settings,
                                             workers=None if archive else 1,
                                             progress=progress, runner=runner)
        finally:
            shutil.rmtree(folder, ignore_errors=True)
        shown = summary.json()
        for item in shown["skipped"]:
            item["name"] = item["name"].replace(f"{folder}/", "")
        summaries[token] = {"name": name, "owner": owner, **shown}
        while len(summaries) > KEPT_SUMMARIES:
            summaries.popitem(last=False)
        return f"/import/{token}"

    job = request.app.state.jobs.submit(f"Importing {name}", work, owner=owner,
                                        upload_dir=folder)
    return RedirectResponse(f"/jobs/{job.id}", status_code=303)


@router.get("/import/{token}", response_class=HTMLResponse)
def import_done(request: Request, token: str) -> HTMLResponse:
    summary = _summaries(request).get(token)
    if summary is None or summary["owner"] != owner_key(request):
        raise HTTPException(status_code=404, detail=(
            "This import summary is no longer kept (backstride was restarted). Your imported "
            "runs are in the run list."))
    return render(request, "import_done.html.j2", summary=summary)


def _summaries(request: Request) -> OrderedDict[str, dict[str, Any]]:
    """Finished imports' summaries, on the app (no module-level state), oldest first."""
    state = request.app.state
    found: OrderedDict[str, dict[str, Any]] | None = getattr(state, "import_summaries", None)
    if found is None:
        found = OrderedDict()
        state.import_summaries = found
    return found


safe_file_name = security.safe_file_name
