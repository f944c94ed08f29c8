"""Write a cadence-retraining plan step as a FIT *workout* file a running watch can follow.

The file holds ``file_id`` (type ``workout``), one ``workout`` (name, sport ``running``, number
of steps) and one ``workout_step`` per step: name, a time duration, an intensity and either no
target (``open``) or a custom cadence range (``target_type`` ``cadence``, ``target_value`` 0,
``custom_target_cadence_low``/``_high``). docs/workouts.md says how to put it on a watch.

pyfitparsernative's encoder (0.2.3) does not accept the profile's *sub-field* names
(``duration_time``, ``custom_target_cadence_low``/``_high``), only the fields they live in, so
this module writes ``duration_value`` in ms (the scale of ``duration_time``, which has scale
1000, unit s) and ``custom_target_value_low``/``_high`` (fields 5 and 6, uint32, scale 1).
Because ``target_type`` is ``cadence`` and ``duration_type`` is ``time``, every decoder that
follows the profile reads them back as ``duration_time`` (s) and
``custom_target_cadence_low``/``_high`` (unit "rpm"); the tests check this with fitdecode.

Cadence unit, :data:`CADENCE_TARGET_UNIT` (DOMAIN.md §2, evidence [U]). The profile labels the
cadence target "rpm", and in running *activity* records that "rpm" is per foot; no source seen
says whether a running watch reads a *workout's* cadence target as per-foot rpm or as
steps/min. backstride writes **steps/min** (``"spm"``) because:

1. the plan's targets are whole steps/min (§4.2 rule 3 rounds them) and stay exact; per-foot
   values hold only every other step/min, so an odd bound would have to be widened by one;
2. Garmin's own workout tools express a running cadence target in steps/min (secondary and
   unconfirmed: a third-party project's notes report Garmin Connect's workout service storing
   and echoing 170/180 spm for a running cadence target; that is its web API, not a FIT file);
3. a wrong guess is loud, not subtle: a watch that doubles the value shows ~330 and alerts
   "too slow" all the time, where a runner notices it on the first run.

To change it, set ``CADENCE_TARGET_UNIT = "rpm_per_foot"`` (or pass ``cadence_unit=`` to
:func:`cadence_workout_bytes`): low bounds are then halved and rounded down, high bounds halved
and rounded up, so the range on the watch is never narrower than the plan's ``range_spm``.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from enum import StrEnum
from typing import Any, Final, Literal

from backstride.adapters.formats.fit_writer import write_fit_bytes
from backstride.errors import InputError

CadenceUnit = Literal["spm", "rpm_per_foot"]

CADENCE_TARGET_UNIT: Final[CadenceUnit] = "spm"
"""Unit of the numbers written into ``custom_target_cadence_low``/``_high`` (see above)."""

MIN_TARGET_SPM: Final = 60.0
MAX_TARGET_SPM: Final = 240.0
MAX_STEP_DURATION_S: Final = 6 * 3600.0


class Intensity(StrEnum):
    """FIT ``intensity`` values a cadence workout uses."""

    WARMUP = "warmup"
    ACTIVE = "active"
    COOLDOWN = "cooldown"
    REST = "rest"


@dataclass(frozen=True, slots=True, kw_only=True)
class WorkoutStep:
    """One timed step. Give both cadence bounds (steps/min, both feet) for a target range, or
    neither for a step without a target. ``intensity`` also accepts its string value."""

    name: str
    duration_s: float
    intensity: Intensity = Intensity.ACTIVE
    cadence_low_spm: float | None = None
    cadence_high_spm: float | None = None

    def __post_init__(self) -> None:
        try:
            object.__setattr__(self, "intensity", Intensity(self.intensity))
        except ValueError:
            valid = ", ".join(i.value for i in Intensity)
            raise InputError(f"step {self.name!r}: intensity {self.intensity!r} is not one of "
                             f"{valid}.") from None
        if not self.name.strip():
            raise InputError("a workout step needs a name (shown on the watch).")
        if not (math.isfinite(self.duration_s) and 0.0 < self.duration_s <= MAX_STEP_DURATION_S):
            raise InputError(f"step {self.name!r}: duration {self.duration_s} s is outside the "
                             f"valid range: more than 0 s and at most {MAX_STEP_DURATION_S:.0f} s "
                             "(6 h).")
        _validate_cadence(self.name, self.cadence_low_spm, self.cadence_high_spm)

    @property
    def has_cadence_target(self) -> bool:
        return self.cadence_low_spm is not None


def _validate_cadence(name: str, low: float | None, high: float | None) -> None:
    if low is None and high is None:
        return
    if low is None or high is None:
        raise InputError(f"step {name!r}: give both cadence_low_spm and cadence_high_spm for a "
                         "cadence target, or neither for a step without one.")
    for bound in (low, high):
        if not (math.isfinite(bound) and MIN_TARGET_SPM <= bound <= MAX_TARGET_SPM):
            raise InputError(f"step {name!r}: cadence {bound} steps/min is outside "
                             f"{MIN_TARGET_SPM:.0f}–{MAX_TARGET_SPM:.0f} steps/min (both feet).")
    if low > high:
        raise InputError(f"step {name!r}: cadence_low_spm {low} is above cadence_high_spm "
                         f"{high}; give the range low to high.")


def cadence_target_values(low_spm: float, high_spm: float,
                          unit: CadenceUnit = CADENCE_TARGET_UNIT) -> tuple[int, int]:
    """The whole numbers written for a steps/min range: widened outwards, never narrowed."""
    if unit == "spm":
        return math.floor(low_spm + 1e-9), math.ceil(high_spm - 1e-9)
    if unit == "rpm_per_foot":
        return math.floor(low_spm / 2.0 + 1e-9), math.ceil(high_spm / 2.0 - 1e-9)
    raise InputError(f"cadence unit {unit!r} is not 'spm' or 'rpm_per_foot'.")


def cadence_workout_bytes(name: str, steps: Sequence[WorkoutStep], *,
                          cadence_unit: CadenceUnit = CADENCE_TARGET_UNIT,
                          created_utc: datetime | None = None) -> bytes:
    """A complete FIT workout file (header, messages, CRC) for ``steps``, in order."""
    if not name.strip():
        raise InputError("the workout needs a name (shown in the watch's workout list).")
    if not steps:
        raise InputError(f"workout {name!r} has no steps; give at least one WorkoutStep.")
    cadence_target_values(MIN_TARGET_SPM, MAX_TARGET_SPM, cadence_unit)  # rejects a bad unit
    created = (created_utc or datetime.now(UTC)).astimezone(UTC)
    messages: list[dict[str, Any]] = [
        {"message_type": "file_id", "type": "workout", "manufacturer": "development",
         "product": 1, "serial_number": 1, "time_created": created.strftime("%Y-%m-%dT%H:%M:%S")},
        {"message_type": "workout", "wkt_name": name, "sport": "running",
         "num_valid_steps": len(steps)},
    ]
    messages += [_step_message(i, step, cadence_unit) for i, step in enumerate(steps)]
    return write_fit_bytes(messages)


def _step_message(index: int, step: WorkoutStep, unit: CadenceUnit) -> dict[str, Any]:
    message: dict[str, Any] = {
        "message_type": "workout_step", "message_index": index, "wkt_step_name": step.name,
        "duration_type": "time", "duration_value": round(step.duration_s * 1000.0),
        "intensity": step.intensity.value,
    }
    if step.cadence_low_spm is None or step.cadence_high_spm is None:
        message["target_type"] = "open"
        return message
    low, high = cadence_target_values(step.cadence_low_spm, step.cadence_high_spm, unit)
    message.update(target_type="cadence", target_value=0,
                   custom_target_value_low=low, custom_target_value_high=high)
    return message
