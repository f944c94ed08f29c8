"""Trends over the run history, on synthetic runs whose truth is known."""

from __future__ import annotations

import json
import random
from collections.abc import Mapping
from dataclasses import replace
from datetime import UTC, date, datetime, timedelta

import numpy as np
import pytest
from scipy import stats

from backstride.adapters.render.trends_json import SCHEMA, trends_json, trends_text
from backstride.core.history import (
    DriftPoint,
    OnsetOrder,
    PainKind,
    PainPoint,
    RunPoint,
    StepStatus,
    TrendStatus,
    build_trends,
    welch_difference,
)

MONDAY = datetime(2024, 4, 29, 7, 0, tzinfo=UTC)  # ISO 2024-W18


def _run(run_id: int, when: datetime, *, distance_m: float | None = 10_000.0,
         moving_time_s: float = 3600.0, drift: Mapping[str, DriftPoint] | None = None,
         **metrics: float) -> RunPoint:
    return RunPoint(run_id=run_id, start_utc=when, distance_m=distance_m,
                    moving_time_s=moving_time_s, metrics=metrics, drift=drift or {})


def _pain(run_id: int | None, score: int, *, kind: PainKind = PainKind.DURING,
          onset_min: float | None = None, onset_km: float | None = None) -> PainPoint:
    return PainPoint(run_id=run_id, recorded_on=date(2024, 5, 1), kind=kind, score=score,
                     onset_min=onset_min, onset_km=onset_km)


def _drift(onset_s: float | None, onset_m: float | None = None, *,
           significant: bool = True) -> DriftPoint:
    return DriftPoint(onset_s=onset_s, onset_m=onset_m, change_frac=-0.04,
                      significant=significant)


def _cohort(n_painful: int, n_free: int, *, effect_spm: float = -5.0,
            seed: int = 7) -> tuple[list[RunPoint], list[PainPoint]]:
    """Painful runs' cadence is ``effect_spm`` below the pain-free runs' (160 spm): the noise
    (sd 2 spm) is centred within each group, so the sample difference is exactly the effect.
    GCT has the same mean (250 ms) in both groups."""
    rng = np.random.default_rng(seed)
    noise = [rng.normal(0.0, 2.0, n) for n in (n_painful, n_free)]
    cadence = np.concatenate([160.0 + effect_spm + noise[0] - noise[0].mean(),
                              160.0 + noise[1] - noise[1].mean()])
    runs, pains = [], []
    for i in range(n_painful + n_free):
        painful = i < n_painful
        runs.append(_run(i + 1, MONDAY + timedelta(days=2 * i), cadence_spm=float(cadence[i]),
                         ground_contact_time_s=0.250 + (0.008 if i % 2 else -0.008),
                         speed_mps=3.0 + 0.05 * (i % 3)))
        pains.append(_pain(i + 1, 5 if painful else 1,
                           kind=PainKind.DURING if i % 2 else PainKind.AFTER_RUN))
    return runs, pains


def _all_text(trends_notes: tuple[str, ...], text: str) -> str:
    return " ".join(trends_notes) + text


# ---------------------------------------------------------------- weekly


def test_weekly_means_sds_and_onsets_are_exact() -> None:
    sunday_late = datetime(2024, 5, 5, 23, 30, tzinfo=UTC)  # still W18
    runs = [
        _run(1, MONDAY, cadence_spm=160.0, drift={"cadence_spm": _drift(1800.0)}),
        _run(2, MONDAY + timedelta(days=2), cadence_spm=162.0, vertical_oscillation_m=0.090,
             drift={"cadence_spm": _drift(2400.0)}),
        _run(3, sunday_late, distance_m=None, cadence_spm=164.0,
             drift={"cadence_spm": _drift(600.0, significant=False)}),
        _run(4, MONDAY + timedelta(days=7), cadence_spm=170.0),  # W19
    ]
    trends = build_trends(runs, [])
    w18, w19 = trends.weekly
    assert (w18.week_start, w18.iso_year, w18.iso_week, w18.n_runs) == (date(2024, 4, 29),
                                                                        2024, 18, 3)
    assert w18.distance_m == 20_000.0 and w18.moving_time_s == 3 * 3600.0
    cadence = {m.metric: m for m in w18.metrics}["cadence_spm"]
    assert cadence.n_runs == 3 and cadence.mean == pytest.approx(162.0, abs=1e-12)
    assert cadence.sd == pytest.approx(2.0, abs=1e-12)
    half = stats.t.ppf(0.975, 2) * 2.0 / np.sqrt(3)
    assert cadence.ci95 == pytest.approx((162.0 - half, 162.0 + half))
    # the non-significant drift is below noise and not counted
    assert cadence.n_drift_onsets == 2 and cadence.drift_onset_median_min == 35.0
    vo = {m.metric: m for m in w18.metrics}["vertical_oscillation_m"]
    assert (vo.n_runs, vo.mean, vo.sd, vo.ci95) == (1, 0.090, None, None)
    assert [m.metric for m in w18.metrics] == ["cadence_spm", "vertical_oscillation_m"]
    assert w19.iso_week == 19 and w19.metrics[0].mean == 170.0


