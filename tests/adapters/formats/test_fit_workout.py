"""FIT workout export, read back with an independent decoder (fitdecode) and with backstride's."""

from __future__ import annotations

import io
from datetime import UTC, datetime
from typing import Any

import fitdecode
import numpy as np
import pytest

from backstride.adapters.formats.fit import decode_fit
from backstride.adapters.formats.fit_workout import (
    CADENCE_TARGET_UNIT,
    Intensity,
    WorkoutStep,
    cadence_target_values,
    cadence_workout_bytes,
)
from backstride.errors import InputError

CREATED = datetime(2024, 5, 1, 6, 30, tzinfo=UTC)
WORKOUT_STEP = 27  # global message number of workout_step


def three_steps() -> list[WorkoutStep]:
    """Warm-up 10 min without a target, 20 min at 164 spm ± 2, cool-down 5 min."""
    return [
        WorkoutStep(name="Warm-up", duration_s=600.0, intensity=Intensity.WARMUP),
        WorkoutStep(name="Cadence 164", duration_s=1200.0, intensity=Intensity.ACTIVE,
                    cadence_low_spm=162.0, cadence_high_spm=166.0),
        WorkoutStep(name="Cool-down", duration_s=300.0, intensity=Intensity.COOLDOWN),
    ]


def read_with_fitdecode(data: bytes) -> list[tuple[str, dict[str, Any], dict[str, str | None]]]:
    """(message name, field values, field units) of every data message; the CRC must hold."""
    out = []
    with fitdecode.FitReader(io.BytesIO(data), check_crc=fitdecode.CrcCheck.RAISE) as reader:
        for frame in reader:
            if isinstance(frame, fitdecode.FitDataMessage):
                out.append((frame.name, {f.name: f.value for f in frame.fields},
                            {f.name: f.units for f in frame.fields}))
    return out


@pytest.fixture(scope="module")
def workout_file() -> bytes:
    return cadence_workout_bytes("Cadence 164", three_steps(), created_utc=CREATED)


def test_the_unit_written_is_steps_per_minute() -> None:
    assert CADENCE_TARGET_UNIT == "spm"
    assert cadence_target_values(162.0, 166.0) == (162, 166)


def test_fitdecode_reads_a_running_workout_file(workout_file: bytes) -> None:
    messages = read_with_fitdecode(workout_file)
    names = [name for name, _, _ in messages]
    assert names == ["file_id", "workout", "workout_step", "workout_step", "workout_step"]
    file_id, workout = messages[0][1], messages[1][1]
    assert file_id["type"] == "workout"
    assert file_id["manufacturer"] == "development"
    assert file_id["time_created"] == CREATED
    assert workout == {"wkt_name": "Cadence 164", "sport": "running", "num_valid_steps": 3}


def test_fitdecode_reads_each_step_by_name(workout_file: bytes) -> None:
    steps = [(fields, units) for name, fields, units in read_with_fitdecode(workout_file)
             if name == "workout_step"]
    expected = [("Warm-up", 600.0, "warmup"), ("Cadence 164", 1200.0, "active"),
                ("Cool-down", 300.0, "cooldown")]
    for index, ((fields, units), (step_name, seconds, intensity)) in enumerate(
            zip(steps, expected, strict=True)):
        assert fields["message_index"] == index
        assert fields["wkt_step_name"] == step_name
        assert fields["duration_type"] == "time"
        assert fields["duration_time"] == seconds
        assert units["duration_time"] == "s"
        assert fields["intensity"] == intensity
    warm, active, cool = (fields for fields, _ in steps)
    assert warm["target_type"] == cool["target_type"] == "open"
    assert "custom_target_cadence_low" not in warm and "custom_target_value_low" not in cool
    assert active["target_type"] == "cadence"
    assert active["target_cadence_zone"] == 0  # target_value 0: a custom range
    assert active["custom_target_cadence_low"] == 162  # steps/min, exactly as written
    assert active["custom_target_cadence_high"] == 166
    assert steps[1][1]["custom_target_cadence_low"] == "rpm"  # the profile's label


