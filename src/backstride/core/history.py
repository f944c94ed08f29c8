"""Run history over time: weekly form, progress on cadence steps, the pain diary vs form.

Pure: the workflow reads runs and pain entries from the store and passes them in; nothing here
reads a clock, a file or a random generator, so the same history always gives the same trends.
Metrics are keyed by core's names, in SI units with the unit in the name (``cadence_spm``,
``ground_contact_time_s``, ``vertical_ratio_frac``...), and hold only metrics whose status was
``ok``; the contract's named units (ms, mm, %) are made in adapters/render.

What is claimed, and what is not (docs/trends.md):

- Weekly means are descriptions, with a t interval; week-to-week changes are not tested.
- A cadence step is "reached" when at least 3 runs inside the step's weeks and inside the
  runner's pace band (DOMAIN.md §4.1) are no more than 2 % below the target (§4.2 rule 5).
- Painful and pain-free runs are compared only from 5 runs in each group [D], as a difference
  of means with a Welch 95 % interval and Hedges' g: an association across runs, never a
  statement about what leads to what.
- Within a painful run, a logged pain onset is set against each metric's *significant* drift
  onset; onsets within a few minutes [D] are "same time", since a logged onset is approximate.
"""

from __future__ import annotations

import math
from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from enum import StrEnum
from functools import lru_cache
from statistics import median
from typing import Final

import numpy as np
from scipy import stats

from backstride.core.plan import PACE_BAND_MPS, PACE_WINDOW
from backstride.core.types import FloatArray

METRICS: Final = (
    "cadence_spm", "ground_contact_time_s", "vertical_oscillation_m", "vertical_ratio_frac",
    "step_length_m", "gct_imbalance_frac", "speed_mps",
)
"""Core names in display order; other keys a run carries follow, sorted."""
DRIFT_ONSET_METRICS: Final = ("cadence_spm", "ground_contact_time_s", "vertical_oscillation_m")
"""Metrics whose drift onset the weekly series summarises."""

PAIN_THRESHOLD: Final = 3  # a run is painful from this score (0-10) during or after it [D]
MIN_RUNS_PER_GROUP: Final = 5  # painful and pain-free runs needed before comparing [D]
STEP_TOLERANCE_FRAC: Final = 0.02  # within 2 % of the target (DOMAIN.md §4.2 rule 5) [D]
STEP_RUNS_NEEDED: Final = 3  # ... on 3 runs (§4.2 rule 5) [D]
SAME_TIME_MIN: Final = 3.0  # pain and drift onsets this close are "same time" [D]
SAME_TIME_KM: Final = 0.5  # the same, by distance [D]
MIN_ONSET_RUNS: Final = 5  # runs needed before a share of "form first" is given [D]
CONFIDENCE: Final = 0.95


class PainKind(StrEnum):
    DURING = "during"
    AFTER_RUN = "after_run"
    NEXT_MORNING = "next_morning"
    OTHER = "other"


RUN_PAIN_KINDS: Final = frozenset({PainKind.DURING, PainKind.AFTER_RUN})
"""Kinds of pain entry that make a linked run painful or pain-free."""


class TrendStatus(StrEnum):
    OK = "ok"
    NOT_ENOUGH_DATA = "not_enough_data"


class StepStatus(StrEnum):
    REACHED = "reached"
    NOT_YET = "not_yet"
    NO_RUNS = "no_runs"


class OnsetOrder(StrEnum):
    FORM_FIRST = "form_first"  # the metric drifted before the pain began
    SAME_TIME = "same_time"  # within SAME_TIME_MIN / SAME_TIME_KM
    PAIN_FIRST = "pain_first"


# ---------------------------------------------------------------- inputs


@dataclass(frozen=True, slots=True, kw_only=True)
class DriftPoint:
    """One metric's drift over a run (the analysis JSON ``drift`` entry)."""

    onset_s: float | None  # timer time of the strongest change point; None if there is none
    onset_m: float | None
    change_frac: float  # last third vs first third, as a fraction of the first
    significant: bool