# ---------------------------------------------------------------- cadence steps


PLAN_START = date(2024, 5, 6)
STEPS = ((1, 3, 164.0), (4, 3, 172.0), (7, 3, 176.0))


def _step_runs(step1: list[float], step2: list[float]) -> list[RunPoint]:
    base = datetime(2024, 5, 6, 7, 0, tzinfo=UTC)
    runs = [_run(100 + i, base - timedelta(days=3 + 4 * i), cadence_spm=156.0, speed_mps=3.0)
            for i in range(4)]  # the baseline weeks fix the pace band at 2.7–3.3 m/s
    runs += [_run(200 + i, base + timedelta(days=2 + 4 * i), cadence_spm=c, speed_mps=3.05)
             for i, c in enumerate(step1)]
    runs += [_run(300 + i, base + timedelta(days=22 + 4 * i), cadence_spm=c, speed_mps=2.95)
             for i, c in enumerate(step2)]
    runs.append(_run(400, base + timedelta(days=5), cadence_spm=175.0, speed_mps=3.8))  # fast
    return runs


def test_cadence_step_reached_on_three_runs_within_two_percent() -> None:
    trends = build_trends(_step_runs([161.0, 162.5, 165.0], [165.0, 169.0]), [],
                          steps=STEPS, plan_start=PLAN_START)
    first, second, third = trends.cadence_steps
    assert (first.start, first.end) == (date(2024, 5, 6), date(2024, 5, 26))
    assert first.pace_band_mps == pytest.approx((2.7, 3.3))
    assert (first.n_runs, first.n_in_band, first.n_at_target) == (4, 3, 3)  # fast run left out
    assert first.median_cadence_spm == 162.5 and first.status is StepStatus.REACHED
    assert second.start == date(2024, 5, 27)
    assert (second.n_in_band, second.n_at_target) == (2, 1)  # 165 is > 2 % below 172
    assert second.status is StepStatus.NOT_YET and "3 needed" in second.reason
    assert third.status is StepStatus.NO_RUNS and third.median_cadence_spm is None
    assert any("pace band" in note for note in trends.notes)


def test_two_runs_within_two_percent_are_not_yet_enough() -> None:
    trends = build_trends(_step_runs([161.0, 163.0, 159.0], []), [], steps=STEPS[:1],
                          plan_start=PLAN_START)
    assert trends.cadence_steps[0].status is StepStatus.NOT_YET
    assert trends.cadence_steps[0].n_at_target == 2  # 159 < 0.98 x 164 = 160.72


def test_steps_without_a_plan_start_say_so() -> None:
    trends = build_trends(_step_runs([164.0] * 3, []), [], steps=STEPS)
    assert trends.cadence_steps == ()
    assert any("start date was not given" in note for note in trends.notes)


# ---------------------------------------------------------------- pain vs form


