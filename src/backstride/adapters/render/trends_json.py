"""``backstride.trends/1`` JSON and a compact terminal table from :class:`Trends`.

Every key names its unit (``onset_min``, ``median_cadence_spm``); values inside a metric's
object (``mean``, ``sd``, ``ci95``, ``difference``) are in that metric's contract unit, as in
the analysis JSON: the core's SI values (seconds, metres, fractions) are converted here, the one
place they become ms, mm and %. No wall-clock fields: the same history gives identical JSON.
"""

from __future__ import annotations

from typing import Any, Final

from backstride.adapters.render.units import METRIC_UNITS, contract_factor, contract_key
from backstride.core.history import (
    OnsetComparison,
    OnsetSummary,
    PainFormComparison,
    StepProgress,
    Trends,
    TrendStatus,
    Week,
    WeeklyMetric,
    order_metrics,
)

SCHEMA: Final = "backstride.trends/1"
JSON = dict[str, Any]

_BY_KEY: Final = {u.key: u for u in METRIC_UNITS.values()}
_SHORT: Final = {
    "cadence_spm": "cad spm", "ground_contact_time_ms": "GCT ms",
    "vertical_oscillation_mm": "VO mm", "vertical_ratio_pct": "VR %",
    "step_length_m": "step m", "gct_imbalance_pct": "imbal %", "speed_mps": "m/s",
}


def _r(value: float | None, digits: int = 6) -> float | None:
    """Rounded to remove binary noise, not to hide precision."""
    return None if value is None else round(value, digits)


def _pair(pair: tuple[float, float] | None, digits: int = 6) -> list[float | None] | None:
    return None if pair is None else [_r(pair[0], digits), _r(pair[1], digits)]


def _u(metric: str, value: float | None) -> float | None:
    """A core (SI) value of ``metric`` in its contract unit."""
    return None if value is None else value * contract_factor(metric)


def _u_pair(metric: str, pair: tuple[float, float] | None) -> tuple[float, float] | None:
    if pair is None:
        return None
    factor = contract_factor(metric)
    return (pair[0] * factor, pair[1] * factor)


# ---------------------------------------------------------------- JSON


def trends_json(trends: Trends) -> JSON:
    return {
        "schema": SCHEMA,
        "weekly": [_week(w) for w in trends.weekly],
        "cadence_steps": [_step(s) for s in trends.cadence_steps],
        "pain_vs_form": [_comparison(c) for c in trends.pain_vs_form],
        "pain_onset_vs_drift": _onsets(trends.pain_onset_vs_drift),
        "notes": list(trends.notes),
        "methods": dict(trends.methods),
    }


def _week(w: Week) -> JSON:
    return {
        "week_start": w.week_start.isoformat(),
        "iso_week": f"{w.iso_year}-W{w.iso_week:02d}",
        "n_runs": w.n_runs,
        "distance_m": _r(w.distance_m, 1),
        "moving_time_s": _r(w.moving_time_s, 1),
        "metrics": {contract_key(m.metric): _weekly_metric(m) for m in w.metrics},
    }


def _weekly_metric(m: WeeklyMetric) -> JSON:
    return {"n_runs": m.n_runs, "mean": _r(_u(m.metric, m.mean)), "sd": _r(_u(m.metric, m.sd)),
            "ci95": _pair(_u_pair(m.metric, m.ci95)),
            "drift_onset_median_min": _r(m.drift_onset_median_min, 2),
            "n_drift_onsets": m.n_drift_onsets}


def _step(s: StepProgress) -> JSON:
    return {
        "week": s.week, "weeks": s.weeks, "target_spm": s.target_spm,
        "start_date": s.start.isoformat(), "end_date": s.end.isoformat(),
        "n_runs": s.n_runs, "n_in_pace_band": s.n_in_band,
        "pace_band_mps": _pair(s.pace_band_mps, 3),
        "median_cadence_spm": _r(s.median_cadence_spm),
        "cadence_range_spm": _pair(s.cadence_range_spm),
        "n_at_target": s.n_at_target, "status": s.status.value, "reason": s.reason,
    }


def _comparison(c: PainFormComparison) -> JSON:
    return {
        "metric": contract_key(c.metric), "status": c.status.value, "reason": c.reason,
        "n_painful": c.n_painful, "n_pain_free": c.n_pain_free,
        "mean_painful": _r(_u(c.metric, c.mean_painful)),
        "mean_pain_free": _r(_u(c.metric, c.mean_pain_free)),
        "sd_painful": _r(_u(c.metric, c.sd_painful)),
        "sd_pain_free": _r(_u(c.metric, c.sd_pain_free)),
        "difference": _r(_u(c.metric, c.difference)),
        "ci95": _pair(_u_pair(c.metric, c.ci95)), "df": _r(c.df, 3),
        "hedges_g": _r(c.hedges_g, 4), "hedges_g_ci95": _pair(c.hedges_g_ci95, 4),
    }


