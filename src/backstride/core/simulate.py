"""Seeded runs with known truth: the demo's data and the tests' ground truth.

A simulated run is 1 Hz records of what a watch with a running-dynamics strap writes, already
quantised to the FIT profile's stored resolution (cadence 1/128 per foot, VO 0.1 mm, GCT
0.1 ms, balance and VR 0.01 %, step length 0.1 mm, speed 1 mm/s, distance 1 cm), so a decoder
and the analysis must recover its statistics exactly. Pauses (timer stopped, no records),
walking breaks and a fatigue drift with a known onset are part of the truth.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from typing import Final

import numpy as np

from backstride.core.types import BoolArray, FloatArray

# Stored resolution (SI units per FIT raw unit).
CADENCE_STEP_SPM: Final = 2.0 / 128.0  # per-foot rpm in 1/128, doubled to steps/min
VO_STEP_M: Final = 1e-4
GCT_STEP_S: Final = 1e-4
BALANCE_STEP_FRAC: Final = 1e-4
VR_STEP_FRAC: Final = 1e-4
STEP_LENGTH_STEP_M: Final = 1e-4
SPEED_STEP_MPS: Final = 1e-3
DISTANCE_STEP_M: Final = 1e-2


@dataclass(frozen=True, slots=True, kw_only=True)
class RunPlan:
    """What to simulate. Rates are the runner's steady values before fatigue."""

    duration_s: int = 3600
    cadence_spm: float = 158.0
    speed_mps: float = 3.0
    vertical_oscillation_m: float = 0.095
    ground_contact_time_s: float = 0.265
    gct_balance_left_frac: float = 0.508
    heart_rate_bpm: float = 150.0
    fatigue_onset_frac: float | None = 0.6  # fraction of running time when form starts to fade
    fatigue_cadence_frac: float = -0.05  # change by the end of the run
    fatigue_gct_frac: float = 0.06
    fatigue_vo_frac: float = 0.08
    pauses: tuple[tuple[int, int], ...] = ((1500, 60),)  # (at running second, length s)
    walks: tuple[tuple[int, int], ...] = ((2400, 45),)  # (at running second, length s)
    walk_cadence_spm: float = 112.0
    walk_speed_mps: float = 1.4
    walk_ramp_s: int = 0  # a watch's cadence and speed ramp over this many s into a walk and out
    noise: float = 1.0  # scales every noise amplitude; 0 gives clean signals
    start_utc: datetime = field(default_factory=lambda: datetime(2024, 5, 1, 6, 30, tzinfo=UTC))


@dataclass(frozen=True, slots=True, kw_only=True)
class SimulatedRun:
    """Records (1 Hz) as stored, plus which are running: the truth the analysis must find."""

    plan: RunPlan
    t_s: FloatArray  # elapsed since start
    cadence_spm: FloatArray
    speed_mps: FloatArray
    distance_m: FloatArray
    heart_rate_bpm: FloatArray
    vertical_oscillation_m: FloatArray
    ground_contact_time_s: FloatArray
    gct_balance_left_frac: FloatArray
    vertical_ratio_frac: FloatArray
    step_length_m: FloatArray
    running: BoolArray  # False during walking breaks
    timer_stops: tuple[tuple[float, float], ...]  # (stopped at, restarted at), elapsed s
    fatigue_onset_s: float | None  # timer time

    @property
    def duration_s(self) -> float:
        return float(self.t_s[-1] - self.t_s[0])


def simulate_run(plan: RunPlan | None = None, *, seed: int = 7) -> SimulatedRun:
    plan = plan or RunPlan()
    # Pauses and walks that would fall after the end of a short run do not happen.
    plan = replace(plan, pauses=tuple(p for p in plan.pauses if p[0] < plan.duration_s),
                   walks=tuple(w for w in plan.walks if w[0] < plan.duration_s))
    rng = np.random.default_rng(seed)
    timer_s = np.arange(plan.duration_s, dtype=np.float64)
    elapsed_s = _with_pauses(timer_s, plan.pauses)
    walking = np.zeros(timer_s.size, dtype=bool)
    for at, length in plan.walks:
        walking[at : at + length] = True
    fade = _fatigue(timer_s, plan)
    noise = plan.noise

    cadence = plan.cadence_spm * (1 + plan.fatigue_cadence_frac * fade)
    cadence = cadence + noise * _smooth_noise(rng, timer_s.size, 1.5)
    cadence[walking] = plan.walk_cadence_spm + noise * rng.normal(0, 1.5, walking.sum())
    speed = plan.speed_mps * (1 + 0.5 * plan.fatigue_cadence_frac * fade)
    speed = speed + noise * _smooth_noise(rng, timer_s.size, 0.08)
    speed[walking] = plan.walk_speed_mps
    for at, length in plan.walks if plan.walk_ramp_s else ():
        _ramp(cadence, at - plan.walk_ramp_s, at)  # into the walk
        _ramp(speed, at - plan.walk_ramp_s, at)
        _ramp(cadence, at + length - 1, at + length - 1 + plan.walk_ramp_s)  # out of it
        _ramp(speed, at + length - 1, at + length - 1 + plan.walk_ramp_s)
    gct = plan.ground_contact_time_s * (1 + plan.fatigue_gct_frac * fade)
    gct = gct + noise * _smooth_noise(rng, timer_s.size, 0.006)
    gct[walking] = 0.45
    vo = plan.vertical_oscillation_m * (1 + plan.fatigue_vo_frac * fade)
    vo = vo + noise * _smooth_noise(rng, timer_s.size, 0.003)
    vo[walking] = 0.05
    balance = plan.gct_balance_left_frac + noise * _smooth_noise(rng, timer_s.size, 0.003)
    heart = plan.heart_rate_bpm + 15 * timer_s / plan.duration_s
    heart = heart + noise * _smooth_noise(rng, timer_s.size, 2.0)

    cadence = _quantise(cadence, CADENCE_STEP_SPM)
    speed = _quantise(np.clip(speed, 0.0, None), SPEED_STEP_MPS)
    step_length = _quantise(speed / (cadence / 60.0), STEP_LENGTH_STEP_M)
    vo = _quantise(vo, VO_STEP_M)
    distance = _quantise(np.concatenate(([0.0], np.cumsum(speed[:-1]))), DISTANCE_STEP_M)
    onset = (plan.fatigue_onset_frac * plan.duration_s
             if plan.fatigue_onset_frac is not None else None)
    return SimulatedRun(
        plan=plan, t_s=elapsed_s, cadence_spm=cadence, speed_mps=speed, distance_m=distance,
        heart_rate_bpm=np.round(heart), vertical_oscillation_m=vo,
        ground_contact_time_s=_quantise(gct, GCT_STEP_S),
        gct_balance_left_frac=_quantise(balance, BALANCE_STEP_FRAC),
        vertical_ratio_frac=_quantise(vo / step_length, VR_STEP_FRAC),
        step_length_m=step_length, running=~walking,
        timer_stops=_stops(plan.pauses), fatigue_onset_s=onset,
    )