def test_planted_cadence_effect_is_recovered_with_an_interval() -> None:
    runs, pains = _cohort(8, 12)
    trends = build_trends(runs, pains)
    by_metric = {c.metric: c for c in trends.pain_vs_form}
    cadence = by_metric["cadence_spm"]
    assert cadence.status is TrendStatus.OK and cadence.reason is None
    assert (cadence.n_painful, cadence.n_pain_free) == (8, 12)
    assert cadence.difference == pytest.approx(-5.0, abs=1e-9)
    assert cadence.ci95 is not None and cadence.ci95[1] < 0  # excludes 0
    assert cadence.ci95[0] < -5.0 < cadence.ci95[1]
    assert cadence.hedges_g is not None and cadence.hedges_g < -1.0
    # the Welch interval agrees with scipy's
    painful = [r.metrics["cadence_spm"] for r in runs[:8]]
    free = [r.metrics["cadence_spm"] for r in runs[8:]]
    ref = stats.ttest_ind(painful, free, equal_var=False).confidence_interval(0.95)
    assert cadence.ci95 == pytest.approx((ref.low, ref.high), rel=1e-9)
    gct = by_metric["ground_contact_time_s"]
    assert gct.difference == pytest.approx(0.0, abs=1e-9)  # no planted effect
    assert gct.ci95 is not None and gct.ci95[0] < 0 < gct.ci95[1]
    assert any("association" in note for note in trends.notes)


def test_three_painful_runs_are_not_enough_data_with_the_reason() -> None:
    runs, pains = _cohort(3, 12)
    trends = build_trends(runs, pains)
    for c in trends.pain_vs_form:
        assert c.status is TrendStatus.NOT_ENOUGH_DATA
        assert c.reason == "3 painful runs so far; 5 needed"
        assert c.difference is None and c.ci95 is None and c.mean_painful is None
    assert ("Painful and pain-free runs cannot be compared yet: 3 painful runs so far; "
            "5 needed.") in trends.notes
    assert "not enough data: 3 painful runs so far" in trends_text(trends)


def test_both_groups_short_are_named_together() -> None:
    runs, pains = _cohort(1, 2)
    assert build_trends(runs, pains).pain_vs_form[0].reason == (
        "1 painful run and 2 pain-free runs so far; 5 of each needed")


def test_runs_without_a_pain_entry_are_not_counted_pain_free() -> None:
    runs, pains = _cohort(8, 12)
    kept = [p for p in pains if p.run_id is not None and p.run_id <= 12]  # 4 pain-free logged
    kept.append(_pain(15, 6, kind=PainKind.NEXT_MORNING))  # not during or after the run
    kept.append(_pain(None, 6))  # not linked to a run
    trends = build_trends(runs, kept)
    cadence = trends.pain_vs_form[0]
    assert (cadence.n_painful, cadence.n_pain_free) == (8, 4)
    assert cadence.reason == "4 pain-free runs so far; 5 needed"
    assert any(note.startswith("8 runs without a pain entry") for note in trends.notes)
    assert any(note.startswith("1 pain entry for during or after a run is not linked")
               for note in trends.notes)


def test_pain_threshold_is_a_parameter() -> None:
    runs, pains = _cohort(8, 12)
    trends = build_trends(runs, pains, pain_threshold=6)  # score 5 is no longer painful
    assert trends.pain_vs_form[0].n_painful == 0
    assert trends.methods["pain_threshold"] == 6


def test_no_spread_gives_a_point_difference_and_no_effect_size() -> None:
    same = welch_difference(np.full(5, 160.0), np.full(6, 158.0))
    assert same.difference == 2.0 and same.ci95 == (2.0, 2.0) and same.hedges_g is None
    with pytest.raises(ValueError, match="at least 2"):
        welch_difference(np.array([1.0]), np.array([1.0, 2.0]))


# ---------------------------------------------------------------- pain onset vs drift


def _onset_cohort(extra: int = 0) -> tuple[list[RunPoint], list[PainPoint]]:
    when = [MONDAY + timedelta(days=i) for i in range(6 + extra)]
    runs = [
        # pain at 40 min, cadence drifted at 30 min: form first by 10 min
        _run(1, when[0], cadence_spm=158.0, drift={"cadence_spm": _drift(1800.0, 5400.0)}),
        # pain at 20 min, GCT drifted at 25 min: pain first
        _run(2, when[1], cadence_spm=158.0,
             drift={"ground_contact_time_s": _drift(1500.0, 4500.0)}),
        # pain at 31 min, drift at 30 min: same time within 3 min
        _run(3, when[2], cadence_spm=158.0, drift={"cadence_spm": _drift(1800.0)}),
        # pain at km 8, drift at 6 km (no minutes logged): form first by 2 km
        _run(4, when[3], cadence_spm=158.0,
             drift={"vertical_oscillation_m": _drift(2000.0, 6000.0)}),
        # only a non-significant drift: not compared
        _run(5, when[4], cadence_spm=158.0,
             drift={"cadence_spm": _drift(600.0, significant=False)}),
        # painful without an onset: not compared
        _run(6, when[5], cadence_spm=158.0, drift={"cadence_spm": _drift(600.0)}),
    ]
    pains = [_pain(1, 6, onset_min=40.0), _pain(2, 4, onset_min=20.0),
             _pain(3, 5, onset_min=31.0), _pain(4, 7, onset_km=8.0),
             _pain(5, 5, onset_min=10.0), _pain(6, 5, kind=PainKind.AFTER_RUN)]
    for i in range(extra):  # more runs where cadence drifted 15 min before the pain
        runs.append(_run(7 + i, when[6 + i], cadence_spm=158.0,
                         drift={"cadence_spm": _drift(1200.0)}))
        pains.append(_pain(7 + i, 5, onset_min=35.0))
    return runs, pains


