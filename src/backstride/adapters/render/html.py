"""The self-contained, offline HTML report of one ``backstride.analysis/1`` analysis.

One file: plotly.js is embedded inline once, figures are embedded as JSON and drawn with
``Plotly.newPlot``; nothing is fetched from the network. All text is escaped by Jinja2's
autoescape; sources and URLs are shown as text, never as links or resources.
"""

from __future__ import annotations

import json
import math
from collections.abc import Mapping, Sequence
from datetime import datetime
from itertools import pairwise
from typing import Any, Final

import numpy as np
import plotly.graph_objects as go

from backstride.adapters.render.common import (
    FONT,
    METRIC_DISPLAY,
    PLOT_CONFIG,
    file_title,
    findings_view,
    html_environment,
    inline_plotlyjs,
    metric_label,
    number_text,
)
from backstride.adapters.render.units import M_PER_KM, M_PER_MILE, METRIC_UNITS
from backstride.core.types import FloatArray

JSON = dict[str, Any]
Series = Mapping[str, Sequence[float | None]]


_ORDER: Final = tuple(METRIC_DISPLAY)
_SIDE_UNVERIFIED: Final = "side unverified"
_GAUGE_HEX: Final = {"purple": "#7e3fb8", "blue": "#1f7fe0", "green": "#2fa84f",
                     "orange": "#f08a24", "red": "#dc3545"}
_GAUGE_LABEL: Final = {"gct_imbalance_pct": "GCT balance (distance from 50/50)",
                       "vertical_oscillation_mm": "Vertical oscillation"}
_REFERENCE_LINE: Final = {"gct_balance_left_pct": 50.0}
_MEDIAN_WINDOW_S: Final = 60.0
_MIN_SPEED_FOR_PACE_MPS: Final = 0.5


def render_analysis_html(analysis: dict[str, Any], series: Mapping[str, Sequence[float | None]],
                         *, units: str = "metric", plotly_src: str | None = None,
                         plan: JSON | None = None, plan_href: str | None = None,
                         link_target: str | None = None) -> str:
    """The analysis as one HTML document that works offline (plotly.js inline, or loaded from
    ``plotly_src`` on the same server, as the web app does). Each finding says what the plan
    does about it and links to that part of ``plan`` on the ``plan_href`` page (opened in
    ``link_target``, e.g. ``_top`` from a framed report); without ``plan_href`` it names it."""
    imperial = units == "imperial"
    metrics: dict[str, JSON] = analysis.get("metrics") or {}
    source: JSON = analysis.get("source") or {}
    activity: JSON = analysis.get("activity") or {}
    drift = {d["metric"]: d for d in analysis.get("drift") or [] if d.get("metric")}
    ok, missing = _metric_cards(metrics, imperial)
    context = {
        "title": file_title(source.get("path")),
        "disclaimer": analysis.get("disclaimer") or "",
        "header": _header(source, activity, metrics, imperial),
        "cards": ok,
        "not_measured": missing,
        "gauges": [_gauge(g) for g in analysis.get("gauges") or []],
        "findings": findings_view(analysis.get("findings") or [], plan=plan,
                                  plan_href=plan_href),
        "link_target": link_target,
        "charts": _charts(series, drift, imperial),
        "device_legs": [_device_leg(leg, metrics, imperial)
                        for leg in analysis.get("device_summary") or []],
        "warnings": list((analysis.get("quality") or {}).get("warnings") or []),
        "plotlyjs": None if plotly_src else inline_plotlyjs(),
        "plotly_src": plotly_src,
        "plot_config": PLOT_CONFIG,
        "units": "imperial" if imperial else "metric",
    }
    return html_environment().get_template("analysis.html.j2").render(**context)


# --- formatting -------------------------------------------------------------------------------


def _decimals(key: str) -> tuple[int, int]:
    display = METRIC_DISPLAY.get(key)
    return (display.decimals, display.ci_decimals) if display else (2, 3)


def _signed_pct(value: float) -> str:
    rounded = round(value, 1)
    sign = "+" if rounded > 0 else ("\u2212" if rounded < 0 else "±")
    return f"{sign}{abs(rounded):.1f} %"


def _per(imperial: bool) -> tuple[float, str]:
    return (M_PER_MILE, "mi") if imperial else (M_PER_KM, "km")