@dataclass(frozen=True, slots=True, kw_only=True)
class RunPoint:
    """What the trends need of one stored run."""

    run_id: int
    start_utc: datetime  # timezone-aware
    distance_m: float | None
    moving_time_s: float
    metrics: Mapping[str, float]  # core names (SI), status ok only
    drift: Mapping[str, DriftPoint] = field(default_factory=dict)  # by core name
    ci95: Mapping[str, tuple[float, float]] = field(default_factory=dict)  # run's own, SI
    # The run's date in UTC, worked out once: the trends filter 1,500 runs by it ~100,000 times.
    day: date = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        if self.start_utc.tzinfo is None:
            raise ValueError(f"run {self.run_id}: start_utc must be timezone-aware")
        bad = sorted(k for k, v in self.metrics.items() if not math.isfinite(v))
        if bad:
            raise ValueError(f"run {self.run_id}: metrics {bad} are not finite; pass only "
                             "metrics with status ok")
        object.__setattr__(self, "day", self.start_utc.astimezone(UTC).date())

    @property
    def speed_mps(self) -> float | None:
        """Running speed: the metric, else distance over moving time."""
        if "speed_mps" in self.metrics:
            return self.metrics["speed_mps"]
        if self.distance_m is not None and self.distance_m > 0 and self.moving_time_s > 0:
            return self.distance_m / self.moving_time_s
        return None


@dataclass(frozen=True, slots=True, kw_only=True)
class PainPoint:
    """One pain diary entry."""

    run_id: int | None  # the run it is linked to, if any
    recorded_on: date
    kind: PainKind
    score: int  # 0-10
    onset_min: float | None = None  # minutes into the run when it began
    onset_km: float | None = None

    def __post_init__(self) -> None:
        # A store row's plain string becomes the category; a bad kind raises ValueError.
        object.__setattr__(self, "kind", PainKind(self.kind))
        if not 0 <= self.score <= 10:
            raise ValueError(f"pain score {self.score} is outside 0-10")
        for name in ("onset_min", "onset_km"):
            value = getattr(self, name)
            if value is not None and not (math.isfinite(value) and value >= 0):
                raise ValueError(f"{name} {value} must be a number of 0 or more")


# ---------------------------------------------------------------- results


@dataclass(frozen=True, slots=True, kw_only=True)
class WeeklyMetric:
    metric: str  # core name; the values below are in its (SI) unit
    n_runs: int
    mean: float  # of the runs' values, each run counted once
    sd: float | None  # between runs; None below 2 runs
    ci95: tuple[float, float] | None  # t interval of the mean; None below 2 runs
    drift_onset_median_min: float | None  # of the runs' significant drift onsets
    n_drift_onsets: int


@dataclass(frozen=True, slots=True, kw_only=True)
class Week:
    week_start: date  # the Monday of the ISO week
    iso_year: int
    iso_week: int
    n_runs: int
    distance_m: float | None  # over the runs that carry a distance
    moving_time_s: float
    metrics: tuple[WeeklyMetric, ...]


@dataclass(frozen=True, slots=True, kw_only=True)
class StepProgress:
    week: int  # plan week the step starts in (1 = plan start)
    weeks: int
    target_spm: float
    start: date
    end: date  # last day of the step, inclusive
    n_runs: int  # runs in the step's weeks with a cadence
    n_in_band: int  # of those, runs inside the pace band (compared)
    pace_band_mps: tuple[float, float] | None
    median_cadence_spm: float | None  # of the compared runs
    cadence_range_spm: tuple[float, float] | None  # lowest and highest of the compared runs
    n_at_target: int  # compared runs no more than 2 % below the target
    status: StepStatus
    reason: str  # one sentence


@dataclass(frozen=True, slots=True, kw_only=True)
class PainFormComparison:
    """Painful minus pain-free runs for one metric; values in the metric's unit."""

    metric: str
    status: TrendStatus
    reason: str | None  # why there is no comparison
    n_painful: int
    n_pain_free: int
    mean_painful: float | None
    mean_pain_free: float | None
    sd_painful: float | None
    sd_pain_free: float | None
    difference: float | None  # mean_painful - mean_pain_free
    ci95: tuple[float, float] | None  # Welch t interval of the difference
    df: float | None  # Welch-Satterthwaite degrees of freedom
    hedges_g: float | None  # standardised difference, small-sample corrected
    hedges_g_ci95: tuple[float, float] | None  # normal approximation