def test_pain_onset_against_known_drift_onsets() -> None:
    runs, pains = _onset_cohort()
    summary = build_trends(runs, pains).pain_onset_vs_drift
    by_run = {c.run_id: c for c in summary.comparisons}
    assert set(by_run) == {1, 2, 3, 4}
    assert by_run[1].pain_minus_drift_min == pytest.approx(10.0)
    assert by_run[1].drift_onset_km == pytest.approx(5.4)
    assert by_run[1].order is OnsetOrder.FORM_FIRST
    assert by_run[2].metric == "ground_contact_time_s"
    assert by_run[2].pain_minus_drift_min == pytest.approx(-5.0)
    assert by_run[2].order is OnsetOrder.PAIN_FIRST
    assert by_run[3].order is OnsetOrder.SAME_TIME
    assert by_run[4].pain_minus_drift_min is None
    assert by_run[4].pain_minus_drift_km == pytest.approx(2.0)
    assert by_run[4].order is OnsetOrder.FORM_FIRST
    assert (summary.n_painful_runs, summary.n_with_pain_onset, summary.n_runs) == (6, 5, 4)
    assert (summary.n_form_first, summary.n_same_time, summary.n_pain_first) == (2, 1, 1)
    assert summary.status is TrendStatus.NOT_ENOUGH_DATA and summary.form_first_frac is None
    assert summary.reason is not None and "5 needed" in summary.reason
    cadence = {c.metric: c for c in summary.by_metric}["cadence_spm"]
    assert (cadence.n_runs, cadence.n_form_first, cadence.n_same_time) == (2, 1, 1)


def test_onset_share_from_five_runs_carries_an_interval() -> None:
    runs, pains = _onset_cohort(extra=3)
    summary = build_trends(runs, pains).pain_onset_vs_drift
    assert (summary.n_runs, summary.n_form_first) == (7, 5)
    assert summary.status is TrendStatus.OK
    assert summary.form_first_frac == pytest.approx(5 / 7)
    ref = stats.binomtest(5, 7).proportion_ci(method="exact")
    assert summary.form_first_ci95 == pytest.approx((ref.low, ref.high))


# ---------------------------------------------------------------- edges, JSON, text


def test_no_runs_gives_empty_trends_with_a_note() -> None:
    trends = build_trends([], [])
    assert trends.weekly == () and trends.cadence_steps == () and trends.pain_vs_form == ()
    assert trends.pain_onset_vs_drift.n_runs == 0
    assert trends.notes == ("No runs in the history yet, so there are no trends to show.",)
    out = trends_json(trends)
    assert out["schema"] == SCHEMA == "backstride.trends/1"
    assert list(out)[:6] == ["schema", "weekly", "cadence_steps", "pain_vs_form",
                             "pain_onset_vs_drift", "notes"]
    assert "No runs" in trends_text(trends)


