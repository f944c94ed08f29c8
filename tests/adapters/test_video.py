"""open_video(): clips generated here with PyAV (upright, rotated, damaged, not videos) and the
shared fixture clips."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from backstride.errors import CorruptFileError, InputError, InsufficientDataError
from tests.adapters import clips
from tests.conftest import fixture_file

pytest.importorskip("av", reason="needs the video extra")
pytestmark = pytest.mark.video

from backstride.adapters.video import (  # noqa: E402  (after the extra's import check)
    DamagedVideoError,
    VideoFileError,
    open_video,
)


def test_info_and_frames_of_a_generated_clip(tmp_path: Path) -> None:
    path = clips.make_clip(tmp_path / "clip.mp4", width=96, height=64, frames=45, rate=30)
    video = open_video(path)
    info = video.info
    assert (info.width_px, info.height_px, info.rotation_deg) == (96, 64, 0)
    assert info.frame_rate_hz == pytest.approx(30.0)
    assert info.duration_s == pytest.approx(1.5, abs=0.04)
    assert info.frame_count == 45
    assert info.codec == "h264"
    assert not info.has_audio
    frames = list(video.frames())
    times = np.array([t for t, _ in frames])
    assert len(frames) == 45
    assert times[0] == 0.0
    assert np.allclose(np.diff(times), 1 / 30, atol=1e-3)
    assert all(f.shape == (64, 96, 3) and f.dtype == np.uint8 for _, f in frames)
    assert video.issues == []


def test_timestamps_come_from_the_container_not_the_nominal_rate(tmp_path: Path) -> None:
    """A 25 fps clip read back: times step by 40 ms, whatever a 30 fps assumption would say."""
    path = clips.make_clip(tmp_path / "clip.mp4", frames=10, rate=25)
    times = [t for t, _ in open_video(path).frames()]
    assert times == pytest.approx([i * 0.04 for i in range(10)], abs=1e-6)


def test_frames_stop_at_max_frames_and_the_clip_can_be_read_twice(tmp_path: Path) -> None:
    video = open_video(clips.make_clip(tmp_path / "clip.mp4", frames=30))
    assert len(list(video.frames(max_frames=7))) == 7
    assert len(list(video.frames())) == 30


def test_audio_track_is_reported(tmp_path: Path) -> None:
    path = clips.make_clip(tmp_path / "clip.mp4", frames=30, audio=True)
    assert open_video(path).info.has_audio


@pytest.mark.parametrize("clockwise", [90, 180, 270])
def test_rotated_clip_comes_out_upright(tmp_path: Path, clockwise: int) -> None:
    path = clips.make_clip(tmp_path / "phone.mp4", width=64, height=112, frames=5,
                           rotation_cw=clockwise)
    video = open_video(path)
    assert video.info.rotation_deg == clockwise
    assert (video.info.width_px, video.info.height_px) == (64, 112)
    for index, (_, frame) in enumerate(video.frames()):
        assert frame.shape == (112, 64, 3)
        expected = clips.picture(index, 64, 112)
        # The red marker is in the upright picture's top-left corner, and only there.
        corner = frame[: clips.MARKER_PX - 2, : clips.MARKER_PX - 2].reshape(-1, 3).mean(axis=0)
        assert corner[0] > 180 and corner[1] < 90, corner
        assert np.abs(frame.astype(int) - expected.astype(int)).mean() < 8


def test_rotation_matches_opencv_autorotation(tmp_path: Path) -> None:
    """An independent reader (OpenCV's FFmpeg backend, auto-orientation on) agrees."""
    cv2 = pytest.importorskip("cv2")
    path = clips.make_clip(tmp_path / "phone.mp4", width=64, height=112, frames=3,
                           rotation_cw=90)
    capture = cv2.VideoCapture(str(path))
    capture.set(cv2.CAP_PROP_ORIENTATION_AUTO, 1)
    ok, bgr = capture.read()
    capture.release()
    assert ok
    _, ours = next(open_video(path).frames())
    assert ours.shape == bgr.shape
    assert np.abs(ours.astype(int) - bgr[..., ::-1].astype(int)).mean() < 3


# --- files that are not usable videos -------------------------------------------------------


def test_missing_file(tmp_path: Path) -> None:
    with pytest.raises(VideoFileError, match=r"nothere\.mp4 was not found"):
        open_video(tmp_path / "nothere.mp4")


def test_empty_file(tmp_path: Path) -> None:
    (tmp_path / "empty.mp4").write_bytes(b"")
    with pytest.raises(VideoFileError, match=r"empty\.mp4 is empty \(0 bytes\)"):
        open_video(tmp_path / "empty.mp4")


def test_random_bytes(tmp_path: Path) -> None:
    path = tmp_path / "noise.mp4"
    path.write_bytes(np.random.default_rng(1).bytes(20_000))
    with pytest.raises(VideoFileError, match=r"noise\.mp4 is not a video backstride can read"
                       r".*Use the clip as the camera saved it"):
        open_video(path)


def test_audio_only_file(tmp_path: Path) -> None:
    path = clips.write_audio_only(tmp_path / "voice.m4a")
    with pytest.raises(VideoFileError, match=r"voice\.m4a has no video track \(audio only\)"):
        open_video(path)


def test_still_image(tmp_path: Path) -> None:
    pytest.importorskip("cv2")
    path = clips.write_png(tmp_path / "photo.png")
    with pytest.raises(VideoFileError, match=r"photo\.png is a still image, not a video\. "
                       r"Film a clip"):
        open_video(path)


def test_still_image_with_a_video_extension(tmp_path: Path) -> None:
    pytest.importorskip("cv2")
    path = clips.write_png(tmp_path / "photo.mp4")
    with pytest.raises(VideoFileError, match="is a still image"):
        open_video(path)


def test_single_frame_clip(tmp_path: Path) -> None:
    path = clips.make_clip(tmp_path / "one.mp4", frames=1)
    with pytest.raises(InsufficientDataError, match=r"one\.mp4 holds a single frame"):
        open_video(path)


def test_zero_frame_clip(tmp_path: Path) -> None:
    path = clips.write_zero_frame_matroska(tmp_path / "zero.mkv")
    with pytest.raises(DamagedVideoError, match=r"zero\.mkv is damaged: it ends before its "
                       r"first picture"):
        open_video(path)


def test_zero_frame_mp4_has_no_video_track(tmp_path: Path) -> None:
    """FFmpeg's MP4 muxer drops a track without samples: the file reads as having no video."""
    import av

    path = tmp_path / "zero.mp4"
    with av.open(str(path), mode="w") as container:
        stream = container.add_stream("libx264", rate=30)
        stream.width, stream.height, stream.pix_fmt = 64, 48, "yuv420p"
        container.start_encoding()
    with pytest.raises(VideoFileError, match="has no video track"):
        open_video(path)


def test_truncated_mp4_without_its_index(tmp_path: Path) -> None:
    """A recording cut short loses the moov box, written last: nothing can be decoded."""
    whole = clips.make_clip(tmp_path / "whole.mp4", frames=60)
    cut = clips.truncate(whole, tmp_path / "cut.mp4", 0.5)
    with pytest.raises(DamagedVideoError, match=r"cut\.mp4 is damaged: its index .*cut short"
                       r".*Copy the whole clip") as caught:
        open_video(cut)
    assert isinstance(caught.value, CorruptFileError)
    assert caught.value.__cause__ is not None


def test_truncated_faststart_mp4_keeps_what_is_there(tmp_path: Path) -> None:
    """With the index first, a cut file still decodes up to the cut, with an issue."""
    whole = clips.make_clip(tmp_path / "whole.mp4", frames=60, faststart=True,
                             noise=True)
    cut = clips.truncate(whole, tmp_path / "cut.mp4", 0.6)
    video = open_video(cut)
    frames = list(video.frames())
    assert 10 < len(frames) < 60
    assert "video_cut_short" in {issue.code for issue in video.issues}


def test_damaged_middle_keeps_the_frames_around_it(tmp_path: Path) -> None:
    whole = clips.make_clip(tmp_path / "whole.mp4", frames=60, noise=True)
    damaged = clips.damage_middle(whole, tmp_path / "damaged.mp4")
    video = open_video(damaged)
    frames = list(video.frames())
    assert 40 <= len(frames) <= 60
    times = np.array([t for t, _ in frames])
    assert np.all(np.diff(times) > 0)
    assert "video_damaged" in {issue.code for issue in video.issues}


@pytest.mark.parametrize("fraction", [0.02, 0.1, 0.3, 0.7, 0.95])
def test_any_truncation_ends_in_an_input_error_or_frames(tmp_path: Path, fraction: float) -> None:
    whole = clips.make_clip(tmp_path / "whole.mp4", frames=40, faststart=True,
                             noise=True)
    cut = clips.truncate(whole, tmp_path / "cut.mp4", fraction)
    try:
        video = open_video(cut)
        frames = list(video.frames())
    except InputError:
        return
    assert frames
    assert "video_cut_short" in {issue.code for issue in video.issues}


def test_a_pass_stopped_early_reports_no_lost_frames(tmp_path: Path,
                                                     caplog: pytest.LogCaptureFixture) -> None:
    """Issue 13: the key-frame pass stops after the last frame it needs; the frames it never
    asked for are not "lost", and no warning says the file seems cut short."""
    whole = clips.make_clip(tmp_path / "whole.mp4", frames=60)
    video = open_video(whole)
    frames = video.frames()
    for _ in range(5):
        next(frames)
    frames.close()
    assert video.issues == []
    assert list(video.frames(max_frames=10)) and video.issues == []
    assert "cut short" not in caplog.text


def test_a_key_frame_pass_does_not_warn(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    from backstride.adapters.pose.pipeline import estimate_poses
    from backstride.adapters.render.annotate import key_frames_jpeg
    from tests.adapters.pose.test_pipeline import SquareFinder

    clip = clips.make_clip(tmp_path / "clip.mp4", frames=60)
    poses = estimate_poses(clip, estimator_factory=SquareFinder)
    assert key_frames_jpeg(clip, poses, [0.1, 0.3])
    assert not [r for r in caplog.records if r.levelname == "WARNING"], caplog.text


def test_a_cut_clip_read_to_its_end_still_says_so(tmp_path: Path,
                                                  caplog: pytest.LogCaptureFixture) -> None:
    whole = clips.make_clip(tmp_path / "whole.mp4", frames=60, faststart=True, noise=True)
    video = open_video(clips.truncate(whole, tmp_path / "cut.mp4", 0.6))
    assert len(list(video.frames())) < 60
    assert "video_cut_short" in {issue.code for issue in video.issues}
    assert "cut short" in caplog.text or "decoding stopped early" in caplog.text


# --- the shared fixture clips -----------------------------------------------------------------


@pytest.mark.fixtures
def test_treadmill_fixture() -> None:
    video = open_video(fixture_file("video", "treadmill-side-30fps.mp4"))
    info = video.info
    assert (info.width_px, info.height_px, info.rotation_deg) == (720, 1280, 0)
    assert (info.frame_count, info.frame_rate_hz, info.codec) == (360, 30.0, "h264")
    times = np.array([t for t, _ in video.frames()])
    assert times.size == 360
    assert np.all(np.diff(times) > 0)
    assert times[-1] == pytest.approx(359 / 30)


@pytest.mark.fixtures
def test_multiperson_fixture_header() -> None:
    info = open_video(fixture_file("video", "outdoor-walk-jump-run-multiperson.mp4")).info
    assert (info.width_px, info.height_px, info.codec) == (1768, 994, "vp9")
    assert info.has_audio
    assert info.frame_count == 230


@pytest.mark.parametrize("suffix", [".mp4", ".mkv"])
def test_the_capture_rate_a_phone_writes_is_read(tmp_path: Path, suffix: str) -> None:
    """Issue 13: Android writes com.android.capture.fps (an MP4 mdta key; Matroska upper-cases
    tag names); a clip without it has no known capture rate."""
    import av

    path = tmp_path / f"slow{suffix}"
    options = {"movflags": "use_metadata_tags"} if suffix == ".mp4" else {}
    with av.open(str(path), "w", options=options) as container:
        container.metadata["com.android.capture.fps"] = "240.000000"
        stream = container.add_stream("libx264", rate=30)
        stream.width, stream.height, stream.pix_fmt = 64, 48, "yuv420p"
        for index in range(6):
            container.mux(stream.encode(av.VideoFrame.from_ndarray(
                clips.picture(index, 64, 48), format="rgb24")))
        container.mux(stream.encode(None))
    assert open_video(path).info.capture_rate_hz == 240.0
    plain = clips.make_clip(tmp_path / "plain.mp4", frames=6)
    assert open_video(plain).info.capture_rate_hz is None
