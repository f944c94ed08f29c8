"""``backstride.analysis/1`` JSON (CONTRACT.md) from a :class:`WatchReport`.

The JSON holds no wall-clock fields, so the same input always gives identical JSON.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from backstride.adapters.render.units import METRIC_UNITS, to_contract
from backstride.core.findings import Finding, Gauge
from backstride.core.report import DISCLAIMER, WatchReport
from backstride.core.running import CadenceProfile, Drift, MetricSummary

SCHEMA = "backstride.analysis/1"
JSON = dict[str, Any]


def analysis_json(report: WatchReport) -> JSON:
    run, activity = report.run, report.activity
    running_sport = [leg.sport for leg in run.legs]
    return {
        "schema": SCHEMA,
        "source": {"path": report.source_name, "format": activity.format,
                   "sha256": activity.sha256, "device": activity.device,
                   "sport": running_sport[0] if running_sport else None},
        "activity": {
            "start_utc": (run.start_utc.strftime("%Y-%m-%dT%H:%M:%SZ")  # the run leg's own
                          if run.start_utc else None),
            "duration_s": round(run.duration_s, 3),
            "moving_time_s": round(run.moving_time_s, 3),
            "walking_time_s": round(run.walking_time_s, 3),
            "distance_m": round(run.distance_m, 2) if run.distance_m is not None else None,
        },
        "metrics": {METRIC_UNITS[name].key: _metric(m) for name, m in run.metrics.items()},
        "drift": [_drift(d) for d in run.drift],
        "cadence_profile": _profile(run.cadence_profile),
        "findings": [finding_json(f) for f in report.findings],
        "quality": {"warnings": [issue.message for issue in run.issues]},
        "gauges": [_gauge(g) for g in report.gauges],
        "device_summary": [_device_summary(leg.sport, dict(leg.summary)) for leg in run.legs],
        "disclaimer": DISCLAIMER,
    }


def _profile(profile: CadenceProfile | None) -> JSON | None:
    """Running seconds at each whole spm (an addition to analysis/1): what a plan reads to
    say how much of a run was inside its alert range."""
    if profile is None:
        return None
    return {"start_spm": profile.start_spm, "bin_spm": 1,
            "seconds": [round(s, 1) for s in profile.seconds]}


def cadence_profile_from_json(analysis: Any) -> CadenceProfile | None:
    """A stored analysis' ``cadence_profile`` read back; None when it has none (analysed by
    an older version, or no cadence) or it does not parse."""
    item = analysis.get("cadence_profile") if isinstance(analysis, dict) else None
    try:
        return None if not item else CadenceProfile(
            start_spm=int(item["start_spm"]),
            seconds=tuple(float(s) for s in item["seconds"]))
    except (KeyError, TypeError, ValueError):
        return None


def metric_json(m: MetricSummary) -> JSON:
    """One metric in contract units, with its contract key under ``key``."""
    return {"key": METRIC_UNITS[m.name].key, **_metric(m)}


def _metric(m: MetricSummary) -> JSON:
    unit = METRIC_UNITS[m.name]
    out: JSON = {
        "value": to_contract(m.name, m.value), "unit": unit.unit,
        "median": to_contract(m.name, m.median), "sd": to_contract(m.name, m.sd), "n": m.n,
        "ci95": [to_contract(m.name, v) for v in m.ci95] if m.ci95 else None,
        "status": m.status.value, "reason": m.reason,
    }
    if m.name == "gct_balance_left_frac":
        out["label"] = "side unverified"
    return out


def _drift(d: Drift) -> JSON:
    return {
        "metric": METRIC_UNITS[d.name].key,
        "early": to_contract(d.name, d.early), "late": to_contract(d.name, d.late),
        "change_pct": round(100.0 * d.change_frac, 3) if np.isfinite(d.change_frac) else None,
        "onset_s": round(d.onset_s, 1) if d.onset_s is not None else None,
        "onset_m": round(d.onset_m, 1) if d.onset_m is not None else None,
        "significant": d.significant,
    }


def finding_json(f: Finding) -> JSON:
    return {
        "id": f.id, "severity": f.severity.value, "evidence": f.evidence.value,
        "heuristic": f.evidence.is_heuristic, "metric": METRIC_UNITS[f.metric].key,
        "value": to_contract(f.metric, f.value), "threshold": to_contract(f.metric, f.threshold),
        "message": f.message, "source": f.source,
    }


def _gauge(g: Gauge) -> JSON:
    return {"metric": METRIC_UNITS[g.metric].key, "value": g.value, "unit": g.unit,
            "colour": g.colour, "source": g.source,
            "bands": [{"colour": b.colour, "low": b.low, "high": b.high} for b in g.bands]}


_SUMMARY_KEYS = {
    "avg_cadence_spm": "cadence_spm", "avg_ground_contact_time_s": "ground_contact_time_s",
    "avg_gct_balance_left_frac": "gct_balance_left_frac",
    "avg_vertical_oscillation_m": "vertical_oscillation_m",
    "avg_vertical_ratio_frac": "vertical_ratio_frac", "avg_step_length_m": "step_length_m",
    "avg_speed_mps": "speed_mps", "avg_power_w": "power_w",
    "avg_heart_rate_bpm": "heart_rate_bpm",
}


def _device_summary(sport: str, summary: dict[str, float]) -> JSON:
    """The device's own session averages, shown beside the record statistics."""
    averages = {METRIC_UNITS[name].key: to_contract(name, summary[key])
                for key, name in _SUMMARY_KEYS.items() if key in summary}
    out: JSON = {"sport": sport, "averages": averages}
    for key in ("total_distance_m", "total_elapsed_time_s", "total_timer_time_s",
                "total_strides"):
        if key in summary:
            out[key] = round(summary[key], 3)
    strides = summary.get("total_strides")
    if strides and "total_distance_m" in summary:
        out["step_length_from_strides_m"] = round(summary["total_distance_m"] / (2 * strides), 4)
    return out
