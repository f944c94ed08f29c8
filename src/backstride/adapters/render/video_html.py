"""The self-contained, offline HTML report of one video analysis (``backstride.analysis/1`` with
its ``video`` block).

The look and the helpers are the watch report's (:mod:`backstride.adapters.render.html`):
plotly.js is embedded inline once, figures are embedded as JSON and drawn with
``Plotly.newPlot``, key frames are ``data:`` URIs; nothing is fetched from the network. All
text is escaped by Jinja2's autoescape.
"""

from __future__ import annotations

import base64
import json
import math
from collections.abc import Mapping, Sequence
from typing import Any, Final

import numpy as np
import plotly.graph_objects as go

# The watch report's private helpers, shared on purpose so both reports look and escape alike.
from backstride.adapters.render.common import (
    FONT,
    PLOT_CONFIG,
    file_title,
    findings_view,
    html_environment,
    inline_plotlyjs,
    metric_label,
    number_text,
)
from backstride.adapters.render.units import METRIC_UNITS
from backstride.core.form import StepValues
from backstride.core.report import DISCLAIMER, VideoReport
from backstride.core.types import FloatArray

JSON = dict[str, Any]

_BY_KEY: Final = {u.key: u for u in METRIC_UNITS.values()}
# Video metrics in reading order: landing, stance, trunk, hips, then the rear view.
# Ground contact time comes last: from video it is an upper bound, never a headline (issue 13).
_ORDER: Final = (
    "cadence_spm", "overstride_frac_leg", "overstride_m",
    "shank_angle_at_contact_deg", "knee_flexion_at_contact_deg", "knee_flexion_midstance_deg",
    "vertical_oscillation_frac_leg", "vertical_oscillation_mm", "trunk_lean_deg",
    "trunk_lean_range_deg", "hip_extension_deg", "pelvic_drop_deg", "step_width_frac_leg",
    "step_width_m", "lateral_sway_frac_leg", "step_length_m", "ground_contact_time_ms",
)
_UPPER_BOUND: Final = frozenset({"ground_contact_time_ms"})
_UPPER_BOUND_NOTE: Final = ("an upper bound: the video's toe-off (toe furthest behind the hips) "
                            "comes after the foot leaves the ground; prefer a watch's or foot "
                            "pod's ground contact time")
_SIDE_COLOUR: Final = {"left": "#1f6fb2", "right": "#a34a12"}
_OTHER_COLOUR: Final = "#718096"
_ESTIMATE_TEXT: Final = (("contacts", "foot contacts"), ("hip_bounce_spectrum", "hip bounce"),
                         ("feet_spectrum", "feet spectrum"))
_CHART_HEIGHT: Final = 280
# Smallest y span drawn, so that step-to-step jitter far below what the method can resolve is
# not blown up to fill the chart [D].
_MIN_SPAN: Final = {"°": 4.0, "leg lengths": 0.04, "ms": 20.0, "spm": 4.0, "m": 0.04}


def render_video_html(analysis: dict[str, Any], report: VideoReport, *,
                      key_frames: Sequence[tuple[float, str, bytes]] = (),
                      plan: JSON | None = None, plan_href: str | None = None) -> str:
    """The video analysis as one HTML document that works offline.

    ``key_frames`` are ``(time_s, side, JPEG bytes)`` of frames at initial contacts; they are
    embedded as base64 ``data:`` URIs. Each finding says what the plan does about it and
    links to that part of ``plan`` on the ``plan_href`` page, when one is given."""
    metrics: dict[str, JSON] = analysis.get("metrics") or {}
    video: JSON = analysis.get("video") or {}
    source: JSON = analysis.get("source") or {}
    view = str(video.get("view") or report.form.view or "")
    measured, refused = _metric_rows(metrics)
    charts = _charts(report.form.steps, metrics)
    context = {
        "title": file_title(source.get("path") or report.source_name),
        "view": view,
        "disclaimer": analysis.get("disclaimer") or DISCLAIMER,
        "facts": _facts(metrics, video, view),
        "cadence_checks": _cadence_checks(video),
        "view_note": _view_note(video, view),
        "metrics": measured,
        "refused": refused,
        "nothing_measured": _nothing_measured(measured, refused),
        "noise_note": next((m["noise"].get("note") for m in metrics.values()
                            if isinstance(m.get("noise"), dict) and m["noise"].get("note")), ""),
        "per_side": _per_side(metrics),
        "findings": findings_view(analysis.get("findings") or [], plan=plan,
                                  plan_href=plan_href),
        "frames": [_frame(t, side, jpeg) for t, side, jpeg in key_frames],
        "charts": charts,
        "near_leg": video.get("near_leg") if view == "side" else None,
        "warnings": [str(w) for w in (analysis.get("quality") or {}).get("warnings") or []],
        "plotlyjs": inline_plotlyjs() if charts else None,
        "plot_config": PLOT_CONFIG,
    }
    return html_environment().get_template("video.html.j2").render(**context)


