"""From decoded FIT columns to an :class:`Activity` in SI units (DOMAIN.md §2 field table).

Scales were applied once by the decoder (profile units: mm, ms, %, per-foot rpm); this module
converts those to SI exactly once and reads the device's session summaries beside the records.
"""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from typing import Final

import numpy as np

from backstride.adapters.formats import fit_profile as prof
from backstride.adapters.formats.fit import FitDecoded
from backstride.core.activity import Activity, Session
from backstride.core.clock import ClockRepair, repair_clock
from backstride.core.sport import RUNNING, UNSTATED, not_a_run
from backstride.core.types import AnyArray, FloatArray, Issue
from backstride.errors import InsufficientDataError, NotRunningError

_SEMICIRCLE_TO_DEG: Final = 180.0 / 2**31
_FIT_EPOCH_LIMIT_UNIX_S: Final = prof.RELATIVE_TIME_LIMIT + prof.FIT_EPOCH_UNIX_S
Columns = dict[str, AnyArray]

# (record column, series, factor): profile units to SI.
_RECORD_SERIES: Final = (
    ("distance", "distance_m", 1.0),
    ("heart_rate", "heart_rate_bpm", 1.0),
    ("power", "power_w", 1.0),
    ("vertical_oscillation", "vertical_oscillation_m", 1e-3),
    ("stance_time", "ground_contact_time_s", 1e-3),
    ("stance_time_balance", "gct_balance_left_frac", 1e-2),
    ("vertical_ratio", "vertical_ratio_frac", 1e-2),
    ("step_length", "step_length_m", 1e-3),
)
# Developer fields by name (lower case, spaces and underscores removed) and unit
# (DOMAIN.md §2 quirk 9). Source-specific metrics are always read; the others stand in for a
# native field only when the watch recorded none (a pod or Connect IQ field beside a watch
# without running dynamics). Stryd writes Ground Time in ms, Vertical Oscillation in cm and
# Leg Spring Stiffness in kN/m; Garmin Running Power writes RP_Power; RunScribe contact time.
_DEVELOPER_SERIES: Final = {
    "formpower": "form_power_w",
    "legspringstiffness": "leg_spring_stiffness_n_per_m",
    "airpower": "air_power_w",
}
_DEVELOPER_FALLBACKS: Final = {
    "speed": "speed_mps", "distance": "distance_m", "power": "power_w",
    "rppower": "power_w", "runningpower": "power_w",
    "groundtime": "ground_contact_time_s", "contacttime": "ground_contact_time_s",
    "groundcontacttime": "ground_contact_time_s", "stancetime": "ground_contact_time_s",
    "verticaloscillation": "vertical_oscillation_m", "cadence": "cadence_spm",
}
# Units (lower case) to SI, per series.
_LENGTH: Final = {"m": 1.0, "meters": 1.0, "metres": 1.0, "cm": 1e-2, "centimeters": 1e-2,
                  "centimetres": 1e-2, "mm": 1e-3, "millimeters": 1e-3, "millimetres": 1e-3}
_DEVELOPER_UNITS: Final[dict[str, dict[str, float]]] = {
    "form_power_w": {"watts": 1.0, "w": 1.0},
    "air_power_w": {"watts": 1.0, "w": 1.0},
    "power_w": {"watts": 1.0, "w": 1.0},
    "leg_spring_stiffness_n_per_m": {"kn/m": 1e3, "n/m": 1.0},
    "speed_mps": {"m/s": 1.0},
    "distance_m": _LENGTH,
    "ground_contact_time_s": {"ms": 1e-3, "milliseconds": 1e-3, "s": 1.0, "seconds": 1.0},
    "vertical_oscillation_m": _LENGTH,
    "cadence_spm": {"rpm": 2.0, "spm": 1.0, "steps/min": 1.0},  # rpm: per foot, as FIT
}
_METRIC_WORDS: Final = {
    "power_w": "power", "ground_contact_time_s": "ground contact time",
    "vertical_oscillation_m": "vertical oscillation", "cadence_spm": "cadence",
    "form_power_w": "form power", "leg_spring_stiffness_n_per_m": "leg spring stiffness",
    "air_power_w": "air power",
}
# (session column, summary key, factor)
_SESSION_SUMMARY: Final = (
    ("total_distance", "total_distance_m", 1.0),
    ("total_elapsed_time", "total_elapsed_time_s", 1.0),
    ("total_timer_time", "total_timer_time_s", 1.0),
    ("total_cycles", "total_strides", 1.0),
    ("avg_heart_rate", "avg_heart_rate_bpm", 1.0),
    ("avg_power", "avg_power_w", 1.0),
    ("avg_vertical_oscillation", "avg_vertical_oscillation_m", 1e-3),
    ("avg_stance_time", "avg_ground_contact_time_s", 1e-3),
    ("avg_vertical_ratio", "avg_vertical_ratio_frac", 1e-2),
    ("avg_stance_time_balance", "avg_gct_balance_left_frac", 1e-2),
    ("avg_step_length", "avg_step_length_m", 1e-3),
)