@dataclass(frozen=True, slots=True, kw_only=True)
class OnsetComparison:
    """One painful run, one metric: when the pain began vs when the metric drifted."""

    run_id: int
    metric: str
    pain_onset_min: float | None
    pain_onset_km: float | None
    drift_onset_min: float | None
    drift_onset_km: float | None
    pain_minus_drift_min: float | None  # > 0: the metric drifted first
    pain_minus_drift_km: float | None
    order: OnsetOrder  # by minutes where both are known, else by km


@dataclass(frozen=True, slots=True, kw_only=True)
class OnsetCounts:
    metric: str
    n_runs: int
    n_form_first: int
    n_same_time: int
    n_pain_first: int


@dataclass(frozen=True, slots=True, kw_only=True)
class OnsetSummary:
    """Across painful runs: did form drift before the pain began?"""

    status: TrendStatus
    reason: str | None
    n_painful_runs: int
    n_with_pain_onset: int
    n_runs: int  # painful runs with a pain onset and a significant drift onset (compared)
    n_form_first: int  # runs where some metric drifted before the pain began
    n_same_time: int
    n_pain_first: int
    form_first_frac: float | None  # n_form_first / n_runs, from MIN_ONSET_RUNS runs
    form_first_ci95: tuple[float, float] | None  # Clopper-Pearson
    by_metric: tuple[OnsetCounts, ...]
    comparisons: tuple[OnsetComparison, ...]


@dataclass(frozen=True, slots=True, kw_only=True)
class Trends:
    weekly: tuple[Week, ...]
    cadence_steps: tuple[StepProgress, ...]
    pain_vs_form: tuple[PainFormComparison, ...]
    pain_onset_vs_drift: OnsetSummary
    notes: tuple[str, ...]
    methods: Mapping[str, float | int | str]


# ---------------------------------------------------------------- entry point


def build_trends(runs: Sequence[RunPoint], pains: Sequence[PainPoint], *,
                 steps: Sequence[tuple[int, int, float]] = (), plan_start: date | None = None,
                 pain_threshold: int = PAIN_THRESHOLD,
                 min_runs_per_group: int = MIN_RUNS_PER_GROUP) -> Trends:
    """Weekly series, cadence-step progress, painful vs pain-free runs and pain onset vs drift.

    ``steps`` are the plan's cadence steps as ``(week, weeks, target_spm)`` and ``plan_start``
    the date of its week 1. ``pain_threshold`` and ``min_runs_per_group`` are [D] defaults.
    """
    ordered = sorted(runs, key=lambda r: (r.start_utc, r.run_id))
    ids = [r.run_id for r in ordered]
    if len(set(ids)) != len(ids):
        raise ValueError("run ids must be unique")
    diary = sorted(pains, key=lambda p: (p.recorded_on, p.run_id or 0, p.kind, p.score))
    notes: list[str] = []
    if not ordered:
        notes.append("No runs in the history yet, so there are no trends to show.")
    steps_out = _cadence_steps(ordered, steps, plan_start, notes)
    split = _split_by_pain(ordered, diary, pain_threshold)
    comparisons = _pain_vs_form(split, min_runs_per_group)
    onsets = _onset_vs_drift(split)
    if ordered:
        notes.extend(split.notes)
        notes.extend(_pain_vs_form_notes(comparisons, split, min_runs_per_group))
        notes.extend(_onset_notes(onsets))
        notes.append("Weekly means describe the runs of each week; changes between weeks are "
                     "not tested, and a change smaller than the runs' spread (sd) is within "
                     "noise.")
    return Trends(weekly=_weekly(ordered), cadence_steps=steps_out, pain_vs_form=comparisons,
                  pain_onset_vs_drift=onsets, notes=tuple(notes),
                  methods=_methods(pain_threshold, min_runs_per_group))


