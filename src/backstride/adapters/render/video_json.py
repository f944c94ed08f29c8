"""``backstride.analysis/1`` JSON for a video (CONTRACT.md; video metric keys), from a
:class:`VideoReport`. The common keys match the watch JSON; a ``video`` block adds what only a
video has (view, scale, contacts, cadence cross-checks). No wall-clock fields."""

from __future__ import annotations

from typing import Any, Final

from backstride.adapters.render.analysis_json import SCHEMA, finding_json, metric_json
from backstride.core.report import DISCLAIMER, VideoReport

JSON = dict[str, Any]

# 2D angle noise to show beside angles (DOMAIN.md §3.7, Damsted 2015): 95 % prediction
# intervals within a day and between days, degrees.
ANGLE_NOISE: Final = {
    "knee": {"within_day_deg": [3, 8], "between_days_deg": [9, 14]},
    "hip": {"within_day_deg": [3, 7], "between_days_deg": [9, 11]},
}
_NOISE_OF: Final = {"knee_flexion_at_contact_deg": "knee", "knee_flexion_midstance_deg": "knee",
                    "shank_angle_at_contact_deg": "knee", "hip_extension_deg": "hip",
                    "trunk_lean_deg": "hip", "pelvic_drop_deg": "hip"}
NOISE_NOTE: Final = ("2D angle noise (Damsted 2015): a change between sessions below 10° is "
                     "within measurement noise")


def video_json(report: VideoReport, *, source_path: str | None = None) -> JSON:
    form, poses = report.form, report.poses
    metrics: JSON = {}
    for name, summary in form.metrics.items():
        entry = metric_json(summary)
        if name in _NOISE_OF:
            entry["noise"] = {**ANGLE_NOISE[_NOISE_OF[name]], "note": NOISE_NOTE}
        if name in form.per_side:
            entry["per_side"] = {k: round(v, 6) for k, v in form.per_side[name].items()}
        metrics[entry.pop("key")] = entry
    events = form.events
    first, last = form.analysed_span_s
    return {
        "schema": SCHEMA,
        "source": {"path": source_path or report.source_name, "format": "video",
                   "sha256": report.sha256, "device": None, "sport": "running"},
        "activity": {"start_utc": None, "duration_s": round(form.duration_s, 3),
                     "moving_time_s": round(max(last - first, 0.0), 3), "distance_m": None},
        "metrics": metrics,
        "drift": [],
        "findings": [finding_json(f) for f in report.findings],
        "quality": {"warnings": [issue.message for issue in report.issues]},
        "video": {
            "view": form.view, "view_detected": form.view_detected,
            "shoulder_torso_ratio": _r(form.view_ratio, 3),
            "treadmill": form.treadmill, "near_leg": form.near_side,
            "frame_rate_hz": _r(poses.frame_rate_hz, 3), "frames": poses.frame_count,
            "capture_rate_hz": _r(poses.capture_rate_hz, 3),
            "time_scale": _r(form.time_scale, 6),
            "width_px": poses.width_px, "height_px": poses.height_px,
            "rotation_deg": poses.rotation_deg, "pose_model": poses.model,
            "pose_found_frac": _r(float(poses.detected.mean()) if poses.frame_count else 0.0, 4),
            "analysed_s": [round(first, 3), round(last, 3)],
            "leg_length_px": _r(form.leg_px, 1), "m_per_px": _r(form.m_per_px, 6),
            "camera_motion_frac_width": _r(form.camera_motion_frac_width, 4),
            "cadence_estimates_spm": None if events is None else {
                "contacts": _r(events.cadence.events_spm, 3),
                "hip_bounce_spectrum": _r(events.cadence.hip_spectrum_spm, 3),
                "feet_spectrum": _r(events.cadence.feet_spectrum_spm, 3)},
            "cadence_confidence": form.cadence_confidence,
            "contacts_s": None if events is None else {
                side: [round(float(t), 4) for t in times]
                for side, times in events.contacts_s.items()},
            "toe_offs_s": None if events is None else {
                side: [round(float(t), 4) for t in times]
                for side, times in events.toe_offs_s.items()},
        },
        "disclaimer": DISCLAIMER,
    }


def _r(value: float | None, digits: int) -> float | None:
    if value is None or value != value:  # None or NaN
        return None
    return round(value, digits)
