"""The plan: cadence steps (DOMAIN.md §4), exercises by finding (§7), shoes and surfaces.

Safety first: at triage ``urgent`` or ``emergency`` without a clinician's clearance recorded
since, the plan is held: it leads with the triage action and carries no running advice at
all. At ``see_clinician`` the plan is given, but the cadence steps (and the calendar's runs and
the watch workouts made from them) wait until the runner records the visit (rule 6 of §4.2).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from statistics import median
from typing import Final

from backstride.core.adapt import PainDone, RunDone, adapt
from backstride.core.exercises import CATALOGUE, Exercise
from backstride.core.schedule import Action, Decision, PlanWeek, RunShape, schedule, shape_runs
from backstride.core.triage import Urgency

OFFER_BELOW_SPM: Final = 164.0  # §4.2 rule 2: Garmin orange/red
OFFER_WITH_FINDING_BELOW_SPM: Final = 174.0
CAP_SPM: Final = 180.0
STEP_FRACTIONS: Final = (0.05, 0.10)  # §4.2 rule 3, never more than +10 % per block
WEEKS_PER_STEP: Final = 3  # §4.2 rule 5: at least 2 (Huber), up to 6 (Davis) [D]
WEEKS_PER_STEP_HIGH_RISK: Final = 4
ALERT_HALF_RANGE_SPM: Final = 2.0  # the watch alerts outside target ± 2 spm [D]
# Findings (analysis or video) that make a runner at 164–173 spm a candidate (§4.2 rule 2).
CADENCE_HELPS: Final = frozenset({
    "high_vertical_oscillation", "high_vertical_ratio", "overstride", "high_shank_angle",
    "pelvic_drop", "drift_vertical_oscillation_m", "drift_vertical_ratio_frac",
})
METRONOME_SCHEDULE: Final = (
    "Week 1: metronome for 5 min inside each easy run, 2–3 runs a week, building to 30 min. "
    "Week 2: 2–3 min on, 2–3 min off. Then metronome off: check cadence on the watch only.")
SHOE_WARN_M: Final = 482_803.0  # 300 mi, the low end of the reference text's 300–500 mi
SHOE_REPLACE_M: Final = 804_672.0  # 500 mi
SURFACES: Final = (
    "While the pain settles, run some of your easy runs on surfaces with a little give, such as "
    "dirt trails or a synthetic track; they may reduce the shock compared with concrete or "
    "asphalt (the evidence is weak: stance time and knee bend hardly change between "
    "surfaces). Keep changes gradual.")


@dataclass(frozen=True, slots=True, kw_only=True)
class Baseline:
    cadence_spm: float
    basis: str  # e.g. "single run 2024-05-01 (one run only: re-measure)"
    # §4.1: the pace band the baseline was measured in (m/s); later runs are compared only
    # inside it. None when no speeds were known (a single analysis file, a video).
    pace_band_mps: tuple[float, float] | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class RunSummary:
    """What the baseline needs of one recorded run."""

    start_utc: datetime
    cadence_spm: float
    speed_mps: float


PACE_BAND_MPS: Final = 0.3  # §4.1 [D]
PACE_WINDOW: Final = timedelta(weeks=4)
BASELINE_RUNS: Final = 3


def history_baseline(runs: Sequence[RunSummary]) -> Baseline | None:
    """§4.1: the median cadence of the last 3 runs in the runner's pace band (median running
    speed of the last 4 weeks ± 0.3 m/s). Fewer runs: the latest in the band, labelled as a
    single run. Cadence rises with speed, so runs outside the band are not compared."""
    if not runs:
        return None
    ordered = sorted(runs, key=lambda r: r.start_utc)
    recent = [r.speed_mps for r in ordered if r.start_utc >= ordered[-1].start_utc - PACE_WINDOW]
    centre = float(median(recent))
    band = [r for r in ordered if abs(r.speed_mps - centre) <= PACE_BAND_MPS]
    last = band[-BASELINE_RUNS:]
    pace = f"pace band {centre - PACE_BAND_MPS:.1f}–{centre + PACE_BAND_MPS:.1f} m/s"
    band_mps = (centre - PACE_BAND_MPS, centre + PACE_BAND_MPS)
    if len(last) < BASELINE_RUNS:
        run = last[-1]
        return Baseline(cadence_spm=run.cadence_spm, pace_band_mps=band_mps,
                        basis=f"single run {run.start_utc:%Y-%m-%d} in your {pace} (fewer "
                              "than 3 runs: re-measure)")
    days = ", ".join(f"{r.start_utc:%Y-%m-%d}" for r in last)
    return Baseline(cadence_spm=float(median(r.cadence_spm for r in last)),
                    pace_band_mps=band_mps,
                    basis=f"median of 3 runs in your {pace} ({days})")


@dataclass(frozen=True, slots=True, kw_only=True)
class CadenceStep:
    week: int
    weeks: int
    target_spm: float
    range_spm: tuple[float, float]
    metronome: str


@dataclass(frozen=True, slots=True, kw_only=True)
class PlannedExercise:
    exercise: Exercise
    why: str  # a finding id (analysis, video or self-test), or "pre_run_activation"


@dataclass(frozen=True, slots=True, kw_only=True)
class ShoeStatus:
    name: str
    distance_m: float
    status: str  # "ok", "replace_soon" (past the warning), "replace"


@dataclass(frozen=True, slots=True, kw_only=True)
class Remeasure:
    week: int
    what: str


@dataclass(frozen=True, slots=True, kw_only=True)
class ClearanceNote:
    """The recorded clearance (or visit) the plan opens with."""

    by: str
    on: date
    note: str | None
    after_level: str  # the triage level it followed
    after_day: date  # the day of that triage

    @property
    def text(self) -> str:
        said = f" They said: {self.note}." if self.note else ""
        verb = "Seen" if self.after_level == "see_clinician" else "Cleared"
        return (f"{verb} by {self.by} on {self.on.isoformat()}, after your "
                f"{self.after_level.replace('_', ' ')} triage of {self.after_day.isoformat()}."
                f"{said} Follow their advice where it differs from this plan.")


@dataclass(frozen=True, slots=True, kw_only=True)
class Plan:
    triage_level: Urgency
    triage_action: str
    held: bool
    hold_reason: str | None
    baseline: Baseline | None
    cadence_steps: tuple[CadenceStep, ...]
    exercises: tuple[PlannedExercise, ...]
    shoes: tuple[ShoeStatus, ...]
    surfaces: str
    remeasure: tuple[Remeasure, ...]
    notes: tuple[str, ...]
    # see_clinician without a recorded visit: the steps, calendar runs and watch workouts wait
    waiting_for_clinician: bool = False
    clearance: ClearanceNote | None = None  # a cleared (or seen) plan opens with it
    # The dated plan (DOMAIN.md §4.3): none while held or waiting for the visit.
    start_date: date | None = None
    weeks: tuple[PlanWeek, ...] = ()
    run_basis: str = ""  # where the run lengths come from, in words
    decisions: tuple[Decision, ...] = ()  # the plan's history, oldest first
    findings: tuple[str, ...] = ()  # the analysis and video finding ids it was made from


WAITING_REASON: Final = (
    "Book a doctor or physiotherapist within about a week. The cadence steps, the calendar's "
    "runs and the watch workouts start once you record that you were seen "
    "('backstride clearance --by NAME'); until then keep your running easy and the "
    "exercises gentle.")


def build_plan(*, triage_level: Urgency, triage_action: str, cleared: bool,
               baseline: Baseline | None, findings: Sequence[str] = (),
               contributors: Sequence[str] = (), startback_risk: str | None = None,
               shoes: Sequence[tuple[str, float]] = (), shoe_warn_m: float = SHOE_WARN_M,
               shoe_replace_m: float = SHOE_REPLACE_M, clearance: ClearanceNote | None = None,
               hold_detail: str = "", start: date | None = None,
               shape: RunShape | None = None, history: Sequence[Decision] = (),
               today: date | None = None, runs_done: Sequence[RunDone] = (),
               pains_done: Sequence[PainDone] = ()) -> Plan:
    """The plan for one runner. ``findings`` are analysis/video finding ids, ``contributors``
    the self-test contributor ids, ``shoes`` (name, distance in m) of shoes in use.

    Held (urgent or emergency, not cleared): the triage action and the hold, and no running
    advice at all: no baseline, steps, exercises, surfaces, shoes or re-measurements.
    ``see_clinician`` not yet seen: the plan is given but waits (``waiting_for_clinician``).
    ``clearance``: what a cleared plan opens with; ``hold_detail`` closes the hold reason.

    ``start`` dates the plan (``weeks`` of dated runs shaped by ``shape``, DOMAIN.md §4.3);
    ``history`` is the plan's earlier decisions, to which a decision dated ``today`` (default
    ``start``) is added when the plan's state changes (start, held, waiting); the weeks that
    ended before ``today`` are judged on ``runs_done`` and ``pains_done`` (core.adapt:
    advance, hold, repeat or step back), each judgement a dated decision."""
    level = Urgency(triage_level)
    shoe_status = tuple(_shoe(name, distance, shoe_warn_m, shoe_replace_m)
                        for name, distance in shoes)
    day = today or start
    if level >= Urgency.URGENT and not cleared:
        why = (f"triage {level.value.replace('_', ' ')}: no runs until a clinician's clearance "
               "is recorded")
        return Plan(
            triage_level=triage_level, triage_action=triage_action, held=True,
            hold_reason=(f"Triage is {triage_level.replace('_', ' ')}: no running progression "
                         "or exercise until a clinician has seen you. Record it with "
                         "'backstride clearance --by NAME' and make the plan again."
                         + (f" {hold_detail}" if hold_detail else "")),
            baseline=None, cadence_steps=(), exercises=(), shoes=(), surfaces="",
            remeasure=(), notes=(), start_date=start,
            decisions=_decide(history, day, Action.HELD_BY_TRIAGE, why))
    high_risk = startback_risk == "high"
    steps = _cadence_steps(baseline, set(findings), high_risk)
    notes = _notes(level, cleared, baseline, steps, high_risk)
    waiting = level == Urgency.SEE_CLINICIAN and not cleared
    shaped = shape or shape_runs(None, None)
    weeks: tuple[PlanWeek, ...] = ()
    adapted: tuple[Decision, ...] = ()
    if start is not None and not waiting:
        states, adapted = adapt(steps, start, day or start, runs_done, pains_done,
                                paused=_pauses(history),
                                pace_band_mps=None if baseline is None else
                                baseline.pace_band_mps)
        weeks = schedule(steps, start, shaped, states=states)
    # The judgements are recomputed from the runs and the diary every time; the history
    # keeps the plan's own state changes (start, held, waiting) and their dates.
    history = [d for d in history if d.action in (*_PAUSES, Action.START)]
    if waiting:
        decisions = _decide(history, day, Action.WAITING_FOR_CLINICIAN,
                            "triage see clinician: the dated runs wait until you record the "
                            "visit")
    elif weeks:
        first = weeks[0]
        target = (f"cadence {first.target_spm:.0f} spm" if first.target_spm is not None
                  else "no cadence change")
        resumed = bool(history) and history[-1].action in _PAUSES
        begun = weeks[0].start
        said = (f"plan resumes after the clinician's visit (it started {begun.isoformat()})"
                if resumed else f"plan starts {begun.isoformat()}")
        started = _decide(history, day if resumed else min(day or begun, begun), Action.START,
                          f"{said}: {target}, {len(first.runs)} runs a week; {shaped.basis}")
        # On one day, the week's judgement comes before a hold or a start that follows it.
        decisions = tuple(sorted((*started, *adapted),
                                 key=lambda d: (d.day, d.action in (*_PAUSES, Action.START))))
    else:
        decisions = tuple(history)
    return Plan(
        triage_level=level, triage_action=triage_action, held=False, hold_reason=None,
        baseline=baseline, cadence_steps=steps,
        exercises=_exercises(set(findings), set(contributors)), shoes=shoe_status,
        surfaces=SURFACES, remeasure=_remeasure(steps), notes=notes,
        waiting_for_clinician=waiting, clearance=clearance if cleared else None,
        start_date=start, weeks=weeks, run_basis=shaped.basis if weeks else "",
        decisions=decisions, findings=tuple(dict.fromkeys(findings)))


_PAUSES: Final = (Action.HELD_BY_TRIAGE, Action.WAITING_FOR_CLINICIAN)


def _pauses(history: Sequence[Decision]) -> list[tuple[date, date | None]]:
    """(from, until) of each hold or wait in the plan's history: until the next start."""
    out: list[tuple[date, date | None]] = []
    for decision in history:
        if decision.action in _PAUSES and (not out or out[-1][1] is not None):
            out.append((decision.day, None))
        elif decision.action == Action.START and out and out[-1][1] is None:
            out[-1] = (out[-1][0], decision.day)
    return out


