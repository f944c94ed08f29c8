"""Issue 5's numbers on the real clips, with the real model (slow: ~8 s of pose per clip).

Cadence on the treadmill clip must be within ±1 spm of the ground truth 168.9 spm and stay so
when the clip is mirrored, rescaled, re-encoded at another frame rate or trimmed. The variants
are made here with PyAV from the fixture (never stored), and each must be judged filmed from a
steady camera; a panned copy must not be (DOMAIN.md §3.5). The multi-person outdoor clip is not a
steady run and must be refused for cadence, with a reason.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pytest
from click.testing import CliRunner

from backstride.cli import cli
from tests.conftest import fixture_file

pytestmark = [pytest.mark.slow, pytest.mark.video, pytest.mark.fixtures]

TRUTH_SPM = 168.9
TOLERANCE_SPM = 1.0
FIXED_CAMERA_MAX_FRAC = 0.005
"""Issue 13: a tripod clip's camera path stays under 0.5 % of the width."""

av = pytest.importorskip("av")
cv2 = pytest.importorskip("cv2")


def _reencode(source: Path, target: Path, *, rate: int = 30,
              transform: Callable[[np.ndarray], np.ndarray] = lambda f: f,
              start_s: float = 0.0) -> Path:
    """Decode ``source`` and write ``target`` (H.264) at ``rate`` fps, picking for each output
    time the source frame shown then, from ``start_s`` on."""
    with av.open(str(source)) as src:
        frames = [(float(f.time), f.to_ndarray(format="rgb24")) for f in src.decode(video=0)]
    times = np.array([t for t, _ in frames])
    end = times[-1] + (times[1] - times[0])
    out_times = np.arange(start_s, end - 1e-9, 1.0 / rate)
    first = transform(frames[0][1])
    with av.open(str(target), "w") as dst:
        stream = dst.add_stream("libx264", rate=rate)
        stream.width, stream.height = first.shape[1] // 2 * 2, first.shape[0] // 2 * 2
        stream.pix_fmt = "yuv420p"
        for t in out_times:
            index = int(np.searchsorted(times, t + 1e-9, side="right") - 1)
            picture = transform(frames[max(index, 0)][1])[:stream.height, :stream.width]
            for packet in stream.encode(av.VideoFrame.from_ndarray(
                    np.ascontiguousarray(picture), format="rgb24")):
                dst.mux(packet)
        for packet in stream.encode():
            dst.mux(packet)
    return target


def _mirrored(f: np.ndarray) -> np.ndarray:
    return f[:, ::-1]