def _methods(pain_threshold: int, min_runs_per_group: int) -> dict[str, float | int | str]:
    return {
        "week": "ISO week of the run's UTC start date",
        "painful_run": f"a linked during/after_run pain entry scoring >= {pain_threshold}",
        "pain_free_run": f"linked during/after_run pain entries, all < {pain_threshold}",
        "pain_threshold": pain_threshold,
        "min_runs_per_group": min_runs_per_group,
        "difference_interval": "Welch t, 95 %",
        "effect_size": "Hedges' g (pooled sd, small-sample corrected), 95 % normal approx.",
        "step_tolerance_frac": STEP_TOLERANCE_FRAC,
        "step_runs_needed": STEP_RUNS_NEEDED,
        "pace_band_mps": PACE_BAND_MPS,
        "drift_onsets": "significant drifts only",
        "same_time_min": SAME_TIME_MIN,
        "same_time_km": SAME_TIME_KM,
        "min_onset_runs": MIN_ONSET_RUNS,
        "onset_share_interval": "Clopper-Pearson, 95 %",
    }


def metric_keys(runs: Iterable[RunPoint]) -> tuple[str, ...]:
    """The metrics the runs carry, in display order."""
    return order_metrics(k for r in runs for k in r.metrics)


def order_metrics(keys: Iterable[str]) -> tuple[str, ...]:
    """Distinct keys: METRICS order first, then any others, sorted."""
    present = set(keys)
    return tuple(k for k in METRICS if k in present) + tuple(sorted(present - set(METRICS)))


# ---------------------------------------------------------------- small statistics


def _mean_sd_ci(values: Sequence[float]
                ) -> tuple[float, float | None, tuple[float, float] | None]:
    # A week holds a handful of runs: plain Python is ~20x faster than numpy's per-call cost
    # here, and a 1,500-run history has ~9,000 of these (the trends page after each write).
    n = len(values)
    mean = math.fsum(values) / n
    if n < 2:
        return mean, None, None
    sd = math.sqrt(math.fsum((v - mean) ** 2 for v in values) / (n - 1))
    half = _t_quantile(n - 1) * sd / math.sqrt(n)
    return mean, sd, (mean - half, mean + half)


def _significant_onset(run: RunPoint, metric: str) -> DriftPoint | None:
    """The metric's drift, if significant and with an onset (DOMAIN.md §3.7: changes below
    noise are not claimed)."""
    drift = run.drift.get(metric)
    if drift is None or not drift.significant:
        return None
    if drift.onset_s is None and drift.onset_m is None:
        return None
    return drift


def _plural(n: int, noun: str, plural: str | None = None) -> str:
    return f"{n} {noun}" if n == 1 else f"{n} {plural or noun + 's'}"


# ---------------------------------------------------------------- a) weekly series


def _weekly(runs: Sequence[RunPoint]) -> tuple[Week, ...]:
    by_week: dict[date, list[RunPoint]] = defaultdict(list)
    for run in runs:
        by_week[run.day - timedelta(days=run.day.weekday())].append(run)
    return tuple(_week(start, by_week[start]) for start in sorted(by_week))


def _week(start: date, runs: list[RunPoint]) -> Week:
    iso = start.isocalendar()
    distances = [r.distance_m for r in runs if r.distance_m is not None]
    metrics = tuple(_weekly_metric(key, runs) for key in metric_keys(runs))
    return Week(week_start=start, iso_year=iso.year, iso_week=iso.week, n_runs=len(runs),
                distance_m=float(sum(distances)) if distances else None,
                moving_time_s=float(sum(r.moving_time_s for r in runs)), metrics=metrics)


def _weekly_metric(metric: str, runs: list[RunPoint]) -> WeeklyMetric:
    values = [r.metrics[metric] for r in runs if metric in r.metrics]
    mean, sd, ci95 = _mean_sd_ci(values)
    onsets: list[float] = []
    if metric in DRIFT_ONSET_METRICS:
        for run in runs:
            drift = _significant_onset(run, metric)
            if drift is not None and drift.onset_s is not None:
                onsets.append(drift.onset_s / 60.0)
    return WeeklyMetric(metric=metric, n_runs=len(values), mean=mean, sd=sd, ci95=ci95,
                        drift_onset_median_min=float(median(onsets)) if onsets else None,
                        n_drift_onsets=len(onsets))


# ---------------------------------------------------------------- b) cadence steps


def _cadence_steps(runs: Sequence[RunPoint], steps: Sequence[tuple[int, int, float]],
                   plan_start: date | None, notes: list[str]) -> tuple[StepProgress, ...]:
    if not steps:
        return ()
    if plan_start is None:
        notes.append("The plan's start date was not given, so progress on its cadence steps "
                     "cannot be placed in time.")
        return ()
    band, basis = _pace_band(runs, plan_start)
    notes.append(basis)
    return tuple(_step(runs, week, weeks, float(target), plan_start, band)
                 for week, weeks, target in sorted(steps))


