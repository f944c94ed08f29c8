"""Which sport a leg is: the file's word for it, or its content when the file does not say.

Names are the FIT profile's (``cycling``, ``rowing``, ``lap_swimming``...); messages use the
words a runner says ("a ride", "a pool swim"), never a number. When a leg's sport is unknown
(no sport field, FIT ``generic``, TCX ``Other``, GPX without ``type``), its moving records
decide (DOMAIN.md §2 [D], thresholds are heuristics):

- the distance covered per cadence cycle: a running stride (two steps) covers 0.8-3.4 m, a
  bicycle crank turn 3.5-10 m, a rowing stroke 6-12 m;
- the cycle rate: running 70-110 per foot per minute (140-220 spm), walking 45-70, rowing
  16-42 strokes per minute;
- speed alone when there is no cadence: a median faster than 7 m/s is a vehicle or a bike, one
  slower than 1.9 m/s is walking pace.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Final

import numpy as np

from backstride.core.types import BoolArray, FloatArray

RUNNING: Final = "running"
UNSTATED: Final = frozenset({"unknown", "generic"})

_SPORT_WORDS: Final = {
    "cycling": "a ride", "e_biking": "an e-bike ride", "swimming": "a swim",
    "walking": "a walk", "hiking": "a hike", "rowing": "a row",
    "cross_country_skiing": "a cross-country ski", "alpine_skiing": "a ski day",
    "stand_up_paddleboarding": "a stand-up paddle", "paddling": "a paddle",
    "kayaking": "a kayak outing", "transition": "a transition",
    "fitness_equipment": "a gym-machine workout", "training": "a training session",
    "mountaineering": "a mountain outing", "driving": "a drive", "motorcycling": "a ride",
    "inline_skating": "an inline skate", "ice_skating": "a skate", "snowshoeing": "a snowshoe",
    "multisport": "a multisport activity", "vehicle": "a ride or a drive",
    "walking_pace": "an activity at walking pace (a walk or a hike?)",
    "no_movement": "a recording without movement (a heart-rate or HRV test?)",
    "unknown": "an activity whose speed and cadence fit no run",
}
_SUB_SPORT_WORDS: Final = {
    "indoor_rowing": "an indoor row", "elliptical": "an elliptical workout",
    "stair_climbing": "a stair-climber workout", "indoor_cycling": "an indoor ride",
    "spin": "a spin class", "lap_swimming": "a pool swim", "open_water": "an open-water swim",
    "indoor_walking": "an indoor walk", "casual_walking": "a walk", "speed_walking": "a walk",
    "strength_training": "a strength workout", "yoga": "a yoga session",
    "mountain": "a mountain-bike ride", "virtual_activity": "",
}


def describe(sport: str, sub_sport: str | None = None) -> str:
    """'a ride', 'an indoor row', 'a pool swim'... for a FIT profile sport and sub-sport."""
    sub_word = _SUB_SPORT_WORDS.get(sub_sport or "")
    if sub_word:
        return sub_word
    if sub_sport == "virtual_activity" and sport == "cycling":
        return "a virtual ride"
    if sport in _SPORT_WORDS:
        return _SPORT_WORDS[sport]
    words = sport.replace("_", " ")
    return f"{'an' if words[:1] in 'aeiou' else 'a'} {words} activity"


def not_a_run(sport: str, sub_sport: str | None = None, *, evidence: str = "") -> str:
    """The refusal a runner understands: 'this is a ride, not a run: ...'."""
    seen = f" ({evidence})" if evidence else ""
    return (f"this is {describe(sport, sub_sport)}, not a run{seen}: backstride analyses "
            "running. Pass a running activity.")


@dataclass(frozen=True, slots=True, kw_only=True)
class ContentSport:
    sport: str  # "running", "walking", "walking_pace", "cycling", "rowing", "vehicle",
    # "no_movement" or "unknown"
    evidence: str  # what in the records decided it, in words with units


MOVING_MIN_MPS: Final = 0.5
MIN_RECORDS_TO_TELL: Final = 10
STRIDE_MAX_M: Final = 3.4  # per running cycle (two steps) [D]
ROW_RATE_MAX: Final = 42.0  # strokes/min [D]
RUN_RATE: Final = (70.0, 110.0)  # per foot per minute [D]
WALK_RATE: Final = (45.0, 70.0)
VEHICLE_MPS: Final = 7.0
WALK_PACE_MPS: Final = 1.9


def from_content(series: Mapping[str, FloatArray], inside: BoolArray) -> ContentSport:
    """The sport the records of one leg (``inside``) look like."""
    speed, cadence = series.get("speed_mps"), series.get("cadence_spm")
    moving = inside.copy()
    if speed is not None and np.any(np.isfinite(speed[inside])):
        moving &= ~(speed < MOVING_MIN_MPS)
    v = _median(speed, moving)
    rate = _median(cadence, moving, positive=True) / 2.0
    dynamics = any(_median(series.get(k), moving, positive=True) > 0
                   for k in ("ground_contact_time_s", "vertical_oscillation_m"))
    share_moving = float(moving.sum()) / max(int(inside.sum()), 1)
    if int(inside.sum()) < MIN_RECORDS_TO_TELL:
        return ContentSport(sport=RUNNING, evidence="too few records to tell otherwise")
    if not np.isfinite(v) and not np.isfinite(rate):
        return ContentSport(sport="no_movement",
                            evidence="no speed, distance or cadence was recorded")
    if share_moving < 0.1:
        return ContentSport(sport="no_movement", evidence=(
            f"moving in {share_moving * 100:.0f} % of its records"))
    if np.isfinite(rate):
        if rate > RUN_RATE[1] and RUN_RATE[0] <= rate / 2.0 <= RUN_RATE[1]:
            rate /= 2.0  # steps/min stored where the format wants per foot (a treadmill app)
        return _from_cadence(v, rate, dynamics=dynamics)
    if v > VEHICLE_MPS:
        return ContentSport(sport="vehicle", evidence=f"median speed {v:.1f} m/s, no cadence")
    if v < WALK_PACE_MPS:
        return ContentSport(sport="walking_pace",
                            evidence=f"median speed {v:.1f} m/s, no cadence")
    return ContentSport(sport=RUNNING, evidence=f"median speed {v:.1f} m/s, no cadence")


def _from_cadence(v: float, rate: float, *, dynamics: bool) -> ContentSport:
    """From the cycle rate (per foot, per crank turn or per stroke) and the distance per cycle."""
    per_cycle = v / (rate / 60.0) if np.isfinite(v) else float("nan")
    said = (f"median {v:.1f} m/s at {rate:.0f} cycles/min" if np.isfinite(v)
            else f"median cadence {rate:.0f} cycles/min")
    if np.isfinite(per_cycle) and per_cycle > STRIDE_MAX_M and not dynamics:
        if rate <= ROW_RATE_MAX:
            return ContentSport(sport="rowing", evidence=f"{said}: {per_cycle:.1f} m per stroke")
        return ContentSport(sport="cycling", evidence=(
            f"{said}: {per_cycle:.1f} m per crank turn, no running dynamics"))
    if RUN_RATE[0] <= rate <= RUN_RATE[1]:
        return ContentSport(sport=RUNNING, evidence=f"{said}, {2 * rate:.0f} steps/min")
    if WALK_RATE[0] <= rate < WALK_RATE[1] and not v >= WALK_PACE_MPS + 0.4:
        return ContentSport(sport="walking", evidence=f"{said}, {2 * rate:.0f} steps/min")
    if rate <= ROW_RATE_MAX and not np.isfinite(v):
        return ContentSport(sport="rowing", evidence=f"{said}, no running cadence")
    return ContentSport(sport="unknown", evidence=said)


def _median(values: FloatArray | None, mask: BoolArray, *, positive: bool = False) -> float:
    if values is None:
        return float("nan")
    use = mask & np.isfinite(values)
    if positive:
        use &= np.nan_to_num(values, nan=0.0) > 0
    return float(np.median(values[use])) if use.any() else float("nan")