def fit_to_activity(decoded: FitDecoded, *, path: Path, sha256: str) -> Activity:
    issues = list(decoded.issues)
    tables = {name: _first_activity(cols) for name, cols in decoded.messages.items()}
    if decoded.n_files > 1:
        issues.append(Issue(code="fit_chained", message=(
            f"The file holds {decoded.n_files} activities chained together; the first was "
            "analysed. Split the file to analyse the others.")))
    _check_file_type(tables.get("file_id", {}), path)
    rec = tables.get("record", {})
    timed = _numeric(rec, "timestamp")
    if timed is None or not np.any(np.isfinite(timed)):
        _refuse_other_sport(tables)  # a pool swim without timed records is still a swim
    if timed is None:
        raise InsufficientDataError(
            f"{path.name} holds no timed records (data points) to measure. Export the "
            "activity again as the original FIT file from your watch or its app.")
    rec, clock = _in_time_order(rec, tables.get("session", {}), issues)
    t_abs = rec["timestamp"]
    if t_abs.size == 0:
        raise InsufficientDataError(
            f"{path.name} holds no records with a valid time. Export the original FIT file "
            "from your watch or its app and try again.")
    t0 = float(t_abs[0])
    start_utc = datetime.fromtimestamp(t0, UTC) if t0 >= _FIT_EPOCH_LIMIT_UNIX_S else None
    if start_utc is None:
        issues.append(Issue(code="fit_relative_time", message=(
            "The device wrote times relative to its own clock, not the date: the start "
            "date and time are unknown; durations are correct.")))
    series = _series(rec, decoded, issues)
    return Activity(
        format="fit",
        sha256=sha256,
        start_utc=start_utc,
        device=_device(tables.get("file_id", {}), tables.get("device_info", {})),
        t_s=t_abs - t0,
        series=series,
        sessions=_sessions(tables, t0, float(t_abs[-1]), issues, clock),
        timer_stopped=_timer_stops(tables.get("event", {}), t0, clock),
        issues=tuple(issues),
        messages=decoded.messages,
        cadence_resolution_spm=2.0 / 128 if "fractional_cadence" in rec else 2.0,
        n_activities=decoded.n_files,
        device_serial=_serial(tables.get("file_id", {})),
    )


def _refuse_other_sport(tables: dict[str, Columns]) -> None:
    """A file with nothing to measure whose summary names a sport other than running is
    refused by that sport, not for its missing records."""
    cols = tables.get("session", {})
    sports = _numeric(cols, "sport")
    if sports is None or not np.any(np.isfinite(sports)):
        return
    named = [prof.SPORTS.get(int(v), "unknown") for v in sports[np.isfinite(sports)]]
    if RUNNING in named or all(n in UNSTATED for n in named):
        return
    subs = _numeric(cols, "sub_sport")
    sub = prof.SUB_SPORTS.get(int(subs[0])) if subs is not None and subs.size and \
        np.isfinite(subs[0]) else None
    raise NotRunningError(not_a_run(named[0], sub), sport=named[0])


def _check_file_type(file_id: Columns, path: Path) -> None:
    """A course, workout or settings file is not a recorded activity: say so by name."""
    kind = _value(file_id, "type", 0)
    if kind is None or int(kind) == prof.FILE_TYPE_ACTIVITY or int(kind) not in prof.FILE_TYPES:
        return
    what = prof.FILE_TYPES[int(kind)]
    plan = " (a planned route)" if what == "course" else ""
    raise InsufficientDataError(
        f"{path.name} is a {what} file{plan}, not a recorded activity. Export the recorded "
        "run from your watch or its app (the activity's original FIT file) and try again.")


def _serial(file_id: Columns) -> str | None:
    serial = _value(file_id, "serial_number", 0)
    return str(int(serial)) if serial is not None and serial > 0 else None


def _numeric(cols: Columns, name: str) -> FloatArray | None:
    """A 1-D numeric column, or None: damage can turn a field into an array or a string."""
    values = cols.get(name)
    if values is None or values.ndim != 1 or values.dtype.kind != "f":
        return None
    return values


def _first_activity(cols: Columns) -> Columns:
    keep = cols["_file"] == 0
    if bool(np.all(keep)):
        return cols
    return {name: values[keep] for name, values in cols.items()}


