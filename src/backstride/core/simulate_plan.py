"""Simulated runners who follow (or not) the dated plan, week by week (issue #14 item 8).

Closed loop and pure: each week the plan is made from what the runner logged so far
(core.plan.build_plan with core.adapt), the runner runs that week's planned runs, and the
runs and pain entries go back into the next plan. Known truth by construction:

- Cadence responds to the metronome: each week on a step the runner's unprompted cadence
  closes ``adherence`` of the gap to the step's target (0.9: adherent; 0.1: not), plus a
  little noise (sd 0.4 spm).
- Pain responds to load: pain during a run = the runner's pain level that week plus 1 point
  per 10 min above 20 min (rounded, 0–10); the pain level starts at ``pain_start`` and moves
  by ``pain_trend`` a week (negative: settling). Next morning the pain eases by 2 points,
  or not at all when ``morning_sticks``.
- ``missed_weeks`` are plan weeks without a run; from ``red_flag_week`` the triage is urgent
  (the plan is held, nothing is run) until a clearance ``cleared_after`` weeks later.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, timedelta

import numpy as np

from backstride.core.adapt import PainDone, RunDone
from backstride.core.plan import Baseline, Plan, build_plan
from backstride.core.schedule import Decision, run_on
from backstride.core.triage import Urgency


@dataclass(frozen=True, slots=True, kw_only=True)
class RunnerScript:
    name: str
    weeks: int = 10  # 8-12 weeks of history
    baseline_spm: float = 156.0
    adherence: float = 0.9
    pain_start: float = 2.0
    pain_trend: float = 0.0
    morning_sticks: bool = False
    missed_weeks: frozenset[int] = field(default_factory=frozenset)
    red_flag_week: int | None = None
    cleared_after: int = 2
    seed: int = 0


@dataclass(frozen=True, slots=True, kw_only=True)
class History:
    script: RunnerScript
    start: date
    runs: tuple[RunDone, ...]
    pains: tuple[PainDone, ...]
    plans: tuple[Plan, ...]  # the plan made at the start of each simulated week
    final: Plan  # the plan on the day after the last simulated week

    @property
    def decisions(self) -> tuple[Decision, ...]:
        return self.final.decisions


def simulate_runner(script: RunnerScript, *, start: date = date(2026, 1, 5)) -> History:
    rng = np.random.default_rng(script.seed)
    baseline = Baseline(cadence_spm=script.baseline_spm, basis="simulated")
    cadence = script.baseline_spm
    runs: list[RunDone] = []
    pains: list[PainDone] = []
    plans: list[Plan] = []
    history: tuple[Decision, ...] = ()
    red = script.red_flag_week
    for week in range(1, script.weeks + 1):
        today = start + timedelta(weeks=week - 1)
        held = red is not None and red <= week < red + script.cleared_after
        cleared = red is not None and week >= red + script.cleared_after
        plan = _plan(baseline, held, cleared, start, today, history, runs, pains)
        history = plan.decisions
        plans.append(plan)
        if held or week in script.missed_weeks:
            continue
        level = script.pain_start + script.pain_trend * (week - 1)
        for offset in range(7):
            day = today + timedelta(days=offset)
            planned = run_on(plan.weeks, day)
            if planned is None:
                continue
            if planned.target_spm is not None:
                cadence += script.adherence * (planned.target_spm - cadence) / 3.0
            measured = float(cadence + rng.normal(0.0, 0.4))
            runs.append(RunDone(id=len(runs) + 1, day=day, cadence_spm=round(measured, 1)))
            during = int(np.clip(round(level + (planned.duration_s / 60.0 - 20.0) / 10.0),
                                 0, 10))
            pains.append(PainDone(day=day, kind="during", score=during))
            morning = during if script.morning_sticks else max(during - 2, 0)
            pains.append(PainDone(day=day + timedelta(days=1), kind="next_morning",
                                  score=morning))
    end = start + timedelta(weeks=script.weeks)
    held = red is not None and red <= script.weeks < red + script.cleared_after - 1
    final = _plan(baseline, held, red is not None and not held, start, end, history, runs,
                  pains)
    return History(script=script, start=start, runs=tuple(runs), pains=tuple(pains),
                   plans=tuple(plans), final=final)


def _plan(baseline: Baseline, held: bool, cleared: bool, start: date, today: date,
          history: tuple[Decision, ...], runs: list[RunDone], pains: list[PainDone]) -> Plan:
    level = Urgency.URGENT if held or cleared else Urgency.SELF_CARE
    return build_plan(triage_level=level, triage_action="simulated", cleared=cleared and not held,
                      baseline=baseline, start=start, today=today, history=history,
                      runs_done=[r for r in runs if r.day < today],
                      pains_done=[p for p in pains if p.day < today])
