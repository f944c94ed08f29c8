"""The trends page's charts (core.trend_series) as plotly figures, in the reports' style.

Figures are plain dicts (``{"data": [...], "layout": {...}}``) drawn by plotly.js with
``Plotly.newPlot``: the same font, colours and configuration as the run report
(``adapters.render.common``), responsive (no fixed width, so a 360 px phone gets a 360 px
chart), legends under the plot. Values are shown in the contract's units (ms, mm, %). Every
chart comes with a caption in words, which is also the plot's accessible name: the numbers a
reader would take from it, so the chart is never the only way to get them.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, timedelta
from statistics import median
from typing import Any, Final

from backstride.adapters.render.common import FONT, METRIC_DISPLAY, PLOT_CONFIG
from backstride.adapters.render.units import METRIC_UNITS, contract_key
from backstride.core.history import PAIN_THRESHOLD
from backstride.core.trend_series import (
    CadenceSeries,
    MetricSeries,
    NoiseBand,
    OnsetPoint,
    PainRun,
    TrendSeries,
)

JSON = dict[str, Any]

HEIGHT_PX: Final = 320
STEP_REACH: Final = timedelta(weeks=8)  # the cadence chart shows steps this far past the runs
INK: Final = "#2d3748"
GRID: Final = "#e2e8f0"
RUN_COLOUR: Final = "#1f6fb2"
STEP_COLOUR: Final = "#2f855a"
STEP_FILL: Final = "rgba(47, 133, 90, 0.16)"
BAND_FILL: Final = "rgba(113, 128, 150, 0.18)"
PAIN_COLOUR: Final = "#c53030"
ONSET_COLOURS: Final = {"cadence_spm": "#1f6fb2", "ground_contact_time_s": "#8a4baf",
                        "vertical_oscillation_m": "#16826b"}
ONSET_SYMBOLS: Final = {"cadence_spm": "circle", "ground_contact_time_s": "square",
                        "vertical_oscillation_m": "diamond"}
CHART_CONFIG: Final = {**PLOT_CONFIG, "displayModeBar": False, "scrollZoom": False}
"""No mode bar and no scroll zoom: on a phone a swipe over a chart scrolls the page."""


def trend_charts(series: TrendSeries) -> list[JSON]:
    """One entry per chart: ``id``, ``title``, ``caption`` (words), ``note`` (the band's basis
    or why a chart is empty), ``heuristic`` and ``figure`` (None when there is nothing to
    draw; the caption then says why)."""
    if series.n_runs == 0:
        return []
    own = next((m for m in series.metrics if m.metric == "cadence_spm"), None)
    charts = [_cadence_chart(series.cadence, own), _pain_chart(series.pain),
              _onset_chart(series.drift_onsets, series.pain)]
    charts += [_metric_chart(m) for m in series.metrics if m.metric != "cadence_spm"]
    return charts


def chart_config() -> JSON:
    return dict(CHART_CONFIG)


# --- shared -------------------------------------------------------------------------------------


def _layout(y_title: str, *, y_range: Sequence[float] | None = None,
            legend: bool = True) -> JSON:
    axis = {"gridcolor": GRID, "zeroline": False, "linecolor": "#a0aec0", "automargin": True}
    y_axis: JSON = {**axis, "title": {"text": y_title, "standoff": 4}}
    if y_range is not None:
        y_axis["range"] = list(y_range)
    return {
        "autosize": True, "height": HEIGHT_PX,
        "margin": {"l": 8, "r": 8, "t": 8, "b": 8},
        "font": {"family": FONT, "size": 12, "color": INK},
        "paper_bgcolor": "#ffffff", "plot_bgcolor": "#ffffff",
        "xaxis": {**axis, "type": "date", "nticks": 5, "hoverformat": "%a %d %b %Y"},
        "yaxis": y_axis,
        "showlegend": legend,
        # Above the plot: below it, a phone's wrapped legend rows meet the date labels.
        "legend": {"orientation": "h", "x": 0, "y": 1.02, "yanchor": "bottom",
                   "font": {"size": 12}},
        "hovermode": "closest",
        "dragmode": False,
    }


def _iso(day: date) -> str:
    return day.isoformat()


def _unit(metric: str) -> tuple[float, str, int]:
    unit = METRIC_UNITS.get(metric)
    if unit is None:
        return 1.0, "", 2
    display = METRIC_DISPLAY.get(unit.key)
    return unit.factor, unit.unit, display.ci_decimals if display else unit.decimals


def _label(metric: str) -> str:
    unit = METRIC_UNITS.get(metric)
    return unit.label if unit is not None else metric.replace("_", " ")


def _chart_id(name: str) -> str:
    return "trend-" + name.replace("_", "-")


def _fmt(value: float, decimals: int) -> str:
    return f"{value:.{decimals}f}".replace("-", "\u2212")


def _runs(n: int) -> str:
    return f"{n} run" if n == 1 else f"{n} runs"


# --- cadence per run, against the plan's steps --------------------------------------------------


def _cadence_chart(cadence: CadenceSeries, own: MetricSeries | None) -> JSON:
    title = "Cadence per run"
    runs = cadence.runs
    if not runs:
        return _empty(title, "cadence", "No run in these 12 months has a cadence.")
    band = None if own is None else own.band
    data: list[JSON] = [] if band is None else _band_traces(band, runs[0].day, runs[-1].day,
                                                             1.0)
    for k, step in enumerate(cadence.steps):
        x0, x1 = _iso(step.start), _iso(step.end + timedelta(days=1))
        data.append({"type": "scatter", "x": [x0, x1, x1, x0, x0],
                     "y": [step.low_spm, step.low_spm, step.high_spm, step.high_spm,
                           step.low_spm],
                     "mode": "lines", "fill": "toself", "fillcolor": STEP_FILL,
                     "line": {"width": 0}, "name": "watch alert range",
                     "legendgroup": "range", "showlegend": k == 0, "hoverinfo": "skip"})
        data.append({"type": "scatter", "x": [x0, x1], "y": [step.target_spm] * 2,
                     "mode": "lines", "line": {"color": STEP_COLOUR, "width": 2, "dash": "dash"},
                     "name": "step target", "legendgroup": "target", "showlegend": k == 0,
                     "hovertemplate": f"step {step.step}: target {step.target_spm:.0f} spm "
                                      f"({step.low_spm:.0f}–{step.high_spm:.0f})<extra></extra>"})
    inside = [r for r in runs if r.in_pace_band is not False]
    outside = [r for r in runs if r.in_pace_band is False]
    for group, name, marker in (
            (inside, "run", {"color": RUN_COLOUR, "size": 7}),
            (outside, "run outside your pace band",
             {"color": "#ffffff", "size": 7, "line": {"color": RUN_COLOUR, "width": 1.5}})):
        if group:
            data.append({"type": "scatter", "mode": "markers", "name": name,
                         "x": [_iso(r.day) for r in group],
                         "y": [round(r.cadence_spm, 1) for r in group], "marker": marker,
                         "customdata": [r.run_id for r in group],
                         "hovertemplate": "run %{customdata}: %{y:.1f} spm<extra></extra>"})
    values = [r.cadence_spm for r in runs]
    lows = [s.low_spm for s in cadence.steps] + ([] if band is None else [band.low])
    highs = [s.high_spm for s in cadence.steps] + ([] if band is None else [band.high])
    y_range = _padded(min([*values, *lows]), max([*values, *highs]))
    words = [f"{_runs(len(runs))} from {runs[0].day:%d %b %Y} to {runs[-1].day:%d %b %Y}: "
             f"median {median(values):.1f} spm, latest {values[-1]:.1f} spm."]
    for step in cadence.steps:
        judged = [r for r in runs if r.step == step.step and r.in_pace_band is not False]
        within = sum(bool(r.in_alert_range) for r in judged)
        words.append(f"Step {step.step} ({step.start:%d %b} to {step.end:%d %b %Y}): target "
                     f"{step.target_spm:.0f} spm, alert range {step.low_spm:.0f}–"
                     f"{step.high_spm:.0f}; {within} of {_runs(len(judged))} in your pace "
                     "band inside it.")
    if not cadence.steps:
        words.append("No plan with cadence steps, so no target band is drawn.")
    if outside:
        words.append(f"{_runs(len(outside))} outside your pace band (hollow): cadence rises "
                     "with speed, so they are not judged against the step.")
    if band is not None and own is not None:
        words.append(f"Noise band {band.low:.1f}–{band.high:.1f} spm: {own.n_above} run(s) "
                     f"above it, {own.n_below} below.")
    layout = _layout("spm", y_range=y_range)
    # The runs' months, and a step only as far as it follows them: a plan starting long
    # after the last run would squeeze the runs into a corner.
    end = max([runs[-1].day, *(min(s.end, runs[-1].day + STEP_REACH)
                               for s in cadence.steps if s.start <= runs[-1].day + STEP_REACH)])
    layout["xaxis"]["range"] = [_iso(runs[0].day - timedelta(days=2)),
                                _iso(end + timedelta(days=2))]
    return {**_chart("cadence", title, " ".join(words), {"data": data, "layout": layout}),
        "note": band.basis if band is not None else None if own is None else own.band_note,
        "heuristic": band is not None and band.heuristic}


# --- pain per run -------------------------------------------------------------------------------


def _pain_chart(pain: Sequence[PainRun]) -> JSON:
    title = "Pain per run"
    if not pain:
        return _empty(title, "pain", "No pain entry for during or after a run is linked to a "
                      "run in these 12 months. Log pain (0 for none) in the pain diary, linked "
                      "to the run.")
    hover = [f"run {p.run_id}: {p.score}/10" + _onset_words(p.onset_min, p.onset_km)
             for p in pain]
    colours = [PAIN_COLOUR if p.score >= PAIN_THRESHOLD else "#ed8936" if p.score else "#a0aec0"
               for p in pain]
    first, last = _iso(pain[0].day), _iso(pain[-1].day + timedelta(days=1))
    data: list[JSON] = [
        # markers, not bars: a pain-free run (0/10) stays visible
        {"type": "scatter", "mode": "markers", "name": "pain 0–10",
         "x": [_iso(p.day) for p in pain], "y": [p.score for p in pain],
         "marker": {"color": colours, "size": 9}, "text": hover,
         "textposition": "none", "hovertemplate": "%{text}<extra></extra>"},
        {"type": "scatter", "mode": "lines", "x": [first, last], "y": [PAIN_THRESHOLD] * 2,
         "name": f"{PAIN_THRESHOLD}/10: a painful run [D]",
         "line": {"color": INK, "width": 1, "dash": "dot"}, "hoverinfo": "skip"}]
    painful = [p for p in pain if p.score >= PAIN_THRESHOLD]
    onsets = [p for p in pain if p.onset_min is not None or p.onset_km is not None]
    worst = max(pain, key=lambda p: (p.score, p.day))
    words = (f"{_runs(len(pain))} with a pain score; {len(painful)} painful "
             f"({PAIN_THRESHOLD}/10 or more). Highest {worst.score}/10 on {worst.day:%d %b %Y}"
             f"{_onset_words(worst.onset_min, worst.onset_km)}. Onset logged for "
             f"{_runs(len(onsets))}; the next chart shows when.")
    return _chart("pain", title, words, {"data": data, "layout": _layout(
        "pain 0–10", y_range=[-0.4, 10.4])})


def _onset_words(onset_min: float | None, onset_km: float | None) -> str:
    parts = ([f"{onset_min:.0f} min"] if onset_min is not None else []) + \
        ([f"{onset_km:.1f} km"] if onset_km is not None else [])
    return f", began at {' / '.join(parts)}" if parts else ""


# --- when in the run form drifted, and pain began ----------------------------------------------


def _onset_chart(onsets: Sequence[OnsetPoint], pain: Sequence[PainRun]) -> JSON:
    title = "When in the run form drifted"
    timed = [o for o in onsets if o.onset_min is not None]
    pain_timed = [p for p in pain if p.onset_min is not None and p.score >= PAIN_THRESHOLD]
    if not timed and not pain_timed:
        return _empty(title, "onsets", "No run in these 12 months has a significant form drift "
                      "with its onset, and no painful run a logged pain minute.")
    data: list[JSON] = []
    words = []
    for metric in ONSET_COLOURS:
        mine = [o for o in timed if o.metric == metric]
        if not mine:
            continue
        data.append({"type": "scatter", "mode": "markers", "name": f"{_label(metric)} drift",
                     "x": [_iso(o.day) for o in mine],
                     "y": [round(o.onset_min or 0.0, 1) for o in mine],
                     "marker": {"color": ONSET_COLOURS[metric], "size": 7,
                                "symbol": ONSET_SYMBOLS[metric]},
                     "customdata": [[o.run_id, round(o.change_frac * 100, 1)] for o in mine],
                     "hovertemplate": f"run %{{customdata[0]}}: {_label(metric).lower()} "
                                      "drifted from %{y:.0f} min "
                                      "(%{customdata[1]:+.1f} %)<extra></extra>"})
        words.append(f"{_label(metric)}: {_runs(len(mine))}, median onset "
                     f"{median(o.onset_min or 0.0 for o in mine):.0f} min.")
    if pain_timed:
        data.append({"type": "scatter", "mode": "markers", "name": "pain began",
                     "x": [_iso(p.day) for p in pain_timed],
                     "y": [round(p.onset_min or 0.0, 1) for p in pain_timed],
                     "marker": {"color": PAIN_COLOUR, "size": 9, "symbol": "x"},
                     "customdata": [[p.run_id, p.score] for p in pain_timed],
                     "hovertemplate": "run %{customdata[0]}: pain %{customdata[1]}/10 began "
                                      "at %{y:.0f} min<extra></extra>"})
        words.append(f"Pain began (painful runs): {_runs(len(pain_timed))}, median "
                     f"{median(p.onset_min or 0.0 for p in pain_timed):.0f} min.")
    km_only = len(onsets) - len(timed)
    if km_only:
        words.append(f"{km_only} drift onset(s) known by distance only are not drawn.")
    words.append("Significant drifts only; a dot is the minute of the strongest change.")
    return _chart("onsets", title, " ".join(words), {"data": data, "layout": _layout(
        "minutes into the run", y_range=None)})


# --- each form metric, with its noise band -------------------------------------------------------


def _metric_chart(m: MetricSeries) -> JSON:
    factor, unit, decimals = _unit(m.metric)
    title = _label(m.metric)
    key = contract_key(m.metric)
    colour = METRIC_DISPLAY[key].colour if key in METRIC_DISPLAY else RUN_COLOUR
    runs = m.runs
    data: list[JSON] = []
    band = m.band
    if band is not None:
        data += _band_traces(band, runs[0].day, runs[-1].day, factor)
    plus = [None if r.ci95 is None else round((r.ci95[1] - r.value) * factor, 6) for r in runs]
    minus = [None if r.ci95 is None else round((r.value - r.ci95[0]) * factor, 6)
             for r in runs]
    point: JSON = {"type": "scatter", "mode": "markers", "name": "run (95 % interval)",
                   "x": [_iso(r.day) for r in runs],
                   "y": [round(r.value * factor, 6) for r in runs],
                   "marker": {"color": colour, "size": 6}, "customdata": [r.run_id for r in runs],
                   "hovertemplate": f"run %{{customdata}}: %{{y:.{decimals}f}} {unit}"
                                    "<extra></extra>"}
    if any(p is not None for p in plus):
        point["error_y"] = {"type": "data", "symmetric": False, "array": plus,
                            "arrayminus": minus, "color": colour, "thickness": 1, "width": 0}
    data.append(point)
    values = [r.value * factor for r in runs]
    words = [f"{_runs(len(runs))}: median {_fmt(median(values), decimals)} {unit}, latest "
             f"{_fmt(values[-1], decimals)} {unit}."]
    if band is not None:
        low, high = _fmt(band.low * factor, decimals), _fmt(band.high * factor, decimals)
        words.append(f"Band {low}–{high} {unit}: {m.n_above} run(s) above it, {m.n_below} "
                     "below.")
    layout = _layout(unit)
    return {**_chart(m.metric, title, " ".join(words), {"data": data, "layout": layout}),
            "note": band.basis if band is not None else m.band_note,
            "heuristic": band is not None and band.heuristic}


def _band_traces(band: NoiseBand, first_day: date, last_day: date, factor: float
                 ) -> list[JSON]:
    """The noise band (shaded) and its centre (dotted) across the charted days."""
    first, last = _iso(first_day), _iso(last_day + timedelta(days=1))
    low, high = band.low * factor, band.high * factor
    name = "noise band (heuristic)" if band.heuristic else "measurement noise"
    return [{"type": "scatter", "x": [first, last, last, first, first],
             "y": [low, low, high, high, low], "mode": "lines", "fill": "toself",
             "fillcolor": BAND_FILL, "line": {"width": 0}, "name": name, "hoverinfo": "skip"},
            {"type": "scatter", "x": [first, last], "y": [band.centre * factor] * 2,
             "mode": "lines", "line": {"color": "#718096", "width": 1, "dash": "dot"},
             "name": "reference median", "hoverinfo": "skip"}]


def _padded(low: float, high: float) -> list[float]:
    pad = max((high - low) * 0.1, 1.0)
    return [round(low - pad, 1), round(high + pad, 1)]


def _chart(name: str, title: str, caption: str, figure: JSON | None) -> JSON:
    return {"id": _chart_id(name), "title": title, "caption": caption, "note": None,
            "heuristic": False, "figure": figure}


def _empty(title: str, name: str, why: str) -> JSON:
    return _chart(name, title, why, None)