def _pace_band(runs: Sequence[RunPoint],
               plan_start: date) -> tuple[tuple[float, float] | None, str]:
    """§4.1: median speed over 4 weeks ± 0.3 m/s: the 4 weeks before the plan (the baseline's
    band), else the plan's first 4 weeks."""
    before = [s for r in runs if plan_start - PACE_WINDOW <= r.day < plan_start
              and (s := r.speed_mps) is not None]
    where = "the 4 weeks before the plan"
    if not before:
        before = [s for r in runs if plan_start <= r.day < plan_start + PACE_WINDOW
                  and (s := r.speed_mps) is not None]
        where = "the plan's first 4 weeks (no runs with a speed in the 4 weeks before it)"
    if not before:
        return None, ("No run with a speed near the plan's start: cadence steps are judged on "
                      "every run, whatever its pace, although cadence rises with speed.")
    centre = float(median(before))
    band = (centre - PACE_BAND_MPS, centre + PACE_BAND_MPS)
    return band, (f"Cadence steps are judged only on runs in your pace band, {band[0]:.2f}–"
                  f"{band[1]:.2f} m/s (median speed of {_plural(len(before), 'run')} in "
                  f"{where} ± {PACE_BAND_MPS} m/s), because cadence rises with speed.")


def _step(runs: Sequence[RunPoint], week: int, weeks: int, target_spm: float, plan_start: date,
          band: tuple[float, float] | None) -> StepProgress:
    start = plan_start + timedelta(weeks=week - 1)
    end = start + timedelta(weeks=weeks) - timedelta(days=1)
    inside = [r for r in runs if start <= r.day <= end and "cadence_spm" in r.metrics]
    compared = [r for r in inside if _in_band(r, band)]
    cadences = [r.metrics["cadence_spm"] for r in compared]
    floor_spm = target_spm * (1.0 - STEP_TOLERANCE_FRAC)
    n_at = sum(c >= floor_spm for c in cadences)
    status, reason = _step_status(len(inside), len(compared), n_at, floor_spm)
    return StepProgress(
        week=week, weeks=weeks, target_spm=target_spm, start=start, end=end,
        n_runs=len(inside), n_in_band=len(compared), pace_band_mps=band,
        median_cadence_spm=float(median(cadences)) if cadences else None,
        cadence_range_spm=(min(cadences), max(cadences)) if cadences else None,
        n_at_target=n_at, status=status, reason=reason)


def _in_band(run: RunPoint, band: tuple[float, float] | None) -> bool:
    if band is None:
        return True
    speed = run.speed_mps
    return speed is not None and band[0] <= speed <= band[1]


def _step_status(n_inside: int, n_compared: int, n_at: int,
                 floor_spm: float) -> tuple[StepStatus, str]:
    if n_inside == 0:
        return StepStatus.NO_RUNS, "No runs with a cadence in this step's weeks."
    if n_compared == 0:
        return StepStatus.NO_RUNS, (f"{_plural(n_inside, 'run')} in this step's weeks, none "
                                    "in your pace band.")
    what = (f"{n_at} of {_plural(n_compared, 'run')} at {floor_spm:.1f} spm or more (within "
            f"{STEP_TOLERANCE_FRAC * 100:.0f} % of the target)")
    if n_at >= STEP_RUNS_NEEDED:
        return StepStatus.REACHED, f"Reached: {what}."
    return StepStatus.NOT_YET, f"Not yet: {what}; {STEP_RUNS_NEEDED} needed."


# ---------------------------------------------------------------- c) pain vs form


@dataclass(frozen=True, slots=True, kw_only=True)
class _Split:
    painful: tuple[RunPoint, ...]
    pain_free: tuple[RunPoint, ...]
    pains: Mapping[int, tuple[PainPoint, ...]]  # painful entries by run id
    notes: tuple[str, ...]


