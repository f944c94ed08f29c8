"""BlazePose itself, offline (slow): the model files come from the wheel and nothing touches
the network; the treadmill fixture gives a pose in nearly every frame; a rotated clip gives
the same keypoints as the upright one."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from backstride.core.pose import Joint
from tests.adapters import clips
from tests.conftest import fixture_file

pytest.importorskip("mediapipe", reason="needs the video extra")
pytest.importorskip("av", reason="needs the video extra")
pytestmark = [pytest.mark.slow, pytest.mark.video]

from backstride.adapters.pose import get_estimator  # noqa: E402
from backstride.adapters.pose.blazepose import MODEL_COMPLEXITY, MODEL_FILES  # noqa: E402
from backstride.adapters.pose.pipeline import estimate_poses  # noqa: E402

TREADMILL = ("video", "treadmill-side-30fps.mp4")
NETWORK_EVENTS = ("socket.connect", "socket.getaddrinfo", "socket.gethostbyname",
                  "urllib.Request", "http.client.connect")


def site_packages() -> Path:
    import mediapipe

    return Path(mediapipe.__file__).resolve().parents[1]


_listening: list[str] | None = None


def _audit(event: str, args: Any) -> None:
    if _listening is not None and event in NETWORK_EVENTS:
        _listening.append(event)


sys.addaudithook(_audit)  # hooks cannot be removed; it records only inside `network_events`


@pytest.fixture
def network_events() -> Iterator[list[str]]:
    global _listening
    _listening = []
    try:
        yield _listening
    finally:
        _listening = None


def test_model_comes_from_the_wheel_and_no_network_is_used(
        network_events: list[str], monkeypatch: pytest.MonkeyPatch) -> None:
    from mediapipe.python.solutions import download_utils

    downloads: list[str] = []
    monkeypatch.setattr(download_utils, "download_oss_model", downloads.append)
    assert MODEL_COMPLEXITY == 1
    for relative in MODEL_FILES:
        assert (site_packages() / relative).is_file(), relative
    estimator = get_estimator()
    try:
        xy, visibility = estimator.estimate(np.zeros((256, 256, 3), dtype=np.uint8))
    finally:
        estimator.close()
    assert xy is None and not visibility.any()  # nobody in a black frame
    assert downloads == []
    assert network_events == []


def test_model_files_opened_are_the_wheels_and_no_socket_connects(tmp_path: Path) -> None:
    """Seen from the kernel: every .tflite opened is one of the wheel's two, and no process
    connects to an internet address."""
    strace = shutil.which("strace")
    if strace is None:
        pytest.skip("strace is not installed")
    script = ("import numpy as np\n"
              "from backstride.adapters.pose import get_estimator\n"
              "e = get_estimator(); e.estimate(np.zeros((256, 256, 3), np.uint8)); e.close()\n")
    trace = tmp_path / "trace"
    result = subprocess.run(  # -ff: a file per thread, so no call is split over two lines
        [strace, "-ff", "-qq", "-e", "trace=openat,open,connect", "-o", str(trace),
         sys.executable, "-c", script],
        capture_output=True, text=True, timeout=120, cwd=tmp_path,
        env={**os.environ, "PYTHONPATH": os.pathsep.join(sys.path)})
    if result.returncode != 0 and "ptrace" in result.stderr:
        pytest.skip(f"strace cannot trace here: {result.stderr.strip()[:200]}")
    assert result.returncode == 0, result.stderr[-2000:]
    lines = [line for part in tmp_path.glob("trace.*") for line in part.read_text().splitlines()]
    opened = {re.search(r'"([^"]+\.tflite)"', line).group(1)  # type: ignore[union-attr]
              for line in lines if ".tflite" in line and not re.search(r"= -1 E", line)}
    assert opened == {str(site_packages() / relative) for relative in MODEL_FILES}
    assert not [line for line in lines if "connect(" in line and "AF_INET" in line]


@pytest.mark.fixtures
def test_treadmill_clip_has_a_pose_in_nearly_every_frame() -> None:
    poses = estimate_poses(fixture_file(*TREADMILL))
    assert poses.frame_count == 360
    assert np.all(np.diff(poses.t_s) > 0)
    assert poses.t_s[-1] == pytest.approx(359 / 30)
    assert (poses.width_px, poses.height_px, poses.rotation_deg) == (720, 1280, 0)
    assert np.mean(poses.detected) >= 0.9
    hips = poses.joint(Joint.LEFT_HIP)[poses.detected]
    ankles = poses.joint(Joint.LEFT_ANKLE)[poses.detected]
    # Upright: hips above ankles (y down), both inside the frame.
    assert np.median(hips[:, 1]) < np.median(ankles[:, 1])
    assert 0 < np.median(hips[:, 0]) < 720 and 0 < np.median(ankles[:, 1]) < 1280


@pytest.mark.fixtures
def test_rotated_phone_clip_gives_the_upright_keypoints(tmp_path: Path) -> None:
    source = fixture_file(*TREADMILL)
    upright = clips.rotated_copy(source, tmp_path / "upright.mp4", clockwise=0, frames=45)
    rotated = clips.rotated_copy(source, tmp_path / "rotated.mp4", clockwise=90, frames=45)
    a = estimate_poses(upright)
    b = estimate_poses(rotated)
    assert b.rotation_deg == 90
    assert (b.width_px, b.height_px) == (a.width_px, a.height_px) == (720, 1280)
    both = a.detected & b.detected
    assert both.mean() >= 0.9
    joints = [Joint.LEFT_HIP, Joint.RIGHT_HIP, Joint.LEFT_KNEE, Joint.RIGHT_KNEE,
              Joint.LEFT_SHOULDER]
    error_px = np.linalg.norm(a.xy_px[both][:, joints] - b.xy_px[both][:, joints], axis=-1)
    assert np.median(error_px) < 6.0


@pytest.mark.fixtures
def test_model_start_up_notices_stay_off_stderr() -> None:
    """MediaPipe's native start-up notices go to the log, not to the CLI's stderr."""
    clip = fixture_file(*TREADMILL)
    script = ("import sys\nfrom pathlib import Path\n"
              "from backstride.adapters.pose import get_estimator\n"
              "from backstride.adapters.video import open_video\n"
              "e = get_estimator()\n"
              "for _, frame in open_video(Path(sys.argv[1])).frames(max_frames=3):\n"
              "    assert e.estimate(frame)[0] is not None\n"
              "e.close()\n")
    result = subprocess.run([sys.executable, "-c", script, str(clip)], capture_output=True,
                            text=True, timeout=120,
                            env={**os.environ, "PYTHONPATH": os.pathsep.join(sys.path)})
    assert result.returncode == 0, result.stderr[-2000:]
    assert result.stderr == ""