# --- formatting -------------------------------------------------------------------------------


def _finite(value: Any) -> float | None:
    if value is None or isinstance(value, bool):
        return None
    try:
        number = float(value)
    except (TypeError, ValueError):
        return None
    return number if math.isfinite(number) else None


def _decimals(key: str) -> int:
    unit = _BY_KEY.get(key)
    return unit.decimals if unit else 2


def _with_unit(value: float, unit: str, decimals: int) -> str:
    text = number_text(value, decimals)
    if unit in ("°", "%"):
        return f"{text}{unit}" if unit == "°" else f"{text} %"
    return f"{text} {unit}".strip()


def _range_text(values: Any, unit: str) -> str | None:
    if not isinstance(values, (list, tuple)) or len(values) != 2:
        return None
    low, high = (_finite(v) for v in values)
    if low is None or high is None:
        return None
    return f"{low:g}–{high:g}{unit}"


def _seconds(value: float | None, decimals: int = 1) -> str:
    return "–" if value is None else f"{value:.{decimals}f} s"


def _words(text: str) -> str:
    return text.replace("_", " ")


# --- page parts -------------------------------------------------------------------------------


def _sorted_keys(keys: Sequence[str]) -> list[str]:
    return sorted(keys, key=lambda k: (_ORDER.index(k) if k in _ORDER else len(_ORDER), k))



def _metric_rows(metrics: dict[str, JSON]) -> tuple[list[JSON], list[JSON]]:
    """Measured metrics with value, 95 % CI, n and noise band; refused ones with their reason."""
    measured: list[JSON] = []
    refused: list[JSON] = []
    for key in _sorted_keys(list(metrics)):
        m = metrics[key] or {}
        value = _finite(m.get("value"))
        unit = str(m.get("unit") or "")
        if m.get("status") != "ok" or value is None:
            status = _words(str(m.get("status") or "no value"))
            refused.append({"key": key, "label": metric_label(key), "status": status,
                            "reason": str(m.get("reason") or "")})
            continue
        decimals = _decimals(key)
        ci = m.get("ci95")
        ci_text = None
        if isinstance(ci, (list, tuple)) and len(ci) == 2:
            low, high = (_finite(v) for v in ci)
            if low is not None and high is not None:
                ci_text = (f"{number_text(low, decimals)}–{_with_unit(high, unit, decimals)}")
        n = m.get("n")
        extra = []
        sd = _finite(m.get("sd"))
        if sd is not None:
            extra.append(f"sd {_with_unit(sd, unit, decimals)}")
        shown = _with_unit(value, unit, decimals)
        if key in _UPPER_BOUND:
            shown = f"at most {shown}"
            extra.append(_UPPER_BOUND_NOTE)
        measured.append({
            "key": key, "label": metric_label(key), "unit": unit,
            "value": shown, "ci": ci_text,
            "n": int(n) if isinstance(n, int) else None, "extra": " · ".join(extra),
            "noise": _noise_text(m.get("noise")), "tag": m.get("label"),
        })
    return measured, refused


