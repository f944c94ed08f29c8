"""The command line as a user meets it: exit codes, one-line errors, JSON on stdout."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from click.testing import CliRunner

from backstride.adapters.formats.fit_writer import simulated_run_messages, write_fit_bytes
from backstride.cli import cli
from backstride.core.simulate import RunPlan, simulate_run


@pytest.fixture(scope="module")
def sim_fit(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("runs") / "sim.fit"
    path.write_bytes(write_fit_bytes(simulated_run_messages(simulate_run(
        RunPlan(duration_s=1200), seed=11))))
    return path


def _run(*args: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(cli, list(args))
    assert result.exception is None or isinstance(result.exception, SystemExit), result.exception
    return result.exit_code, result.stdout, result.stderr


def test_analyze_prints_a_summary(sim_fit: Path) -> None:
    code, out, _err = _run("analyze", str(sim_fit))
    assert code == 0
    assert "Cadence" in out and "spm" in out and "not a diagnosis" in out


def test_analyze_json_to_stdout_is_only_json(sim_fit: Path) -> None:
    code, out, _err = _run("analyze", str(sim_fit), "--json", "-")
    assert code == 0
    data = json.loads(out)
    assert data["schema"] == "backstride.analysis/1"
    assert set(data["metrics"]) >= {"cadence_spm", "ground_contact_time_ms",
                                    "vertical_oscillation_mm", "gct_imbalance_pct"}


def test_same_input_gives_identical_json(sim_fit: Path) -> None:
    assert _run("analyze", str(sim_fit), "--json", "-")[1] == _run(
        "analyze", str(sim_fit), "--json", "-")[1]


def test_several_inputs_one_bad(sim_fit: Path, tmp_path: Path) -> None:
    bad = tmp_path / "broken.fit"
    bad.write_bytes(b"not a fit file at all")
    code, out, err = _run("analyze", str(sim_fit), str(bad), "--json", "-", "--quiet")
    assert code == 1
    first, second = json.loads(out)
    assert first["schema"] == "backstride.analysis/1"
    assert second == {"schema": "backstride.error/1", "path": str(bad),
                      "error": second["error"]}
    assert err.count("backstride: error:") == 1
    assert "broken.fit is not a FIT, TCX or GPX activity" in err
    assert "Traceback" not in err


def test_missing_file_is_exit_1_not_usage(tmp_path: Path) -> None:
    code, _out, err = _run("analyze", str(tmp_path / "missing.fit"))
    assert code == 1
    assert err.startswith("backstride: error:") and "does not exist" in err


def test_unknown_option_is_usage_error(sim_fit: Path) -> None:
    assert _run("analyze", str(sim_fit), "--bogus")[0] == 2


def test_global_options_before_or_after_the_command(sim_fit: Path) -> None:
    before = _run("--units", "imperial", "analyze", str(sim_fit))
    after = _run("analyze", str(sim_fit), "--units", "imperial")
    assert before[0] == after[0] == 0
    assert "/mi" in before[1] and "/mi" in after[1]


def test_report_file_and_directory(sim_fit: Path, tmp_path: Path) -> None:
    target = tmp_path / "one.html"
    assert _run("analyze", str(sim_fit), "--report", str(target), "--quiet")[0] == 0
    assert target.read_text().lstrip().lower().startswith("<!doctype html>")
    folder = tmp_path / "reports"
    copy = tmp_path / "copy.fit"
    copy.write_bytes(sim_fit.read_bytes())
    assert _run("analyze", str(sim_fit), str(copy), "--report", str(folder), "--quiet")[0] == 0
    assert sorted(p.name for p in folder.iterdir()) == ["copy.html", "sim.html"]


def test_a_cut_short_video_is_a_clear_error(tmp_path: Path) -> None:
    clip = tmp_path / "run.mp4"
    clip.write_bytes(b"\x00\x00\x00\x18ftypmp42")
    code, _out, err = _run("analyze", str(clip))
    assert code == 1 and "run.mp4 is damaged" in err and "Traceback" not in err


def test_demo_writes_fit_json_and_report(tmp_path: Path) -> None:
    code, out, _err = _run("demo", "--out", str(tmp_path / "demo"))
    assert code == 0
    report = Path(out.strip().splitlines()[-1])
    assert report.exists() and report.suffix == ".html"
    data = json.loads((tmp_path / "demo" / "demo-run.analysis.json").read_text())
    ids = {f["id"] for f in data["findings"]}
    assert "low_cadence" in ids and "drift_cadence_spm" in ids
    # The simulated side and rear clips' reports, and their findings in the plan.
    for view in ("side", "rear"):
        assert "Form metrics" in (tmp_path / "demo" / f"demo-video-{view}.html").read_text()
    plan = json.loads((tmp_path / "demo" / "demo-plan.json").read_text())
    assert "trunk_lean_forward" in json.dumps(plan)
    # From finding to action: the report's findings link into the printable plan beside it.
    html = (tmp_path / "demo" / "demo-run.html").read_text()
    page_ids = set(re.findall(r'\bid="([^"]+)"', (tmp_path / "demo" / "demo-plan.html")
                              .read_text()))
    anchors = re.findall(r'href="demo-plan\.html#([^"]+)"', html)
    assert "plan-step-1" in anchors and "plan-runs" in anchors  # low cadence, cadence drift
    assert set(anchors) <= page_ids
    side = (tmp_path / "demo" / "demo-video-side.html").read_text()
    assert 'href="demo-plan.html#exercise-glute_bridge"' in side  # forward lean
    assert set(re.findall(r'href="demo-plan\.html#([^"]+)"', side)) <= page_ids


def test_version() -> None:
    code, out, _err = _run("--version")
    assert code == 0 and "backstride" in out


def test_video_options_on_a_watch_file_are_noted(sim_fit: Path) -> None:
    code, _out, err = _run("analyze", str(sim_fit), "--view", "side")
    assert code == 0 and "apply to videos" in err
    code, _out, err = _run("analyze", str(sim_fit), "--capture-fps", "240")
    assert code == 0 and "--capture-fps apply to videos" in err


@pytest.mark.parametrize("value", ["0", "-30", "fast"])
def test_a_bad_capture_rate_is_a_usage_error(sim_fit: Path, value: str) -> None:
    code, _out, err = _run("analyze", str(sim_fit), "--capture-fps", value)
    assert code == 2 and "--capture-fps" in err and "Traceback" not in err


def test_guide_filming_prints_the_capture_protocol() -> None:
    code, out, _err = _run("guide", "filming")
    assert code == 0
    for words in ("tripod", "hip height", "60 frames per second", "960 pixels", "10 seconds",
                  "2 seconds standing still"):
        assert words in out
    # Issue 13: video analysis is in this version; the guide ends by saying how to use it.
    assert "not in this version" not in out
    assert out.rstrip().splitlines()[-1].startswith("Then: backstride analyze CLIP.mp4")