def _split_by_pain(runs: Sequence[RunPoint], diary: Sequence[PainPoint],
                   threshold: int) -> _Split:
    """Painful: a linked during/after_run entry scores >= threshold. Pain-free: linked
    during/after_run entries, all below it. A run without such an entry is neither: a missing
    entry is not taken as "no pain"."""
    known = {r.run_id for r in runs}
    linked: dict[int, list[PainPoint]] = defaultdict(list)
    n_unlinked = 0
    for entry in diary:
        if entry.kind not in RUN_PAIN_KINDS:
            continue
        if entry.run_id is None or entry.run_id not in known:
            n_unlinked += 1
            continue
        linked[entry.run_id].append(entry)
    painful = tuple(r for r in runs if any(p.score >= threshold for p in linked[r.run_id]))
    free = tuple(r for r in runs if linked[r.run_id]
                 and all(p.score < threshold for p in linked[r.run_id]))
    pains = {r.run_id: tuple(p for p in linked[r.run_id] if p.score >= threshold)
             for r in painful}
    notes = []
    n_unrecorded = len(runs) - len(painful) - len(free)
    if runs and n_unrecorded:
        notes.append(f"{_plural(n_unrecorded, 'run')} without a pain entry for during or after "
                     "the run are left out of the pain comparisons (a missing entry is not "
                     "taken as pain-free); log a 0 to count a run as pain-free.")
    if n_unlinked:
        verb = "is" if n_unlinked == 1 else "are"
        notes.append(f"{_plural(n_unlinked, 'pain entry', 'pain entries')} for during or after "
                     f"a run {verb} not linked to a run in this history and not used.")
    return _Split(painful=painful, pain_free=free, pains=pains, notes=tuple(notes))


def _pain_vs_form(split: _Split, need: int) -> tuple[PainFormComparison, ...]:
    keys = metric_keys(split.painful + split.pain_free)
    return tuple(_compare(key, split, need) for key in keys)


def _values(runs: Sequence[RunPoint], metric: str) -> FloatArray:
    return np.array([r.metrics[metric] for r in runs if metric in r.metrics], dtype=np.float64)


def _shortfall(n_painful: int, n_free: int, need: int) -> str | None:
    short = [_plural(n, f"{label} run") for n, label in ((n_painful, "painful"),
                                                          (n_free, "pain-free")) if n < need]
    if not short:
        return None
    each = " of each" if len(short) == 2 else ""
    return f"{' and '.join(short)} so far; {need}{each} needed"


def _compare(metric: str, split: _Split, need: int) -> PainFormComparison:
    a, b = _values(split.painful, metric), _values(split.pain_free, metric)
    reason = _shortfall(int(a.size), int(b.size), need)
    if reason is not None:
        return PainFormComparison(
            metric=metric, status=TrendStatus.NOT_ENOUGH_DATA, reason=reason,
            n_painful=int(a.size), n_pain_free=int(b.size), mean_painful=None,
            mean_pain_free=None, sd_painful=None, sd_pain_free=None, difference=None, ci95=None,
            df=None, hedges_g=None, hedges_g_ci95=None)
    welch = welch_difference(a, b)
    return PainFormComparison(
        metric=metric, status=TrendStatus.OK, reason=None, n_painful=int(a.size),
        n_pain_free=int(b.size), mean_painful=float(np.mean(a)), mean_pain_free=float(np.mean(b)),
        sd_painful=float(np.std(a, ddof=1)), sd_pain_free=float(np.std(b, ddof=1)),
        difference=welch.difference, ci95=welch.ci95, df=welch.df, hedges_g=welch.hedges_g,
        hedges_g_ci95=welch.hedges_g_ci95)


@dataclass(frozen=True, slots=True, kw_only=True)
class WelchDifference:
    difference: float  # mean(a) - mean(b)
    ci95: tuple[float, float]
    df: float | None  # None when both groups have no spread
    hedges_g: float | None  # None when both groups have no spread
    hedges_g_ci95: tuple[float, float] | None