def _decide(history: Sequence[Decision], day: date | None, action: Action,
            why: str) -> tuple[Decision, ...]:
    """The history with ``action`` added when the plan's state changes: the first plan, a
    hold or a wait that begins, a start after one. The same state again adds nothing."""
    kept = tuple(history)
    if day is None:
        return kept
    last = kept[-1].action if kept else None
    if action == Action.START and last is not None and last not in _PAUSES:
        return kept  # already running: later decisions (advance, repeat...) are its own
    if action == last:
        return kept
    return (*kept, Decision(day=day, action=action, why=why))


def cadence_targets(baseline_spm: float) -> tuple[float, ...]:
    """§4.2 rule 3: round(1.05 B) then round(1.10 B), capped at 180; none from 180 up."""
    if baseline_spm >= CAP_SPM:
        return ()
    targets: list[float] = []
    for fraction in STEP_FRACTIONS:
        target = min(float(round((1.0 + fraction) * baseline_spm)), CAP_SPM)
        if not targets or target > targets[-1]:
            targets.append(target)
    return tuple(targets)


def offers_cadence(baseline_spm: float, findings: set[str]) -> bool:
    """§4.2 rule 2."""
    return baseline_spm < OFFER_BELOW_SPM or (
        baseline_spm < OFFER_WITH_FINDING_BELOW_SPM and bool(findings & CADENCE_HELPS))