def _in_time_order(rec: Columns, sessions: Columns,
                   issues: list[Issue]) -> tuple[Columns, ClockRepair]:
    """Records with a time, on a repaired time base: clock jumps forward or back are undone
    where the record sequence shows them (core/clock.py); no record with a time is dropped."""
    t = rec["timestamp"]
    keep = np.isfinite(t)
    dropped = int(t.size - keep.sum())
    if dropped:
        issues.append(Issue(code="fit_records_dropped", message=(
            f"{dropped} of {t.size} records had no time (damage in the file) and were left "
            "out.")))
        rec = {name: values[keep] for name, values in rec.items()}
    elapsed = _numeric(sessions, "total_elapsed_time")
    total = float(np.nansum(elapsed)) if elapsed is not None and np.any(np.isfinite(elapsed)) \
        else None
    clock = repair_clock(rec["timestamp"], _numeric(rec, "distance"), elapsed_s=total or None)
    if clock.issue is not None:
        issues.append(clock.issue)
        rec = {**rec, "timestamp": clock.t_s}
    return rec, clock


def _series(rec: Columns, decoded: FitDecoded, issues: list[Issue]) -> dict[str, FloatArray]:
    n = rec["timestamp"].size
    out: dict[str, FloatArray] = {}
    for column, name, factor in _RECORD_SERIES:
        values = _numeric(rec, column)
        if values is not None:
            out[name] = values * factor
    speed = _first_present(rec, "enhanced_speed", "speed")
    if speed is not None:
        out["speed_mps"] = speed
    altitude = _first_present(rec, "enhanced_altitude", "altitude")
    if altitude is not None:
        out["altitude_m"] = altitude
    cadence = _numeric(rec, "cadence")
    if cadence is not None:
        fraction = _numeric(rec, "fractional_cadence")
        extra = np.nan_to_num(fraction) if fraction is not None else 0.0
        out["cadence_spm"] = 2.0 * (cadence + extra)  # per-foot rpm -> steps/min
    for column, name in (("position_lat", "lat_deg"), ("position_long", "lon_deg")):
        values = _numeric(rec, column)
        if values is not None:
            out[name] = values * _SEMICIRCLE_TO_DEG
    _developer_series(rec, decoded, out, issues)
    return {name: np.ascontiguousarray(v, dtype=np.float64) for name, v in out.items()
            if v.shape == (n,)}


def _first_present(rec: Columns, *names: str) -> FloatArray | None:
    for name in names:
        values = _numeric(rec, name)
        if values is not None and np.any(np.isfinite(values)):
            return values
    return None


def _developer_series(
    rec: Columns, decoded: FitDecoded, out: dict[str, FloatArray], issues: list[Issue]
) -> None:
    used: dict[str, str] = {}
    for column, desc in decoded.developer_fields.items():
        values = _numeric(rec, column)
        if values is None or not np.any(np.isfinite(values)):
            continue
        key = desc.name.strip().lower().replace(" ", "").replace("_", "")
        if key in _DEVELOPER_SERIES:
            name = _DEVELOPER_SERIES[key]
        elif key in _DEVELOPER_FALLBACKS:
            name = _DEVELOPER_FALLBACKS[key]
            if name in out and np.any(np.isfinite(out[name]) & (out[name] != 0)):
                continue  # the native field wins
        else:
            continue
        factor = _DEVELOPER_UNITS[name].get(desc.units.strip().lower())
        if factor is None:
            issues.append(Issue(code="fit_developer_units", message=(
                f"Developer field '{desc.name}' has units '{desc.units}', which backstride "
                "does not know how to convert; it was left out.")))
            continue
        out[name] = values * factor
        used[name] = desc.name
    if used:
        sensor = _sensor(decoded, used)
        said = ", ".join(f"{_METRIC_WORDS.get(n, n)} ('{field}')" for n, field in used.items()
                         if n not in ("speed_mps", "distance_m"))
        if said:
            issues.append(Issue(code="developer_fields", message=(
                f"From {sensor}'s developer fields: {said}.")))


def _sensor(decoded: FitDecoded, used: dict[str, str]) -> str:
    """Which pod or Connect IQ field wrote the developer fields, in words."""
    names = {field.strip().lower() for field in used.values()}
    if "rp_power" in names:
        return "Garmin Running Power (Connect IQ)"
    makers = decoded.messages.get("developer_data_id", {}).get("manufacturer_id")
    if makers is not None and makers.dtype.kind == "f":
        for maker in makers[np.isfinite(makers)]:
            if int(maker) in prof.MANUFACTURERS:
                return f"the {prof.MANUFACTURERS[int(maker)]} sensor"
    if names & {"form power", "leg spring stiffness", "air power"}:
        return "the Stryd pod"
    if any("runscribe" in n or n in ("contact time", "pronation", "shock") for n in names):
        return "RunScribe"
    return "a pod or Connect IQ data field"


