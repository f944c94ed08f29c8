"""FIT decoding: exact values against an independent decoder, damage handled, simulated truth."""

from __future__ import annotations

import io
import warnings
from datetime import datetime, timedelta
from pathlib import Path

import numpy as np
import pytest

import backstride
from backstride.adapters.formats import read_activity
from backstride.adapters.formats.fit import FitDecoded, decode_fit
from backstride.adapters.formats.fit_activity import fit_to_activity
from backstride.adapters.formats.fit_scan import DeveloperField
from backstride.adapters.formats.fit_writer import simulated_run_messages, write_fit_bytes
from backstride.core.simulate import RunPlan, simulate_run
from backstride.errors import CorruptFileError, InputError, InsufficientDataError
from tests.conftest import fixture_file

fitdecode = pytest.importorskip("fitdecode")

# Record counts per fixture, as the file holds them (fitdecode agrees on every intact file).
RECORDS = {
    "activity-small-fenix2-run.fit": 2809,
    "fr220-short-run.fit": 46,
    "fr255-triathlon-run-power-dynamics.fit": 4043,
    "fr35-run-4426508309.fit": 2883,
    "fr70-run-compressed-speed-distance.fit": 755,
    "fr920xt-triathlon-multiple-header.fit": 1773,
    "garmin-fenix-5-run.fit": 21,
    "garmin-fenix-5-walk.fit": 17,
    "stryd-developer-fields.fit": 3424,
    "wahoo-app-tickrx-run.fit": 5958,
    "edge-bad-file-crc.fit": 14,
    "edge-chained-two-activities.fit": 28,
    "edge-unexpected-eof.fit": 14,
}
COMPARED = ("timestamp", "heart_rate", "cadence", "fractional_cadence", "distance",
            "vertical_oscillation", "stance_time", "stance_time_percent", "stance_time_balance",
            "step_length", "vertical_ratio", "power", "position_lat", "position_long",
            "enhanced_altitude", "temperature")


def _fitdecode_records(path: Path) -> list[dict[str, object]]:
    rows = []
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        try:
            with fitdecode.FitReader(str(path), check_crc=fitdecode.CrcCheck.DISABLED) as reader:
                for frame in reader:
                    if isinstance(frame, fitdecode.FitDataMessage) and frame.name == "record":
                        rows.append({f.name: f.raw_value if f.name == "timestamp" else f.value
                                     for f in frame.fields})
        except fitdecode.FitEOFError:
            pass  # it keeps what it read before the early end, as backstride does
    return rows


def _as_float(value: object) -> float:
    if value is None or isinstance(value, (tuple, list, str, bytes)):
        return np.nan
    return float(value)  # type: ignore[arg-type]


@pytest.mark.parametrize("name", sorted(RECORDS))
def test_records_match_an_independent_decoder(name: str) -> None:
    path = fixture_file("watch", name)
    decoded = decode_fit(path.read_bytes())
    rec = decoded.messages["record"]
    assert rec["_offset"].size == RECORDS[name]
    reference = _fitdecode_records(path)
    assert len(reference) == RECORDS[name]
    for field in COMPARED:
        expected = np.array([_as_float(r.get(field)) for r in reference])
        if np.all(np.isnan(expected)):
            continue
        got = rec[field]
        if field == "timestamp":  # fitdecode's raw value is FIT seconds
            got = np.where(got >= 0x10000000 + 631065600, got - 631065600, got)
        np.testing.assert_allclose(got, expected, rtol=1e-12, atol=1e-9, err_msg=field)


def test_compressed_timestamps_and_speed_distance_components() -> None:
    path = fixture_file("watch", "fr70-run-compressed-speed-distance.fit")
    rec = decode_fit(path.read_bytes()).messages["record"]
    assert np.all(np.diff(rec["timestamp"]) > 0)
    reference = _fitdecode_records(path)
    distance = np.array([_as_float(r.get("distance")) for r in reference])
    np.testing.assert_allclose(rec["distance"], distance, atol=1e-9)
    assert np.nanmax(rec["distance"]) == pytest.approx(10248.6875)


def test_developer_fields_are_named_and_scaled() -> None:
    activity = read_activity(fixture_file("watch", "stryd-developer-fields.fit"))
    assert "developer.Form Power" in activity.records
    assert "developer.Leg Spring Stiffness" in activity.records
    form = activity.series["form_power_w"]
    stiffness = activity.series["leg_spring_stiffness_n_per_m"]
    assert 30 < np.nanmedian(form) < 150
    assert 5e3 < np.nanmedian(stiffness) < 20e3  # Stryd writes kN/m; SI is N/m


def test_strava_writer_bug_is_resynchronised_not_fatal() -> None:
    path = fixture_file("watch", "strava-android-run-undefined-local-mesg.fit")
    activity = read_activity(path)
    t = activity.t_s
    assert t.size > 5000  # fitdecode and fitparse stop at byte 7471 with 473 records
    assert np.all(np.diff(t) >= 0)
    assert t[-1] == pytest.approx(3558, abs=5)
    codes = {issue.code for issue in activity.issues}
    assert "fit_resynchronised" in codes
    with pytest.raises(CorruptFileError):
        read_activity(path, strict=True)


