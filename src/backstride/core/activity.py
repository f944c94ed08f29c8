"""What a watch file holds, in SI units: records on one time axis, sessions, timer pauses.

Readers (``adapters/formats``) build an :class:`Activity`; the core measures it. Series names
end in their unit (``cadence_spm`` both feet, ``vertical_oscillation_m``,
``ground_contact_time_s``, ``gct_balance_left_frac``, ``vertical_ratio_frac``, ...).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Final

import numpy as np

from backstride.core.types import AnyArray, FloatArray, Issue

SERIES: Final = (
    "distance_m", "speed_mps", "cadence_spm", "heart_rate_bpm", "power_w", "altitude_m",
    "vertical_oscillation_m", "ground_contact_time_s", "gct_balance_left_frac",
    "vertical_ratio_frac", "step_length_m", "lat_deg", "lon_deg",
    "form_power_w", "leg_spring_stiffness_n_per_m", "air_power_w",
)
"""Series a reader may fill; any other name is rejected so typos cannot hide data."""

RUNNING: Final = "running"


@dataclass(frozen=True, slots=True, kw_only=True)
class Session:
    """One leg of an activity as the device summarised it (a multisport file has several)."""

    sport: str  # "running", "cycling", "swimming", "walking", "transition", "unknown", ...
    sub_sport: str | None
    start_s: float  # on the activity's t_s axis
    end_s: float
    summary: Mapping[str, float] = field(default_factory=dict)  # device averages, SI names


@dataclass(frozen=True, slots=True, kw_only=True)
class Activity:
    """A decoded watch file.

    ``t_s`` is seconds since ``start_utc`` for every record; each array in ``series`` has the
    same length, NaN where the record does not carry the value. ``messages`` keeps every
    decoded message type as columns, as the file held them (FIT profile names and units).
    """

    format: str  # "fit", "tcx", "gpx"
    sha256: str
    start_utc: datetime | None
    device: str | None
    t_s: FloatArray
    series: Mapping[str, FloatArray]
    sessions: tuple[Session, ...] = ()
    timer_stopped: tuple[tuple[float, float], ...] = ()  # (from_s, to_s) with the timer off
    issues: tuple[Issue, ...] = ()
    messages: Mapping[str, Mapping[str, AnyArray]] = field(default_factory=dict)
    cadence_resolution_spm: float = 2.0  # 2 spm without fractional cadence
    n_activities: int = 1  # chained FIT files hold more than one
    device_serial: str | None = None  # part of the duplicate fingerprint where present

    def __post_init__(self) -> None:
        n = self.t_s.shape[0]
        for name, values in self.series.items():
            if name not in SERIES:
                raise ValueError(f"unknown series {name!r}; known: {', '.join(SERIES)}")
            if values.shape != (n,):
                raise ValueError(f"series {name} has shape {values.shape}, expected ({n},)")
        if n > 1 and np.any(np.diff(self.t_s) < 0):
            raise ValueError("t_s must not decrease")

    @property
    def records(self) -> Mapping[str, AnyArray]:
        """Every record message as columns (FIT ``record``; TCX/GPX track points)."""
        return self.messages.get("record", {})

    def has(self, name: str) -> bool:
        values = self.series.get(name)
        return values is not None and bool(np.any(np.isfinite(values)))
