"""Generated damage on real files: every outcome is an activity (with issues) or an InputError,
never another exception and never a hang."""

from __future__ import annotations

import os
import time
from pathlib import Path

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from backstride.adapters.formats import read_activity
from backstride.core.report import build_watch_report
from backstride.errors import InputError
from tests.conftest import fixture_file

SMALL = ("garmin-fenix-5-run.fit", "fr220-short-run.fit", "edge-chained-two-activities.fit",
         "fr70-run-compressed-speed-distance.fit")
# BACKSTRIDE_FUZZ_EXAMPLES=2000 for a long local run; CI keeps the suite fast.
FUZZ = settings(max_examples=int(os.environ.get("BACKSTRIDE_FUZZ_EXAMPLES", "60")), deadline=None,
                suppress_health_check=[HealthCheck.function_scoped_fixture])


def _outcome(tmp_path: Path, data: bytes, suffix: str = ".fit") -> str:
    path = tmp_path / f"damaged{suffix}"
    path.write_bytes(data)
    started = time.perf_counter()
    try:
        activity = read_activity(path)
    except InputError as exc:
        assert str(exc)  # one sentence that says what is wrong
        return "error"
    assert time.perf_counter() - started < 5.0
    assert np.all(np.diff(activity.t_s) >= 0)
    try:
        build_watch_report(activity, source_name=path.name)
    except InputError:
        return "read, nothing to measure"
    return "analysed"


@pytest.mark.parametrize("name", SMALL)
@FUZZ
@given(cut=st.floats(min_value=0.0, max_value=1.0))
def test_truncated_files(tmp_path: Path, name: str, cut: float) -> None:
    data = fixture_file("watch", name).read_bytes()
    _outcome(tmp_path, data[: int(len(data) * cut)])


@pytest.mark.parametrize("name", SMALL)
@FUZZ
@given(flips=st.lists(st.tuples(st.floats(0.0, 0.9999), st.integers(1, 255)), min_size=1,
                      max_size=8))
def test_bit_flipped_files(tmp_path: Path, name: str, flips: list[tuple[float, int]]) -> None:
    data = bytearray(fixture_file("watch", name).read_bytes())
    for where, mask in flips:
        data[int(where * len(data))] ^= mask
    _outcome(tmp_path, bytes(data))


@FUZZ
@given(junk=st.binary(min_size=0, max_size=2000))
def test_random_bytes(tmp_path: Path, junk: bytes) -> None:
    assert _outcome(tmp_path, junk) in ("error", "read, nothing to measure", "analysed")


@FUZZ
@given(junk=st.binary(min_size=1, max_size=3000))
def test_fit_header_followed_by_junk(tmp_path: Path, junk: bytes) -> None:
    header = b"\x0e\x10\x00\x00" + len(junk).to_bytes(4, "little") + b".FIT\x00\x00"
    _outcome(tmp_path, header + junk)


def test_a_flipped_byte_in_the_middle_loses_little(tmp_path: Path) -> None:
    data = bytearray(fixture_file("watch", "activity-small-fenix2-run.fit").read_bytes())
    data[len(data) // 2] ^= 0xFF
    path = tmp_path / "flipped.fit"
    path.write_bytes(bytes(data))
    activity = read_activity(path)
    assert activity.t_s.size > 2700  # of 2809
    report = build_watch_report(activity, source_name=path.name)
    assert report.run.metrics["cadence_spm"].value == pytest.approx(165.7, abs=1.0)


@pytest.mark.parametrize("name", ["fr220-short-run.tcx", "fr220-short-run.gpx"])
@FUZZ
@given(cut=st.floats(min_value=0.0, max_value=1.0),
       flips=st.lists(st.tuples(st.floats(0.0, 0.9999), st.integers(1, 127)), max_size=4))
def test_damaged_xml_exports(tmp_path: Path, name: str, cut: float,
                             flips: list[tuple[float, int]]) -> None:
    data = bytearray(fixture_file("watch", name).read_bytes())
    for where, mask in flips:
        data[int(where * len(data))] ^= mask
    _outcome(tmp_path, bytes(data[: max(int(len(data) * cut), 1)]), suffix=".xml")