def _cadence_steps(baseline: Baseline | None, findings: set[str],
                   high_risk: bool) -> tuple[CadenceStep, ...]:
    if baseline is None or not offers_cadence(baseline.cadence_spm, findings):
        return ()
    weeks = WEEKS_PER_STEP_HIGH_RISK if high_risk else WEEKS_PER_STEP
    return tuple(
        CadenceStep(week=1 + i * weeks, weeks=weeks, target_spm=target,
                    range_spm=(target - ALERT_HALF_RANGE_SPM, target + ALERT_HALF_RANGE_SPM),
                    metronome=f"{target:.0f} beats per minute, one click per step. "
                              + METRONOME_SCHEDULE)
        for i, target in enumerate(cadence_targets(baseline.cadence_spm)))


_BY_CONTRIBUTOR: Final = {
    "weak_gluteus_medius": ("side_lying_hip_abduction", "clamshell", "banded_side_step",
                            "single_leg_bridge"),
    "weak_core": ("curl_up", "side_bridge", "bird_dog"),
    "tight_hip_flexors": ("kneeling_hip_flexor_stretch",),
    "tight_hamstrings": ("hamstring_stretch",),
    "long_sitting": ("kneeling_hip_flexor_stretch", "sitting_breaks"),
}
_BY_FINDING: Final = {
    "pelvic_drop": ("side_lying_hip_abduction", "clamshell", "banded_side_step"),
    "trunk_lean_forward": ("glute_bridge",),
    "low_hip_extension": ("kneeling_hip_flexor_stretch",),
    "gct_imbalance": ("single_leg_bridge",),
}
_PRE_RUN: Final = ("glute_bridge", "front_plank", "dead_bug")


