"""The issue's accuracy targets on real files: record statistics against the device's own
session summary, and a verdict (analysis or clear error) for every sample file."""

from __future__ import annotations

import pytest

import backstride
from backstride.errors import InputError
from tests.conftest import WATCH, fixture_file

# file -> "analysis" or the start of the error (every file in the folder must be listed).
VERDICTS = {
    "activity-small-fenix2-run.fit": "analysis",
    "edge-bad-file-crc.fit": "Only 0 of its 14 records",  # FIT SDK sample: 14 s, never moving
    "edge-chained-two-activities.fit": "Only 0 of its 14 records",
    "edge-unexpected-eof.fit": "Only 0 of its 14 records",
    "fr220-short-run.fit": "analysis",
    "fr220-short-run.gpx": "analysis",
    "fr220-short-run.tcx": "analysis",
    "fr255-triathlon-run-power-dynamics.fit": "analysis",
    "fr35-run-4426508309.fit": "analysis",
    "fr35-run-4426508309.gpx": "analysis",
    "fr35-run-4426508309.tcx": "analysis",
    "fr620-run.tcx": "analysis",
    "fr70-run-compressed-speed-distance.fit": "analysis",
    "fr920xt-triathlon-multiple-header.fit": "analysis",
    "garmin-fenix-5-run.fit": "analysis",
    "garmin-fenix-5-walk.fit": "this is a walk, not a run",
    "strava-android-run-undefined-local-mesg.fit": "analysis",
    "strava-run-with-stops.gpx": "analysis",
    "stryd-developer-fields.fit": "analysis",
    "wahoo-app-tickrx-run.fit": "analysis",
}


def test_every_sample_file_has_a_verdict() -> None:
    if not WATCH.exists():
        pytest.skip(f"shared fixtures not found ({WATCH})")
    assert sorted(p.name for p in WATCH.iterdir()) == sorted(VERDICTS)


@pytest.mark.parametrize("name", sorted(VERDICTS))
def test_sample_file_verdict(name: str) -> None:
    path = fixture_file("watch", name)
    expected = VERDICTS[name]
    if expected == "analysis":
        data = backstride.analysis_json(backstride.analyze(path))
        assert data["schema"] == "backstride.analysis/1"
        assert data["metrics"]["speed_mps"]["status"] == "ok"
    else:
        with pytest.raises(InputError, match=expected):
            backstride.analyze(path)


def _run_leg(name: str) -> tuple[dict, dict]:
    data = backstride.analysis_json(backstride.analyze(fixture_file("watch", name)))
    (leg,) = data["device_summary"]
    return data["metrics"], leg


@pytest.mark.parametrize(("name", "keys"), [
    ("fr920xt-triathlon-multiple-header.fit",
     ("vertical_oscillation_mm", "ground_contact_time_ms", "vertical_ratio_pct",
      "gct_balance_left_pct")),
    ("fr255-triathlon-run-power-dynamics.fit",
     ("vertical_oscillation_mm", "ground_contact_time_ms", "vertical_ratio_pct")),
])
def test_record_means_match_the_session_summary(name: str, keys: tuple[str, ...]) -> None:
    metrics, leg = _run_leg(name)
    for key in keys:
        assert metrics[key]["value"] == pytest.approx(leg["averages"][key], rel=0.005), key
    assert metrics["cadence_spm"]["value"] == pytest.approx(leg["averages"]["cadence_spm"],
                                                            rel=0.01)


@pytest.mark.parametrize(("name", "device_avg", "record_mean", "quotient"), [
    ("fr920xt-triathlon-multiple-header.fit", 1.238, 1.214, 1.238),
    ("fr255-triathlon-run-power-dynamics.fit", 1.054, 1.054, 1.058),
])
def test_step_length_three_ways(name: str, device_avg: float, record_mean: float,
                                quotient: float) -> None:
    metrics, leg = _run_leg(name)
    assert leg["averages"]["step_length_m"] == pytest.approx(device_avg, abs=0.0006)
    assert metrics["step_length_m"]["value"] == pytest.approx(record_mean, abs=0.0006)
    assert leg["step_length_from_strides_m"] == pytest.approx(quotient, abs=0.0006)
    values = (device_avg, record_mean, quotient)
    assert max(values) / min(values) - 1 < 0.02


def test_fenix5_session_summary_is_read_back_exactly() -> None:
    metrics, leg = _run_leg("garmin-fenix-5-run.fit")
    assert leg["averages"]["vertical_oscillation_mm"] == 76.2
    assert leg["averages"]["ground_contact_time_ms"] == 270.3
    assert leg["averages"]["step_length_m"] == 0.9717
    assert leg["averages"]["vertical_ratio_pct"] == 7.42
    assert leg["averages"]["gct_balance_left_pct"] == 52.39
    assert leg["total_strides"] == 78
    assert metrics["vertical_oscillation_mm"]["n"] >= 10


def test_wahoo_vertical_oscillation_scale_bug_is_fixed_with_a_warning() -> None:
    data = backstride.analysis_json(backstride.analyze(
        fixture_file("watch", "wahoo-app-tickrx-run.fit")))
    assert 40 < data["metrics"]["vertical_oscillation_mm"]["value"] < 160
    assert any("10x too small" in w for w in data["quality"]["warnings"])


def test_same_run_in_three_formats_agrees_on_cadence() -> None:
    cadences = [backstride.analysis_json(backstride.analyze(
        fixture_file("watch", f"fr35-run-4426508309.{ext}")))["metrics"]["cadence_spm"]["median"]
        for ext in ("fit", "tcx", "gpx")]
    assert cadences[0] == pytest.approx(cadences[1], abs=2) == pytest.approx(cadences[2], abs=2)
