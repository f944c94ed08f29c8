"""Which sport a leg is, from its records when the file does not say (issue #12 item 1)."""

from __future__ import annotations

import numpy as np
import pytest

from backstride.adapters.formats import fit_profile
from backstride.core.activity import Activity, Session
from backstride.core.running import process_activity
from backstride.core.sport import describe, from_content, not_a_run
from backstride.errors import InsufficientDataError

N = 600


def _series(speed: float | None, cadence_spm: float | None, **extra: float) -> dict:
    out = {}
    if speed is not None:
        out["speed_mps"] = np.full(N, speed)
    if cadence_spm is not None:
        out["cadence_spm"] = np.full(N, cadence_spm)
    out.update({k: np.full(N, v) for k, v in extra.items()})
    return out


@pytest.mark.parametrize(("speed", "cadence", "sport"), [
    (8.2, 2 * 90.0, "cycling"),  # a Zwift ride with no sport field: 90 rpm doubled as "spm"
    (4.4, 2 * 30.0, "rowing"),  # 30 strokes/min, 8.8 m per stroke
    (3.0, 170.0, "running"),
    (3.0, 2 * 170.0, "running"),  # a treadmill app's steps/min, doubled by the reader
    (1.3, 112.0, "walking"),
    (9.5, None, "vehicle"),
    (1.1, None, "walking_pace"),
    (3.2, None, "running"),
    (0.0, None, "no_movement"),
    (None, None, "no_movement"),
])
def test_sport_from_content(speed: float | None, cadence: float | None, sport: str) -> None:
    assert from_content(_series(speed, cadence), np.ones(N, dtype=bool)).sport == sport


def test_running_dynamics_keep_a_fast_long_stride_a_run() -> None:
    series = _series(6.0, 2 * 88.0, ground_contact_time_s=0.2)  # 4.1 m per stride
    assert from_content(series, np.ones(N, dtype=bool)).sport == "running"


def test_a_ride_without_a_sport_field_is_refused_as_a_ride() -> None:
    t = np.arange(N, dtype=np.float64)
    activity = Activity(format="fit", sha256="cd" * 32, start_utc=None, device=None, t_s=t,
                        series=_series(8.2, 180.0, power_w=210.0),
                        sessions=(Session(sport="unknown", sub_sport=None, start_s=0.0,
                                          end_s=float(N - 1)),))
    with pytest.raises(InsufficientDataError, match=r"this is a ride, not a run \(") as caught:
        process_activity(activity)
    assert "m per crank turn" in str(caught.value)


def test_words_never_show_a_number() -> None:
    for sport in fit_profile.SPORTS.values():
        for sub in (None, *fit_profile.SUB_SPORTS.values()):
            words = describe(sport, sub)
            assert words[:2] in ("a ", "an") and "_" not in words, (sport, sub, words)
    assert describe("cycling", "virtual_activity") == "a virtual ride"
    assert describe("fitness_equipment", "indoor_rowing") == "an indoor row"
    assert not_a_run("swimming", "lap_swimming").startswith("this is a pool swim, not a run: ")