def _exercises(findings: set[str], contributors: set[str]) -> tuple[PlannedExercise, ...]:
    chosen: dict[str, str] = {}
    for exercise_id in _PRE_RUN:  # the reference text's pre-run activation, for everyone
        chosen[exercise_id] = "pre_run_activation"
    # Table order is priority order: a specific finding (tight hip flexors) names the
    # stretch before a context one (long sitting) does.
    for present, table in ((contributors, _BY_CONTRIBUTOR), (findings, _BY_FINDING)):
        for why in (key for key in table if key in present):
            for exercise_id in table[why]:
                if chosen.get(exercise_id) in (None, "pre_run_activation"):
                    chosen[exercise_id] = why
    return tuple(PlannedExercise(exercise=CATALOGUE[eid], why=why) for eid, why in chosen.items())


def _remeasure(steps: tuple[CadenceStep, ...]) -> tuple[Remeasure, ...]:
    out = [Remeasure(week=s.week + s.weeks - 1,
                     what=(f"cadence on an easy run without the metronome: is it within 2 % of "
                           f"{s.target_spm:.0f} spm on 3 runs? Pain 0–10 after each run."))
           for s in steps]
    out.append(Remeasure(week=5, what="self-tests again, and a side and rear video if you "
                                      "filmed one (every 4–6 weeks)"))
    return tuple(sorted(out, key=lambda r: r.week))


