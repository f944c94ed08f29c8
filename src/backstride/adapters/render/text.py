"""Plain-text summary of an analysis for the terminal."""

from __future__ import annotations

from typing import Any

from backstride.adapters.render.units import METRIC_UNITS, distance_text, pace_text

_BY_KEY = {u.key: u for u in METRIC_UNITS.values()}
_SEVERITY = {"act": "ACT  ", "watch": "WATCH", "info": "INFO "}


def text_summary(analysis: dict[str, Any], *, units: str = "metric") -> str:
    src, act = analysis["source"], analysis["activity"]
    video = analysis.get("video")
    if video is not None:
        capture = video.get("capture_rate_hz")
        recorded = (f", recorded at {capture:g} fps: analysed on the real time scale"
                    if capture and capture != video["frame_rate_hz"] else "")
        lines = [f"{src['path']}  (video, {video['view']} view, {video['frame_rate_hz']:g} fps, "
                 f"{video['width_px']}×{video['height_px']} px{recorded})"]
        confidence = video.get("cadence_confidence")
        lines.append(f"  clip {act['duration_s']:.1f} s, runner analysed "
                     f"{act['moving_time_s']:.1f} s"
                     + (f", cadence confidence {confidence}" if confidence else ""))
    else:
        lines = [f"{src['path']}  ({src['format'].upper()}, {src['device'] or 'unknown device'})"]
        when = act["start_utc"] or "start time unknown"
        distance = (distance_text(act["distance_m"], units) if act["distance_m"] is not None
                    else "?")
        walked = act.get("walking_time_s") or 0.0
        lines.append(f"  {when}  {distance}  running {act['moving_time_s'] / 60:.1f} min "
                     + (f"and walking {walked / 60:.1f} min " if walked else "")
                     + f"of {act['duration_s'] / 60:.1f} min")
    metrics = dict(analysis["metrics"])
    if video is not None:
        if not any(m["status"] == "ok" for m in metrics.values()):
            reason = next((m["reason"] for m in metrics.values() if m.get("reason")), "")
            lines.insert(1, "  NOTHING WAS MEASURED from this clip" + (f": {reason}" if reason
                                                                        else ""))
        # From video, ground contact time is an upper bound: last, never the headline.
        gct = metrics.pop("ground_contact_time_ms", None)
        if gct is not None:
            metrics["ground_contact_time_ms"] = gct
    for key, m in metrics.items():
        unit = _BY_KEY[key]
        if m["status"] != "ok":
            lines.append(f"  {unit.label:<38} –  ({m['status']}: {m['reason']})")
            continue
        if key == "speed_mps":
            shown = f"{m['value']:.2f} m/s  ({pace_text(m['value'], units)})"
        elif key == "ground_contact_time_ms" and video is not None:
            shown = (f"at most {m['value']:.{unit.decimals}f} {unit.unit} (an upper bound from "
                     "video; prefer a watch's)")
        else:
            shown = f"{m['value']:.{unit.decimals}f} {unit.unit}"
        low, high = m["ci95"] or (None, None)
        digits = unit.decimals
        ci = f"  95 % CI {low:.{digits}f}–{high:.{digits}f}" if low is not None else ""
        lines.append(f"  {unit.label:<38} {shown}{ci}  (n={m['n']})")
    for f in analysis["findings"]:
        tag = " [heuristic]" if f.get("heuristic") else ""
        lines.append(f"  {_SEVERITY.get(f['severity'], f['severity'])} {f['message']}{tag}")
    for warning in analysis["quality"]["warnings"]:
        lines.append(f"  note: {warning}")
    return "\n".join(lines)
