"""Running time, metric summaries and drift over a run, from an :class:`Activity`.

Statistics cover running time only (DOMAIN.md §2): the running legs of a multisport file,
with the timer on, moving, and outside walking breaks. Device quirks are corrected with an
issue saying so, never silently; values outside plausible ranges are left out and counted.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Final

import numpy as np

from backstride.core.activity import RUNNING, Activity, Session
from backstride.core.sport import UNSTATED, describe, from_content, not_a_run
from backstride.core.stats import (
    block_ids,
    bootstrap_mean_ci95,
    seed_for,
    strongest_change_point,
)
from backstride.core.types import BoolArray, FloatArray, Issue, MetricStatus
from backstride.errors import InsufficientDataError, NotRunningError

MOVING_MIN_MPS: Final = 0.5  # slower is standing still (GPS drift) [D]
WALK_MAX_SPM: Final = 130.0  # DOMAIN.md §2 quirk 4 [D]
WALK_REL_MEDIAN: Final = 0.8
WALK_MIN_S: Final = 10.0
MAX_RECORD_GAP_S: Final = 10.0  # a longer gap between records is not counted as running time
MIN_RECORDS: Final = 10
MIN_DRIFT_S: Final = 180.0  # thirds of at least a minute each
MAX_OUT_OF_RANGE_FRAC: Final = 0.5


@dataclass(frozen=True, slots=True, kw_only=True)
class MetricSpec:
    name: str
    low: float
    high: float
    drift: bool
    absent_reason: str


_NO_SENSOR = "this file does not record it (the watch or its sensors do not measure it)"
METRICS: Final = (
    MetricSpec(name="cadence_spm", low=100.0, high=240.0, drift=True, absent_reason=_NO_SENSOR),
    MetricSpec(name="ground_contact_time_s", low=0.150, high=0.450, drift=True,
               absent_reason="needs running dynamics (a chest strap, pod or recent watch)"),
    MetricSpec(name="gct_balance_left_frac", low=0.40, high=0.60, drift=False,
               absent_reason="needs a running-dynamics chest strap or pod"),
    MetricSpec(name="gct_imbalance_frac", low=0.0, high=0.10, drift=True,
               absent_reason="needs a running-dynamics chest strap or pod"),
    MetricSpec(name="vertical_oscillation_m", low=0.040, high=0.160, drift=True,
               absent_reason="needs running dynamics (a chest strap, pod or recent watch)"),
    MetricSpec(name="vertical_ratio_frac", low=0.02, high=0.20, drift=True,
               absent_reason="needs running dynamics (a chest strap, pod or recent watch)"),
    MetricSpec(name="step_length_m", low=0.5, high=2.0, drift=True,
               absent_reason="needs running dynamics (a chest strap, pod or recent watch)"),
    MetricSpec(name="speed_mps", low=MOVING_MIN_MPS, high=12.0, drift=True,
               absent_reason=_NO_SENSOR),
    MetricSpec(name="power_w", low=20.0, high=1500.0, drift=True, absent_reason=_NO_SENSOR),
    MetricSpec(name="heart_rate_bpm", low=30.0, high=230.0, drift=True,
               absent_reason=_NO_SENSOR),
    MetricSpec(name="form_power_w", low=5.0, high=400.0, drift=True, absent_reason=""),
    MetricSpec(name="leg_spring_stiffness_n_per_m", low=2e3, high=40e3, drift=True,
               absent_reason=""),
    MetricSpec(name="air_power_w", low=0.0, high=150.0, drift=False, absent_reason=""),
)
SOURCE_SPECIFIC: Final = frozenset({"form_power_w", "leg_spring_stiffness_n_per_m",
                                    "air_power_w"})


@dataclass(frozen=True, slots=True, kw_only=True)
class MetricSummary:
    name: str
    value: float | None  # mean over running records; None unless status is OK
    median: float | None
    sd: float | None
    n: int
    ci95: tuple[float, float] | None
    status: MetricStatus
    reason: str | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class Drift:
    name: str
    early: float
    late: float
    change_frac: float
    onset_s: float | None  # timer time since the first running record
    onset_m: float | None  # distance since the first running record
    significant: bool


@dataclass(frozen=True, slots=True, kw_only=True)
class CadenceProfile:
    """Running time (s) at each whole cadence (spm) from ``start_spm`` up: what share of a
    run was inside any cadence range (a plan's alert range, later), without its records.
    Whole-spm bins: a range's edges are known to ±0.5 spm."""

    start_spm: int
    seconds: tuple[float, ...]

    def share_within(self, low_spm: float, high_spm: float) -> float | None:
        """The share of running time at a cadence in [low, high]; None with no time."""
        total = sum(self.seconds)
        if total <= 0:
            return None
        inside = sum(s for i, s in enumerate(self.seconds)
                     if low_spm <= self.start_spm + i <= high_spm)
        return inside / total


def cadence_profile(cadence_spm: FloatArray, running: BoolArray,
                    durations_s: FloatArray) -> CadenceProfile | None:
    """Running seconds per whole spm over the plausible cadences (the cadence metric's own
    limits); None when no running record has a cadence."""
    spec = next(s for s in METRICS if s.name == "cadence_spm")
    valid = running & np.isfinite(cadence_spm) & (cadence_spm >= spec.low) & (
        cadence_spm <= spec.high)
    if not valid.any():
        return None
    whole = np.rint(cadence_spm[valid]).astype(np.int64)
    start = int(whole.min())
    seconds = np.bincount(whole - start, weights=durations_s[valid])
    return CadenceProfile(start_spm=start, seconds=tuple(float(s) for s in seconds))


@dataclass(frozen=True, slots=True, kw_only=True)
class RunAnalysis:
    start_utc: datetime | None
    duration_s: float  # elapsed time of the running legs
    moving_time_s: float  # running time the statistics cover
    walking_time_s: float  # walking stretches inside the running legs, left out of statistics
    distance_m: float | None
    metrics: Mapping[str, MetricSummary]
    drift: tuple[Drift, ...]
    issues: tuple[Issue, ...]
    running: BoolArray  # per record
    timer_s: FloatArray  # per record
    series: Mapping[str, FloatArray]  # after quirk corrections
    legs: tuple[Session, ...]
    cadence_profile: CadenceProfile | None = None  # None when cadence was not measured


def process_activity(activity: Activity) -> RunAnalysis:
    """Measure a run: which records are running, each metric's summary, and its drift."""
    issues = list(activity.issues)
    legs = _running_legs(activity, issues)
    t = activity.t_s
    timer_s = _timer_time(t, activity.timer_stopped)
    series = dict(activity.series)
    candidate = _in_legs(t, legs) & _timer_on(t, activity.timer_stopped) & _moving(series)
    _fix_quirks(series, candidate, issues)
    run_walk = split_run_walk(t, series, candidate)
    running = candidate & ~run_walk.walking & ~run_walk.transition
    if int(running.sum()) < MIN_RECORDS:  # a short or sparse file: keep its transitions
        running = candidate & ~run_walk.walking
    weights = _record_durations(t)
    walking_s = float(weights[run_walk.walking & candidate].sum())
    running_s = float(weights[running].sum())
    if int(running.sum()) < MIN_RECORDS and walking_s > 0:
        raise NotRunningError(not_a_run("walking", evidence=(
            f"{walking_s / 60:.0f} min of walking and {running_s / 60:.1f} min of running; "
            f"{run_walk.method}")), sport="walking")
    if walking_s:
        issues.append(Issue(code="walking_breaks", message=(
            f"{walking_s / 60:.1f} min of walking ({walking_s / max(walking_s + running_s, 1):.0%}"
            f" of the moving time) and the {TRANSITION_S:.0f} s either side of each walk were "
            f"left out of every running statistic; {run_walk.method}.")))
    if int(running.sum()) < MIN_RECORDS:
        raise InsufficientDataError(
            f"Only {int(running.sum())} of its {t.size} records ({t[-1] - t[0]:.0f} s) are "
            f"running (timer on, moving at >= {MOVING_MIN_MPS} m/s, not walking); at least "
            f"{MIN_RECORDS} are needed. Record a run of a few minutes or more.")
    masks = {spec.name: running for spec in METRICS}
    if activity.has("gct_balance_left_frac"):
        series["gct_imbalance_frac"] = np.abs(series["gct_balance_left_frac"] - 0.5)
        flat = running & _flat(series, running, issues)
        masks.update(gct_balance_left_frac=flat, gct_imbalance_frac=flat)
    metrics = {spec.name: _summarise(spec, series, masks[spec.name], timer_s, activity.sha256,
                                     issues)
               for spec in METRICS
               if spec.name not in SOURCE_SPECIFIC or activity.has(spec.name)}
    _check_vertical_ratio(series, running, issues)
    drift = _drift_all(metrics, series, masks, running, timer_s, weights, activity.sha256,
                       issues)
    duration_s = float(sum(leg.end_s - leg.start_s for leg in legs))
    start_utc = activity.start_utc
    if start_utc is not None and legs[0].start_s > 0:
        start_utc = start_utc + timedelta(seconds=legs[0].start_s)  # the run leg's own start
    return RunAnalysis(
        start_utc=start_utc, walking_time_s=walking_s,
        duration_s=duration_s,
        moving_time_s=min(float(weights[running].sum()), duration_s),
        distance_m=_distance_m(legs, series.get("distance_m"), t),
        metrics=metrics, drift=drift, issues=tuple(issues), running=running,
        timer_s=timer_s, series=series, legs=legs,
        cadence_profile=(cadence_profile(series["cadence_spm"], running, weights)
                         if metrics["cadence_spm"].status is MetricStatus.OK else None),
    )


def _running_legs(activity: Activity, issues: list[Issue]) -> tuple[Session, ...]:
    """The running legs: those the file calls running, else the legs whose sport the file
    does not state and whose records look like running. Anything else is refused by name."""
    sessions = activity.sessions or (Session(sport="unknown", sub_sport=None, start_s=0.0,
                                              end_s=float(activity.t_s[-1])),)
    legs = tuple(s for s in sessions if s.sport == RUNNING)
    if not legs:
        decided = [(s, from_content(activity.series, _in_legs(activity.t_s, (s,))))
                   for s in sessions if s.sport in UNSTATED]
        legs = tuple(s for s, content in decided if content.sport == RUNNING)
        if legs:
            evidence = next(c.evidence for s, c in decided if c.sport == RUNNING)
            issues.append(Issue(code="sport_unknown", message=(
                "The file does not say which sport it is; its records look like running "
                f"({evidence}), so it was analysed as a run.")))
        elif decided:
            _leg, content = max(decided, key=lambda d: d[0].end_s - d[0].start_s)
            raise NotRunningError(not_a_run(content.sport, evidence=(
                f"the file does not say which sport; {content.evidence}")), sport=content.sport)
        else:
            main = max(sessions, key=lambda s: (s.sport != "transition", s.end_s - s.start_s))
            if activity.format == "tcx" and main.sport == "cycling":
                # TCX knows only Running, Biking and Other: rowing apps write Biking.
                content = from_content(activity.series, _in_legs(activity.t_s, (main,)))
                if content.sport == "rowing":
                    raise NotRunningError(not_a_run("rowing", evidence=(
                        f"the file says Biking, TCX's nearest word; {content.evidence}")),
                        sport="rowing")
            raise NotRunningError(not_a_run(main.sport, main.sub_sport), sport=main.sport)
    skipped = [s for s in sessions if all(s is not leg for leg in legs)]
    if skipped:
        parts = [f"{describe(s.sport, s.sub_sport)} ({(s.end_s - s.start_s) / 60:.0f} min)"
                 for s in skipped]
        issues.append(Issue(code="multisport", message=(
            f"Only the running leg(s) were analysed; left out: {', '.join(parts)} (a chest "
            "strap reports dynamics on a bike too, which are not running form).")))
    return legs


def _in_legs(t: FloatArray, legs: tuple[Session, ...]) -> BoolArray:
    inside = np.zeros(t.size, dtype=bool)
    for leg in legs:
        inside |= (t >= leg.start_s) & (t <= leg.end_s)
    return inside


def _timer_on(t: FloatArray, stops: tuple[tuple[float, float], ...]) -> BoolArray:
    on = np.ones(t.size, dtype=bool)
    for start, end in stops:
        on &= ~((t > start) & (t < end))
    return on


def _timer_time(t: FloatArray, stops: tuple[tuple[float, float], ...]) -> FloatArray:
    """Elapsed time minus the time the timer was stopped before each record."""
    timer = t.astype(np.float64).copy()
    for start, end in stops:
        timer -= np.clip(t - start, 0.0, (end - start) if np.isfinite(end) else np.inf)
    return timer


def _moving(series: Mapping[str, FloatArray]) -> BoolArray:
    speed = series.get("speed_mps")
    if speed is None:
        return np.ones(next(iter(series.values())).size if series else 0, dtype=bool)
    return ~(speed < MOVING_MIN_MPS)  # NaN speed: unknown, kept


def _fix_quirks(series: dict[str, FloatArray], running: BoolArray, issues: list[Issue]) -> None:
    """DOMAIN.md §2 quirks 1 and 2, each corrected with an issue that says so; zeros that mean
    "not measured" (a heart rate of 0 without a strap, a cadence of 0 while moving) become
    missing values, never averages."""
    for name in ZERO_MEANS_MISSING:
        values = series.get(name)
        if values is None:
            continue
        zero = running & (values == 0.0)
        if zero.any():
            series[name] = np.where(zero, np.nan, values)
            issues.append(Issue(code=f"zero_missing.{name}", message=(
                f"{int(zero.sum())} records hold a {_said(name)} of 0 while moving, which "
                "means 'not measured': they count as missing, not as 0.")))
    cadence = series.get("cadence_spm")
    if cadence is not None:
        fixed, issue = cadence_units(cadence, series.get("speed_mps"), running)
        series["cadence_spm"] = fixed
        if issue is not None:
            issues.append(issue)
    vo = series.get("vertical_oscillation_m")
    if vo is not None and 0.004 <= _running_median(vo, running) <= 0.016:
        series["vertical_oscillation_m"] = vo * 10.0
        issues.append(Issue(code="vo_scale_10x", message=(
            "Vertical oscillation is 10x too small in this file (a known bug of some writers, "
            "e.g. the Wahoo app): the values were multiplied by 10.")))


ZERO_MEANS_MISSING: Final = (
    "cadence_spm", "heart_rate_bpm", "ground_contact_time_s", "vertical_oscillation_m",
    "step_length_m", "vertical_ratio_frac", "power_w",
)
CADENCE_MAX_SPM: Final = 240.0  # no one runs faster: above, the file stores steps/min [D]
STEP_PLAUSIBLE_M: Final = (0.45, 2.2)  # implied step length = speed x 60 / cadence [D]
UNITS_WINDOW: Final = 31  # records: cadence units are decided per stretch, not per record


def cadence_units(cadence: FloatArray, speed: FloatArray | None,
                  running: BoolArray) -> tuple[FloatArray, Issue | None]:
    """Steps/min vs steps per foot, per stretch, decided from the data (DOMAIN.md §2 quirk 1).

    Readers double a file's cadence (the formats store steps per foot). Some writers store
    steps/min instead (treadmill apps, some TCX exports), in the whole file or in stretches:
    doubled, that gives 280-360 "spm". A stretch is halved when its cadence is above 240 spm,
    or when step length x cadence only matches the speed with half the cadence (the implied
    step length is under 0.45 m at a running speed while half the cadence gives 0.45-2.2 m).
    Nothing is dropped for a unit mix-up; a warning says what was decided and where.
    """
    values = cadence.copy()
    finite = np.isfinite(values) & (values > 0)
    doubled = finite & (values > CADENCE_MAX_SPM)
    if speed is not None:
        moving = finite & np.isfinite(speed) & (speed >= 1.5)
        step = np.divide(speed * 60.0, values, out=np.full(values.size, np.nan), where=moving)
        step = _rolling_median(step, UNITS_WINDOW)
        doubled |= moving & (step < STEP_PLAUSIBLE_M[0]) & (2 * step >= STEP_PLAUSIBLE_M[0]) \
            & (2 * step <= STEP_PLAUSIBLE_M[1])
    doubled = _rolling_median(doubled.astype(np.float64), UNITS_WINDOW) > 0.5
    doubled &= finite
    if not doubled.any():
        return cadence, None
    values[doubled] /= 2.0
    share = int((doubled & running).sum()) / max(int((finite & running).sum()), 1)
    where = "the whole run" if share > 0.97 else f"{share:.0%} of the running records"
    return values, Issue(code="cadence_already_spm", message=(
        f"In {where} the file stores cadence as steps per minute where the format expects "
        "steps per foot (a known bug of treadmill apps and some exports): decided from "
        "cadence above 240 spm or from step length x cadence against speed, those values "
        "were halved and kept."))


def _rolling_median(values: FloatArray, window: int) -> FloatArray:
    """Centred running median ignoring NaN (NaN where the window holds none)."""
    if values.size < window:
        window = max(1, values.size | 1)
    half = window // 2
    padded = np.pad(values, half, mode="edge")
    view = np.lib.stride_tricks.sliding_window_view(padded, window)
    out = np.full(values.size, np.nan)
    ok = np.isfinite(view).any(axis=1)
    if ok.any():
        out[ok] = np.nanmedian(view[ok], axis=1)
    return out


FLAT_MAX_GRADE: Final = 0.02  # |grade| at most 2 % counts as flat [D]
FLAT_HALF_WINDOW_M: Final = 25.0
FLAT_MIN_SHARE: Final = 0.3
FLAT_MIN_RECORDS: Final = 60


def _flat(series: Mapping[str, FloatArray], running: BoolArray,
          issues: list[Issue]) -> BoolArray:
    """Where the run is flat. GCT balance shifts on hills (DOMAIN.md §2), so balance is
    summarised on flat stretches when altitude and distance allow it, else over all running."""
    everywhere = np.ones(running.size, dtype=bool)
    altitude, distance = series.get("altitude_m"), series.get("distance_m")
    if altitude is None or distance is None:
        return everywhere
    usable = np.isfinite(altitude) & np.isfinite(distance)
    if usable.sum() < MIN_RECORDS:
        return everywhere
    d, a = distance[usable], altitude[usable]
    order = np.argsort(d, kind="stable")
    d, a = d[order], a[order]
    ahead = np.interp(d + FLAT_HALF_WINDOW_M, d, a)
    behind = np.interp(d - FLAT_HALF_WINDOW_M, d, a)
    span = np.minimum(d + FLAT_HALF_WINDOW_M, d[-1]) - np.maximum(d - FLAT_HALF_WINDOW_M, d[0])
    grade = np.divide(ahead - behind, span, out=np.full(d.size, np.inf), where=span > 1.0)
    flat_sorted = np.abs(grade) <= FLAT_MAX_GRADE
    flat = np.zeros(running.size, dtype=bool)
    flat[np.flatnonzero(usable)[order]] = flat_sorted
    n_flat = int((flat & running).sum())
    share = n_flat / max(int(running.sum()), 1)
    if share < FLAT_MIN_SHARE or n_flat < FLAT_MIN_RECORDS:
        issues.append(Issue(code="balance_not_flat", message=(
            f"Only {share * 100:.0f} % of the run ({n_flat} records) is flat: GCT balance, "
            "which shifts on hills, was summarised over the whole run.")))
        return everywhere
    if share < 1.0:
        issues.append(Issue(code="balance_flat_only", message=(
            f"GCT balance is summarised over the flat {share * 100:.0f} % of the run "
            "(grade within 2 %): it shifts on hills.")))
    return flat


def _running_median(values: FloatArray, running: BoolArray) -> float:
    finite = values[running & np.isfinite(values)]
    return float(np.median(finite)) if finite.size else float("nan")


WALK_MODE_MAX_SPM: Final = 145.0  # a walking cluster centred faster is not walking [D]
WALK_MODE_MAX_MPS: Final = 2.0  # ... or moving faster than a brisk walk (7.2 km/h) [D]
WALK_MIN_GAP_SPM: Final = 15.0  # running and walking modes at least this far apart [D]
WALK_SEPARATION_SD: Final = 2.5  # ... and this many within-mode SDs apart [D]
WALK_MIN_SHARE: Final = 0.01
CADENCE_SCALE_SPM: Final = 10.0  # one unit in the two-cluster model [D]
SPEED_SCALE_MPS: Final = 0.5
WALK_SPEED_FLOOR_MPS: Final = 1.3  # no cadence and no walking mode: slower is walking [D]
WALK_SPEED_MODE_MAX_MPS: Final = 1.9
TRANSITION_S: Final = 5.0  # either side of a walk: the watch's cadence is still ramping [D]


@dataclass(frozen=True, slots=True, kw_only=True)
class RunWalk:
    """Which records are walking (>= 10 s stretches) and which are neither running nor walking:
    the ramps around each walk and slow-downs shorter than 10 s."""

    walking: BoolArray
    transition: BoolArray
    walking_s: float
    method: str  # how the split was made, in words with the thresholds


def split_run_walk(t: FloatArray, series: Mapping[str, FloatArray],
                   candidate: BoolArray) -> RunWalk:
    """Running vs walking per record, from the file's own cadence and speed.

    Where the file holds two modes (a run/walk), a two-cluster model on cadence and speed
    (10 spm and 0.5 m/s are one unit each) separates them; it is used only when the modes are
    at least 15 spm and 2.5 within-mode SDs apart and the slower one is centred below 145 spm.
    Otherwise the floor applies: below 130 spm and below 0.8 x the median (DOMAIN.md §2 quirk
    4). Without cadence the same is done on speed (floor 1.3 m/s). Only stretches of at least
    10 s count as walking; shorter slow-downs and 5 s either side of each walk are left out
    as transition (neither running nor walking).
    """
    cadence, speed = series.get("cadence_spm"), series.get("speed_mps")
    slow = np.zeros(t.size, dtype=bool)
    method = ""
    with_cadence = (candidate & np.isfinite(cadence) & (cadence > 0)
                    if cadence is not None else np.zeros(t.size, dtype=bool))
    if int(with_cadence.sum()) >= MIN_RECORDS and cadence is not None:
        slow, method = _split_by_cadence(cadence, speed, with_cadence)
        no_cadence = candidate & ~with_cadence
        if speed is not None and no_cadence.any() and slow.any() and (~slow & with_cadence).any():
            # Records without cadence: walking when slower than midway between the modes.
            walk_v = _median_of(speed, slow)
            run_v = _median_of(speed, ~slow & with_cadence)
            if np.isfinite(walk_v) and np.isfinite(run_v) and run_v > walk_v:
                slow |= no_cadence & (speed < (walk_v + run_v) / 2.0)
    elif speed is not None and int((candidate & np.isfinite(speed)).sum()) >= MIN_RECORDS:
        slow, method = _split_by_speed(speed, candidate & np.isfinite(speed))
    walking = np.zeros(t.size, dtype=bool)
    edges = np.diff(np.concatenate(([0], slow.astype(np.int8), [0])))
    starts, ends = np.flatnonzero(edges == 1), np.flatnonzero(edges == -1)
    total_s = 0.0
    for a, b in zip(starts.tolist(), ends.tolist(), strict=True):
        span = float(t[min(b, t.size - 1)] - t[a])
        if span >= WALK_MIN_S:
            walking[a:b] = True
            total_s += span
    transition = slow & ~walking & candidate  # a slow-down of a few seconds: neither
    if walking.any():
        near = _within_s(t, walking, TRANSITION_S)
        transition |= near & ~walking & candidate
    return RunWalk(walking=walking, transition=transition, walking_s=total_s, method=method)


def _split_by_cadence(cadence: FloatArray, speed: FloatArray | None,
                      usable: BoolArray) -> tuple[BoolArray, str]:
    c = cadence[usable]
    v = speed[usable] if speed is not None else np.full(c.size, np.nan)
    with_v = np.isfinite(v)
    has_v = bool(with_v.sum() >= 0.5 * c.size)  # a few records without speed: cadence alone
    low_member = _walking_cluster(c, v, with_v if has_v else np.zeros(c.size, dtype=bool))
    slow = np.zeros(cadence.size, dtype=bool)
    if low_member is not None:
        low, high = c[low_member], c[~low_member]
        spread = float(np.sqrt((low.var() * low.size + high.var() * high.size) / c.size))
        gap = float(np.median(high) - np.median(low))
        walk_v = _median_of(v, low_member)
        slow_enough = not has_v or not np.isfinite(walk_v) or walk_v <= WALK_MODE_MAX_MPS
        if (np.median(low) <= WALK_MODE_MAX_SPM and gap >= WALK_MIN_GAP_SPM
                and gap >= WALK_SEPARATION_SD * max(spread, 1.0)
                and low.size >= WALK_MIN_SHARE * c.size and slow_enough):
            slow[np.flatnonzero(usable)[low_member]] = True
            return slow, (
                f"this run has a walking mode (median {np.median(low):.0f} spm"
                f"{f', {walk_v:.1f} m/s' if has_v and np.isfinite(walk_v) else ''})"
                f" and a running mode (median {np.median(high):.0f} spm), separated by "
                f"cadence{' and speed' if has_v else ''}")
    median = float(np.median(c))
    limit = min(WALK_MAX_SPM, WALK_REL_MEDIAN * median)
    slow[usable] = c < limit
    return slow, f"no walking mode in this run: walking is below {limit:.0f} spm"


def _walking_cluster(c: FloatArray, v: FloatArray, with_v: BoolArray) -> BoolArray | None:
    """Membership of the slower of two clusters: on cadence and speed where a record has
    both; records without speed join the cluster whose cadence centre is nearer."""
    if not with_v.any():
        return _two_means((c / CADENCE_SCALE_SPM)[:, None])
    both = _two_means(np.column_stack((c[with_v] / CADENCE_SCALE_SPM,
                                       v[with_v] / SPEED_SCALE_MPS)))
    if both is None:
        return None
    member = np.zeros(c.size, dtype=bool)
    member[np.flatnonzero(with_v)[both]] = True
    walk_c, run_c = float(c[with_v][both].mean()), float(c[with_v][~both].mean())
    rest = ~with_v
    member[rest] = np.abs(c[rest] - walk_c) < np.abs(c[rest] - run_c)
    return member


def _median_of(values: FloatArray, mask: BoolArray) -> float:
    use = mask & np.isfinite(values)
    return float(np.median(values[use])) if use.any() else float("nan")


def _split_by_speed(speed: FloatArray, usable: BoolArray) -> tuple[BoolArray, str]:
    v = speed[usable]
    low_member = _two_means((v / SPEED_SCALE_MPS)[:, None])
    slow = np.zeros(speed.size, dtype=bool)
    if low_member is not None:
        low, high = v[low_member], v[~low_member]
        spread = float(np.sqrt((low.var() * low.size + high.var() * high.size) / v.size))
        gap = float(np.median(high) - np.median(low))
        if (np.median(low) <= WALK_SPEED_MODE_MAX_MPS and gap >= 0.6
                and gap >= WALK_SEPARATION_SD * spread and low.size >= WALK_MIN_SHARE * v.size):
            slow[np.flatnonzero(usable)[low_member]] = True
            return slow, (f"no cadence; a walking mode at {np.median(low):.1f} m/s and a running "
                          f"mode at {np.median(high):.1f} m/s")
    slow[usable] = v < WALK_SPEED_FLOOR_MPS
    return slow, f"no cadence: walking is below {WALK_SPEED_FLOOR_MPS} m/s"


def _two_means(x: FloatArray, iterations: int = 50) -> BoolArray | None:
    """Membership of the slower of two clusters (k-means, k=2, seeded at the 10th and 90th
    percentiles of the first feature); None when the data hold one value."""
    order = np.argsort(x[:, 0], kind="stable")
    lo_c = x[order[: max(1, x.shape[0] // 10)]].mean(axis=0)
    hi_c = x[order[-max(1, x.shape[0] // 10):]].mean(axis=0)
    if np.allclose(lo_c, hi_c):
        return None
    member = np.zeros(x.shape[0], dtype=bool)
    for _ in range(iterations):
        new = (((x - lo_c) ** 2).sum(axis=1) < ((x - hi_c) ** 2).sum(axis=1))
        if not new.any() or new.all():
            return None
        if np.array_equal(new, member):
            break
        member = new
        lo_c, hi_c = x[member].mean(axis=0), x[~member].mean(axis=0)
    return member


def _within_s(t: FloatArray, mask: BoolArray, margin_s: float) -> BoolArray:
    """Records within ``margin_s`` of any record in ``mask``."""
    idx = np.flatnonzero(mask)
    times = t[idx]
    pos = np.searchsorted(times, t)
    before = np.abs(t - times[np.clip(pos - 1, 0, times.size - 1)])
    after = np.abs(times[np.clip(pos, 0, times.size - 1)] - t)
    return np.minimum(before, after) <= margin_s


def _record_durations(t: FloatArray) -> FloatArray:
    if t.size < 2:
        return np.ones_like(t)
    dt = np.diff(t)
    typical = float(np.median(dt)) if dt.size else 1.0
    dt = np.append(dt, typical)
    return np.where(dt > MAX_RECORD_GAP_S, typical, np.clip(dt, 0.0, None))


def _summarise(spec: MetricSpec, series: Mapping[str, FloatArray], running: BoolArray,
               timer_s: FloatArray, sha256: str, issues: list[Issue]) -> MetricSummary:
    values = series.get(spec.name)
    if values is None or not np.any(np.isfinite(values[running])):
        return _without(spec.name, MetricStatus.NOT_AVAILABLE, spec.absent_reason or _NO_SENSOR)
    present = running & np.isfinite(values)
    inside = present & (values >= spec.low) & (values <= spec.high)
    n_out = int(present.sum() - inside.sum())
    if n_out and n_out > MAX_OUT_OF_RANGE_FRAC * present.sum():
        return _without(spec.name, MetricStatus.INSUFFICIENT_DATA, (
            f"{n_out} of {int(present.sum())} values are outside the plausible range "
            f"{spec.low:g}–{spec.high:g} (in SI units): the sensor data look wrong"))
    if n_out:
        issues.append(Issue(code=f"out_of_range.{spec.name}", message=(
            f"{n_out} of {int(present.sum())} {_said(spec.name)} values were outside the "
            f"plausible range {_range_said(spec)} and were left out.")))
    kept = values[inside]
    if kept.size < MIN_RECORDS:
        return _without(spec.name, MetricStatus.INSUFFICIENT_DATA,
                        f"only {kept.size} running records carry it (at least {MIN_RECORDS} "
                        "needed)")
    return MetricSummary(
        name=spec.name, value=float(kept.mean()), median=float(np.median(kept)),
        sd=float(kept.std(ddof=1)), n=int(kept.size),
        ci95=bootstrap_mean_ci95(kept, block_ids(timer_s[inside]),
                                 seed=seed_for(sha256, "blocks")),
        status=MetricStatus.OK,
    )


_WORDS: Final = {
    "cadence_spm": ("cadence", "spm", 1.0), "heart_rate_bpm": ("heart rate", "bpm", 1.0),
    "ground_contact_time_s": ("ground contact time", "ms", 1e3),
    "vertical_oscillation_m": ("vertical oscillation", "mm", 1e3),
    "vertical_ratio_frac": ("vertical ratio", "%", 1e2),
    "step_length_m": ("step length", "m", 1.0), "speed_mps": ("speed", "m/s", 1.0),
    "power_w": ("power", "W", 1.0), "form_power_w": ("form power", "W", 1.0),
    "air_power_w": ("air power", "W", 1.0),
    "leg_spring_stiffness_n_per_m": ("leg spring stiffness", "kN/m", 1e-3),
    "gct_balance_left_frac": ("ground contact balance", "%", 1e2),
    "gct_imbalance_frac": ("ground contact imbalance", "%", 1e2),
}


def _said(name: str) -> str:
    """A series in words for a runner ("ground contact time"), never its internal name."""
    return _WORDS[name][0] if name in _WORDS else name.rsplit("_", 1)[0].replace("_", " ")


def _range_said(spec: MetricSpec) -> str:
    _, unit, factor = _WORDS.get(spec.name, ("", "", 1.0))
    return f"{spec.low * factor:g}–{spec.high * factor:g} {unit}".rstrip()


def _without(name: str, status: MetricStatus, reason: str) -> MetricSummary:
    return MetricSummary(name=name, value=None, median=None, sd=None, n=0, ci95=None,
                         status=status, reason=reason)


def _check_vertical_ratio(series: Mapping[str, FloatArray], running: BoolArray,
                          issues: list[Issue]) -> None:
    """VR must match VO / step length within 10 % (DOMAIN.md §2 range checks) [D]."""
    vr, vo, step = (series.get(k) for k in
                    ("vertical_ratio_frac", "vertical_oscillation_m", "step_length_m"))
    if vr is None or vo is None or step is None:
        return
    recorded = _running_median(vr, running)
    usable = running & (step > 0)
    computed = _running_median(np.divide(vo, step, out=np.full_like(vo, np.nan), where=usable),
                               usable)
    if np.isfinite(recorded) and np.isfinite(computed) and computed > 0 \
            and abs(recorded / computed - 1.0) > 0.10:
        issues.append(Issue(code="vertical_ratio_mismatch", message=(
            f"The recorded vertical ratio ({recorded * 100:.1f} %) differs by more than "
            f"10 % from vertical oscillation / step length ({computed * 100:.1f} %): one "
            "of them may be mis-scaled.")))


def _distance_m(legs: tuple[Session, ...], distance: FloatArray | None,
                t: FloatArray) -> float | None:
    totals = [leg.summary.get("total_distance_m") for leg in legs]
    if all(v is not None for v in totals) and totals:
        return float(sum(v for v in totals if v is not None))
    if distance is None:
        return None
    covered = 0.0
    for leg in legs:
        inside = (t >= leg.start_s) & (t <= leg.end_s) & np.isfinite(distance)
        if inside.any():
            covered += float(distance[inside].max() - distance[inside].min())
    return covered


def _drift_all(metrics: Mapping[str, MetricSummary], series: Mapping[str, FloatArray],
               masks: Mapping[str, BoolArray], running: BoolArray, timer_s: FloatArray,
               weights: FloatArray, sha256: str, issues: list[Issue]) -> tuple[Drift, ...]:
    run_time = np.cumsum(np.where(running, weights, 0.0))
    if run_time[-1] < MIN_DRIFT_S:
        issues.append(Issue(code="too_short_for_drift", message=(
            f"The run holds {run_time[-1] / 60:.1f} min of running: drift over the run needs "
            f"at least {MIN_DRIFT_S / 60:.0f} min.")))
        return ()
    out = []
    for spec in METRICS:
        summary = metrics.get(spec.name)
        if spec.drift and summary is not None and summary.status is MetricStatus.OK:
            drift = _drift(spec, series, masks[spec.name], timer_s, run_time, sha256)
            if drift is not None:
                out.append(drift)
    return tuple(out)


def _drift(spec: MetricSpec, series: Mapping[str, FloatArray], running: BoolArray,
           timer_s: FloatArray, run_time: FloatArray, sha256: str) -> Drift | None:
    values = series[spec.name]
    use = running & np.isfinite(values) & (values >= spec.low) & (values <= spec.high)
    total = run_time[-1]
    early_mask = use & (run_time <= total / 3.0)
    late_mask = use & (run_time > 2.0 * total / 3.0)
    if early_mask.sum() < MIN_RECORDS or late_mask.sum() < MIN_RECORDS:
        return None
    early, late = float(values[early_mask].mean()), float(values[late_mask].mean())
    ci_early = bootstrap_mean_ci95(values[early_mask], block_ids(timer_s[early_mask]),
                                   seed=seed_for(sha256, "blocks:early"))
    ci_late = bootstrap_mean_ci95(values[late_mask], block_ids(timer_s[late_mask]),
                                  seed=seed_for(sha256, "blocks:late"))
    significant = bool(ci_early and ci_late and
                       (ci_early[1] < ci_late[0] or ci_late[1] < ci_early[0]))
    origin = int(np.flatnonzero(running)[0])
    onset_s, onset_m = _onset(values, use, origin, timer_s, series.get("distance_m"))
    return Drift(name=spec.name, early=early, late=late,
                 change_frac=(late - early) / early if early else float("nan"),
                 onset_s=onset_s, onset_m=onset_m, significant=significant)


def _onset(values: FloatArray, use: BoolArray, origin: int, timer_s: FloatArray,
           distance: FloatArray | None) -> tuple[float | None, float | None]:
    """Timer time and distance at the strongest change point of the 10-s block means."""
    idx = np.flatnonzero(use)
    blocks = block_ids(timer_s[idx])
    n_blocks = int(blocks.max()) + 1
    means = np.bincount(blocks, weights=values[idx], minlength=n_blocks) / np.maximum(
        np.bincount(blocks, minlength=n_blocks), 1)
    point = strongest_change_point(means)
    if point is None:
        return None, None
    first = idx[int(np.searchsorted(blocks, point.index))]
    onset_m = None
    if distance is not None and np.isfinite(distance[first]):
        start_m = distance[origin] if np.isfinite(distance[origin]) else np.nanmin(distance[idx])
        onset_m = float(distance[first] - start_m)
    return float(timer_s[first] - timer_s[origin]), onset_m