def _pace_min(speed_mps: float, imperial: bool) -> float:
    return _per(imperial)[0] / speed_mps / 60.0


def _clock(minutes: float) -> str:
    """4.85 -> '4:51' (seconds rounded first, so never '4:60')."""
    total = round(float(minutes) * 60.0)
    return f"{total // 60}:{total % 60:02d}"


def _pace_text(speed_mps: float | None, imperial: bool) -> str:
    if speed_mps is None or not speed_mps > 0:
        return "–"
    return f"{_clock(_pace_min(speed_mps, imperial))} /{_per(imperial)[1]}"


def _distance_text(distance_m: float | None, imperial: bool, decimals: int = 2) -> str:
    if distance_m is None:
        return "–"
    per, name = _per(imperial)
    return f"{distance_m / per:.{decimals}f} {name}"


def _duration_text(seconds: float | None) -> str:
    if seconds is None:
        return "–"
    total = round(float(seconds))
    hours, rest = divmod(total, 3600)
    return f"{hours}:{rest // 60:02d}:{rest % 60:02d}" if hours else f"{rest // 60}:{rest % 60:02d}"


def _date_text(start_utc: str | None) -> str:
    if not start_utc:
        return "–"
    try:
        when = datetime.fromisoformat(start_utc.replace("Z", "+00:00"))
    except ValueError:
        return start_utc
    return when.strftime("%d %b %Y, %H:%M UTC").lstrip("0")


def _value_text(key: str, value: float, unit: str, imperial: bool, ci: bool = False) -> str:
    """A metric's value with its unit, speed shown as pace."""
    if key == "speed_mps":
        return _pace_text(value, imperial)
    decimals = _decimals(key)[1 if ci else 0]
    return f"{number_text(value, decimals)} {unit}".strip()


# --- page parts -------------------------------------------------------------------------------


def _header(source: JSON, activity: JSON, metrics: dict[str, JSON], imperial: bool) -> JSON:
    speed = (metrics.get("speed_mps") or {})
    speed_mps = speed.get("value") if speed.get("status") == "ok" else None
    distance = activity.get("distance_m")
    moving = activity.get("moving_time_s")
    if speed_mps is None and distance and moving:
        speed_mps = distance / moving
    return {
        "file": file_title(source.get("path")),
        "device": source.get("device") or "unknown device",
        "sport": source.get("sport"),
        "format": (source.get("format") or "").upper(),
        "date": _date_text(activity.get("start_utc")),
        "facts": [
            ("Distance", _distance_text(distance, imperial)),
            ("Duration", _duration_text(activity.get("duration_s"))),
            ("Running time", _duration_text(moving)),
            *([("Walking time", _duration_text(activity["walking_time_s"]))]
              if activity.get("walking_time_s") else []),
            ("Pace", _pace_text(speed_mps, imperial)),
        ],
    }


def _sorted_keys(keys: Sequence[str]) -> list[str]:
    return sorted(keys, key=lambda k: (_ORDER.index(k) if k in _ORDER else len(_ORDER), k))


def _metric_cards(metrics: dict[str, JSON], imperial: bool) -> tuple[list[JSON], list[JSON]]:
    ok: list[JSON] = []
    missing: list[JSON] = []
    for key in _sorted_keys(list(metrics)):
        m = metrics[key]
        if m.get("status") == "ok" and m.get("value") is not None:
            ok.append(_card(key, m, imperial))
        else:
            reason = m.get("reason") or str(m.get("status") or "no value").replace("_", " ")
            missing.append({"label": metric_label(key), "reason": reason})
    return ok, missing


