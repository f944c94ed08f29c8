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
from backstride.web.forms import Problems, in_words, problems_of
from backstride.web.pages import cached, cached_page, render, settings_of

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
PAIN_LABELS: Final = {"--minute": "“Began at minute”", "--km": "“Began at km”",
                      "--date": "The date", "--when": "“When”"}
"""The pain form's labels in place of the CLI's options in the workflow's sentences."""
SHOE_LABELS: Final = {"--default-to": "“To”", "--default-from": "“From”"}


# ---------------------------------------------------------------- form values


async def _form(request: Request) -> dict[str, str]:
    """The submitted text fields, trimmed (files are read by their own parameter)."""
    form = await request.form()
    return {key: value.strip() for key, value in form.items() if isinstance(value, str)}


# ---------------------------------------------------------------- pain diary


@router.get("/pain", response_class=HTMLResponse)
def pain_page(request: Request) -> HTMLResponse:
    return cached_page(request, lambda: _pain_page(
        request, changed=request.query_params.get("changed") == "1",
        saved=request.query_params.get("saved") == "1"))


@router.post("/pain", response_model=None)
async def pain_add(request: Request) -> HTMLResponse | RedirectResponse:
    from backstride.workflows.history import pain_problems

    values = await _form(request)
    settings, runner = settings_of(request), runner_of(request)
    try:
        found = Problems()  # every problem of the form at once, in its own words
        score = found.whole(values, "score", "a pain score", "0 (none) to 10 (worst)",
                            required=True)
        kind = values.get("kind", "during")
        onset_min = found.number(values, "onset_min", "Began at minute", unit="minutes")
        onset_km = found.number(values, "onset_km", "Began at km", unit="km")
        run_id = found.whole(values, "run", "a run", "pick one from the list")
        recorded_on = found.day(values, "recorded_on", "Date")
        found.extend(pain_problems(score=score, kind=kind, onset_min=onset_min,
                                             onset_km=onset_km, recorded_on=recorded_on),
                     PAIN_LABELS)
        found.raise_any()
        assert score is not None  # required: a problem above otherwise
        changed = workflows.add_pain(
            settings=settings, runner=runner, score=score, kind=kind,
            location=values.get("location") or None, onset_min=onset_min, onset_km=onset_km,
            run_id=run_id, recorded_on=recorded_on, note=values.get("note") or None)
    except InputError as exc:  # also the workflow's (a minute past the run's end)
        return _pain_page(request, errors=[in_words(p, PAIN_LABELS) for p in problems_of(exc)],
                          values=values, status_code=422)
    return RedirectResponse("/pain?changed=1" if changed else "/pain?saved=1", status_code=303)


def _pain_page(request: Request, *, changed: bool = False, saved: bool = False,
               errors: list[str] | None = None, values: dict[str, str] | None = None,
               status_code: int = 200) -> HTMLResponse:
    settings, runner = settings_of(request), runner_of(request)
    entries = list(reversed(workflows.list_pain(settings=settings, runner=runner)))
    runs = workflows.list_runs(settings=settings, limit=RECENT_RUNS, runner=runner)
    return render(request, "pain.html.j2", status_code=status_code, entries=entries, runs=runs,
                  kinds=PAIN_KIND_LABELS, places=PAIN_PLACES, changed=changed, saved=saved,
                  errors=errors or [], values=values or {}, today=date.today().isoformat())


# ---------------------------------------------------------------- shoes


@router.get("/shoes", response_class=HTMLResponse)
def shoes_page(request: Request) -> HTMLResponse:
    return cached_page(request, lambda: _shoes_page(request, done=request.query_params.get("done")))


