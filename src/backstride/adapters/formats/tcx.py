"""Garmin Training Center XML (TCX v2): Activities / Activity / Lap / Track / Trackpoint.

Cadence: ``ns3:TPX/ns3:RunCadence`` (ActivityExtension v2) is the per-foot value a running
watch counts, so ``cadence_spm`` = 2 × value (DOMAIN.md §2). The schema's plain
``<Cadence>`` element is meant for bike crank rpm; on a running activity it is read as the
same per-foot count (an assumption no fixture checks), and only when RunCadence is absent.
An app that already wrote steps/min there shows up as a doubled value, which DOMAIN.md §2
quirk 1 leaves to the analysis to spot.

Pauses: TCX has no pause events, so a gap between points longer than
``trackpoints.PAUSE_GAP_S`` is taken as the timer off, unless the lap around it shows the
timer ran on: a lap whose timer time (TotalTimeSeconds) matches its elapsed time had no
pause, and a gap inside it is smart recording (the FR220 fixture's FIT twin confirms both
kinds of gap).
"""

from __future__ import annotations

import math
import xml.etree.ElementTree as ET
from dataclasses import dataclass
from pathlib import Path
from typing import Final

import numpy as np

from backstride.adapters.formats.trackpoints import (
    PointTable,
    Track,
    build_activity,
    build_series,
    clean_track,
    find_pauses,
    group_spans_s,
    parse_time_unix_s,
)
from backstride.adapters.formats.xmlsafe import parse_xml, strip_namespaces
from backstride.core.activity import Activity, Session
from backstride.core.types import BoolArray, IntArray, Issue
from backstride.errors import InsufficientDataError, UnsupportedFormatError

__all__ = ["read_tcx"]

_TIMER_SLACK_S: Final = 2.0
"""Elapsed minus timer time below this means the lap had no pause: lap start times are
whole seconds, timer times milliseconds."""

_SPORTS: Final = {"running": "running", "biking": "cycling", "other": "unknown"}

# Local element name inside a Trackpoint -> record column (file units). ``Value`` occurs
# only under HeartRateBpm there.
_POINT_FIELDS: Final = {
    "LatitudeDegrees": "position_lat",
    "LongitudeDegrees": "position_long",
    "AltitudeMeters": "altitude",
    "DistanceMeters": "distance",
    "Value": "heart_rate",
    "Speed": "speed",
    "RunCadence": "cadence",
    "Watts": "power",
}


def read_tcx(data: bytes, *, path: Path, sha256: str) -> Activity:
    """Decode a TCX file; one :class:`Session` per ``<Activity>`` element."""
    root = strip_namespaces(parse_xml(data, path))
    if root.tag != "TrainingCenterDatabase":
        raise UnsupportedFormatError(path, f"its XML root is <{root.tag}>, not a TCX file's")
    activities = list(root.iter("Activity"))  # also those inside a MultiSportSession
    table = PointTable()
    laps: list[_Lap] = []
    for group, activity in enumerate(activities):
        for lap in activity.iterfind("Lap"):
            laps.append(_Lap(start_unix_s=parse_time_unix_s(lap.get("StartTime"))[0],
                             timer_s=_lap_number(lap, "TotalTimeSeconds"), group=group))
            for point in lap.iterfind("Track/Trackpoint"):
                time_text, values = _point(point)
                table.add(time_text, values, group=group, lap=len(laps) - 1)
    if len(table) == 0:
        raise InsufficientDataError(_no_points_message(root, path, len(activities)))
    issues: list[Issue] = []
    track = clean_track(table, path=path, issues=issues)
    spans = group_spans_s(track)
    sessions = tuple(_session(activities[g], start_s, end_s) for g, (start_s, end_s)
                     in spans.items())
    return build_activity(
        fmt="tcx", sha256=sha256, device=_device(activities), track=track,
        series=build_series(track, issues), sessions=sessions, issues=issues,
        timer_stopped=find_pauses(track.t_s, timer_ran=_timer_ran(track, laps)),
    )


