"""The summary for the clinician: one printable page, HTML or PDF, from the same sections.

Everything is put in words a clinician reads without decoding: questions and answers as asked,
levels and reasons in plain sentences, metric names with units, test names with their norms.
No answer key, rule id or finding id is printed (docs/safety.md, "Summary for the
clinician"). The PDF is drawn with fpdf2 (pure Python, no browser), in DejaVu Sans when the
font is installed (Debian fonts-dejavu-core), else in Helvetica with the few non-Latin-1
characters spelt out.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from functools import lru_cache
from pathlib import Path
from typing import Any, Final

from jinja2 import Environment, PackageLoader, select_autoescape

from backstride.adapters.render.plan_html import WHY_TEXT, _selftests
from backstride.adapters.render.triage_json import LEVEL_WORDS, explained
from backstride.adapters.storage.records import Clearance, TriageRecord
from backstride.core.triage import (
    ANSWER_KEY,
    QUESTION_ORDER,
    STARTBACK_ITEMS,
    TRIAGE_DISCLAIMER,
    UNSURE,
    AnswerKind,
    not_asked_keys,
)
from backstride.errors import MissingDependencyError

TITLE: Final = "Back pain summary for your clinician"
LEVEL_TITLE: Final = {"emergency": "Emergency", "urgent": "Urgent",
                      "see_clinician": "See a clinician", "self_care": "Self-care"}
PAIN_WHEN: Final = {"during": "during a run", "after_run": "after a run",
                    "next_morning": "the next morning", "other": "other time"}
# Watch metrics shown over time: label, unit, decimals.
RUN_METRICS: Final = (("cadence_spm", "Cadence", "steps/min", 0),
                      ("ground_contact_time_ms", "Ground contact time", "ms", 0),
                      ("vertical_ratio_pct", "Vertical ratio", "%", 1))
# Video metrics: label, unit, decimals.
VIDEO_METRICS: Final = (("cadence_spm", "Cadence", "steps/min", 0),
                        ("overstride_frac_leg", "Overstride", "leg lengths", 2),
                        ("knee_flexion_at_contact_deg", "Knee bend at landing", "°", 0),
                        ("trunk_lean_deg", "Trunk lean", "°", 0),
                        ("pelvic_drop_deg", "Pelvic drop", "°", 0))
MAX_ROWS: Final = 12  # the newest runs and clips; a page, not the whole history
DEJAVU: Final = Path("/usr/share/fonts/truetype/dejavu")


@dataclass(frozen=True, slots=True, kw_only=True)
class SummaryData:
    """What the summary shows, as stored (workflows.summary gathers it)."""

    made_on: date
    runner: str
    latest: TriageRecord | None
    holding: TriageRecord | None  # an urgent/emergency triage no clearance has lifted
    clearance: Clearance | None
    seen: bool  # the clearance came after the latest triage
    pain: list[dict[str, Any]]
    runs: list[dict[str, Any]]  # backstride.runs/1 entries, oldest first
    videos: list[dict[str, Any]]  # backstride.videos/1 entries, oldest first
    selftests: dict[str, Any] | None  # backstride.selftest_result/1
    plan: dict[str, Any] | None  # the latest backstride.plan/1
    plan_made: datetime | None


@dataclass(frozen=True, slots=True, kw_only=True)
class Table:
    headers: tuple[str, ...]
    rows: Sequence[Sequence[str]]
    widths: tuple[int, ...]  # relative column widths (PDF)


@dataclass(frozen=True, slots=True, kw_only=True)
class Section:
    title: str
    lines: list[str] = field(default_factory=list)  # paragraphs
    table: Table | None = None
    after: list[str] = field(default_factory=list)  # notes under the table


# --- the sections, in words ------------------------------------------------------------------


def summary_sections(data: SummaryData) -> list[Section]:
    return [_status(data), *_triage(data), _pain(data), _runs(data), _videos(data),
            _selftest_section(data), _plan(data)]


def _day(value: datetime | date | str | None) -> str:
    if value is None:
        return "date unknown"
    if isinstance(value, datetime):
        return value.date().isoformat()
    return str(value)[:10]


def _status(data: SummaryData) -> Section:
    lines = []
    if data.latest is None:
        return Section(title="Where things stand", lines=[
            "No red-flag questions have been answered in backstride yet."])
    shown = data.holding or data.latest
    level = LEVEL_TITLE.get(shown.level, shown.level)
    lines.append(f"Triage of {_day(shown.created_utc)}: {level}. {shown.result.get('action', '')}")
    if data.holding is not None and data.holding != data.latest:
        lines.append(f"A later triage ({_day(data.latest.created_utc)}: "
                     f"{LEVEL_TITLE.get(data.latest.level, data.latest.level)}) does not lift "
                     "the hold; only a recorded clearance does.")
    if data.holding is not None:
        lines.append("The running plan is on hold until a clinician's clearance is recorded.")
    if data.clearance is not None:
        verb = "Seen" if data.seen and data.latest.level == "see_clinician" else "Cleared"
        note = f" Note: {data.clearance.note}." if data.clearance.note else ""
        counts = "" if data.seen else " (before the latest triage, so it does not cover it)"
        lines.append(f"{verb} by {data.clearance.cleared_by} on "
                     f"{data.clearance.cleared_on.isoformat()}{counts}.{note}")
    else:
        lines.append("No clearance by a clinician is recorded.")
    return Section(title="Where things stand", lines=lines)


def _answer_words(name: str, value: object, not_asked: Sequence[str]) -> str:
    key = ANSWER_KEY[name]
    if value == UNSURE:
        return "Not asked (stopped at an emergency answer)" if name in not_asked else "Not sure"
    if key.kind is AnswerKind.BOOL:
        return "Yes" if value is True else "No"
    if key.kind is AnswerKind.CHOICE:
        return key.labels[key.choices.index(str(value))] if value in key.choices else str(value)
    unit = {"age_years": " years", "pain_days": " days", "self_care_days": " days",
            "pain_now_0_10": " of 10"}.get(name, "")
    return f"{value}{unit}"


def _triage(data: SummaryData) -> list[Section]:
    record = data.holding or data.latest
    if record is None:
        return []
    answers = record.answers
    not_asked = not_asked_keys(answers)
    given, unsure_line = explained(record.result, answers)
    flags = Section(
        title=f"Red flags raised ({_day(record.created_utc)})",
        lines=[f"{LEVEL_TITLE.get(str(r['level']), r['level'])}: {r['message']}"
               for r in given] or ["No red flag in the answers given."],
        after=[unsure_line] if unsure_line else [])
    rows = [(ANSWER_KEY[name].question, _answer_words(name, answers.get(name), not_asked))
            for name in QUESTION_ORDER]
    asked = Section(title=f"Red-flag answers, {_day(record.created_utc)}",
                    table=Table(headers=("Question", "Answer"), rows=rows, widths=(7, 3)))
    sections = [flags, asked]
    startback = record.result.get("startback")
    items = answers.get("startback")
    if startback:
        lines = [f"Score {startback['total']} of 9, psychosocial subscale "
                 f"{startback['psychosocial']} of 5: {startback['risk']} risk of the pain "
                 "becoming long-lasting (Keele STarT Back, low back pain in primary care)."]
        table = None
        if isinstance(items, list) and len(items) == len(STARTBACK_ITEMS):
            table = Table(headers=("Statement (last 2 weeks)", "Answer"), widths=(7, 3), rows=[
                (item.text, item.labels[int(v)] if 0 <= int(v) < len(item.labels) else str(v))
                for item, v in zip(STARTBACK_ITEMS, items, strict=True)])
        sections.append(Section(title="STarT Back", lines=lines, table=table))
    else:
        sections.append(Section(title="STarT Back", lines=["Not answered."]))
    return sections


def _pain(data: SummaryData) -> Section:
    if not data.pain:
        return Section(title="Pain diary", lines=["No pain entries."])
    rows = []
    for entry in data.pain[-3 * MAX_ROWS:]:
        onset = [f"minute {entry['onset_min']:g}" if entry.get("onset_min") is not None else "",
                 f"km {entry['onset_km']:g}" if entry.get("onset_km") is not None else ""]
        rows.append((_day(entry.get("recorded_on")), f"{entry['score']} of 10",
                     PAIN_WHEN.get(str(entry.get("kind")), str(entry.get("kind") or "")),
                     str(entry.get("location") or "–"),
                     ", ".join(o for o in onset if o) or "–", str(entry.get("note") or "")))
    return Section(title="Pain diary (0 = none, 10 = worst)", table=Table(
        headers=("Date", "Pain", "When", "Where", "Began at", "Note"), rows=rows,
        widths=(2, 1, 2, 2, 2, 3)))


def _number(value: Any, decimals: int) -> str | None:
    if not isinstance(value, int | float) or isinstance(value, bool) or not math.isfinite(value):
        return None
    return f"{value:.{decimals}f}"


def _metric_cell(metric: Mapping[str, Any] | None, decimals: int, unit: str) -> str:
    if not metric or metric.get("status") != "ok":
        return "–"
    value = _number(metric.get("value"), decimals)
    if value is None:
        return "–"
    text = f"{value} {unit}"
    ci = metric.get("ci95")
    if isinstance(ci, list | tuple) and len(ci) == 2:
        low, high = (_number(v, decimals) for v in ci)
        if low is not None and high is not None:
            text += f" (95 % CI {low}–{high})"
    noise = metric.get("noise")
    if isinstance(noise, Mapping):
        band = noise.get("between_days_deg")
        if isinstance(band, list | tuple) and len(band) == 2:
            text += f"; between-day noise {band[0]}–{band[1]}°"
    return text


def _runs(data: SummaryData) -> Section:
    title = "Running form over time (watch)"
    if not data.runs:
        return Section(title=title, lines=["No runs recorded."])
    rows = []
    for run in data.runs[-MAX_ROWS:]:
        metrics = run.get("metrics") or {}
        distance = _number((run.get("distance_m") or 0) / 1000.0, 1)
        rows.append((_day(run.get("start_utc")), f"{distance} km" if distance else "–",
                     *(_metric_cell(metrics.get(key), decimals, unit)
                       for key, _label, unit, decimals in RUN_METRICS)))
    return Section(title=title, table=Table(
        headers=("Date", "Distance", *(label for _k, label, _u, _d in RUN_METRICS)),
        rows=rows, widths=(2, 2, 4, 4, 4)),
        after=["95 % CI: the bootstrap interval of each run's mean. A change smaller than the "
               "intervals' overlap is within measurement noise."])


def _videos(data: SummaryData) -> Section:
    title = "Running form over time (video)"
    if not data.videos:
        return Section(title=title, lines=["No videos analysed."])
    rows = []
    for video in data.videos[-MAX_ROWS:]:
        metrics = video.get("metrics") or {}
        rows.append((_day(video.get("imported_utc")), str(video.get("view") or "–"),
                     *(_metric_cell(metrics.get(key), decimals, unit)
                       for key, _label, unit, decimals in VIDEO_METRICS)))
    return Section(title=title, table=Table(
        headers=("Date", "View", *(label for _k, label, _u, _d in VIDEO_METRICS)),
        rows=rows, widths=(2, 1, 3, 3, 3, 3, 3)),
        after=["Angles from 2D video: a change between sessions smaller than the between-day "
               "noise (Damsted 2015) is within measurement noise."])


def _selftest_section(data: SummaryData) -> Section:
    title = "Self-tests against norms"
    if data.selftests is None:
        return Section(title=title, lines=["No self-tests recorded."])
    shown = _selftests(data.selftests)
    rows = [(str(r["test"]), str(r["value"]), str(r["cutoff"]), str(r["status"]),
             str(r["contributor"])) for r in shown["rows"]]
    after = list(shown["notes"])
    if shown["not_done"]:
        after.append(f"{shown['not_done']} test(s) not done.")
    if not rows:
        return Section(title=title, lines=["No self-test was done."], after=after)
    return Section(title=title, table=Table(
        headers=("Test", "Result", "Norm (fails when)", "Status", "Points to"), rows=rows,
        widths=(4, 2, 2, 2, 3)), after=after)


def _plan(data: SummaryData) -> Section:
    title = "Current plan"
    plan = data.plan
    if plan is None:
        return Section(title=title, lines=["No plan made yet."])
    made = f"Made {_day(data.plan_made)}. "
    if plan.get("held"):
        return Section(title=title, lines=[made + "On hold: no running progression or "
                                           "exercises until a clinician's clearance is "
                                           "recorded."])
    lines = []
    clearance = plan.get("clearance")
    if clearance:
        lines.append(made + str(clearance.get("text") or ""))
    else:
        lines.append(made + f"Triage {LEVEL_WORDS.get(plan['triage']['level'], '')}.")
    if plan.get("waiting_for_clinician"):
        lines.append("Waiting for the visit: the cadence steps start once the runner records "
                     "that they were seen.")
    baseline = plan.get("baseline")
    if baseline:
        lines.append(f"Cadence baseline {baseline['cadence_spm']:.0f} steps/min "
                     f"({baseline['basis']}).")
    for step in plan.get("cadence_steps") or []:
        low, high = step["range_spm"]
        lines.append(f"Weeks {step['week']}–{step['week'] + step['weeks'] - 1}: cadence "
                     f"{step['target_spm']:.0f} steps/min (watch alert {low:.0f}–{high:.0f}).")
    exercises = [f"{e['name']} ({e['dose']}; for {WHY_TEXT.get(str(e['why']), 'general')})"
                 for e in plan.get("exercises") or []]
    if exercises:
        lines.append("Exercises: " + "; ".join(exercises) + ".")
    return Section(title=title, lines=lines)


# --- HTML ------------------------------------------------------------------------------------


@lru_cache(maxsize=1)
def _environment() -> Environment:
    return Environment(loader=PackageLoader("backstride.adapters.render", "templates"),
                       autoescape=select_autoescape(["html", "j2"]),
                       trim_blocks=True, lstrip_blocks=True)


def summary_html(data: SummaryData) -> str:
    """One self-contained printable HTML page (no script, nothing fetched)."""
    return _environment().get_template("summary.html.j2").render(
        title=TITLE, made_on=data.made_on.isoformat(), sections=summary_sections(data),
        disclaimer=TRIAGE_DISCLAIMER)


# --- PDF -------------------------------------------------------------------------------------

_LATIN1: Final = str.maketrans({"–": "-", "—": "-", "≥": ">=", "≤": "<=", "“": '"', "”": '"',
                                "‘": "'", "’": "'", "…": "...", "·": "-", "→": "->"})


def summary_pdf(data: SummaryData) -> bytes:
    """The same sections as an A4 PDF (fpdf2)."""
    try:
        from fpdf import FPDF
        from fpdf.fonts import FontFace
    except ImportError as exc:
        raise MissingDependencyError("The PDF summary", "pdf") from exc

    pdf = FPDF(format="A4")
    pdf.set_auto_page_break(auto=True, margin=14)
    pdf.set_title(TITLE)
    pdf.set_creator("backstride")
    regular, bold = DEJAVU / "DejaVuSans.ttf", DEJAVU / "DejaVuSans-Bold.ttf"
    unicode = regular.is_file() and bold.is_file()
    if unicode:
        pdf.add_font("body", "", str(regular))
        pdf.add_font("body", "B", str(bold))
    family = "body" if unicode else "helvetica"

    def clean(text: str) -> str:
        if unicode:
            return text
        return text.translate(_LATIN1).encode("latin-1", "replace").decode("latin-1")

    pdf.add_page()
    width = pdf.epw
    pdf.set_font(family, "B", 15)
    pdf.multi_cell(width, 7, clean(TITLE), new_x="LMARGIN", new_y="NEXT")
    pdf.set_font(family, "", 9)
    pdf.multi_cell(width, 5, clean(f"Made by backstride on {data.made_on.isoformat()}. "
                                   f"{TRIAGE_DISCLAIMER}"), new_x="LMARGIN", new_y="NEXT")
    for section in summary_sections(data):
        pdf.ln(3)
        pdf.set_font(family, "B", 11.5)
        pdf.multi_cell(width, 6, clean(section.title), new_x="LMARGIN", new_y="NEXT")
        pdf.set_font(family, "", 9)
        for line in section.lines:
            pdf.multi_cell(width, 4.6, clean(line), new_x="LMARGIN", new_y="NEXT")
        if section.table is not None:
            heading = FontFace(emphasis="BOLD", fill_color=(235, 239, 245))
            with pdf.table(col_widths=section.table.widths, headings_style=heading,
                           line_height=4.4, text_align="LEFT", width=width) as table:
                table.row([clean(h) for h in section.table.headers])
                for row in section.table.rows:
                    table.row([clean(cell) for cell in row])
        for line in section.after:
            pdf.set_font(family, "", 8)
            pdf.multi_cell(width, 4.2, clean(line), new_x="LMARGIN", new_y="NEXT")
    return bytes(pdf.output())
