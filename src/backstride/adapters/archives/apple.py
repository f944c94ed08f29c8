"""Apple Health exports (``export.zip`` with ``apple_health_export/export.xml``, the unzipped
folder, or ``export.xml`` itself): each running workout becomes an Activity (format
``"apple_health"``) built from the records inside its time span. ``export.xml`` (gigabytes) is
streamed; XML that declares entities is refused (Apple's internal DTD, which only declares
elements and attributes, is allowed)."""

from __future__ import annotations

import hashlib
import json
import math
import xml.etree.ElementTree as ET  # only for the Element and ParseError types
import zipfile
from array import array
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import IO, Final

import defusedxml.ElementTree as safe_et
import numpy as np

from backstride.adapters.archives import limits
from backstride.adapters.archives.common import (
    CHUNK_BYTES,
    HOSTILE_XML,
    READ_ERRORS,
    ImportItem,
    ImportProblem,
    Output,
    size_text,
)
from backstride.adapters.archives.zips import Archive, MemberError, check_member
from backstride.core.activity import RUNNING, Activity, Session
from backstride.core.types import BoolArray, FloatArray, IntArray, Issue

_HK: Final = "HKQuantityTypeIdentifier"
_LENGTH_M: Final = {"m": 1.0, "cm": 0.01, "mm": 0.001, "km": 1000.0, "in": 0.0254,
                    "ft": 0.3048, "yd": 0.9144, "mi": 1609.344}
_KINDS: Final[dict[str, tuple[str, Mapping[str, float]]]] = {
    f"{_HK}RunningGroundContactTime": ("ground_contact_time_s", {"ms": 1e-3, "s": 1.0}),
    f"{_HK}RunningVerticalOscillation": ("vertical_oscillation_m", _LENGTH_M),
    f"{_HK}RunningStrideLength": ("step_length_m", _LENGTH_M),  # Apple: one step's length
    f"{_HK}RunningPower": ("power_w", {"W": 1.0, "kW": 1000.0}),
    f"{_HK}RunningSpeed": ("speed_mps", {"m/s": 1.0, "km/hr": 1 / 3.6, "km/h": 1 / 3.6,
                                         "mi/hr": 0.44704, "mph": 0.44704, "ft/s": 0.3048,
                                         "m/min": 1 / 60}),
    f"{_HK}StepCount": ("cadence_spm", {"count": 1.0}),  # steps, turned into steps/min
    f"{_HK}DistanceWalkingRunning": ("distance_m", _LENGTH_M),  # per record, summed
    f"{_HK}HeartRate": ("heart_rate_bpm", {"count/min": 1.0, "count/s": 60.0}),
}
_RUNNING_WORKOUT: Final = "HKWorkoutActivityTypeRunning"
_DURATION_S: Final = {"min": 60.0, "s": 1.0, "hr": 3600.0, "ms": 1e-3}
_PAUSE: Final = frozenset({"HKWorkoutEventTypePause", "HKWorkoutEventTypeMotionPaused"})
_RESUME: Final = frozenset({"HKWorkoutEventTypeResume", "HKWorkoutEventTypeMotionResumed"})


def _short(kind: str) -> str:
    return kind.removeprefix(_HK)


def _epoch(text: str) -> float:
    """Apple's "2024-05-01 06:30:00 +0200" as UNIX seconds; ValueError without an offset."""
    stamp = datetime.fromisoformat(text[:19] + text[19:].replace(" ", ""))
    if stamp.tzinfo is None:
        raise ValueError(f"no UTC offset in {text!r}")
    return stamp.timestamp()


