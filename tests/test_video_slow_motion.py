"""Slow motion on the real treadmill clip (issue 13, real model, slow): the fixture's 360
frames written to play 4× slower (7.5 fps, as a 30 fps capture shown in slow motion), with and
without the capture rate a phone writes; analysed on the real time scale, cadence is the
fixture's 168.9 ± 1 spm."""

from __future__ import annotations

import json
from fractions import Fraction
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from backstride.cli import cli
from tests.conftest import fixture_file

pytestmark = [pytest.mark.slow, pytest.mark.video, pytest.mark.fixtures]
av = pytest.importorskip("av")

TRUTH_SPM = 168.9


def _slowed(target: Path, *, tag_capture: bool) -> Path:
    """Every frame of the fixture, in order, at 7.5 fps (PTS × 4)."""
    source = fixture_file("video", "treadmill-side-30fps.mp4")
    options = {"movflags": "use_metadata_tags"} if tag_capture else {}
    with av.open(str(source)) as src, av.open(str(target), "w", options=options) as dst:
        if tag_capture:
            dst.metadata["com.android.capture.fps"] = "30.000000"
        stream = dst.add_stream("libx264", rate=Fraction(15, 2))
        stream.width, stream.height, stream.pix_fmt = 720, 1280, "yuv420p"
        for frame in src.decode(video=0):
            picture = av.VideoFrame.from_ndarray(frame.to_ndarray(format="rgb24"),
                                                 format="rgb24")
            dst.mux(stream.encode(picture))
        dst.mux(stream.encode(None))
    return target


def _analyse(path: Path, *extra: str) -> dict[str, Any]:
    result = CliRunner().invoke(cli, ["analyze", str(path), "--json", "-", *extra])
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout)  # type: ignore[no-any-return]


@pytest.mark.parametrize("how", ["metadata", "--capture-fps"])
def test_slow_motion_is_measured_on_the_real_time_scale(how: str, tmp_path: Path) -> None:
    clip = _slowed(tmp_path / "slow.mp4", tag_capture=how == "metadata")
    analysis = _analyse(clip, *(("--capture-fps", "30") if how == "--capture-fps" else ()))
    video = analysis["video"]
    cadence = analysis["metrics"]["cadence_spm"]
    print(f"{how}: played at {video['frame_rate_hz']} fps, recorded at "
          f"{video['capture_rate_hz']} fps, cadence {cadence['value']} spm")
    assert video["frame_rate_hz"] == pytest.approx(7.5)
    assert video["capture_rate_hz"] == pytest.approx(30.0)
    assert video["time_scale"] == pytest.approx(0.25)
    assert cadence["status"] == "ok", cadence["reason"]
    assert abs(cadence["value"] - TRUTH_SPM) <= 1.0
    assert analysis["activity"]["duration_s"] == pytest.approx(12.0, abs=0.1)


def test_slow_motion_without_a_known_rate_is_refused_with_the_fix(tmp_path: Path) -> None:
    analysis = _analyse(_slowed(tmp_path / "slow.mp4", tag_capture=False))
    cadence = analysis["metrics"]["cadence_spm"]
    assert cadence["status"] == "insufficient_data"
    assert "--capture-fps" in cadence["reason"]