@dataclass(frozen=True, slots=True, kw_only=True)
class _Lap:
    start_unix_s: float  # NaN when unreadable
    timer_s: float  # NaN when absent
    group: int


def _timer_ran(track: Track, laps: list[_Lap]) -> BoolArray:
    """Per point: the lap it lies in ran its timer from start to end, so no gap starting at
    the point can be a pause. A lap ends where the next lap of its activity starts, else at
    its last point; a lap without times says nothing (False)."""
    lap_ran = np.zeros(len(laps), dtype=np.bool_)
    for k, lap in enumerate(laps):
        at = track.unix_s[track.lap == k]
        if at.size == 0 or not math.isfinite(lap.timer_s):
            continue
        start = lap.start_unix_s if math.isfinite(lap.start_unix_s) else float(at[0])
        after = laps[k + 1] if k + 1 < len(laps) else None
        end = float(at[-1])
        if after is not None and after.group == lap.group and math.isfinite(after.start_unix_s):
            end = after.start_unix_s
        lap_ran[k] = (end - start) - lap.timer_s < _TIMER_SLACK_S
    ran: BoolArray = lap_ran[_lap_by_time(track, laps)]
    return ran


def _lap_by_time(track: Track, laps: list[_Lap]) -> IntArray:
    """The lap each point lies in by the laps' start times. Not the Lap element holding it:
    Garmin repeats a lap's first point as the previous lap's last, and only that first copy
    is kept. Falls back to the holding element when start times are missing or unordered."""
    starts = np.array([lap.start_unix_s for lap in laps], dtype=np.float64)
    if not np.all(np.isfinite(starts)) or np.any(np.diff(starts) < 0):
        return track.lap
    found: IntArray = np.maximum(np.searchsorted(starts, track.unix_s, side="right") - 1, 0)
    return found


def _point(point: ET.Element) -> tuple[str | None, dict[str, str | None]]:
    """Time text and column -> text of one Trackpoint, in one pass over its elements."""
    time_text: str | None = None
    plain_cadence: str | None = None
    values: dict[str, str | None] = {}
    for element in point.iter():
        if element.tag == "Time":
            time_text = element.text
        elif element.tag == "Cadence":
            plain_cadence = element.text
        elif element.tag in _POINT_FIELDS:
            values[_POINT_FIELDS[element.tag]] = element.text
    if values.get("cadence") is None and plain_cadence is not None:
        values["cadence"] = plain_cadence
    return time_text, values


def _session(activity: ET.Element, start_s: float, end_s: float) -> Session:
    sport = activity.get("Sport", "Other").strip().lower()
    return Session(
        sport=_SPORTS.get(sport, "unknown"), sub_sport=None, start_s=start_s, end_s=end_s,
        summary={"total_distance_m": _lap_total(activity, "DistanceMeters"),
                 "total_timer_time_s": _lap_total(activity, "TotalTimeSeconds")},
    )


def _lap_total(activity: ET.Element, name: str) -> float:
    """Sum over the activity's laps; a lap without the value adds nothing."""
    values = (_lap_number(lap, name) for lap in activity.iterfind("Lap"))
    return math.fsum(value for value in values if math.isfinite(value))


def _lap_number(lap: ET.Element, name: str) -> float:
    """A lap's direct child as a number; NaN when absent or not a number."""
    try:
        value = float(lap.findtext(name) or "nan")
    except ValueError:
        return math.nan
    return value if math.isfinite(value) else math.nan


def _device(activities: list[ET.Element]) -> str | None:
    for activity in activities:
        name = (activity.findtext("Creator/Name") or "").strip()
        if name:
            return name
    return None


def _no_points_message(root: ET.Element, path: Path, n_activities: int) -> str:
    if n_activities == 0 and root.find(".//Course") is not None:
        what = "it is a course (a planned route), not a recorded activity"
    elif n_activities == 0:
        what = "it holds no activity"
    else:
        what = ("its activity has laps but no recorded track (entered by hand, or exported "
                "without track data)")
    return (f"{path.name} holds no track points: {what}. Export the recorded run from your "
            "watch app as FIT (best) or as TCX with its track, and try again.")