def _ramp(values: FloatArray, first: int, last: int) -> None:
    """Straight line from values[first] to values[last] in between (a watch's smoothing)."""
    first, last = max(first, 0), min(last, values.size - 1)
    if last - first > 1:
        values[first:last + 1] = np.linspace(values[first], values[last], last - first + 1)


def _with_pauses(timer_s: FloatArray, pauses: tuple[tuple[int, int], ...]) -> FloatArray:
    elapsed = timer_s.copy()
    for at, length in pauses:
        elapsed[timer_s >= at] += length
    return elapsed


def _stops(pauses: tuple[tuple[int, int], ...]) -> tuple[tuple[float, float], ...]:
    out, shift = [], 0
    for at, length in sorted(pauses):
        # Stopped when the record at ``at`` would have come; restarted ``length`` s later.
        out.append((float(at + shift), float(at + shift + length)))
        shift += length
    return tuple(out)


def _fatigue(timer_s: FloatArray, plan: RunPlan) -> FloatArray:
    """0 before the onset, rising linearly to 1 at the end of the run."""
    if plan.fatigue_onset_frac is None:
        return np.zeros_like(timer_s)
    onset = plan.fatigue_onset_frac * plan.duration_s
    return np.clip((timer_s - onset) / max(plan.duration_s - onset, 1.0), 0.0, 1.0)


def _smooth_noise(rng: np.random.Generator, n: int, sd: float) -> FloatArray:
    """AR(1) noise (r = 0.9): stride-to-stride values wander slowly, as real ones do."""
    white = rng.normal(0.0, sd * np.sqrt(1 - 0.81), n)
    out = np.empty(n)
    level = rng.normal(0.0, sd)
    for i in range(n):
        level = 0.9 * level + white[i]
        out[i] = level
    return out


def _quantise(values: FloatArray, step: float) -> FloatArray:
    return np.asarray(np.round(values / step) * step, dtype=np.float64)


def demo_answers() -> dict[str, object]:
    """Triage answers of the demo runner: no red flag, medium STarT Back risk."""
    return {
        "schema": "backstride.answers/1", "age_years": 38, "pain_days": 12, "pain_now_0_10": 3,
        "constant_pain": False, "self_care_days": 4, "improving": True, "first_episode": False,
        "bladder_change": False, "bowel_incontinence": False, "saddle_numbness": False,
        "sexual_dysfunction_new": False, "leg_symptoms": "none", "pain_below_knee": False,
        "numbness_tingling": False, "leg_weakness": False, "weakness_worsening": False,
        "rest_pain": False, "night_pain": False, "fever": False,
        "unexplained_weight_loss": False, "cancer_history": False,
        "immunosuppressed_or_ivdu": False, "osteoporosis_or_steroids": False, "trauma": "none",
        "chest_pain": False, "thoracic_pain": False,
        "startback": [0, 1, 1, 1, 0, 1, 0, 0, 2],
    }


def demo_selftests() -> dict[str, object]:
    """Self-test results of the demo runner: weak glutes on the left, tight hip flexors."""
    return {
        "schema": "backstride.selftests/1", "sex": "unspecified",
        "trunk_flexor_hold_s": 95, "trunk_extensor_hold_s": 82, "side_bridge_left_s": 41,
        "side_bridge_right_s": 45, "prone_plank_s": 60, "single_leg_bridge_left_reps": 16,
        "single_leg_bridge_right_reps": 24, "trendelenburg_left": "fail",
        "trendelenburg_right": "pass", "thomas_test_left": "fail", "thomas_test_right": "fail",
        "active_slr_left_deg": 82, "active_slr_right_deg": 85, "sitting_hours_per_day": 8,
    }
