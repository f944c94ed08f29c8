"""Real runners' watch files (issue #12): every file in tests/corpus gets its expected verdict.

``tests/corpus/expectations.csv`` says, per file, whether backstride analyses it as a run, refuses
it with its sport named, or answers one error line a runner understands; for run/walk files
the cadence above which a person reading the file's cadence histogram sees running
(``running_above_spm``, the valley between the modes), and the device's own average cadence
where its session message states one.
"""

from __future__ import annotations

import csv
import re
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from click.testing import CliRunner

import backstride
from backstride.adapters.formats import read_activity
from backstride.cli import cli
from backstride.errors import BackstrideError

CORPUS = Path(__file__).parent / "corpus"
WATCH_SUFFIXES = (".fit", ".tcx", ".gpx")
INTERNAL = re.compile(r"sport_\d|mesg_\d|field_\d|Traceback|Error:"
                      r"|\b[a-z]+_(spm|mps|frac|bpm|m|s|w|n_per_m)\b")  # no series names


def _expectations() -> dict[str, dict[str, str]]:
    with (CORPUS / "expectations.csv").open(newline="", encoding="utf-8") as fh:
        return {row["file"]: row for row in csv.DictReader(fh)}


EXPECTED = _expectations()
RUN_WALK = sorted(name for name, row in EXPECTED.items() if row["running_above_spm"])


def test_every_corpus_file_has_an_expectation_and_a_source() -> None:
    files = sorted(str(p.relative_to(CORPUS)) for p in CORPUS.rglob("*")
                   if p.suffix.lower() in WATCH_SUFFIXES)
    assert files == sorted(EXPECTED)
    assert len(files) >= 60
    sources = (CORPUS / "SOURCES.md").read_text(encoding="utf-8")
    assert all(f"`{name}`" in sources for name in files)
    kinds = {row["verdict"] for row in EXPECTED.values()}
    assert kinds == {"run", "refused", "error"}


def _analyse(path: Path) -> dict[str, Any]:
    return backstride.analysis_json(backstride.analyze(path))


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_corpus_file_verdict(name: str) -> None:
    row = EXPECTED[name]
    path = CORPUS / name
    if row["verdict"] == "run":
        data = _analyse(path)
        said = " ".join([*data["quality"]["warnings"],
                         *(f["message"] for f in data["findings"])])
        assert row["expect"] in said
        assert not INTERNAL.search(said)
        assert data["activity"]["moving_time_s"] > 0
        return
    with pytest.raises(BackstrideError) as caught:
        backstride.analyze(path)
    message = str(caught.value)
    assert row["expect"] in message
    assert not INTERNAL.search(message)
    if row["verdict"] == "refused":
        assert "not a run" in message and "backstride analyses running" in message


STEADY = sorted(name for name, row in EXPECTED.items()
                if row["verdict"] == "run" and row["device_cadence_spm"]
                and not row["running_above_spm"] and row["expect"] != "was this partly a walk")


@pytest.mark.parametrize("name", STEADY)
def test_steady_run_cadence_matches_the_device(name: str) -> None:
    data = _analyse(CORPUS / name)
    device = float(EXPECTED[name]["device_cadence_spm"])
    assert data["metrics"]["cadence_spm"]["value"] == pytest.approx(device, rel=0.01)
    (leg,) = data["device_summary"]
    for key in ("ground_contact_time_ms", "vertical_oscillation_mm", "vertical_ratio_pct"):
        if key in leg["averages"]:  # running dynamics, where the device states them
            assert data["metrics"][key]["value"] == pytest.approx(leg["averages"][key], rel=0.01)


