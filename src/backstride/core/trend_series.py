"""The trends page's charts as data: one point per run, over the last 12 months of runs.

Pure, like ``core.history``: the same runs, pain entries and plan always give the same series.
Four series (docs/trends.md, "Charts"):

- **cadence per run** against the plan's cadence steps: each step's target and the watch's
  alert range (target ± 2 spm) over the step's dates; a run outside the runner's pace band
  (DOMAIN.md §4.1) is marked, since cadence rises with speed;
- **pain per run** (0-10): the highest ``during``/``after_run`` entry linked to the run, with
  the earliest onset logged (minute or km into the run);
- **drift onsets**: when in each run form started to drift (significant drifts only, DOMAIN.md
  §3.7: changes below noise are not claimed), by metric, next to the pain onsets;
- **each form metric per run** with the run's own 95 % interval and a noise band. DOMAIN.md
  gives measurement noise only for 2D video angles and video vertical oscillation (§3.6-3.7),
  none for the watch metrics charted here, so every band here is a labelled heuristic [D]:
  the median ± 1.96 sd of the runner's own reference runs (the 10 runs before the plan's
  start, else the first 10 runs charted). A run outside it differs from those runs by more
  than their usual run-to-run spread; a run inside it shows no change that can be told from
  noise.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from statistics import median
from typing import Final

import numpy as np

from backstride.core.history import (
    DRIFT_ONSET_METRICS,
    RUN_PAIN_KINDS,
    PainPoint,
    RunPoint,
    _in_band,
    _pace_band,
    _significant_onset,
)

SERIES_DAYS: Final = 365  # the charts show the 12 months up to the latest run [D]
FORM_METRICS: Final = ("cadence_spm", "ground_contact_time_s", "vertical_oscillation_m",
                       "vertical_ratio_frac", "step_length_m", "gct_imbalance_frac")
"""Core names charted one per chart, in this order (those the runs carry)."""
REFERENCE_RUNS: Final = 10  # runs a noise band is taken from [D]
MIN_REFERENCE_RUNS: Final = 5  # fewer: no band [D]
BAND_Z: Final = 1.96  # median ± 1.96 sd of the reference runs [D]
ALERT_HALF_RANGE_SPM: Final = 2.0  # the plan's watch alert range when a step gives none
DOMAIN_NOISE: Final[Mapping[str, tuple[float, str]]] = {}
"""Published measurement noise (half-width, source) by core name; DOMAIN.md gives none for the
watch metrics, so it is empty and every band is a heuristic (see ``NoiseBand.heuristic``)."""


@dataclass(frozen=True, slots=True, kw_only=True)
class StepBand:
    """One cadence step of the plan, placed in time."""

    step: int  # 1, 2, ...
    start: date
    end: date  # inclusive
    target_spm: float
    low_spm: float  # the watch's alert range
    high_spm: float


@dataclass(frozen=True, slots=True, kw_only=True)
class CadenceRun:
    run_id: int
    day: date
    cadence_spm: float
    in_pace_band: bool | None  # None: no plan, so no pace band to compare in
    step: int | None  # the plan's step on that day
    in_alert_range: bool | None  # None outside the steps


@dataclass(frozen=True, slots=True, kw_only=True)
class CadenceSeries:
    runs: tuple[CadenceRun, ...]
    steps: tuple[StepBand, ...]
    pace_band_mps: tuple[float, float] | None


@dataclass(frozen=True, slots=True, kw_only=True)
class PainRun:
    """A run's pain: the highest during/after-run score linked to it, the earliest onset."""

    run_id: int
    day: date
    score: int  # 0-10
    onset_min: float | None
    onset_km: float | None


@dataclass(frozen=True, slots=True, kw_only=True)
class OnsetPoint:
    """When in a run one metric started to drift (a significant drift only)."""

    run_id: int
    day: date
    metric: str  # core name
    onset_min: float | None
    onset_km: float | None
    change_frac: float  # last third vs first third


