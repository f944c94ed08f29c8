"""GPX 1.0/1.1 tracks: gpx / trk / trkseg / trkpt, with watch values in extensions.

Extensions are matched by local name, case-insensitively, whatever their namespace
(Garmin TrackPointExtension v1/v2 as ``ns3:`` or ``gpxtpx:``, Strava's copies of them):
``cad``/``cadence`` is the per-foot count, so ``cadence_spm`` = 2 × value (DOMAIN.md §2);
``hr``/``heartrate``; ``power``/``PowerInWatts``; ``speed``. GPX holds no distance and no
pause events: distance is summed along the positions (core.geo), speed is derived from it
when the file has none, and long gaps between points are taken as pauses.
"""

from __future__ import annotations

import xml.etree.ElementTree as ET
from pathlib import Path
from typing import Final

import numpy as np

from backstride.adapters.formats.trackpoints import (
    PointTable,
    Track,
    build_activity,
    build_series,
    clean_track,
    group_spans_s,
)
from backstride.adapters.formats.xmlsafe import parse_xml, strip_namespaces
from backstride.core.activity import RUNNING, Activity, Session
from backstride.core.geo import cumulative_distance_m
from backstride.core.types import FloatArray, Issue
from backstride.errors import InsufficientDataError, UnsupportedFormatError

__all__ = ["read_gpx"]

# Lower-case local name of an element inside a trkpt -> record column (file units).
_POINT_FIELDS: Final = {
    "ele": "altitude",
    "cad": "cadence",
    "cadence": "cadence",
    "hr": "heart_rate",
    "heartrate": "heart_rate",
    "power": "power",
    "powerinwatts": "power",
    "speed": "speed",
}

# trk/type text -> sport. Garmin Connect writes names ("running", "trail_running"); Strava
# writes its activity-type numbers (9 run, 1 ride, 10 walk).
_SPORTS: Final = {
    "running": RUNNING, "run": RUNNING, "9": RUNNING,
    "cycling": "cycling", "biking": "cycling", "ride": "cycling", "1": "cycling",
    "walking": "walking", "walk": "walking", "10": "walking",
    "hiking": "hiking", "swimming": "swimming",
}


def read_gpx(data: bytes, *, path: Path, sha256: str) -> Activity:
    """Decode a GPX file; one :class:`Session` per run of trks with the same sport."""
    root = strip_namespaces(parse_xml(data, path))
    if root.tag != "gpx":
        raise UnsupportedFormatError(path, f"its XML root is <{root.tag}>, not a GPX file's")
    issues: list[Issue] = []
    tracks = root.findall("trk")
    table = PointTable()
    for group, trk in enumerate(tracks):
        for point in trk.iterfind("trkseg/trkpt"):
            time_text, values = _point(point)
            table.add(time_text, values, group=group)
    if len(table) == 0:
        raise InsufficientDataError(_no_points_message(root, path))
    track = clean_track(table, path=path, issues=issues)
    distance_m = _gps_distance_m(track)
    sports = [_sport(trk.findtext("type"), issues) for trk in tracks]
    return build_activity(
        fmt="gpx", sha256=sha256, device=(root.get("creator") or "").strip() or None,
        track=track, series=build_series(track, issues, gps_distance_m=distance_m),
        sessions=_sessions(track, sports, distance_m), issues=issues,
    )


def _point(point: ET.Element) -> tuple[str | None, dict[str, str | None]]:
    """Time text and column -> text of one trkpt, in one pass over its elements."""
    values: dict[str, str | None] = {"position_lat": point.get("lat"),
                                     "position_long": point.get("lon")}
    time_text: str | None = None
    for element in point.iter():
        name = element.tag.lower() if isinstance(element.tag, str) else ""
        if name == "time":
            time_text = element.text
        elif name in _POINT_FIELDS:
            values[_POINT_FIELDS[name]] = element.text
    return time_text, values


def _gps_distance_m(track: Track) -> FloatArray | None:
    if "position_lat" not in track.columns or "position_long" not in track.columns:
        return None
    return cumulative_distance_m(track.columns["position_lat"], track.columns["position_long"])


def _sport(type_text: str | None, issues: list[Issue]) -> str:
    text = (type_text or "").strip().lower().replace(" ", "_")
    if not text:
        issues.append(Issue(code="gpx_sport_assumed", message=(
            "The GPX track does not say which sport it is; its speed and cadence decide.")))
        return "unknown"
    if text in _SPORTS:
        return _SPORTS[text]
    if text.endswith("running"):  # trail_running, treadmill_running, street_running
        return RUNNING
    issues.append(Issue(code="gpx_sport_unknown", message=(
        f"The GPX track's type '{type_text}' is not a sport backstride knows; its session "
        "is marked 'unknown'; its speed and cadence decide.")))
    return "unknown"


def _sessions(track: Track, sports: list[str],
              distance_m: FloatArray | None) -> tuple[Session, ...]:
    """One session per trk, merged with the next while the sport stays the same (an
    exporter may split one run into several trks)."""
    merged: list[tuple[str, float, float]] = []
    for group, (start_s, end_s) in group_spans_s(track).items():
        if merged and merged[-1][0] == sports[group]:
            merged[-1] = (sports[group], merged[-1][1], end_s)
        else:
            merged.append((sports[group], start_s, end_s))
    return tuple(
        Session(sport=sport, sub_sport=None, start_s=start_s, end_s=end_s,
                summary=_summary(track, distance_m, start_s, end_s))
        for sport, start_s, end_s in merged
    )


def _summary(track: Track, distance_m: FloatArray | None,
             start_s: float, end_s: float) -> dict[str, float]:
    if distance_m is None:
        return {}
    t_s = track.t_s
    inside = distance_m[(t_s >= start_s) & (t_s <= end_s) & np.isfinite(distance_m)]
    if inside.size == 0:
        return {}
    return {"total_distance_m": float(inside[-1] - inside[0])}


def _no_points_message(root: ET.Element, path: Path) -> str:
    if root.find("rte/rtept") is not None:
        what = "it holds a planned route, not a recorded track"
    elif root.find("wpt") is not None:
        what = "it holds only waypoints, not a recorded track"
    else:
        what = "it has no <trkpt> elements"
    return (f"{path.name} holds no track points: {what}. Export the recorded run from your "
            "watch app as FIT (best) or as GPX with its track, and try again.")
