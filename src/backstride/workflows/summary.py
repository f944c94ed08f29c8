"""The summary for the clinician (``backstride summary``, the web app's "Summary for your
clinician"): everything on record gathered in one place, for adapters.render.summary to put
into words on one printable page (HTML or PDF)."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

from backstride.adapters.output import write_output
from backstride.adapters.render.history_json import pain_entry_json, run_json, video_json_entry
from backstride.adapters.render.summary import SummaryData
from backstride.adapters.storage.records import DEFAULT_RUNNER
from backstride.config import Settings
from backstride.errors import InputError
from backstride.workflows.care import care_state, latest_selftests, screen_body
from backstride.workflows.history import list_pain, list_runs, open_store
from backstride.workflows.video import list_videos


def gather_summary(*, settings: Settings, runner: str = DEFAULT_RUNNER) -> SummaryData:
    state = care_state(settings, runner=runner)
    stored_tests = latest_selftests(settings=settings, runner=runner)
    with open_store(settings) as store:
        plan = store.latest_plan(runner=runner)
    return SummaryData(
        made_on=datetime.now(UTC).date(), runner=runner, latest=state.latest,
        holding=state.holding, clearance=state.clearance, seen=state.seen,
        pain=[pain_entry_json(entry) for entry in list_pain(settings=settings, runner=runner)],
        runs=sorted((run_json(run) for run in list_runs(settings=settings, runner=runner)),
                    key=lambda run: str(run["start_utc"])),
        videos=[video_json_entry(video) for video in sorted(
            list_videos(settings=settings, runner=runner), key=lambda v: v.imported_utc)],
        selftests=None if stored_tests is None else screen_body(
            stored_tests, settings=settings, save=False).json(),
        plan=None if plan is None else plan[0], plan_made=None if plan is None else plan[1])


def write_summary(data: SummaryData, out: Path) -> Path:
    """The summary as ``out``: PDF when it ends in .pdf, else HTML; written atomically."""
    from backstride.adapters.render.summary import summary_html, summary_pdf  # fpdf2: lazy

    suffix = out.suffix.lower()
    if suffix not in (".html", ".htm", ".pdf"):
        raise InputError(f"--out {out.name}: give a file ending in .html or .pdf.")
    payload = summary_pdf(data) if suffix == ".pdf" else summary_html(data).encode("utf-8")
    out.parent.mkdir(parents=True, exist_ok=True)
    write_output(out, payload)  # atomic for a file; through a link, FIFO or device
    return out