def _device(file_id: Columns, device_info: Columns) -> str | None:
    names = file_id.get("product_name")
    if names is not None and names.dtype == object and names.size and names[0]:
        return str(names[0])
    maker_id = _value(file_id, "manufacturer", 0)
    if maker_id is None:
        return None
    maker = prof.MANUFACTURERS.get(int(maker_id), f"manufacturer {int(maker_id)}")
    product = _value(file_id, "product", 0)
    if product is None:
        return maker
    product_id = int(product)
    if maker == "Garmin" and product_id in prof.GARMIN_PRODUCTS:
        return f"Garmin {prof.GARMIN_PRODUCTS[product_id]}"
    return f"{maker} (product {product_id})"


def _sessions(tables: dict[str, Columns], t0: float, t_end: float,
              issues: list[Issue], clock: ClockRepair) -> tuple[Session, ...]:
    cols = tables.get("session", {})
    n = len(cols.get("_offset", ()))
    if n == 0:
        sport = _fallback_sport(tables)
        issues.append(Issue(code="fit_no_session", message=(
            "The file has no session summary (it was probably cut short): the whole file was "
            f"taken as one {sport} session and its summary recomputed from the records.")))
        return (Session(sport=sport, sub_sport=None, start_s=0.0, end_s=t_end - t0),)
    sessions = []
    for i in range(n):
        start = _value(cols, "start_time", i)
        elapsed = _value(cols, "total_elapsed_time", i)
        stamp = _value(cols, "timestamp", i)
        start = clock.map_time(start) if start is not None else None
        stamp = clock.map_time(stamp) if stamp is not None else None
        start_s = (start - t0) if start is not None else 0.0
        if elapsed is not None:
            end_s = start_s + elapsed
        else:
            end_s = (stamp - t0) if stamp is not None else t_end - t0
        sessions.append(Session(
            sport=_enum(prof.SPORTS, _value(cols, "sport", i)),
            sub_sport=_enum(prof.SUB_SPORTS, _value(cols, "sub_sport", i)),
            start_s=start_s, end_s=end_s, summary=_summary(cols, i),
        ))
    return tuple(sessions)


def _summary(cols: Columns, i: int) -> dict[str, float]:
    summary: dict[str, float] = {}
    for column, key, factor in _SESSION_SUMMARY:
        value = _value(cols, column, i)
        if value is not None and not (value == 0 and key.startswith("avg_")):
            summary[key] = value * factor  # an average of 0 is a placeholder (COROS): missing
    speed = _value(cols, "enhanced_avg_speed", i) or _value(cols, "avg_speed", i)
    if speed is not None:
        summary["avg_speed_mps"] = speed
    cadence = _value(cols, "avg_cadence", i)
    if cadence:
        summary["avg_cadence_spm"] = 2.0 * (cadence + (_value(cols, "avg_fractional_cadence", i)
                                                       or 0.0))
    return summary


def _fallback_sport(tables: dict[str, Columns]) -> str:
    for name in ("sport", "lap"):
        value = _value(tables.get(name, {}), "sport", 0)
        if value is not None:
            return _enum(prof.SPORTS, value)
    return "unknown"


def _value(cols: Columns, name: str, i: int) -> float | None:
    values = _numeric(cols, name)
    if values is None or i >= values.size:
        return None
    value = float(values[i])
    return value if np.isfinite(value) else None


def _enum(table: dict[int, str], value: float | None) -> str:
    """The profile name; a number the profile does not name (or 254, "all") is "unknown"."""
    if value is None:
        return "unknown"
    return table.get(int(value), "unknown")


def _timer_stops(events: Columns, t0: float,
                 clock: ClockRepair) -> tuple[tuple[float, float], ...]:
    """Pair timer stop and start events into the intervals with the timer off."""
    columns = [_numeric(events, name) for name in ("event", "event_type", "timestamp")]
    if any(c is None for c in columns):
        return ()
    stops: list[tuple[float, float]] = []
    stopped_at: float | None = None
    for event, kind, stamp in zip(*columns, strict=True):
        if event != prof.EVENT_TIMER or not np.isfinite(stamp) or not np.isfinite(kind):
            continue
        at = clock.map_time(float(stamp)) - t0
        if int(kind) in prof.TIMER_STOP_TYPES and stopped_at is None:
            stopped_at = at
        elif int(kind) in prof.TIMER_START_TYPES and stopped_at is not None:
            stops.append((stopped_at, at))
            stopped_at = None
    if stopped_at is not None:
        stops.append((stopped_at, np.inf))
    return tuple(stops)