def welch_difference(a: FloatArray, b: FloatArray) -> WelchDifference:
    """Difference of means with a Welch t interval (unequal variances) and Hedges' g.

    Needs at least 2 values in each group. Hedges' g uses the pooled sd and the correction
    J = 1 − 3 / (4 (n_a + n_b) − 9); its interval is the usual normal approximation
    (Hedges & Olkin 1985).
    """
    n_a, n_b = a.size, b.size
    if n_a < 2 or n_b < 2:
        raise ValueError("each group needs at least 2 values")
    diff = float(np.mean(a) - np.mean(b))
    va, vb = float(np.var(a, ddof=1)), float(np.var(b, ddof=1))
    se2 = va / n_a + vb / n_b
    if se2 <= 0.0:
        return WelchDifference(difference=diff, ci95=(diff, diff), df=None, hedges_g=None,
                               hedges_g_ci95=None)
    df = se2**2 / ((va / n_a) ** 2 / (n_a - 1) + (vb / n_b) ** 2 / (n_b - 1))
    half = _t_quantile(df) * math.sqrt(se2)
    pooled_sd = math.sqrt(((n_a - 1) * va + (n_b - 1) * vb) / (n_a + n_b - 2))
    g = (1.0 - 3.0 / (4.0 * (n_a + n_b) - 9.0)) * diff / pooled_sd
    se_g = math.sqrt((n_a + n_b) / (n_a * n_b) + g**2 / (2.0 * (n_a + n_b)))
    z = float(stats.norm.ppf(0.5 + CONFIDENCE / 2))
    return WelchDifference(difference=diff, ci95=(diff - half, diff + half), df=float(df),
                           hedges_g=g, hedges_g_ci95=(g - z * se_g, g + z * se_g))


def _pain_vs_form_notes(comparisons: Sequence[PainFormComparison], split: _Split,
                        need: int) -> list[str]:
    reported = [c for c in comparisons if c.status is TrendStatus.OK]
    if not reported:
        reason = _shortfall(len(split.painful), len(split.pain_free), need)
        if reason is None:  # enough runs, but no metric both groups carry
            reason = "no metric is carried by enough runs in both groups"
        return [f"Painful and pain-free runs cannot be compared yet: {reason}."]
    notes = [
        "A difference between painful and pain-free runs is an association across your runs: "
        "it cannot tell whether form brings on pain, pain changes form, or something else "
        "(pace, distance, fatigue, terrain) affects both.",
        "The intervals treat runs as independent; runs close in time are alike, so the true "
        "uncertainty is somewhat larger.",
    ]
    if len(reported) > 1:
        notes.append(f"{len(reported)} metrics are compared: about 1 interval in 20 excludes 0 "
                     "by chance alone, so a single interval just clear of 0 is weak evidence.")
    speed = next((c for c in reported if c.metric == "speed_mps"), None)
    if speed is not None and speed.ci95 is not None and (speed.ci95[0] > 0 or speed.ci95[1] < 0):
        notes.append("Painful and pain-free runs differ in speed; cadence, ground contact time "
                     "and step length change with speed, so part of their differences may be "
                     "pace rather than form.")
    return notes


# ---------------------------------------------------------------- d) pain onset vs drift


def _onset_vs_drift(split: _Split) -> OnsetSummary:
    with_onset = [r for r in split.painful if _pain_onset(split.pains[r.run_id]) != (None, None)]
    comparisons: list[OnsetComparison] = []
    run_orders: list[OnsetOrder] = []
    for run in with_onset:
        pain_min, pain_km = _pain_onset(split.pains[run.run_id])
        mine = [c for key in order_metrics(run.drift)
                if (c := _onset_comparison(run, key, pain_min, pain_km)) is not None]
        comparisons.extend(mine)
        if mine:
            run_orders.append(_run_order(mine))
    n = len(run_orders)
    n_first = run_orders.count(OnsetOrder.FORM_FIRST)
    frac, ci95 = _share(n_first, n)
    reason = None if n >= MIN_ONSET_RUNS else (
        f"{_plural(n, 'painful run')} with both a pain onset and a significant form drift so "
        f"far; {MIN_ONSET_RUNS} needed")
    return OnsetSummary(
        status=TrendStatus.OK if reason is None else TrendStatus.NOT_ENOUGH_DATA, reason=reason,
        n_painful_runs=len(split.painful), n_with_pain_onset=len(with_onset), n_runs=n,
        n_form_first=n_first, n_same_time=run_orders.count(OnsetOrder.SAME_TIME),
        n_pain_first=run_orders.count(OnsetOrder.PAIN_FIRST), form_first_frac=frac,
        form_first_ci95=ci95, by_metric=_onset_counts(comparisons),
        comparisons=tuple(comparisons))