class _Records:
    """The kept records, compactly: 32 bytes each, whatever the export's size."""

    def __init__(self) -> None:
        self.columns = {kind: (array("d"), array("d"), array("d"), array("q")) for kind in _KINDS}
        self.sources: dict[str, int] = {}
        self.unknown: dict[tuple[str, str], array[float]] = {}  # (type, unit) -> midpoints

    def add(self, attrib: Mapping[str, str]) -> None:
        kind = attrib.get("type", "")
        spec = _KINDS.get(kind)
        if spec is None:
            return
        try:
            start, end = _epoch(attrib["startDate"]), _epoch(attrib["endDate"])
            value = float(attrib["value"])
        except (KeyError, ValueError):
            return  # a record without times or value cannot be placed: left out
        unit = attrib.get("unit", "")
        factor = spec[1].get(unit)
        if factor is None:
            self.unknown.setdefault((kind, unit), array("d")).append((start + end) / 2)
            return
        if not math.isfinite(value) or end < start:
            return
        source = self.sources.setdefault(attrib.get("sourceName", ""), len(self.sources))
        starts, ends, values, sources = self.columns[kind]
        starts.append(start)
        ends.append(end)
        values.append(value * factor)
        sources.append(source)


@dataclass(frozen=True, slots=True)
class _Workout:
    attrs: tuple[tuple[str, str], ...]  # every attribute, sorted: part of the fingerprint
    start: float
    end: float
    start_text: str
    duration_s: float | None
    distance_m: float | None
    source: str | None
    indoor: bool
    pauses: tuple[tuple[float, float], ...]
    issues: tuple[Issue, ...]


def _workout_distance(elem: ET.Element, issues: list[Issue]) -> float | None:
    """totalDistance (older exports) or the DistanceWalkingRunning statistic (newer ones)."""
    value, unit = elem.get("totalDistance"), elem.get("totalDistanceUnit")
    if value is None:
        for stat in elem.iter("WorkoutStatistics"):
            if stat.get("type") == f"{_HK}DistanceWalkingRunning":
                value, unit = stat.get("sum"), stat.get("unit")
                break
    if value is None:
        return None
    factor = _LENGTH_M.get(unit or "")
    if factor is None:
        issues.append(Issue(code="apple_health_unknown_unit", message=(
            f"The workout's total distance uses the unit '{unit}', which backstride does not "
            "convert; the distance from the records is used instead.")))
        return None
    try:
        return float(value) * factor
    except ValueError:
        return None


def _workout_duration(elem: ET.Element) -> float | None:
    factor = _DURATION_S.get(elem.get("durationUnit") or "")
    try:
        return float(elem.get("duration") or "") * factor if factor else None
    except ValueError:
        return None


def _pauses(elem: ET.Element, start: float, end: float) -> tuple[tuple[float, float], ...]:
    """(from_s, to_s) with the workout paused, from its pause/resume events."""
    out: list[tuple[float, float]] = []
    paused_at: float | None = None
    for event in elem.iter("WorkoutEvent"):
        try:
            at = _epoch(event.get("date") or "")
        except ValueError:
            continue
        kind = event.get("type")
        if kind in _PAUSE and paused_at is None:
            paused_at = at
        elif kind in _RESUME and paused_at is not None:
            out.append((paused_at - start, at - start))
            paused_at = None
    if paused_at is not None:
        out.append((paused_at - start, end - start))
    return tuple(out)


def _workout(elem: ET.Element) -> _Workout | None:
    """A running workout, or None for other workouts (and ones without usable dates)."""
    if elem.get("workoutActivityType") != _RUNNING_WORKOUT:
        return None
    try:
        start, end = _epoch(elem.get("startDate") or ""), _epoch(elem.get("endDate") or "")
    except ValueError:
        return None
    issues: list[Issue] = []
    distance = _workout_distance(elem, issues)
    indoor = any(entry.get("key") == "HKIndoorWorkout" and entry.get("value") == "1"
                 for entry in elem.iter("MetadataEntry"))
    return _Workout(
        attrs=tuple(sorted(elem.attrib.items())), start=start, end=end,
        start_text=elem.get("startDate") or "", duration_s=_workout_duration(elem),
        distance_m=distance, source=elem.get("sourceName"), indoor=indoor,
        pauses=_pauses(elem, start, end), issues=tuple(issues),
    )


@dataclass(slots=True)
class _Parsed:
    workouts: list[_Workout] = field(default_factory=list)
    records: _Records = field(default_factory=_Records)
    error: str | None = None  # the export stops being readable here