def test_backstride_decoder_reads_raw_fields_5_and_6(workout_file: bytes) -> None:
    decoded = decode_fit(workout_file)
    assert not decoded.issues
    assert decoded.bytes_skipped == 0
    steps = decoded.messages[f"mesg_{WORKOUT_STEP}"]
    np.testing.assert_array_equal(steps["field_254"], [0, 1, 2])  # message_index
    np.testing.assert_array_equal(steps["field_3"], [2, 3, 2])  # target_type open/cadence
    np.testing.assert_array_equal(steps["field_4"], [np.nan, 0, np.nan])  # target_value
    np.testing.assert_array_equal(steps["field_5"], [np.nan, 162, np.nan])
    np.testing.assert_array_equal(steps["field_6"], [np.nan, 166, np.nan])
    np.testing.assert_array_equal(steps["field_1"], [0, 0, 0])  # duration_type time
    np.testing.assert_array_equal(steps["field_2"], [600_000, 1_200_000, 300_000])  # ms
    np.testing.assert_array_equal(steps["field_7"], [2, 0, 3])  # warmup, active, cooldown
    assert list(steps["field_0"]) == ["Warm-up", "Cadence 164", "Cool-down"]
    assert decoded.messages["file_id"]["type"][0] == 5  # file type workout
    workout = decoded.messages["mesg_26"]
    assert workout["field_4"][0] == 1  # sport running
    assert workout["field_6"][0] == 3  # num_valid_steps


def test_same_input_same_bytes() -> None:
    first = cadence_workout_bytes("Cadence 164", three_steps(), created_utc=CREATED)
    assert cadence_workout_bytes("Cadence 164", three_steps(), created_utc=CREATED) == first


def test_per_foot_unit_halves_and_widens_outwards() -> None:
    assert cadence_target_values(162.0, 166.0, "rpm_per_foot") == (81, 83)
    assert cadence_target_values(171.0, 175.0, "rpm_per_foot") == (85, 88)  # never narrower
    assert cadence_target_values(171.4, 175.2, "spm") == (171, 176)
    data = cadence_workout_bytes("Cadence 164", three_steps(), created_utc=CREATED,
                                 cadence_unit="rpm_per_foot")
    active = [fields for name, fields, _ in read_with_fitdecode(data)
              if name == "workout_step"][1]
    assert (active["custom_target_cadence_low"], active["custom_target_cadence_high"]) == (81, 83)


def test_intensity_accepts_its_string_value() -> None:
    step = WorkoutStep(name="Easy", duration_s=60.0, intensity="rest")  # type: ignore[arg-type]
    assert step.intensity is Intensity.REST
    data = cadence_workout_bytes("Rest", [step], created_utc=CREATED)
    assert read_with_fitdecode(data)[2][1]["intensity"] == "rest"


def test_fractional_seconds_are_kept_to_the_millisecond() -> None:
    step = WorkoutStep(name="Odd", duration_s=90.5, cadence_low_spm=170, cadence_high_spm=174)
    data = cadence_workout_bytes("Odd", [step], created_utc=CREATED)
    assert read_with_fitdecode(data)[2][1]["duration_time"] == 90.5


@pytest.mark.parametrize(("kwargs", "message"), [
    ({"cadence_low_spm": 170.0, "cadence_high_spm": 166.0}, "above cadence_high_spm"),
    ({"cadence_low_spm": 162.0}, "give both"),
    ({"cadence_high_spm": 166.0}, "give both"),
    ({"cadence_low_spm": 30.0, "cadence_high_spm": 166.0}, "60–240 steps/min"),
    ({"cadence_low_spm": 162.0, "cadence_high_spm": float("nan")}, "60–240 steps/min"),
    ({"duration_s": 0.0}, "more than 0 s"),
    ({"duration_s": -60.0}, "more than 0 s"),
    ({"duration_s": float("nan")}, "more than 0 s"),
    ({"duration_s": 7 * 3600.0}, "at most 21600 s"),
    ({"intensity": "sprint"}, "not one of warmup, active, cooldown, rest"),
    ({"name": "  "}, "needs a name"),
])
def test_invalid_steps_are_rejected(kwargs: dict[str, Any], message: str) -> None:
    fields: dict[str, Any] = {"name": "Step", "duration_s": 600.0, **kwargs}
    with pytest.raises(InputError, match=message):
        WorkoutStep(**fields)


def test_empty_workout_and_bad_options_are_rejected() -> None:
    with pytest.raises(InputError, match="has no steps"):
        cadence_workout_bytes("Empty", [])
    with pytest.raises(InputError, match="needs a name"):
        cadence_workout_bytes("", three_steps())
    with pytest.raises(InputError, match="'spm' or 'rpm_per_foot'"):
        cadence_workout_bytes("X", three_steps(), cadence_unit="strides")  # type: ignore[arg-type]