def _pain_onset(entries: Sequence[PainPoint]) -> tuple[float | None, float | None]:
    """The earliest logged onset of the run's painful entries, in minutes and in km."""
    minutes = [p.onset_min for p in entries if p.onset_min is not None]
    kms = [p.onset_km for p in entries if p.onset_km is not None]
    return (min(minutes) if minutes else None, min(kms) if kms else None)


def _onset_comparison(run: RunPoint, metric: str, pain_min: float | None,
                      pain_km: float | None) -> OnsetComparison | None:
    drift = _significant_onset(run, metric)
    if drift is None:
        return None
    drift_min = None if drift.onset_s is None else drift.onset_s / 60.0
    drift_km = None if drift.onset_m is None else drift.onset_m / 1000.0
    lead_min = None if pain_min is None or drift_min is None else pain_min - drift_min
    lead_km = None if pain_km is None or drift_km is None else pain_km - drift_km
    if lead_min is not None:
        order = _order(lead_min, SAME_TIME_MIN)
    elif lead_km is not None:
        order = _order(lead_km, SAME_TIME_KM)
    else:
        return None  # pain onset in minutes, drift onset in metres only (or the reverse)
    return OnsetComparison(run_id=run.run_id, metric=metric, pain_onset_min=pain_min,
                           pain_onset_km=pain_km, drift_onset_min=drift_min,
                           drift_onset_km=drift_km, pain_minus_drift_min=lead_min,
                           pain_minus_drift_km=lead_km, order=order)


def _order(lead: float, same_time: float) -> OnsetOrder:
    if abs(lead) < same_time:
        return OnsetOrder.SAME_TIME
    return OnsetOrder.FORM_FIRST if lead > 0 else OnsetOrder.PAIN_FIRST


def _run_order(comparisons: Sequence[OnsetComparison]) -> OnsetOrder:
    """A run's order is that of its earliest drift: form first if any metric drifted first."""
    orders = {c.order for c in comparisons}
    for order in (OnsetOrder.FORM_FIRST, OnsetOrder.SAME_TIME):
        if order in orders:
            return order
    return OnsetOrder.PAIN_FIRST


def _share(k: int, n: int) -> tuple[float | None, tuple[float, float] | None]:
    if n < MIN_ONSET_RUNS:
        return None, None
    ci = stats.binomtest(k, n).proportion_ci(confidence_level=CONFIDENCE, method="exact")
    return k / n, (float(ci.low), float(ci.high))


def _onset_counts(comparisons: Sequence[OnsetComparison]) -> tuple[OnsetCounts, ...]:
    out = []
    for key in order_metrics(c.metric for c in comparisons):
        orders = [c.order for c in comparisons if c.metric == key]
        out.append(OnsetCounts(metric=key, n_runs=len(orders),
                               n_form_first=orders.count(OnsetOrder.FORM_FIRST),
                               n_same_time=orders.count(OnsetOrder.SAME_TIME),
                               n_pain_first=orders.count(OnsetOrder.PAIN_FIRST)))
    return tuple(out)


def _onset_notes(summary: OnsetSummary) -> list[str]:
    if summary.n_painful_runs == 0:
        return []
    if summary.n_runs == 0:
        return ["No painful run has both a logged pain onset (minutes or km into the run) and a "
                "significant form drift, so their timing cannot be compared yet."]
    counted = (f"In {summary.n_form_first} of {_plural(summary.n_runs, 'painful run')}, form "
               f"drifted before the pain began (by more than {SAME_TIME_MIN:.0f} min or "
               f"{SAME_TIME_KM} km)")
    if summary.status is not TrendStatus.OK:
        return [f"{counted}: too few runs to tell a pattern from chance "
                f"({MIN_ONSET_RUNS} needed)."]
    return [f"{counted}. Form drifting first does not show that the drift brings on the pain: "
            "both can follow fatigue as a run goes on."]


@lru_cache(maxsize=1024)
def _t_quantile(df: float) -> float:
    """Two-sided 95 % t quantile; cached, since weekly tables ask for the same few df."""
    return float(stats.t.ppf(0.5 + CONFIDENCE / 2, df))