def _nothing_measured(measured: list[JSON], refused: list[JSON]) -> str | None:
    """The line at the top of a report where no metric was measured: why, from the first
    refusal (the clip-wide gates refuse every metric with the same reason)."""
    if measured:
        return None
    reason = next((str(m["reason"]) for m in refused if m.get("reason")), "")
    return ("Nothing was measured from this clip" + (f": {reason}" if reason else "")
            + ". This is not a clean result; film again as described below.")


def _noise_text(noise: Any) -> str | None:
    if not isinstance(noise, dict):
        return None
    parts = []
    within = _range_text(noise.get("within_day_deg"), "°")
    between = _range_text(noise.get("between_days_deg"), "°")
    if within:
        parts.append(f"{within} within a day")
    if between:
        parts.append(f"{between} between days")
    return "2D noise " + ", ".join(parts) if parts else None


def _facts(metrics: dict[str, JSON], video: JSON, view: str) -> list[JSON]:
    cadence = metrics.get("cadence_spm") or {}
    cadence_value = _finite(cadence.get("value")) if cadence.get("status") == "ok" else None
    confidence = video.get("cadence_confidence")
    span = video.get("analysed_s") or []
    first, last = (_finite(span[0]), _finite(span[1])) if len(span) == 2 else (None, None)
    analysed = (last - first) if first is not None and last is not None else None
    rate = _finite(video.get("frame_rate_hz"))
    found = _finite(video.get("pose_found_frac"))
    near = video.get("near_leg")
    return [
        {"name": "Cadence",
         "value": "–" if cadence_value is None else f"{cadence_value:.0f} spm",
         "note": f"{confidence} confidence" if confidence and cadence_value is not None
         else None},
        {"name": "View", "value": view or "–",
         "note": f"near leg {near}" if near and view == "side" else None},
        {"name": "Frame rate", "value": "–" if rate is None else f"{rate:.4g} fps",
         "note": None},
        {"name": "Analysed", "value": _seconds(analysed),
         "note": None if first is None or last is None else f"{first:.1f}–{last:.1f} s"},
        {"name": "Pose found", "value": "–" if found is None else f"{100.0 * found:.0f} %",
         "note": "of frames" if found is not None else None},
    ]


def _cadence_checks(video: JSON) -> list[tuple[str, str]]:
    estimates = video.get("cadence_estimates_spm") or {}
    if not isinstance(estimates, dict):
        return []
    out = []
    for key, name in _ESTIMATE_TEXT:
        value = _finite(estimates.get(key))
        out.append((name, "–" if value is None else f"{value:.1f} spm"))
    return out


def _view_note(video: JSON, view: str) -> str | None:
    detected = video.get("view_detected")
    parts = []
    if detected and detected != view:
        parts.append(f"the body's proportions suggested a {detected} view")
    treadmill = video.get("treadmill")
    if treadmill is True:
        parts.append("treadmill (the runner stays in one spot of the scene)")
    elif treadmill is False:
        parts.append("overground")
    return "; ".join(parts) if parts else None


def _per_side(metrics: dict[str, JSON]) -> list[JSON]:
    rows = []
    for key in _sorted_keys(list(metrics)):
        m = metrics[key] or {}
        sides = m.get("per_side")
        if not isinstance(sides, dict) or m.get("status") != "ok":
            continue
        unit, decimals = str(m.get("unit") or ""), _decimals(key)
        shown = {}
        for side in ("left", "right"):
            value = _finite(sides.get(side))
            shown[side] = "–" if value is None else _with_unit(value, unit, decimals)
        if shown["left"] == "–" and shown["right"] == "–":
            continue
        rows.append({"label": metric_label(key), **shown})
    return rows


def _frame(time_s: float, side: str, jpeg: bytes) -> JSON:
    side_text = side if side in ("left", "right") else "foot"
    t = _finite(time_s)
    at = f"{t:.2f} s" if t is not None else "an unknown time"
    return {"uri": "data:image/jpeg;base64," + base64.b64encode(jpeg).decode("ascii"),
            "caption": f"{side_text} contact at {at}",
            "alt": f"Video frame at the {side_text} foot's initial contact, {at}",
            "side": side_text, "at": at}