_N: Final = "\x00n\x00"  # where an error message gets the number of workouts imported


class _TooLarge(Exception):
    pass


class _Capped:
    """A read-only stream that refuses to deliver more than ``limit`` bytes."""

    def __init__(self, handle: IO[bytes], limit: int) -> None:
        self.handle, self.limit, self.total = handle, limit, 0

    def read(self, n: int = -1) -> bytes:
        data = self.handle.read(n if n >= 0 else CHUNK_BYTES)
        self.total += len(data)
        if self.total > self.limit:
            raise _TooLarge
        return data


def _parse_health(stream: _Capped) -> _Parsed:
    """Stream export.xml, keeping running workouts and the record types in ``_KINDS``.

    Only children of the root are looked at (Records inside a Correlation repeat top-level
    ones); each is dropped from the tree as soon as it is read, so memory holds the kept
    records only. Hostile XML (entities, external references) raises.
    """
    parsed = _Parsed()
    depth = 0
    root: ET.Element | None = None
    try:
        for event, elem in safe_et.iterparse(stream, events=("start", "end"), forbid_dtd=False,
                                             forbid_entities=True, forbid_external=True):
            if event == "start":
                depth += 1
                root = elem if root is None else root
                continue
            depth -= 1
            if depth != 1:
                continue
            if elem.tag == "Record":
                parsed.records.add(elem.attrib)
            elif elem.tag == "Workout" and (workout := _workout(elem)) is not None:
                parsed.workouts.append(workout)
            if root is not None:
                root.clear()  # drops the element just read: memory stays flat
    except ET.ParseError as exc:
        line, column = exc.position
        parsed.error = (f"export.xml is cut off or damaged at line {line}, column {column}; "
                        "export again from the Health app to import the rest (running workouts "
                        f"imported from before that point: {_N}).")
    except HOSTILE_XML:
        raise  # refused whole by the caller (these are ValueErrors too)
    except _TooLarge:
        most = size_text(limits.MAX_HEALTH_XML_BYTES)
        parsed.error = (f"export.xml is larger than {most}, the most backstride reads; export a "
                        "shorter period to import the rest (running "
                        f"workouts imported from before that point: {_N}).")
    except READ_ERRORS as exc:  # the zip member itself is damaged
        parsed.error = (f"export.xml is damaged inside the archive ({exc}); export again from "
                        "the Health app to import the rest (running workouts imported from "
                        f"before that point: {_N}).")
    return parsed


def iter_health_file(path: Path) -> Iterator[Output]:
    label = str(path)
    try:
        size = path.stat().st_size
        if size > limits.MAX_HEALTH_XML_BYTES:
            yield ImportProblem(label, (
                f"it is {size_text(size)}, above the "
                f"{size_text(limits.MAX_HEALTH_XML_BYTES)} backstride reads from an Apple Health "
                "export; export a shorter period and try again."))
            return
        with path.open("rb") as handle:
            yield from _iter_health_stream(_Capped(handle, limits.MAX_HEALTH_XML_BYTES), label)
    except OSError as exc:
        yield ImportProblem(label, f"it cannot be read ({exc.strerror or exc}); check its "
                                   "permissions and try again.")


def iter_health_member(arch: Archive, info: zipfile.ZipInfo) -> Iterator[Output]:
    label = arch.member(info)
    try:
        check_member(info, limits.MAX_HEALTH_XML_BYTES)
        handle = arch.zf.open(info)
    except MemberError as exc:
        yield ImportProblem(label, str(exc))
        return
    except READ_ERRORS as exc:
        yield ImportProblem(label, f"it is damaged inside the archive ({exc}); download the "
                                   "export again.")
        return
    with handle:
        yield from _iter_health_stream(_Capped(handle, limits.MAX_HEALTH_XML_BYTES), label)