def _card(key: str, m: JSON, imperial: bool) -> JSON:
    unit = m.get("unit") or ""
    value = float(m["value"])
    ci = m.get("ci95")
    ci_text = None
    if ci and len(ci) == 2 and None not in ci:
        if key == "speed_mps":  # a faster speed is a shorter pace: swap the ends
            ci_text = (f"{_clock(_pace_min(ci[1], imperial))}–"
                       f"{_clock(_pace_min(ci[0], imperial))} /{_per(imperial)[1]}")
        else:
            decimals = _decimals(key)[1]
            low, high = number_text(ci[0], decimals), number_text(ci[1], decimals)
            ci_text = f"{low}–{high} {unit}".strip()
    extra = []
    if key == "speed_mps":
        extra.append(f"{value:.2f} m/s")
    if m.get("median") is not None and key != "speed_mps":
        extra.append(f"median {_value_text(key, m['median'], unit, imperial, ci=True)}")
    if m.get("sd") is not None and key != "speed_mps":
        extra.append(f"sd {number_text(m['sd'], _decimals(key)[1])}")
    tag = m.get("label") or (_SIDE_UNVERIFIED if key == "gct_balance_left_pct" else None)
    return {"key": key, "label": metric_label(key), "tag": tag,
            "value": _value_text(key, value, unit, imperial), "ci": ci_text,
            "n": m.get("n"), "extra": " · ".join(extra)}


def _gauge(g: JSON) -> JSON:
    bands = sorted(g.get("bands") or [], key=_band_sort_key)
    value = g.get("value")
    unit = g.get("unit") or ""
    edges = _band_edges(bands)
    segments = [{"colour": b.get("colour"), "hex": _GAUGE_HEX.get(b.get("colour") or "", "#999"),
                 "range": _band_range(b), "active": b.get("colour") == g.get("colour")}
                for b in bands]
    return {
        "label": _GAUGE_LABEL.get(g.get("metric") or "", metric_label(g.get("metric") or "")),
        "value": f"{value:g} {unit}".strip() if value is not None else "–",
        "colour": g.get("colour") or "",
        "hex": _GAUGE_HEX.get(g.get("colour") or "", "#555"),
        "segments": segments,
        "marker_pct": _marker_pct(value, g.get("colour"), bands, edges),
        "source": g.get("source") or "",
    }


def _band_sort_key(band: JSON) -> float:
    low, high = band.get("low"), band.get("high")
    if low is not None:
        return float(low)
    return -math.inf if high is not None else math.inf


def _band_range(band: JSON) -> str:
    low, high = band.get("low"), band.get("high")
    if low is None and high is None:
        return "all"
    if low is None:
        return f"≤ {high:g}"
    if high is None:
        return f"≥ {low:g}"
    return f"{low:g}–{high:g}"


def _band_edges(bands: list[JSON]) -> list[float] | None:
    """Continuous edges between consecutive bands; open ends as wide as their neighbour."""
    if len(bands) < 2:
        return None
    inner = []
    for a, b in pairwise(bands):
        ends = [v for v in (a.get("high"), b.get("low")) if v is not None]
        if not ends:
            return None
        inner.append(sum(ends) / len(ends))
    first_width = inner[1] - inner[0] if len(inner) > 1 else 1.0
    last_width = inner[-1] - inner[-2] if len(inner) > 1 else 1.0
    return [inner[0] - first_width, *inner, inner[-1] + last_width]


def _marker_pct(value: float | None, colour: str | None, bands: list[JSON],
                edges: list[float] | None) -> float | None:
    if value is None or not bands:
        return None
    n = len(bands)
    if edges is None:
        return 50.0
    colours = [b.get("colour") for b in bands]
    if colour in colours:
        i = colours.index(colour)
    else:
        i = int(np.clip(np.searchsorted(edges, value) - 1, 0, n - 1))
    width = edges[i + 1] - edges[i]
    within = (value - edges[i]) / width if width else 0.5
    return round(100.0 * (i + float(np.clip(within, 0.04, 0.96))) / n, 2)


def _device_leg(leg: JSON, metrics: dict[str, JSON], imperial: bool) -> JSON:
    averages: dict[str, float | None] = leg.get("averages") or {}
    rows = []
    for key in _sorted_keys(list(averages)):
        device = averages[key]
        m = metrics.get(key) or {}
        record = m.get("value") if m.get("status") == "ok" else None
        rows.append(_comparison_row(key, device, record, m.get("unit") or "", imperial))
    distance = leg.get("total_distance_m")
    strides = leg.get("total_strides")
    from_strides = leg.get("step_length_from_strides_m")
    if from_strides is None and distance and strides:
        from_strides = distance / (2.0 * strides)
    step = metrics.get("step_length_m") or {}
    step_line = None
    if averages.get("step_length_m") is not None or from_strides is not None:
        step_line = {"device": _maybe(averages.get("step_length_m"), 3, "m"),
                     "record": _maybe(step.get("value") if step.get("status") == "ok"
                                      else None, 3, "m"),
                     "strides": _maybe(from_strides, 3, "m")}
    return {"sport": (leg.get("sport") or "running").capitalize(),
            "distance": _distance_text(distance, imperial),
            "time": _duration_text(leg.get("total_timer_time_s")),
            "strides": f"{strides:,.0f}" if strides else None,
            "rows": rows, "step_line": step_line}