# --- charts -----------------------------------------------------------------------------------


def _plain(values: Sequence[float]) -> list[float | None]:
    return [round(float(v), 5) if math.isfinite(float(v)) else None for v in values]


def _charts(steps: Mapping[str, StepValues], metrics: dict[str, JSON]) -> list[JSON]:
    """One chart per measured metric that has per-step values (in the contract's units)."""
    charts = []
    by_key = {METRIC_UNITS[name].key: name for name in steps if name in METRIC_UNITS}
    for key in _sorted_keys(list(by_key)):
        m = metrics.get(key) or {}
        if m.get("status") != "ok" or _finite(m.get("value")) is None:
            continue
        chart = _chart(key, steps[by_key[key]], m)
        if chart is not None:
            charts.append(chart)
    return charts


def _chart(key: str, step: StepValues, m: JSON) -> JSON | None:
    factor, unit_text = _BY_KEY[key].factor, _BY_KEY[key].unit
    t = np.asarray(step.t_s, dtype=np.float64)
    y = np.asarray(step.values, dtype=np.float64) * factor
    n = min(t.size, y.size, len(step.sides))
    t, y, sides = t[:n], y[:n], np.asarray(step.sides[:n], dtype=object)
    ok = np.isfinite(t) & np.isfinite(y)
    if not ok.any():
        return None
    label, decimals = metric_label(key), _decimals(key)
    fig = go.Figure()
    names = [s for s in ("left", "right") if np.any(ok & (sides == s))]
    others = ok & ~np.isin(sides, ["left", "right"])
    groups = [(s, ok & (sides == s), _SIDE_COLOUR[s]) for s in names]
    if others.any():
        groups.append(("both", others, _OTHER_COLOUR))
    for name, mask, colour in groups:
        order = np.argsort(t[mask])
        fig.add_trace(go.Scatter(
            x=_plain(t[mask][order]), y=_plain(y[mask][order]), mode="markers", name=name,
            marker={"color": colour, "size": 8, "line": {"color": "#fff", "width": 1}},
            hovertemplate=(f"%{{x:.2f}} s · %{{y:.{decimals}f}} {unit_text} · {name}"
                           "<extra></extra>")))
    value = _finite(m.get("value"))
    if value is not None:
        fig.add_hline(y=value, line={"color": "#1a202c", "width": 1.4, "dash": "dot"},
                      annotation_text=f"median {_with_unit(value, unit_text, decimals)}",
                      annotation_position="top left",
                      annotation_font={"size": 10, "color": "#1a202c"})
    _y_range(fig, y[ok], value, _MIN_SPAN.get(unit_text, 0.0))
    fig.update_layout(
        template="plotly_white", height=_CHART_HEIGHT,
        margin={"l": 52, "r": 12, "t": 28, "b": 40}, hovermode="closest",
        font={"family": FONT, "size": 12, "color": "#2d3748"},
        showlegend=len(groups) > 1,
        legend={"orientation": "h", "yanchor": "bottom", "y": 1.0, "xanchor": "right", "x": 1.0},
        xaxis={"title": {"text": "time in the clip (s)"}, "zeroline": False},
        yaxis={"title": {"text": unit_text}},
    )
    return {"id": f"chart-{key.replace('_', '-')}", "label": label, "unit": unit_text,
            "steps": int(ok.sum()), "sides": ", ".join(s for s, _, _ in groups),
            "figure": json.loads(fig.to_json())}


def _y_range(fig: Any, y: FloatArray, centre: float | None, min_span: float) -> None:
    """Widen the y axis to at least ``min_span`` around the median when the steps vary less."""
    low, high = float(np.min(y)), float(np.max(y))
    if centre is not None:
        low, high = min(low, centre), max(high, centre)
    if high - low >= min_span or min_span <= 0:
        return
    middle = centre if centre is not None else (low + high) / 2.0
    half = max(min_span / 2.0, middle - low, high - middle) * 1.1
    fig.update_yaxes(range=[middle - half, middle + half])