def _shoe(name: str, distance_m: float, warn_m: float, replace_m: float) -> ShoeStatus:
    status = ("replace" if distance_m >= replace_m else
              "replace_soon" if distance_m >= warn_m else "ok")
    return ShoeStatus(name=name, distance_m=distance_m, status=status)


def _shoe_rule() -> str:
    return ("Shoes: the reference text advises replacing running shoes after 300–500 miles "
            "(482–805 km); backstride warns at 300 mi and says replace at 500 mi. This is a "
            "convention: cushioning wears gradually, and no study sets a mileage.")


def _notes(level: Urgency, cleared: bool, baseline: Baseline | None,
           steps: tuple[CadenceStep, ...], high_risk: bool) -> tuple[str, ...]:
    notes = []
    if level == Urgency.SEE_CLINICIAN and not cleared:
        notes.append(WAITING_REASON)
    if cleared and level >= Urgency.URGENT:
        notes.append("A clinician's clearance is recorded: follow their advice where it "
                     "differs from this plan.")
    if baseline is None:
        notes.append("No cadence baseline: analyse a recent easy run (backstride analyze "
                     "run.fit --json run.json, then plan --analysis run.json).")
    elif not steps:
        notes.append(f"Your cadence ({baseline.cadence_spm:.0f} spm) is not a reason to change "
                     "it: no cadence steps. ~180 spm is an observation of elite runners, not "
                     "a target for everyone.")
    else:
        notes.append("Cadence steps of 5–10 % lower impact and step length in studies of "
                     "runners; no trial has tested them in runners with back pain. Hold or "
                     "step back if pain or effort rises.")
    if high_risk:
        notes.append("Your STarT Back answers suggest a higher risk that back pain lasts: a "
                     "physiotherapist-guided programme is recommended. Staying active helps; "
                     "pain while moving does not mean harm. The steps here are slower.")
    notes.append(_shoe_rule())
    return tuple(notes)


PAIN_CHANGE_POINTS: Final = 2  # a change of 2 or more on 0-10 counts as changed pain [D]


def pain_is_new_or_changed(previous: tuple[int, str | None] | None,
                           latest: tuple[int, str | None]) -> bool:
    """(score 0-10, location) of two pain entries: new pain, or a change worth re-asking the
    red-flag questions about (DOMAIN.md §5.3) before the plan's next step."""
    score, where = latest
    if score == 0:
        return False
    if previous is None or previous[0] == 0:
        return True
    return abs(score - previous[0]) >= PAIN_CHANGE_POINTS or (
        where is not None and previous[1] is not None and where != previous[1])