@dataclass(frozen=True, slots=True, kw_only=True)
class NoiseBand:
    centre: float  # SI, the metric's unit
    low: float
    high: float
    heuristic: bool  # True unless DOMAIN.md gives the metric's measurement noise
    basis: str  # one sentence: where the band comes from


@dataclass(frozen=True, slots=True, kw_only=True)
class MetricRun:
    run_id: int
    day: date
    value: float  # SI
    ci95: tuple[float, float] | None  # the run's own bootstrap interval


@dataclass(frozen=True, slots=True, kw_only=True)
class MetricSeries:
    metric: str  # core name
    runs: tuple[MetricRun, ...]
    band: NoiseBand | None  # None with fewer than MIN_REFERENCE_RUNS reference runs
    band_note: str | None  # why there is no band
    n_above: int  # runs above the band (0 without a band)
    n_below: int


@dataclass(frozen=True, slots=True, kw_only=True)
class TrendSeries:
    first_day: date | None  # of the charted window (None: no runs)
    last_day: date | None
    n_runs: int  # runs in the window
    cadence: CadenceSeries
    pain: tuple[PainRun, ...]
    drift_onsets: tuple[OnsetPoint, ...]
    metrics: tuple[MetricSeries, ...]


def build_series(runs: Sequence[RunPoint], pains: Sequence[PainPoint], *,
                 steps: Sequence[tuple[int, int, float, float, float]] = (),
                 plan_start: date | None = None, days: int = SERIES_DAYS) -> TrendSeries:
    """The charts' series over the ``days`` up to the latest run.

    ``steps`` are the plan's cadence steps as ``(week, weeks, target_spm, low_spm, high_spm)``
    (the last two: the watch's alert range) and ``plan_start`` the date of its week 1."""
    ordered = sorted(runs, key=lambda r: (r.start_utc, r.run_id))
    if not ordered:
        return TrendSeries(first_day=None, last_day=None, n_runs=0,
                           cadence=CadenceSeries(runs=(), steps=(), pace_band_mps=None),
                           pain=(), drift_onsets=(), metrics=())
    last = ordered[-1].day
    first = last - timedelta(days=days - 1)
    shown = [r for r in ordered if r.day >= first]
    return TrendSeries(
        first_day=shown[0].day, last_day=last, n_runs=len(shown),
        cadence=_cadence(ordered, shown, steps, plan_start),
        pain=_pain(shown, pains), drift_onsets=_onsets(shown),
        metrics=tuple(_metric(key, ordered, shown, plan_start) for key in FORM_METRICS
                      if any(key in r.metrics for r in shown)))


def step_bands(steps: Sequence[tuple[int, int, float, float, float]],
               plan_start: date) -> tuple[StepBand, ...]:
    out = []
    for number, (week, weeks, target, low, high) in enumerate(sorted(steps), start=1):
        start = plan_start + timedelta(weeks=week - 1)
        out.append(StepBand(step=number, start=start,
                            end=start + timedelta(weeks=weeks) - timedelta(days=1),
                            target_spm=float(target), low_spm=float(low), high_spm=float(high)))
    return tuple(out)


def _cadence(ordered: Sequence[RunPoint], shown: Sequence[RunPoint],
             steps: Sequence[tuple[int, int, float, float, float]],
             plan_start: date | None) -> CadenceSeries:
    bands = step_bands(steps, plan_start) if plan_start is not None else ()
    pace = _pace_band(ordered, plan_start)[0] if plan_start is not None and bands else None
    out = []
    for run in shown:
        if "cadence_spm" not in run.metrics:
            continue
        value = run.metrics["cadence_spm"]
        step = next((b for b in bands if b.start <= run.day <= b.end), None)
        out.append(CadenceRun(
            run_id=run.run_id, day=run.day, cadence_spm=value,
            in_pace_band=_in_band(run, pace) if bands else None,
            step=None if step is None else step.step,
            in_alert_range=None if step is None else step.low_spm <= value <= step.high_spm))
    return CadenceSeries(runs=tuple(out), steps=bands, pace_band_mps=pace)


