"""`backstride analyze` on videos that cannot be measured: one clear line, exit 1, no
traceback; and a rotated phone clip measured like the upright one."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from backstride.cli import cli
from tests.adapters import clips
from tests.conftest import fixture_file

pytestmark = pytest.mark.video
pytest.importorskip("av")
pytest.importorskip("mediapipe")


def _run(*args: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(cli, ["analyze", *args])
    return result.exit_code, result.stdout, result.stderr


def _one_error_line(stderr: str) -> str:
    lines = [line for line in stderr.splitlines() if line.startswith("backstride: error:")]
    assert len(lines) == 1, stderr
    assert "Traceback" not in stderr
    return lines[0]


@pytest.mark.slow
def test_a_clip_with_no_person(tmp_path: Path) -> None:
    clip = clips.make_clip(tmp_path / "square.mp4", width=320, height=240, frames=20)
    code, _, err = _run(str(clip))
    assert code == 1
    assert "No person was found" in _one_error_line(err)


@pytest.mark.parametrize("make, words", [
    (lambda d: clips.write_audio_only(d / "voice.m4a"), "no video"),
    (lambda d: clips.write_png(d / "still.mp4"), "still image"),
    (lambda d: clips.write_zero_frame_matroska(d / "empty.mkv"), "first picture"),
    (lambda d: (d / "junk.mp4").write_bytes(b"\x00\x00\x00\x18ftypmp42" + b"\x01" * 500)
     or d / "junk.mp4", ""),
], ids=["audio-only", "still-image", "zero-frames", "corrupt"])
def test_unusable_files_say_what_is_wrong(tmp_path: Path, make, words: str) -> None:  # type: ignore[no-untyped-def]
    path = make(tmp_path)
    code, _, err = _run(str(path))
    assert code == 1
    line = _one_error_line(err)
    assert words.lower() in line.lower()


def test_truncated_clip(tmp_path: Path) -> None:
    source = clips.make_clip(tmp_path / "whole.mp4", width=320, height=240, frames=30)
    cut = clips.truncate(source, tmp_path / "cut.mp4", 0.5)
    code, _, err = _run(str(cut))
    assert code == 1
    _one_error_line(err)


def test_several_inputs_keep_going(tmp_path: Path) -> None:
    bad = clips.write_audio_only(tmp_path / "voice.m4a")
    code, out, err = _run(str(bad), str(bad), "--json", "-")
    assert code == 1
    entries = json.loads(out)
    assert [e["schema"] for e in entries] == ["backstride.error/1"] * 2
    assert err.count("backstride: error:") == 2


@pytest.mark.slow
@pytest.mark.fixtures
def test_rotated_phone_clip_is_measured_upright(tmp_path: Path) -> None:
    source = fixture_file("video", "treadmill-side-30fps.mp4")
    rotated = clips.rotated_copy(source, tmp_path / "rotated.mp4", clockwise=90, frames=360)
    code, out, err = _run(str(rotated), "--json", "-")
    assert code == 0, err
    analysis = json.loads(out)
    assert analysis["video"]["rotation_deg"] == 90
    assert (analysis["video"]["width_px"], analysis["video"]["height_px"]) == (720, 1280)
    assert abs(analysis["metrics"]["cadence_spm"]["value"] - 168.9) <= 1.0


def test_annotate_refused_for_watch_files_only(tmp_path: Path) -> None:
    gpx = tmp_path / "run.gpx"
    gpx.write_text("<gpx></gpx>")
    code, _, err = _run(str(gpx), "--annotate", str(tmp_path / "a.mp4"))
    assert code == 1 and "--annotate is for videos" in err