def _rescaled(f: np.ndarray) -> np.ndarray:
    return cv2.resize(f, (f.shape[1] * 3 // 4, f.shape[0] * 3 // 4), interpolation=cv2.INTER_AREA)


def _runner_fills_portrait(f: np.ndarray) -> np.ndarray:
    """A 444x740 portrait crop around the runner (keypoints span x 108-503, y 634-1228 of the
    720x1280 fixture): the runner covers most of the picture, as on a phone held close."""
    return f[540:1280, 80:524]


VARIANTS: dict[str, Callable[[Path, Path], Path]] = {
    "original": lambda src, dst: src,
    "mirrored": lambda src, dst: _reencode(src, dst, transform=_mirrored),
    "rescaled-0.75": lambda src, dst: _reencode(src, dst, transform=_rescaled),
    "25fps": lambda src, dst: _reencode(src, dst, rate=25),
    "trimmed-2s": lambda src, dst: _reencode(src, dst, start_s=2.0),
    "portrait-crop-runner-fills": lambda src, dst: _reencode(src, dst,
                                                             transform=_runner_fills_portrait),
}


def _analyse(path: Path, *extra: str) -> dict:  # type: ignore[type-arg]
    result = CliRunner().invoke(cli, ["analyze", str(path), "--json", "-", *extra])
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout)  # type: ignore[no-any-return]


@pytest.mark.parametrize("variant", list(VARIANTS))
def test_treadmill_cadence_within_one_spm(variant: str, tmp_path: Path) -> None:
    clip = VARIANTS[variant](fixture_file("video", "treadmill-side-30fps.mp4"),
                             tmp_path / f"{variant}.mp4")
    analysis = _analyse(clip)
    cadence = analysis["metrics"]["cadence_spm"]
    print(f"{variant}: {cadence['value']:.2f} spm "
          f"(error {cadence['value'] - TRUTH_SPM:+.2f}), estimates "
          f"{analysis['video']['cadence_estimates_spm']}")
    assert cadence["status"] == "ok", cadence["reason"]
    assert abs(cadence["value"] - TRUTH_SPM) <= TOLERANCE_SPM
    assert analysis["video"]["view"] == "side"
    assert analysis["metrics"]["trunk_lean_deg"]["status"] == "ok"
    # §3.5 steady camera: the tripod clip is judged steady, also when the runner fills the
    # frame (issue 13: the portrait crop read 84 % with the old phase correlation).
    motion = analysis["video"]["camera_motion_frac_width"]
    print(f"{variant}: camera moved {100 * motion:.2f} % of the frame width")
    assert motion < FIXED_CAMERA_MAX_FRAC
    assert analysis["metrics"]["vertical_oscillation_frac_leg"]["status"] == "ok"
    assert not any("camera moved" in w or "steady camera" in w or "scene cut" in w
                   for w in analysis["quality"]["warnings"])


def test_a_panned_treadmill_clip_keeps_angles_but_not_positions(tmp_path: Path) -> None:
    """The fixture seen through a 640 px window sliding 80 px to the right over the clip (a
    slow pan, 11 % of the frame width in 12 s)."""
    source = fixture_file("video", "treadmill-side-30fps.mp4")
    with av.open(str(source)) as src:
        frames = [f.to_ndarray(format="rgb24") for f in src.decode(video=0)]
    target = tmp_path / "panned.mp4"
    with av.open(str(target), "w") as dst:
        stream = dst.add_stream("libx264", rate=30)
        stream.width, stream.height, stream.pix_fmt = 640, frames[0].shape[0], "yuv420p"
        for index, frame in enumerate(frames):
            x = 80.0 * index / (len(frames) - 1)
            moved = cv2.warpAffine(frame, np.float32([[1, 0, -x], [0, 1, 0]]),
                                   (640, frame.shape[0]), flags=cv2.INTER_LINEAR)
            dst.mux(stream.encode(av.VideoFrame.from_ndarray(moved, format="rgb24")))
        dst.mux(stream.encode(None))
    analysis = _analyse(target)
    motion = analysis["video"]["camera_motion_frac_width"]
    print(f"panned: camera moved {100 * motion:.2f} % of the frame width (truth 12.5 %)")
    assert motion == pytest.approx(80 / 640, rel=0.1)
    refused = analysis["metrics"]["vertical_oscillation_frac_leg"]
    assert refused["status"] == "insufficient_data" and "the camera moved" in refused["reason"]
    assert analysis["metrics"]["overstride_frac_leg"]["status"] == "insufficient_data"
    for name in ("cadence_spm", "trunk_lean_deg", "knee_flexion_midstance_deg"):
        assert analysis["metrics"][name]["status"] == "ok", name


def test_multi_person_clip_is_refused_for_cadence() -> None:
    analysis = _analyse(fixture_file("video", "outdoor-walk-jump-run-multiperson.mp4"))
    cadence = analysis["metrics"]["cadence_spm"]
    assert cadence["status"] == "insufficient_data"
    assert cadence["value"] is None and cadence["reason"]
    # Its flickering sun flare changes the exposure, which is not a scene cut (issue 13).
    assert not any("scene cut" in w for w in analysis["quality"]["warnings"])


def test_annotated_video_and_report(tmp_path: Path) -> None:
    clip = fixture_file("video", "treadmill-side-30fps.mp4")
    result = CliRunner().invoke(cli, ["analyze", str(clip), "--annotate",
                                      str(tmp_path / "out.mp4"), "--report",
                                      str(tmp_path / "out.html"), "--height-m", "1.78"])
    assert result.exit_code == 0, result.output
    # Issue 13: the key-frame pass stops early; that is not a clip cut short.
    assert "cut short" not in result.output and "cut short" not in (result.stderr or "")
    with av.open(str(tmp_path / "out.mp4")) as annotated:
        stream = annotated.streams.video[0]
        assert stream.codec_context.name == "h264"
        assert sum(1 for _ in annotated.decode(video=0)) == 360
    html = (tmp_path / "out.html").read_text()
    assert "data:image/jpeg;base64," in html