def _pain(shown: Sequence[RunPoint], pains: Sequence[PainPoint]) -> tuple[PainRun, ...]:
    linked: dict[int, list[PainPoint]] = defaultdict(list)
    for entry in pains:
        if entry.run_id is not None and entry.kind in RUN_PAIN_KINDS:
            linked[entry.run_id].append(entry)
    out = []
    for run in shown:
        entries = linked.get(run.run_id)
        if not entries:
            continue
        minutes = [p.onset_min for p in entries if p.onset_min is not None]
        kms = [p.onset_km for p in entries if p.onset_km is not None]
        out.append(PainRun(run_id=run.run_id, day=run.day, score=max(p.score for p in entries),
                           onset_min=min(minutes) if minutes else None,
                           onset_km=min(kms) if kms else None))
    return tuple(out)


def _onsets(shown: Sequence[RunPoint]) -> tuple[OnsetPoint, ...]:
    out = []
    for run in shown:
        for metric in DRIFT_ONSET_METRICS:
            drift = _significant_onset(run, metric)
            if drift is None:
                continue
            out.append(OnsetPoint(
                run_id=run.run_id, day=run.day, metric=metric,
                onset_min=None if drift.onset_s is None else drift.onset_s / 60.0,
                onset_km=None if drift.onset_m is None else drift.onset_m / 1000.0,
                change_frac=drift.change_frac))
    return tuple(out)


def _metric(key: str, ordered: Sequence[RunPoint], shown: Sequence[RunPoint],
            plan_start: date | None) -> MetricSeries:
    points = tuple(MetricRun(run_id=r.run_id, day=r.day, value=r.metrics[key],
                             ci95=r.ci95.get(key)) for r in shown if key in r.metrics)
    band, note = noise_band(key, ordered, shown, plan_start)
    above = below = 0
    if band is not None:
        above = sum(p.value > band.high for p in points)
        below = sum(p.value < band.low for p in points)
    return MetricSeries(metric=key, runs=points, band=band, band_note=note, n_above=above,
                        n_below=below)


def noise_band(key: str, ordered: Sequence[RunPoint], shown: Sequence[RunPoint],
               plan_start: date | None) -> tuple[NoiseBand | None, str | None]:
    """The band a run must leave before it counts as a change (see the module's docstring)."""
    before = ([r for r in ordered if r.day < plan_start and key in r.metrics]
              if plan_start is not None else [])
    if len(before) >= MIN_REFERENCE_RUNS:
        reference = before[-REFERENCE_RUNS:]
        where = "before your plan's start"
    else:
        reference = [r for r in shown if key in r.metrics][:REFERENCE_RUNS]
        where = "first charted"
    if len(reference) < MIN_REFERENCE_RUNS:
        return None, (f"No noise band yet: {len(reference)} run(s) with this metric; "
                      f"{MIN_REFERENCE_RUNS} are needed.")
    values = np.array([r.metrics[key] for r in reference], dtype=np.float64)
    centre = float(median(values.tolist()))
    dates = f"{reference[0].day.isoformat()} to {reference[-1].day.isoformat()}"
    published = DOMAIN_NOISE.get(key)
    if published is not None:
        half, source = published
        return NoiseBand(centre=centre, low=centre - half, high=centre + half, heuristic=False,
                         basis=f"measurement noise ± {half:g} ({source}) around the median of "
                               f"your {len(reference)} runs {where} ({dates})"), None
    half = BAND_Z * float(np.std(values, ddof=1))
    return NoiseBand(
        centre=centre, low=centre - half, high=centre + half, heuristic=True,
        basis=(f"Heuristic [D]: the median ± 1.96 sd of your {len(reference)} runs {where} "
               f"({dates}); DOMAIN.md gives no measurement noise for this watch metric, so "
               "the band is your own run-to-run spread, not a validated minimal detectable "
               "change.")), None