def _maybe(value: float | None, decimals: int, unit: str) -> str:
    return "–" if value is None else f"{number_text(value, decimals)} {unit}"


def _comparison_row(key: str, device: float | None, record: float | None, unit: str,
                    imperial: bool) -> JSON:
    diff = None
    if key == "speed_mps":
        shown = [_pace_text(v, imperial) if v else "–" for v in (device, record)]
        if device and record:
            diff = _signed_pct(100.0 * (device / record - 1.0))  # of the pace
    else:
        decimals = _decimals(key)[1]
        shown = ["–" if v is None else f"{number_text(v, decimals)} {unit}".strip()
                 for v in (device, record)]
        if device and record is not None:
            diff = _signed_pct(100.0 * (record - device) / device)
    label = metric_label(key)
    if key == "gct_balance_left_pct":
        label += f" ({_SIDE_UNVERIFIED})"
    return {"label": label, "device": shown[0], "record": shown[1], "diff": diff or "–"}


# --- charts -----------------------------------------------------------------------------------


def _array(values: Sequence[float | None] | None, n: int) -> FloatArray:
    out = np.full(n, np.nan)
    if values:
        vals = [math.nan if v is None else float(v) for v in values[:n]]
        out[: len(vals)] = vals
    return out


def _charts(series: Series, drift: dict[str, JSON], imperial: bool) -> list[JSON]:
    timer = series.get("timer_s") or []
    n = len(timer)
    if n == 0:
        return []
    t_s = _array(timer, n)
    running = _array(series.get("running"), n)
    is_running = np.where(np.isnan(running), True, running > 0.5)
    base = {"t_s": t_s, "running": is_running & np.isfinite(t_s),
            "distance_m": _array(series.get("distance_m"), n), "imperial": imperial}
    keys = [k for k in series if k not in ("timer_s", "running", "distance_m")]
    charts = []
    for key in _sorted_keys(keys):
        chart = _chart(key, _array(series[key], n), base, drift.get(key))
        if chart is not None:
            charts.append(chart)
    return charts


def _display_values(key: str, y: FloatArray, imperial: bool) -> tuple[FloatArray, str]:
    """Series in display units: speed becomes pace in minutes per km or mile."""
    if key == "speed_mps":
        with np.errstate(divide="ignore", invalid="ignore"):
            pace = np.where(y >= _MIN_SPEED_FOR_PACE_MPS, _per(imperial)[0] / y / 60.0, np.nan)
        return pace, f"min/{_per(imperial)[1]}"
    unit = next((u.unit for u in METRIC_UNITS.values() if u.key == key), "")
    return y, unit