def _iter_health_stream(stream: _Capped, label: str) -> Iterator[Output]:
    try:
        parsed = _parse_health(stream)
    except HOSTILE_XML as exc:
        yield ImportProblem(label, (
            f"export.xml declares an XML entity or external reference ({exc}), which backstride "
            "never expands (a possible XML bomb); nothing was imported. Apple's exports never "
            "do this: export again from the Health app."))
        return
    columns = _sorted_columns(parsed.records)
    unknown = {key: np.sort(np.frombuffer(mids, dtype=np.float64))
               for key, mids in parsed.records.unknown.items()}
    names = {index: name for name, index in parsed.records.sources.items()}
    n_built = 0
    for workout in sorted(parsed.workouts, key=lambda w: (w.start, w.attrs)):
        out = _build_workout(workout, columns, unknown, names, label)
        n_built += isinstance(out, ImportItem)
        yield out
    if parsed.error is not None:
        yield ImportProblem(label, parsed.error.replace(_N, str(n_built)))
    elif not parsed.workouts:
        yield ImportProblem(label, "the Apple Health export holds no running workouts; "
                                   "nothing to import from it.")


@dataclass(frozen=True, slots=True)
class _Column:
    """One record type, sorted by (start, end, value)."""

    start: FloatArray
    end: FloatArray
    value: FloatArray
    source: IntArray

    def within(self, t0: float, t1: float) -> _Column:
        """Records starting and ending inside [t0, t1]."""
        lo = int(np.searchsorted(self.start, t0, side="left"))
        hi = int(np.searchsorted(self.start, t1, side="right"))
        keep = self.end[lo:hi] <= t1
        return _Column(self.start[lo:hi][keep], self.end[lo:hi][keep],
                       self.value[lo:hi][keep], self.source[lo:hi][keep])

    def only(self, mask: BoolArray) -> _Column:
        return _Column(self.start[mask], self.end[mask], self.value[mask], self.source[mask])


def _sorted_columns(records: _Records) -> dict[str, _Column]:
    out: dict[str, _Column] = {}
    for kind, (starts, ends, values, sources) in records.columns.items():
        start = np.frombuffer(starts, dtype=np.float64)
        end = np.frombuffer(ends, dtype=np.float64)
        value = np.frombuffer(values, dtype=np.float64)
        order = np.lexsort((value, end, start))
        out[kind] = _Column(start[order], end[order], value[order],
                            np.frombuffer(sources, dtype=np.int64)[order])
    return out


def _one_source(kind: str, column: _Column, preferred: str | None,
                names: Mapping[int, str]) -> tuple[_Column, Issue | None]:
    """Records of one source only (iPhone and Watch both count steps during a run)."""
    ids, counts = np.unique(column.source, return_counts=True)
    if ids.size <= 1:
        return column, None
    by_name = {names[int(i)]: int(i) for i in ids}
    chosen = by_name.get(preferred or "", int(ids[np.argmax(counts)]))
    listed = ", ".join(sorted(by_name))
    return column.only(column.source == chosen), Issue(
        code="apple_health_several_sources",
        message=(f"{_short(kind)} came from {ids.size} sources ({listed}); only "
                 f"{names[chosen]}'s records were used so nothing is counted twice."))


def _unknown_issues(unknown: Mapping[tuple[str, str], FloatArray],
                    workout: _Workout) -> list[Issue]:
    issues = []
    for (kind, unit), mids in sorted(unknown.items()):
        n = int(np.searchsorted(mids, workout.end, side="right")
                - np.searchsorted(mids, workout.start, side="left"))
        if n:
            issues.append(Issue(code="apple_health_unknown_unit", message=(
                f"{n} {_short(kind)} records use the unit '{unit}', which backstride does not "
                "convert; they were left out. Please report the unit so it can be added.")))
    return issues


def _place(t_s: FloatArray, mids: FloatArray, values: FloatArray) -> FloatArray:
    """Values on the merged axis, NaN elsewhere; records sharing a midpoint are averaged."""
    idx = np.searchsorted(t_s, mids)
    sums = np.zeros(t_s.size)
    counts = np.zeros(t_s.size)
    np.add.at(sums, idx, values)
    np.add.at(counts, idx, 1.0)
    out = np.full(t_s.size, np.nan)
    has = counts > 0
    out[has] = sums[has] / counts[has]
    return out