def test_bad_crc_is_a_warning_and_keeps_every_record() -> None:
    activity = read_activity(fixture_file("watch", "edge-bad-file-crc.fit"))
    assert [i.code for i in activity.issues] == ["fit_bad_crc"]
    assert activity.records["_offset"].size == 14


def test_chained_file_keeps_both_and_analyses_the_first() -> None:
    activity = read_activity(fixture_file("watch", "edge-chained-two-activities.fit"))
    assert activity.n_activities == 2
    assert activity.records["_offset"].size == 28
    assert activity.t_s.size == 14
    assert "fit_chained" in {i.code for i in activity.issues}


def test_multiple_headers_continue_one_activity() -> None:
    activity = read_activity(fixture_file("watch", "fr920xt-triathlon-multiple-header.fit"))
    assert activity.n_activities == 1
    assert [s.sport for s in activity.sessions] == [
        "swimming", "transition", "cycling", "transition", "running"]


def test_unexpected_eof_keeps_records_and_says_so() -> None:
    activity = read_activity(fixture_file("watch", "edge-unexpected-eof.fit"))
    assert activity.records["_offset"].size == 14
    assert "fit_truncated" in {i.code for i in activity.issues}


def test_simulated_run_round_trips_exactly(tmp_path: Path) -> None:
    run = simulate_run(RunPlan(duration_s=900, pauses=((300, 30),), walks=()), seed=3)
    path = tmp_path / "sim.fit"
    path.write_bytes(write_fit_bytes(simulated_run_messages(run)))
    activity = read_activity(path)
    assert activity.issues == ()
    for name in ("cadence_spm", "vertical_oscillation_m", "ground_contact_time_s",
                 "gct_balance_left_frac", "vertical_ratio_frac", "step_length_m", "speed_mps",
                 "distance_m", "heart_rate_bpm"):
        np.testing.assert_allclose(activity.series[name], getattr(run, name), rtol=0,
                                   atol=1e-9, err_msg=name)
    np.testing.assert_array_equal(activity.t_s, run.t_s)
    # The pause, then the final stop at the end of the run (never restarted).
    assert activity.timer_stopped == (*run.timer_stops, (run.t_s[-1], np.inf))
    assert activity.cadence_resolution_spm == pytest.approx(2 / 128)


def test_simulated_file_reads_back_in_fitdecode(tmp_path: Path) -> None:
    run = simulate_run(RunPlan(duration_s=120, pauses=(), walks=()), seed=1)
    data = write_fit_bytes(simulated_run_messages(run))
    with fitdecode.FitReader(io.BytesIO(data), check_crc=fitdecode.CrcCheck.RAISE) as reader:
        records = [f for f in reader
                   if isinstance(f, fitdecode.FitDataMessage) and f.name == "record"]
    assert len(records) == 120
    vo = np.array([r.get_value("vertical_oscillation") for r in records])
    np.testing.assert_allclose(vo, run.vertical_oscillation_m * 1e3, atol=1e-9)


@pytest.mark.parametrize(("content", "message"), [
    (b"", "is empty"),
    (b"\x00" * 100, "not a FIT, TCX or GPX"),
    (bytes(range(256)) * 4, "not a FIT, TCX or GPX"),
    (b"PK\x03\x04rest of a zip", "zip archive"),
    (b"\x0e\x10\x00\x00\x05\x00\x00\x00.FIT\x00\x00", "no timed records"),
])
def test_unusable_bytes_raise_input_error(tmp_path: Path, content: bytes, message: str) -> None:
    path = tmp_path / "run.fit"
    path.write_bytes(content)
    with pytest.raises(InputError, match=message):
        read_activity(path)


def test_format_comes_from_content_not_name(tmp_path: Path) -> None:
    path = tmp_path / "actually-fit.gpx"
    path.write_bytes(fixture_file("watch", "garmin-fenix-5-run.fit").read_bytes())
    assert read_activity(path).format == "fit"


def test_gzipped_copy_has_the_same_sha256(tmp_path: Path) -> None:
    import gzip

    source = fixture_file("watch", "garmin-fenix-5-run.fit")
    packed = tmp_path / "run.fit.gz"
    packed.write_bytes(gzip.compress(source.read_bytes()))
    assert read_activity(packed).sha256 == read_activity(source).sha256


def test_missing_file_is_an_input_error(tmp_path: Path) -> None:
    with pytest.raises(InputError, match="does not exist"):
        read_activity(tmp_path / "nope.fit")