def _chart(key: str, raw: FloatArray, base: JSON, drift: JSON | None) -> JSON | None:
    """One metric against time: records, rolling median, and the drift if there is one."""
    t_s, run, imperial = base["t_s"], base["running"], base["imperial"]
    y, unit = _display_values(key, raw, imperial)
    if not np.any(np.isfinite(y[run])):
        return None
    minutes = t_s / 60.0
    colour = METRIC_DISPLAY[key].colour if key in METRIC_DISPLAY else "#2b6cb0"
    is_pace = key == "speed_mps"
    hover = _hover_text(y, base["distance_m"], imperial, is_pace, _decimals(key)[1], unit)
    fig = go.Figure()
    fig.add_trace(go.Scatter(
        x=_plain(minutes), y=_plain(np.where(run, y, np.nan)), mode="lines",
        name=metric_label(key), line={"color": colour, "width": 1.2}, opacity=0.55,
        connectgaps=False, text=hover, hovertemplate="%{x:.1f} min · %{text}<extra></extra>"))
    if np.any(~run & np.isfinite(y)):
        fig.add_trace(go.Scatter(
            x=_plain(minutes), y=_plain(np.where(run, np.nan, y)), mode="markers",
            name="not running (excluded)", marker={"color": "#b8bec6", "size": 4},
            text=hover, hovertemplate="%{x:.1f} min · %{text} (not running)<extra></extra>"))
    median = _rolling_median(t_s, np.where(run, y, np.nan))
    if median is not None:
        fig.add_trace(go.Scatter(
            x=_plain(minutes), y=_plain(median), mode="lines", name="1-min rolling median",
            line={"color": colour, "width": 2.4}, connectgaps=False, hoverinfo="skip"))
    heading: JSON = {"label": metric_label(key), "unit": unit, "drift": None, "significant": False,
                     "tag": _SIDE_UNVERIFIED if key == "gct_balance_left_pct" else None}
    if drift is not None:
        _add_drift(fig, key, drift, base, imperial)
        heading["drift"] = _drift_title(drift, "speed drift" if is_pace else "drift")
        heading["significant"] = bool(drift.get("significant"))
    if key in _REFERENCE_LINE:
        fig.add_hline(y=_REFERENCE_LINE[key], line={"color": "#718096", "width": 1,
                                                    "dash": "dot"})
    _layout(fig, y[run], is_pace)
    finite_minutes = minutes[np.isfinite(minutes)]
    fig.update_xaxes(range=[float(finite_minutes.min()), float(finite_minutes.max())])
    return {"id": f"chart-{key.replace('_', '-')}", "heading": heading,
            "figure": json.loads(fig.to_json())}


def _plain(values: FloatArray) -> list[float | None]:
    return [round(float(v), 4) if np.isfinite(v) else None for v in values]


def _hover_text(y: FloatArray, distance_m: FloatArray, imperial: bool, is_pace: bool,
                decimals: int, unit: str) -> list[str]:
    per, name = _per(imperial)
    out = []
    for value, dist in zip(y, distance_m, strict=True):
        shown = "–" if not np.isfinite(value) else (
            f"{_clock(float(value))} /{name}" if is_pace else f"{value:.{decimals}f} {unit}")
        at = f" at {dist / per:.2f} {name}" if np.isfinite(dist) else ""
        out.append(shown + at)
    return out


def _rolling_median(t_s: FloatArray, y: FloatArray) -> FloatArray | None:
    ok_t = np.isfinite(t_s)
    if ok_t.sum() < 3 or np.any(np.diff(t_s[ok_t]) < 0):
        return None
    half = _MEDIAN_WINDOW_S / 2.0
    lo = np.searchsorted(t_s[ok_t], t_s[ok_t] - half, side="left")
    hi = np.searchsorted(t_s[ok_t], t_s[ok_t] + half, side="right")
    values = y[ok_t]
    smooth = np.full(values.size, np.nan)
    for i, (a, b) in enumerate(zip(lo, hi, strict=True)):
        window = values[a:b]
        window = window[np.isfinite(window)]
        if window.size and np.isfinite(values[i]):
            smooth[i] = float(np.median(window))
    out = np.full(y.size, np.nan)
    out[ok_t] = smooth
    return out


def _thirds(t_s: FloatArray, run: FloatArray) -> tuple[float, float, float, float] | None:
    """Timer times (s) that split running time into thirds: start, 1/3, 2/3, end."""
    ok = np.isfinite(t_s)
    t, r = t_s[ok], run[ok]
    if t.size < 3 or not r.any():
        return None
    dt = np.diff(t, append=t[-1])
    cumulative = np.cumsum(np.where(r, dt, 0.0))
    total = cumulative[-1]
    if total <= 0:
        return None
    first = float(t[np.argmax(r)])
    last = float(t[r.size - 1 - np.argmax(r[::-1])])
    one = float(t[np.searchsorted(cumulative, total / 3.0)])
    two = float(t[np.searchsorted(cumulative, 2.0 * total / 3.0)])
    return first, one, two, last


def _drift_value(key: str, value: float | None, imperial: bool) -> float | None:
    if value is None:
        return None
    if key == "speed_mps":
        return _pace_min(value, imperial) if value > 0 else None
    return float(value)