@dataclass(slots=True)
class _Points:
    """Per series: sample times (s since the workout's start) and SI values."""

    series: dict[str, tuple[FloatArray, FloatArray]] = field(default_factory=dict)
    issues: list[Issue] = field(default_factory=list)
    cadence_resolution_spm: float = 2.0
    record_distance_m: float | None = None


def _points(picked: Mapping[str, _Column], t0: float) -> _Points:
    points = _Points()
    for kind, column in picked.items():
        name = _KINDS[kind][0]
        mids, values = (column.start + column.end) / 2 - t0, column.value
        if name == "cadence_spm":
            minutes = (column.end - column.start) / 60.0
            timed = minutes > 0
            if not timed.all():
                points.issues.append(Issue(code="apple_health_instant_steps", message=(
                    f"{int((~timed).sum())} step-count records have no duration, so no "
                    "cadence could be computed from them; they were left out.")))
            mids, values = mids[timed], values[timed] / minutes[timed]
            if minutes[timed].size:
                points.cadence_resolution_spm = float(1.0 / np.median(minutes[timed]))
        elif name == "distance_m":  # distance at each record's midpoint
            order = np.argsort(mids, kind="stable")
            mids, step = mids[order], values[order]
            values = np.cumsum(step) - step / 2
            points.record_distance_m = float(step.sum())
        if mids.size:
            points.series[name] = (mids, values)
    return points


def _fingerprint(workout: _Workout, picked: Mapping[str, _Column]) -> str:
    digest = hashlib.sha256(b"apple_health\0")
    digest.update(json.dumps(workout.attrs, ensure_ascii=False).encode())
    for kind in sorted(picked):
        column = picked[kind]
        digest.update(f"\0{kind}\0".encode())
        digest.update(np.stack([column.start, column.end, column.value]).astype("<f8").tobytes())
    return digest.hexdigest()


def _build_workout(workout: _Workout, columns: Mapping[str, _Column],
                   unknown: Mapping[tuple[str, str], FloatArray], names: Mapping[int, str],
                   label: str) -> Output:
    """One running workout as an Activity, or a problem when it holds no records."""
    name = f"{label}#{workout.start_text}"
    issues = list(workout.issues)
    picked: dict[str, _Column] = {}
    for kind, column in columns.items():
        part = column.within(workout.start, workout.end)
        if part.start.size:
            picked[kind], issue = _one_source(kind, part, workout.source, names)
            issues.extend([issue] if issue else [])
    issues.extend(_unknown_issues(unknown, workout))
    points = _points(picked, workout.start)
    if not points.series:
        return ImportProblem(name, (
            f"the running workout on {workout.start_text[:16]} has only totals, no per-record "
            "data to analyse; skipped. Runs recorded with an Apple Watch carry the records "
            "backstride needs."))
    t_s = np.unique(np.concatenate([mids for mids, _ in points.series.values()]))
    distance = workout.distance_m if workout.distance_m is not None else points.record_distance_m
    summary = {"total_elapsed_time_s": workout.end - workout.start}
    if workout.duration_s is not None:
        summary["total_timer_time_s"] = workout.duration_s
    if distance is not None:
        summary["total_distance_m"] = distance
    activity = Activity(
        format="apple_health", sha256=_fingerprint(workout, picked),
        start_utc=datetime.fromtimestamp(workout.start, UTC), device=workout.source, t_s=t_s,
        series={key: _place(t_s, mids, values) for key, (mids, values) in
                sorted(points.series.items())},
        sessions=(Session(sport=RUNNING, sub_sport="treadmill" if workout.indoor else None,
                          start_s=0.0, end_s=workout.end - workout.start, summary=summary),),
        timer_stopped=workout.pauses, issues=tuple(issues + points.issues),
        cadence_resolution_spm=points.cadence_resolution_spm,
    )
    return ImportItem(name=name, activity=activity)