def test_json_names_units_and_is_deterministic() -> None:
    runs, pains = _cohort(8, 12)
    onset_runs, onset_pains = _onset_cohort(extra=3)
    runs += [replace(r, run_id=r.run_id + 1000) for r in onset_runs]
    pains += [replace(p, run_id=(p.run_id or 0) + 1000) for p in onset_pains]
    steps = ((1, 3, 164.0),)
    first = json.dumps(trends_json(build_trends(runs, pains, steps=steps,
                                                plan_start=date(2024, 5, 6))))
    shuffled_runs, shuffled_pains = runs[:], pains[:]
    random.Random(3).shuffle(shuffled_runs)
    random.Random(4).shuffle(shuffled_pains)
    second = json.dumps(trends_json(build_trends(shuffled_runs, shuffled_pains, steps=steps,
                                                 plan_start=date(2024, 5, 6))))
    assert first == second
    out = json.loads(first)
    assert out["weekly"][0]["week_start"] == "2024-04-29"
    assert out["weekly"][0]["iso_week"] == "2024-W18"
    assert set(out["weekly"][0]["metrics"]["cadence_spm"]) == {
        "n_runs", "mean", "sd", "ci95", "drift_onset_median_min", "n_drift_onsets"}
    step = out["cadence_steps"][0]
    assert {"target_spm", "median_cadence_spm", "pace_band_mps", "status"} <= set(step)
    assert out["pain_vs_form"][0]["metric"] == "cadence_spm"
    onset_run = out["pain_onset_vs_drift"]["runs"][0]
    assert {"pain_onset_min", "drift_onset_min", "pain_minus_drift_min",
            "pain_onset_km", "drift_onset_km", "order"} <= set(onset_run)


def test_text_table_and_wording() -> None:
    runs, pains = _cohort(8, 12)
    trends = build_trends(runs, pains)
    text = trends_text(trends)
    assert "Weekly means" in text and "2024-W18" in text and "cad spm" in text
    assert "Painful vs pain-free runs" in text and "(n=8)" in text and "(n=12)" in text
    assert "cause" not in _all_text(trends.notes, text).lower()
    onset_runs, onset_pains = _onset_cohort(extra=3)
    onset = build_trends(onset_runs, onset_pains)
    onset_text = trends_text(onset)
    assert "form drifted first in 5 of 7 painful runs" in onset_text
    assert "cause" not in _all_text(onset.notes, onset_text).lower()


def test_inputs_are_checked() -> None:
    with pytest.raises(ValueError, match="timezone-aware"):
        _run(1, datetime(2024, 5, 1, 7, 0))
    with pytest.raises(ValueError, match="not finite"):
        _run(1, MONDAY, cadence_spm=float("nan"))
    with pytest.raises(ValueError, match="outside 0-10"):
        _pain(1, 11)
    with pytest.raises(ValueError):
        PainPoint(run_id=1, recorded_on=date(2024, 5, 1), kind="sometimes",  # type: ignore[arg-type]
                  score=3)
    assert PainPoint(run_id=1, recorded_on=date(2024, 5, 1), kind="during",  # type: ignore[arg-type]
                     score=3).kind is PainKind.DURING
    with pytest.raises(ValueError, match="unique"):
        build_trends([_run(1, MONDAY), _run(1, MONDAY)], [])


def test_welch_interval_covers_the_true_difference_about_95_percent() -> None:
    rng = np.random.default_rng(11)
    hits = 0
    for _ in range(1000):
        a = rng.normal(155.0, 2.0, 8)
        b = rng.normal(160.0, 4.0, 12)  # unequal spreads: what Welch is for
        low, high = welch_difference(a, b).ci95
        hits += low <= -5.0 <= high
    assert 0.93 <= hits / 1000 <= 0.97


def test_the_core_works_in_si_and_the_json_in_contract_units() -> None:
    """Trends hold SI values under core names; backstride.trends/1 shows the contract's."""
    runs = [_run(1, MONDAY, cadence_spm=160.0, ground_contact_time_s=0.250,
                 vertical_oscillation_m=0.090),
            _run(2, MONDAY + timedelta(days=1), cadence_spm=162.0, ground_contact_time_s=0.260,
                 vertical_oscillation_m=0.094)]
    trends = build_trends(runs, [])
    gct = {m.metric: m for m in trends.weekly[0].metrics}["ground_contact_time_s"]
    assert gct.mean == pytest.approx(0.255)
    week = trends_json(trends)["weekly"][0]["metrics"]
    assert set(week) == {"cadence_spm", "ground_contact_time_ms", "vertical_oscillation_mm"}
    assert week["ground_contact_time_ms"]["mean"] == pytest.approx(255.0)
    assert week["ground_contact_time_ms"]["sd"] == pytest.approx(1000 * gct.sd)
    assert week["vertical_oscillation_mm"]["mean"] == pytest.approx(92.0)
    assert "GCT ms" in trends_text(trends) and "255" in trends_text(trends)