# Clock anomalies (issue #12 item 4): the time base is repaired, never a run dropped.
def _jumped(shift_s: float, after_s: int) -> bytes:
    messages = simulated_run_messages(simulate_run(RunPlan(duration_s=3360, pauses=(),
                                                           walks=()), seed=3))
    start = datetime.strptime(messages[1]["timestamp"], "%Y-%m-%dT%H:%M:%S")
    for message in messages:
        if message["message_type"] in ("record", "event") and "timestamp" in message:
            stamp = datetime.strptime(message["timestamp"], "%Y-%m-%dT%H:%M:%S")
            if (stamp - start).total_seconds() >= after_s:
                message["timestamp"] = (stamp + timedelta(seconds=shift_s)).strftime(
                    "%Y-%m-%dT%H:%M:%S")
    return write_fit_bytes(messages)


@pytest.mark.parametrize("shift_s", [20 * 86400.0, -300.0])
def test_a_clock_jump_keeps_the_whole_run(shift_s: float, tmp_path: Path) -> None:
    path = tmp_path / "jump.fit"
    path.write_bytes(_jumped(shift_s, after_s=480))
    report = backstride.analyze(path)
    assert report.run.moving_time_s == pytest.approx(3360, abs=5)  # not 8 of 56 minutes
    message = next(i.message for i in report.run.issues if i.code == "clock_repaired")
    assert "No record was dropped" in message and "the distance went on" in message


def test_zero_averages_in_the_session_are_missing_not_zero(tmp_path: Path) -> None:
    """COROS writes 0 as a placeholder for averages it did not measure (issue #12 item 5)."""
    messages = simulated_run_messages(simulate_run(RunPlan(duration_s=600), seed=4))
    session = next(m for m in messages if m["message_type"] == "session")
    session.update(avg_stance_time=0.0, avg_heart_rate=0, avg_cadence=0,
                   avg_vertical_oscillation=95.0)
    path = tmp_path / "coros.fit"
    path.write_bytes(write_fit_bytes(messages))
    summary = read_activity(path).sessions[0].summary
    assert "avg_ground_contact_time_s" not in summary and "avg_heart_rate_bpm" not in summary
    assert "avg_cadence_spm" not in summary
    assert summary["avg_vertical_oscillation_m"] == pytest.approx(0.095)


def test_a_swim_without_records_is_refused_as_a_swim(tmp_path: Path) -> None:
    """Issue #12 item 1: a pool swim was refused only for 'no valid time'."""
    messages = [m for m in simulated_run_messages(simulate_run(RunPlan(duration_s=600), seed=4))
                if m["message_type"] != "record"]
    for message in messages:
        if message["message_type"] in ("session", "lap"):
            message.update(sport="swimming", sub_sport="lap_swimming")
    path = tmp_path / "pool.fit"
    path.write_bytes(write_fit_bytes(messages))
    with pytest.raises(InsufficientDataError, match="this is a pool swim, not a run"):
        read_activity(path)


def _decoded_with_developer_fields(fields: dict[str, tuple[str, np.ndarray]],
                                   **native: np.ndarray) -> FitDecoded:
    """A decoded FIT run whose records carry developer fields (name -> (units, values))."""
    n = 600
    t0 = 1.0e9
    record = {"timestamp": t0 + np.arange(n, dtype=np.float64),
              "speed": np.full(n, 3.0), "distance": 3.0 * np.arange(n, dtype=np.float64),
              "cadence": np.full(n, 85.0), "_file": np.zeros(n), **native}
    described = {}
    for name, (units, values) in fields.items():
        record[f"developer.{name}"] = values
        described[f"developer.{name}"] = DeveloperField(name=name, units=units, base=2,
                                                        scale=1.0, offset=0.0,
                                                        native_field_num=None)
    session = {"sport": np.array([1.0]), "start_time": np.array([t0]),
               "total_elapsed_time": np.array([n - 1.0]), "_file": np.zeros(1)}
    return FitDecoded(messages={"record": record, "session": session},
                      developer_fields=described, issues=[], n_files=1, bytes_total=0,
                      bytes_skipped=0)


def test_garmin_running_power_and_runscribe_contact_time_stand_in() -> None:
    n = 600
    decoded = _decoded_with_developer_fields({
        "RP_Power": ("Watts", np.full(n, 250.0)),
        "Contact Time": ("ms", np.full(n, 240.0)),
    })
    activity = fit_to_activity(decoded, path=Path("rp.fit"), sha256="ab" * 32)
    assert np.nanmean(activity.series["power_w"]) == pytest.approx(250.0)
    assert np.nanmean(activity.series["ground_contact_time_s"]) == pytest.approx(0.240)
    said = next(i.message for i in activity.issues if i.code == "developer_fields")
    assert "Garmin Running Power" in said and "'Contact Time'" in said


def test_native_dynamics_win_over_developer_fields() -> None:
    n = 600
    decoded = _decoded_with_developer_fields(
        {"Ground Time": ("Milliseconds", np.full(n, 300.0)),
         "Vertical Oscillation": ("Centimeters", np.full(n, 7.0))},
        stance_time=np.full(n, 250.0))
    activity = fit_to_activity(decoded, path=Path("both.fit"), sha256="ab" * 32)
    assert np.nanmean(activity.series["ground_contact_time_s"]) == pytest.approx(0.250)
    assert np.nanmean(activity.series["vertical_oscillation_m"]) == pytest.approx(0.070)