def _add_drift(fig: Any, key: str, drift: JSON, base: JSON, imperial: bool) -> None:
    """Shade the first and last thirds, draw their means and the onset."""
    thirds = _thirds(base["t_s"], base["running"])
    if thirds is not None:
        start, one, two, end = (v / 60.0 for v in thirds)
        for x0, x1, name in ((start, one, "first third"), (two, end, "last third")):
            fig.add_vrect(x0=x0, x1=x1, fillcolor="#a0aec0", opacity=0.14, line_width=0,
                          layer="below", annotation_text=name,
                          annotation_position="bottom left",
                          annotation_font={"size": 10, "color": "#4a5568"})
        for x0, x1, value, name in ((start, one, drift.get("early"), "early"),
                                    (two, end, drift.get("late"), "late")):
            shown = _drift_value(key, value, imperial)
            if shown is not None:
                fig.add_shape(type="line", x0=x0, x1=x1, y0=shown, y1=shown,
                              line={"color": "#1a202c", "width": 2.2})
                fig.add_annotation(x=(x0 + x1) / 2, y=shown, showarrow=False, yshift=11,
                                   text=f"{name} mean {_mean_text(key, shown, imperial)}",
                                   bgcolor="rgba(255,255,255,0.85)", borderpad=1,
                                   font={"size": 10, "color": "#1a202c"})
    onset_s = drift.get("onset_s")
    if onset_s is not None:
        fig.add_vline(x=onset_s / 60.0, line={"color": "#c05621", "width": 1.6, "dash": "dash"},
                      annotation_text=_onset_label(onset_s, drift.get("onset_m"), imperial),
                      annotation_position=_onset_side(onset_s, base["t_s"]),
                      annotation_bgcolor="rgba(255,255,255,0.85)",
                      annotation_font={"size": 11, "color": "#c05621"})


def _mean_text(key: str, shown: float, imperial: bool) -> str:
    if key == "speed_mps":
        return f"{_clock(shown)} /{_per(imperial)[1]}"
    return number_text(shown, _decimals(key)[1])


def _onset_side(onset_s: float, t_s: FloatArray) -> str:
    """Label on the side with more room, so a late onset's label is not cut off."""
    finite = t_s[np.isfinite(t_s)]
    middle = (float(finite.min()) + float(finite.max())) / 2.0
    return "top left" if onset_s > middle else "top right"


def _onset_label(onset_s: float, onset_m: float | None, imperial: bool) -> str:
    at = f", {_distance_text(onset_m, imperial, 1)}" if onset_m is not None else ""
    return f"onset {round(onset_s / 60.0):.0f} min{at}"


def _drift_title(drift: JSON, word: str) -> str:
    change = drift.get("change_pct")
    change_text = f"{word} {_signed_pct(change)}" if change is not None else word
    return f"{change_text} first → last third"


def _layout(fig: Any, y_running: FloatArray, is_pace: bool) -> None:
    fig.update_layout(
        template="plotly_white", height=300,
        margin={"l": 52, "r": 12, "t": 28, "b": 40}, hovermode="x unified",
        font={"family": FONT, "size": 12, "color": "#2d3748"}, showlegend=False,
        xaxis={"title": {"text": "time (min)"}, "zeroline": False},
    )
    finite = y_running[np.isfinite(y_running)]
    if finite.size >= 5:  # keep a few outliers (a stop, a GPS spike) from flattening the trace
        lo, hi = (float(v) for v in np.percentile(finite, [1.0, 99.0]))
        pad = max((hi - lo) * 0.25, abs(hi) * 0.01, 1e-6)
        fig.update_yaxes(range=[hi + pad, lo - pad] if is_pace else [lo - pad, hi + pad])
        if is_pace:
            ticks = _pace_ticks(lo - pad, hi + pad)
            fig.update_yaxes(tickvals=ticks, ticktext=[_clock(v) for v in ticks])
    elif is_pace:
        fig.update_yaxes(autorange="reversed")


def _pace_ticks(lo: float, hi: float) -> list[float]:
    for step in (1 / 12, 1 / 6, 0.25, 0.5, 1.0, 2.0, 5.0):
        if (hi - lo) / step <= 6:
            break
    first = math.ceil(lo / step) * step
    return [round(first + i * step, 6) for i in range(int((hi - first) / step) + 1)]
