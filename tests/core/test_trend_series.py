"""The trends charts' series (core.trend_series) and their figures (adapters.render.trend_charts),
on synthetic runs whose truth is known: cadence 150 + run number spm, one run every 2 days."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime, timedelta

import numpy as np
import pytest

from backstride.adapters.render.trend_charts import trend_charts
from backstride.core.history import DriftPoint, PainKind, PainPoint, RunPoint
from backstride.core.trend_series import BAND_Z, build_series

FIRST = datetime(2024, 3, 1, 7, 0, tzinfo=UTC)
PLAN_START = date(2024, 3, 13)  # run 6's day: runs 0-5 come before the plan
STEP = (1, 3, 160.0, 158.0, 162.0)  # week 1 for 3 weeks: target 160, alert 158-162


def _runs(n: int = 16) -> list[RunPoint]:
    out = []
    for i in range(n):
        gct = 0.250 - 0.001 * i
        out.append(RunPoint(
            run_id=i + 1, start_utc=FIRST + timedelta(days=2 * i), distance_m=5000.0,
            moving_time_s=1800.0,  # 2.78 m/s: every run in one pace band
            metrics={"cadence_spm": 150.0 + i, "ground_contact_time_s": gct},
            ci95={"ground_contact_time_s": (gct - 0.002, gct + 0.003)},
            drift={"cadence_spm": DriftPoint(onset_s=600.0 + 60 * i, onset_m=None,
                                             change_frac=-0.03, significant=i % 2 == 0),
                   "vertical_oscillation_m": DriftPoint(onset_s=None, onset_m=2500.0,
                                                        change_frac=0.05, significant=True)}))
    return out


def _pain(run_id: int | None, score: int, kind: PainKind = PainKind.DURING,
          onset_min: float | None = None, onset_km: float | None = None) -> PainPoint:
    return PainPoint(run_id=run_id, recorded_on=date(2024, 3, 1), kind=kind, score=score,
                     onset_min=onset_min, onset_km=onset_km)


def test_cadence_points_and_the_plan_steps() -> None:
    series = build_series(_runs(), [], steps=[STEP], plan_start=PLAN_START)
    cadence = series.cadence
    assert [r.cadence_spm for r in cadence.runs] == [150.0 + i for i in range(16)]
    (step,) = cadence.steps
    assert (step.start, step.end) == (PLAN_START, PLAN_START + timedelta(days=20))
    assert (step.target_spm, step.low_spm, step.high_spm) == (160.0, 158.0, 162.0)
    in_step = [r for r in cadence.runs if r.step == 1]
    # runs 6..16 fall on days 12..30 after the first; the step covers days 12..32
    assert [r.run_id for r in in_step] == list(range(7, 17))
    assert [r.cadence_spm for r in in_step if r.in_alert_range] == [158.0, 159.0, 160.0,
                                                                   161.0, 162.0]
    assert all(r.step is None and r.in_alert_range is None for r in cadence.runs[:6])
    assert all(r.in_pace_band for r in cadence.runs)


def test_noise_band_from_the_runs_before_the_plan() -> None:
    series = build_series(_runs(), [], steps=[STEP], plan_start=PLAN_START)
    (cadence,) = [m for m in series.metrics if m.metric == "cadence_spm"]
    before = np.arange(150.0, 156.0)  # runs 0-5, before the plan's start
    half = BAND_Z * float(np.std(before, ddof=1))
    assert cadence.band is not None and cadence.band.heuristic
    assert cadence.band.centre == pytest.approx(152.5)
    assert (cadence.band.low, cadence.band.high) == pytest.approx((152.5 - half, 152.5 + half))
    assert "Heuristic" in cadence.band.basis and "6 runs before your plan" in cadence.band.basis
    above = sum(v > 152.5 + half for v in 150.0 + np.arange(16))
    assert (cadence.n_above, cadence.n_below) == (above, 0)
    (gct,) = [m for m in series.metrics if m.metric == "ground_contact_time_s"]
    assert gct.runs[0].ci95 == pytest.approx((0.248, 0.253))


def test_noise_band_without_a_plan_and_with_too_few_runs() -> None:
    series = build_series(_runs(), [])
    (cadence,) = [m for m in series.metrics if m.metric == "cadence_spm"]
    assert cadence.band is not None and cadence.band.centre == pytest.approx(154.5)  # first 10
    assert "first charted" in cadence.band.basis
    few = build_series(_runs(4), [])
    assert all(m.band is None and "5 are needed" in (m.band_note or "") for m in few.metrics)
    assert not few.cadence.steps and all(r.in_pace_band is None for r in few.cadence.runs)


def test_pain_per_run_and_onsets() -> None:
    pains = [_pain(2, 2), _pain(2, 5, PainKind.AFTER_RUN, onset_min=14.0),
             _pain(2, 4, onset_min=9.0, onset_km=1.6), _pain(3, 0),
             _pain(4, 8, PainKind.NEXT_MORNING), _pain(None, 6), _pain(99, 7)]
    series = build_series(_runs(), pains)
    assert [(p.run_id, p.score, p.onset_min, p.onset_km) for p in series.pain] == [
        (2, 5, 9.0, 1.6), (3, 0, None, None)]  # next-morning, unlinked and unknown left out
    onsets = series.drift_onsets
    # cadence drifts significant on even runs only; VO by distance only
    assert [o.run_id for o in onsets if o.metric == "cadence_spm"] == list(range(1, 17, 2))
    assert onsets[0].onset_min == pytest.approx(10.0)
    vo = [o for o in onsets if o.metric == "vertical_oscillation_m"]
    assert len(vo) == 16 and all(o.onset_min is None and o.onset_km == 2.5 for o in vo)


def test_the_window_is_the_last_12_months() -> None:
    old = RunPoint(run_id=100, start_utc=FIRST - timedelta(days=400), distance_m=5000.0,
                   moving_time_s=1800.0, metrics={"cadence_spm": 140.0})
    series = build_series([old, *_runs()], [])
    assert series.n_runs == 16 and series.first_day == FIRST.date()
    assert build_series([], []).n_runs == 0 and trend_charts(build_series([], [])) == []


def test_charts_carry_the_points_the_band_and_words() -> None:
    pains = [_pain(2, 5, onset_min=9.0), _pain(5, 1)]
    charts = {c["id"]: c for c in trend_charts(build_series(_runs(), pains, steps=[STEP],
                                                            plan_start=PLAN_START))}
    assert list(charts) == ["trend-cadence", "trend-pain", "trend-onsets",
                            "trend-ground-contact-time-s"]
    cadence = charts["trend-cadence"]
    traces = {t["name"]: t for t in cadence["figure"]["data"]}
    assert traces["run"]["y"] == [150.0 + i for i in range(16)]
    assert traces["step target"]["y"] == [160.0, 160.0]
    assert traces["step target"]["x"] == ["2024-03-13", "2024-04-03"]
    assert min(traces["watch alert range"]["y"]) == 158.0
    assert max(traces["watch alert range"]["y"]) == 162.0
    assert "noise band (heuristic)" in traces and cadence["heuristic"]
    assert "5 of 10 runs in your pace band inside it" in cadence["caption"]
    gct = {t["name"]: t for t in charts["trend-ground-contact-time-s"]["figure"]["data"]}
    assert gct["run (95 % interval)"]["y"][0] == pytest.approx(250.0)  # ms, the contract unit
    assert gct["run (95 % interval)"]["error_y"]["array"][0] == pytest.approx(3.0)
    assert gct["run (95 % interval)"]["error_y"]["arrayminus"][0] == pytest.approx(2.0)
    assert "ms" in charts["trend-ground-contact-time-s"]["caption"]
    pain = charts["trend-pain"]
    assert pain["figure"]["data"][0]["y"] == [5, 1]
    assert "Highest 5/10" in pain["caption"] and "began at 9 min" in pain["caption"]
    onsets = {t["name"]: t for t in charts["trend-onsets"]["figure"]["data"]}
    assert onsets["pain began"]["y"] == [9.0]
    assert onsets["Cadence drift"]["y"][:2] == [10.0, 12.0]
    assert "16 drift onset(s) known by distance only" in charts["trend-onsets"]["caption"]
    for chart in charts.values():  # the responsive layout: no fixed width, legend above
        layout = chart["figure"]["layout"]
        assert "width" not in layout and layout["autosize"] and layout["legend"]["y"] > 1
        json.dumps(chart)  # plain JSON


def test_charts_say_why_when_there_is_nothing_to_draw() -> None:
    runs = [RunPoint(run_id=i, start_utc=FIRST + timedelta(days=i), distance_m=None,
                     moving_time_s=600.0, metrics={"ground_contact_time_s": 0.25})
            for i in range(3)]
    charts = {c["id"]: c for c in trend_charts(build_series(runs, []))}
    assert charts["trend-cadence"]["figure"] is None
    assert "has a cadence" in charts["trend-cadence"]["caption"]
    assert charts["trend-pain"]["figure"] is None
    assert "pain diary" in charts["trend-pain"]["caption"]
    assert charts["trend-ground-contact-time-s"]["note"].startswith("No noise band yet")
