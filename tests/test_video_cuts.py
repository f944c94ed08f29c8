"""Scene cuts on the real treadmill clip (issue 13, real model, slow): the fixture joined to
itself at twice the speed (another pace after a jump cut in the same scene) is split at the
cut, and the metrics come from one shot only."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.conftest import fixture_file
from tests.test_video_acceptance import TRUTH_SPM, _analyse

pytestmark = [pytest.mark.slow, pytest.mark.video, pytest.mark.fixtures]
av = pytest.importorskip("av")


def test_a_clip_joined_to_itself_at_another_speed_is_split(tmp_path: Path) -> None:
    source = fixture_file("video", "treadmill-side-30fps.mp4")
    target = tmp_path / "joined.mp4"
    with av.open(str(source)) as src:
        frames = [f.to_ndarray(format="rgb24") for f in src.decode(video=0)]
    with av.open(str(target), "w") as dst:
        stream = dst.add_stream("libx264", rate=30)
        stream.width, stream.height, stream.pix_fmt = 720, 1280, "yuv420p"
        for picture in frames + frames[::2][:120]:  # 12 s, then 4 s at double speed
            dst.mux(stream.encode(av.VideoFrame.from_ndarray(picture, format="rgb24")))
        dst.mux(stream.encode(None))
    analysis = _analyse(target)
    warnings = analysis["quality"]["warnings"]
    print(warnings)
    assert any("1 scene cut(s) (at 12.0 s)" in w for w in warnings)
    assert analysis["video"]["analysed_s"][1] < 12.0  # nothing after the cut
    cadence = analysis["metrics"]["cadence_spm"]
    assert cadence["status"] == "ok" and abs(cadence["value"] - TRUTH_SPM) <= 1.0