def _onsets(o: OnsetSummary) -> JSON:
    return {
        "status": o.status.value, "reason": o.reason,
        "n_painful_runs": o.n_painful_runs, "n_with_pain_onset": o.n_with_pain_onset,
        "n_runs": o.n_runs, "n_form_first": o.n_form_first, "n_same_time": o.n_same_time,
        "n_pain_first": o.n_pain_first, "form_first_frac": _r(o.form_first_frac, 4),
        "form_first_ci95": _pair(o.form_first_ci95, 4),
        "by_metric": [{"metric": contract_key(c.metric), "n_runs": c.n_runs,
                       "n_form_first": c.n_form_first, "n_same_time": c.n_same_time,
                       "n_pain_first": c.n_pain_first}
                      for c in o.by_metric],
        "runs": [_onset_run(c) for c in o.comparisons],
    }


def _onset_run(c: OnsetComparison) -> JSON:
    return {
        "run_id": c.run_id, "metric": contract_key(c.metric),
        "pain_onset_min": _r(c.pain_onset_min, 2), "pain_onset_km": _r(c.pain_onset_km, 3),
        "drift_onset_min": _r(c.drift_onset_min, 2), "drift_onset_km": _r(c.drift_onset_km, 3),
        "pain_minus_drift_min": _r(c.pain_minus_drift_min, 2),
        "pain_minus_drift_km": _r(c.pain_minus_drift_km, 3),
        "order": c.order.value,
    }


# ---------------------------------------------------------------- text


def _decimals(metric: str) -> int:
    unit = _BY_KEY.get(contract_key(metric))
    return unit.decimals if unit is not None else 2


def _num(value: float | None, digits: int) -> str:
    return "–" if value is None else f"{value:.{digits}f}"


def trends_text(trends: Trends) -> str:
    lines = [*_weekly_text(trends.weekly), *_steps_text(trends.cadence_steps),
             *_pain_text(trends.pain_vs_form), *_onset_text(trends.pain_onset_vs_drift)]
    if trends.notes:
        lines.append("Notes")
        lines.extend(f"  - {note}" for note in trends.notes)
    return "\n".join(lines)


def _weekly_text(weeks: tuple[Week, ...]) -> list[str]:
    if not weeks:
        return []
    # The terminal table shows the form metrics; every metric is in the JSON.
    keys = [k for k in order_metrics(m.metric for w in weeks for m in w.metrics)
            if contract_key(k) in _SHORT]
    header = f"  {'week':<9}{'runs':>5}{'km':>7}" + "".join(
        f"{_SHORT[contract_key(k)]:>10}" for k in keys)
    lines = ["Weekly means (one value per run)", header]
    for w in weeks:
        by_key = {m.metric: m for m in w.metrics}
        km = None if w.distance_m is None else w.distance_m / 1000.0
        cells = "".join(
            f"{_num(_u(k, by_key[k].mean) if k in by_key else None, _decimals(k)):>10}"
            for k in keys)
        lines.append(f"  {w.iso_year}-W{w.iso_week:02d}{w.n_runs:>5}{_num(km, 1):>7}{cells}")
    return lines


def _steps_text(steps: tuple[StepProgress, ...]) -> list[str]:
    if not steps:
        return []
    lines = ["Cadence steps"]
    for s in steps:
        weeks = f"week {s.week}–{s.week + s.weeks - 1}"
        median = "–" if s.median_cadence_spm is None else f"{s.median_cadence_spm:.1f} spm"
        lines.append(f"  {weeks:<11} target {s.target_spm:.0f} spm  median {median}  "
                     f"{s.reason}")
    return lines


def _pain_text(comparisons: tuple[PainFormComparison, ...]) -> list[str]:
    if not comparisons:
        return []
    lines = ["Painful vs pain-free runs (painful minus pain-free, 95 % interval)"]
    for c in comparisons:
        if c.status is not TrendStatus.OK or c.ci95 is None:
            lines.append(f"  {contract_key(c.metric):<24} not enough data: {c.reason}")
            continue
        d = _decimals(c.metric) + 1
        g = "" if c.hedges_g is None else f"  g {c.hedges_g:+.2f}"
        factor = contract_factor(c.metric)  # the core's SI value in the contract's unit
        low, high = c.ci95[0] * factor, c.ci95[1] * factor
        difference = "–" if c.difference is None else f"{c.difference * factor:+.{d}f}"
        lines.append(
            f"  {contract_key(c.metric):<24} {_num(_u(c.metric, c.mean_painful), d)} "
            f"(n={c.n_painful}) vs {_num(_u(c.metric, c.mean_pain_free), d)} "
            f"(n={c.n_pain_free}): {difference} "
            f"[{low:.{d}f}, {high:.{d}f}]{g}")
    return lines


def _onset_text(o: OnsetSummary) -> list[str]:
    if o.n_painful_runs == 0:
        return []
    lines = ["Pain onset vs form drift"]
    if o.n_runs == 0:
        lines.append(f"  not enough data: {o.reason}")
        return lines
    share = ""
    if o.form_first_frac is not None and o.form_first_ci95 is not None:
        low, high = o.form_first_ci95
        share = (f" ({100 * o.form_first_frac:.0f} %, 95 % interval "
                 f"{100 * low:.0f}–{100 * high:.0f} %)")
    lines.append(f"  form drifted first in {o.n_form_first} of {o.n_runs} painful runs{share}; "
                 f"same time {o.n_same_time}, pain first {o.n_pain_first}")
    lines.extend(f"    {contract_key(c.metric):<24} first in {c.n_form_first} of {c.n_runs}"
                 for c in o.by_metric)
    return lines