@router.post("/shoes", response_model=None)
async def shoes_add(request: Request) -> HTMLResponse | RedirectResponse:
    from backstride.workflows.history import SHOE_START_MAX_M, shoe_problems

    values = await _form(request)
    try:
        found = Problems()  # every problem of the form at once, in its own words
        unit = values.get("start_unit", "km")
        if unit not in ("km", "mi"):
            found.add(f"Unknown unit “{unit}”: choose km or mi.")
            unit = "km"
        per_unit = M_PER_MILE if unit == "mi" else M_PER_KM
        start = found.number(values, "start_distance", "Distance it has already run", unit=unit)
        if start is not None and not 0 <= start * per_unit <= SHOE_START_MAX_M:
            found.add(f"Distance it has already run: {start:g} {unit} is not plausible; give "
                      f"0 to {SHOE_START_MAX_M / per_unit:,.0f} {unit} (0 for new "
                      "shoes).")
            start = None
        default_from = found.day(values, "default_from", "Default for runs from")
        default_to = found.day(values, "default_to", "Default for runs to")
        found.extend(shoe_problems(
            name=values.get("name", ""), start_distance_m=None, default_from=default_from,
            default_to=default_to), SHOE_LABELS)
        found.raise_any()
        workflows.add_shoe(
            settings=settings_of(request), runner=runner_of(request), name=values.get("name", ""),
            start_distance_m=(start or 0.0) * per_unit, default_from=default_from,
            default_to=default_to)
    except InputError as exc:
        return _shoes_page(request, errors=[in_words(p, SHOE_LABELS) for p in problems_of(exc)],
                           values=values, failed="add", status_code=422)
    return RedirectResponse("/shoes?done=added", status_code=303)


@router.post("/shoes/{shoe_id}/retire")
def shoes_retire(request: Request, shoe_id: int) -> RedirectResponse:
    workflows.retire_shoe(shoe_id, settings=settings_of(request), on=None,
                          runner=runner_of(request))
    return RedirectResponse("/shoes?done=retired", status_code=303)


@router.post("/shoes/default", response_model=None)
async def shoes_default(request: Request) -> HTMLResponse | RedirectResponse:
    from backstride.workflows.history import shoe_problems

    values = await _form(request)
    try:
        found = Problems()
        shoe_id = found.whole(values, "shoe", "a shoe", "pick one from the list", required=True)
        start = found.day(values, "default_from", "From")
        if start is None and not values.get("default_from"):
            found.add("Give the first day this shoe is your default in “From”.")
        end = found.day(values, "default_to", "To")
        found.extend(shoe_problems(name=None, start_distance_m=None,
                                             default_from=start, default_to=end), SHOE_LABELS)
        found.raise_any()
        assert shoe_id is not None and start is not None  # required: a problem otherwise
        workflows.set_default_shoe(shoe_id, settings=settings_of(request), default_from=start,
                                   default_to=end, runner=runner_of(request))
    except InputError as exc:
        return _shoes_page(request, errors=[in_words(p, SHOE_LABELS) for p in problems_of(exc)],
                           values=values, failed="default", status_code=422)
    return RedirectResponse("/shoes?done=default", status_code=303)


def _shoes_page(request: Request, *, done: str | None = None, errors: list[str] | None = None,
                values: dict[str, str] | None = None, failed: str | None = None,
                status_code: int = 200) -> HTMLResponse:
    settings = settings_of(request)
    found = workflows.list_shoes(settings=settings, runner=runner_of(request))
    return render(request, "shoes.html.j2", status_code=status_code,
                  shoes=found.in_use, retired=found.retired,
                  warn_m=found.warn_m, replace_m=found.replace_m,
                  warn_text=_round_distance(found.warn_m, settings),
                  replace_text=_round_distance(found.replace_m, settings),
                  done=done, errors=errors or [], values=values or {}, failed=failed,
                  unit="mi" if settings.units == "imperial" else "km")


def _round_distance(distance_m: float, settings: Settings) -> str:
    """A threshold in the runner's units, to the whole km or mile."""
    if settings.units == "imperial":
        return f"{distance_m / M_PER_MILE:.0f} mi"
    return f"{distance_m / M_PER_KM:.0f} km"


# ---------------------------------------------------------------- trends


@router.get("/trends", response_class=HTMLResponse)
def trends_page(request: Request) -> HTMLResponse:
    return cached_page(request, lambda: _trends_page(request))


def _trends_page(request: Request) -> HTMLResponse:
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
        from backstride.workflows.imports import import_file_count

        total = import_file_count(upload)  # "file 12 of 60": the zip's list of names

        def counted(done: int, _total: int | None) -> None:
            progress(done, total if total is not None and done <= total else None)

        try:
            summary = workflows.import_paths([upload], settings=settings,
                                             workers=None if archive else 1,
                                             progress=counted, runner=runner)
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
                                        upload_dir=folder, counts="file")
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
