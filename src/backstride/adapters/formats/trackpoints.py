"""What the TCX and GPX readers share: track points collected as the file holds them, put in
time order, and turned into the series, pauses and record columns of an :class:`Activity`.

Both formats are lists of timed points with optional values and no pause events; they
differ only in element names, which each reader maps to the record columns below.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Final

import numpy as np

from backstride.core.activity import Activity, Session
from backstride.core.clock import NO_SESSION_JUMP_S, repair_clock
from backstride.core.geo import cumulative_distance_m, speed_from_distance_mps
from backstride.core.types import AnyArray, BoolArray, FloatArray, IntArray, Issue
from backstride.errors import InsufficientDataError

PAUSE_GAP_S: Final = 10.0
"""A longer gap between consecutive points is taken as the timer off. TCX and GPX keep no
pause events, and a running watch writes a point every 1-8 s, even in smart recording, while
its timer runs. A longer gap while moving (rare) costs a little running time, never a value."""

SPEED_WINDOW_S: Final = 5.0
"""Window over which a speed derived from distance is averaged (see core.geo)."""

# (record column in file units, series, factor to SI). Record columns use the FIT profile's
# names so every format's ``messages["record"]`` reads alike.
RECORD_SERIES: Final = (
    ("position_lat", "lat_deg", 1.0),  # degrees here, unlike FIT's semicircles
    ("position_long", "lon_deg", 1.0),
    ("altitude", "altitude_m", 1.0),
    ("distance", "distance_m", 1.0),
    ("heart_rate", "heart_rate_bpm", 1.0),
    ("cadence", "cadence_spm", 2.0),  # per-foot steps/min -> both feet (DOMAIN.md §2)
    ("speed", "speed_mps", 1.0),
    ("power", "power_w", 1.0),
)


def parse_time_unix_s(text: str | None) -> tuple[float, bool]:
    """ISO 8601 text ('Z' or an offset) -> (UNIX seconds, whether it lacked a zone).

    A time without a zone is read as UTC, which both formats' specifications require.
    (NaN, False) when the text is missing or not a time.
    """
    if not text:
        return math.nan, False
    try:
        stamp = datetime.fromisoformat(text.strip())
    except ValueError:
        return math.nan, False
    if stamp.tzinfo is None:
        return stamp.replace(tzinfo=UTC).timestamp(), True
    return stamp.timestamp(), False


class PointTable:
    """Track points collected one at a time, in file order and file units.

    ``group`` tells which session a point belongs to (a TCX Activity, a GPX trk) and
    ``lap`` which lap (TCX Lap; 0 in GPX).
    """

    def __init__(self) -> None:
        self.unix_s: list[float] = []
        self.group: list[int] = []
        self.lap: list[int] = []
        self.columns: dict[str, list[float]] = {column: [] for column, _, _ in RECORD_SERIES}
        self.n_unreadable_values = 0
        self.n_naive_times = 0

    def __len__(self) -> int:
        return len(self.unix_s)

    def add(self, time_text: str | None, values: Mapping[str, str | None], *,
            group: int, lap: int = 0) -> None:
        """One point; a value missing from ``values`` is stored as NaN, a bad time as NaN
        (counted with the missing times by :func:`clean_track`)."""
        unix_s, naive = parse_time_unix_s(time_text)
        self.n_naive_times += int(naive)
        self.unix_s.append(unix_s)
        self.group.append(group)
        self.lap.append(lap)
        for column, cells in self.columns.items():
            cells.append(self._number(values.get(column)))

    def _number(self, text: str | None) -> float:
        if text is None:
            return math.nan
        try:
            value = float(text)
        except ValueError:
            value = math.nan
        if not math.isfinite(value):
            self.n_unreadable_values += 1
            return math.nan
        return value


@dataclass(frozen=True, slots=True, kw_only=True)
class Track:
    """Points with a time, in strictly increasing time order."""

    unix_s: FloatArray
    group: IntArray
    lap: IntArray
    columns: dict[str, FloatArray]  # only the columns that hold at least one value

    @property
    def t_s(self) -> FloatArray:
        """Seconds since the first point."""
        t_s: FloatArray = self.unix_s - self.unix_s[0]
        return t_s

    @property
    def start_utc(self) -> datetime:
        return datetime.fromtimestamp(float(self.unix_s[0]), UTC)


def clean_track(table: PointTable, *, path: Path, issues: list[Issue]) -> Track:
    """Drop points without a time, sort by time, drop repeated times; each noted as an Issue."""
    unix_s = np.asarray(table.unix_s, dtype=np.float64)
    _note_unreadable(table, issues)
    timed = np.flatnonzero(np.isfinite(unix_s))
    if timed.size == 0:
        raise InsufficientDataError(
            f"{path.name} holds {len(table)} track points but none has a readable time, so "
            "nothing can be measured. Export the run again from your watch app (FIT is best).")
    if timed.size < unix_s.size:
        issues.append(Issue(code="track_point_without_time", message=(
            f"{unix_s.size - timed.size} of {unix_s.size} track points had no readable time "
            "and were left out.")))
    _repair_clock(unix_s, timed, table, issues)
    order = _time_order(unix_s, timed, issues)
    columns = {name: np.asarray(cells, dtype=np.float64)[order]
               for name, cells in table.columns.items()}
    return Track(
        unix_s=unix_s[order],
        group=np.asarray(table.group, dtype=np.int64)[order],
        lap=np.asarray(table.lap, dtype=np.int64)[order],
        columns={name: values for name, values in columns.items() if np.any(np.isfinite(values))},
    )


def _repair_clock(unix_s: FloatArray, timed: IntArray, table: PointTable,
                  issues: list[Issue]) -> None:
    """A watch clock that jumped (core/clock.py): repaired in file order where the file's own
    distance keeps counting in that order, so the points are not shuffled by sorting."""
    t = unix_s[timed]
    if t.size < 3 or len(set(table.group)) > 1:
        return  # one track or activity only: several may be days apart on purpose
    dt = np.diff(t)
    distance = np.asarray(table.columns["distance"], dtype=np.float64)[timed]
    finite = distance[np.isfinite(distance)]
    in_order = finite.size >= 2 and bool(np.all(np.diff(finite) >= 0))
    backwards = bool(np.any(dt < 0))
    if not (np.any(dt > NO_SESSION_JUMP_S) or (backwards and in_order)):
        return
    repaired = repair_clock(t, distance if in_order else None, elapsed_s=None)
    if repaired.issue is not None:
        unix_s[timed] = repaired.t_s
        issues.append(repaired.issue)


def _note_unreadable(table: PointTable, issues: list[Issue]) -> None:
    if table.n_unreadable_values:
        issues.append(Issue(code="track_value_unreadable", message=(
            f"{table.n_unreadable_values} values in track points were not numbers and were "
            "left out.")))
    if table.n_naive_times:
        issues.append(Issue(code="track_time_without_zone", message=(
            f"{table.n_naive_times} track point times had no time zone; they were read as UTC, "
            "as the TCX and GPX specifications require.")))


def _time_order(unix_s: FloatArray, timed: IntArray, issues: list[Issue]) -> IntArray:
    """Indices of the points to keep, in time order, the first of any repeated time."""
    order: IntArray = timed[np.argsort(unix_s[timed], kind="stable")]  # stable: file order ties
    if np.any(np.diff(order) < 0):
        issues.append(Issue(code="track_points_unsorted", message=(
            "Track points were not in time order; they were sorted by time.")))
    first = np.concatenate(([True], np.diff(unix_s[order]) > 0))
    if not np.all(first):
        issues.append(Issue(code="track_time_repeated", message=(
            f"{int(np.sum(~first))} track points repeated the time of the point before them "
            "(exporters such as Garmin Connect repeat the point where a lap starts); the first "
            "of each was kept.")))
    kept: IntArray = order[first]
    return kept


def find_pauses(
    t_s: FloatArray, *, timer_ran: BoolArray | None = None,
) -> tuple[tuple[float, float], ...]:
    """(from_s, to_s) of every gap longer than :data:`PAUSE_GAP_S`, except gaps starting at a
    point where ``timer_ran`` is true (the file shows the timer ran on through the gap)."""
    long_gap = np.diff(t_s) > PAUSE_GAP_S
    if timer_ran is not None:
        long_gap &= ~timer_ran[:-1]
    return tuple((float(t_s[i]), float(t_s[i + 1])) for i in np.flatnonzero(long_gap))


def build_series(
    track: Track, issues: list[Issue], *, gps_distance_m: FloatArray | None = None,
) -> dict[str, FloatArray]:
    """SI series from the record columns; ``gps_distance_m`` is distance computed from
    positions (GPX), used when the file records none. Speed is derived when absent."""
    series = {name: track.columns[column] * factor
              for column, name, factor in RECORD_SERIES if column in track.columns}
    if gps_distance_m is not None and "distance_m" not in series:
        series["distance_m"] = gps_distance_m
    if "speed_mps" not in series:
        speed = _derived_speed_mps(series, track.t_s, issues,
                                   from_gps=gps_distance_m is not None)
        if speed is not None:
            series["speed_mps"] = speed
    return series


def _derived_speed_mps(series: dict[str, FloatArray], t_s: FloatArray, issues: list[Issue],
                       *, from_gps: bool) -> FloatArray | None:
    distance = series.get("distance_m")
    if distance is None and "lat_deg" in series and "lon_deg" in series:
        distance, from_gps = cumulative_distance_m(series["lat_deg"], series["lon_deg"]), True
    if distance is None:
        return None
    source = "GPS positions" if from_gps else "the distance the file records"
    issues.append(Issue(code="speed_derived", message=(
        f"The file holds no speed: speed derived from {source}, as distance over time "
        f"averaged over {SPEED_WINDOW_S:g} s, so it is noisier than a watch's own speed.")))
    return speed_from_distance_mps(t_s, distance, window_s=SPEED_WINDOW_S, max_gap_s=PAUSE_GAP_S)


def group_spans_s(track: Track) -> dict[int, tuple[float, float]]:
    """(first, last) ``t_s`` of each group that kept at least one point."""
    t_s = track.t_s
    return {int(g): (float(t_s[track.group == g][0]), float(t_s[track.group == g][-1]))
            for g in np.unique(track.group)}


def build_activity(
    *, fmt: str, sha256: str, device: str | None, track: Track, series: dict[str, FloatArray],
    sessions: tuple[Session, ...], issues: list[Issue],
    timer_stopped: tuple[tuple[float, float], ...] | None = None,
) -> Activity:
    """The :class:`Activity`; pauses default to :func:`find_pauses` over all points."""
    t_s = track.t_s
    record: dict[str, AnyArray] = {"timestamp": track.unix_s, **track.columns}
    return Activity(
        format=fmt,
        sha256=sha256,
        start_utc=track.start_utc,
        device=device,
        t_s=t_s,
        series=series,
        sessions=sessions,
        timer_stopped=find_pauses(t_s) if timer_stopped is None else timer_stopped,
        issues=tuple(issues),
        messages={"record": record},
        cadence_resolution_spm=2.0,  # whole steps per foot: 2 spm
    )