def _reference(name: str) -> tuple[float, float]:
    """Running-only mean cadence and its early-to-late change, from the records at or above
    the valley a person reads off the histogram, over the file's running legs."""
    report = backstride.analyze(CORPUS / name)
    activity = read_activity(CORPUS / name)
    t, cadence = activity.t_s, activity.series["cadence_spm"]
    speed = activity.series["speed_mps"]
    inside = np.zeros(t.size, dtype=bool)
    for leg in report.run.legs:
        inside |= (t >= leg.start_s) & (t <= leg.end_s)
    running = inside & (speed >= 0.5) & (cadence >= float(EXPECTED[name]["running_above_spm"]))
    running &= cadence <= 240.0
    order = np.cumsum(running) / running.sum()
    early = cadence[running & (order <= 1 / 3)].mean()
    late = cadence[running & (order > 2 / 3)].mean()
    return float(cadence[running].mean()), float(late / early - 1.0)


@pytest.mark.parametrize("name", RUN_WALK)
def test_run_walk_cadence_is_the_running_only_mean(name: str) -> None:
    data = _analyse(CORPUS / name)
    mean, change = _reference(name)
    assert data["activity"]["walking_time_s"] > 0
    assert data["metrics"]["cadence_spm"]["value"] == pytest.approx(mean, rel=0.025)
    for drift in data["drift"]:
        if drift["metric"] == "cadence_spm" and drift["significant"]:
            # A drift is only claimed where the running-only records show it too.
            assert np.sign(drift["change_pct"]) == np.sign(change)
            assert abs(change) >= 0.01


@pytest.mark.parametrize("name", ["python-fitparse/garmin-edge-500-activity.fit",
                                  "rowingdata/3x250m.tcx", "python-fitparse/event_timestamp.fit"])
def test_cli_refuses_other_sports_with_exit_1(name: str) -> None:
    result = CliRunner().invoke(cli, ["analyze", str(CORPUS / name)])
    assert result.exit_code == 1
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("backstride: error: ")
    assert "not a run" in lines[0]


@pytest.mark.parametrize("name", sorted(n for n in EXPECTED if n.lower().endswith(".fit")))
def test_cut_short_files_give_an_answer_never_a_traceback(name: str, tmp_path: Path) -> None:
    data = (CORPUS / name).read_bytes()
    cut = tmp_path / Path(name).name
    cut.write_bytes(data[: len(data) * 2 // 3])
    try:
        _analyse(cut)
    except BackstrideError as exc:
        assert not INTERNAL.search(str(exc))


def test_stryd_developer_fields_stand_in_for_missing_dynamics() -> None:
    """A Forerunner 920XT without a dynamics strap, with a Stryd pod (issue #12 item 5)."""
    data = _analyse(CORPUS / "tormoder-fit/misc-mornindew-broken.fit")
    metrics = data["metrics"]
    assert metrics["ground_contact_time_ms"]["value"] == pytest.approx(287.5, abs=1.0)
    assert metrics["vertical_oscillation_mm"]["value"] == pytest.approx(63.3, abs=1.0)
    assert metrics["power_w"]["status"] == "ok"
    said = next(w for w in data["quality"]["warnings"] if "developer fields" in w)
    assert "Stryd" in said and "'Ground Time'" in said and "'Vertical Oscillation'" in said


def test_multisport_reports_the_run_leg_own_start_distance_and_duration() -> None:
    """Issue #12 item 6: a triathlon's run starts 41 min 10 s after the swim."""
    data = _analyse(CORPUS / "muktihari-fit/triathlon_summary_first.fit")
    assert data["activity"]["start_utc"] == "2023-09-02T13:56:34Z"  # not the swim's 13:15:24
    assert data["activity"]["distance_m"] == pytest.approx(4491.51)
    assert data["activity"]["duration_s"] == pytest.approx(1573.613)
    assert [leg["sport"] for leg in data["device_summary"]] == ["running"]


def test_run_walk_report_says_running_and_walking_time() -> None:
    result = CliRunner().invoke(cli, ["analyze", str(CORPUS / "runpandas/run.fit")])
    assert result.exit_code == 0
    found = re.search(r"running (\d+\.\d) min and walking (\d+\.\d) min", result.stdout)
    assert found is not None
    assert float(found[1]) == pytest.approx(32, abs=1.5)
    assert float(found[2]) == pytest.approx(19, abs=1.5)
