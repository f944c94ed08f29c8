"""The annotated MP4 and the report's key frames, on generated clips and made-up keypoints."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from backstride.core.pose import LANDMARK_COUNT, Joint, PoseSequence
from backstride.errors import InputError
from tests.adapters import clips

pytest.importorskip("av", reason="needs the video extra")
cv2 = pytest.importorskip("cv2", reason="needs the video extra")
pytestmark = pytest.mark.video

import av  # noqa: E402

from backstride.adapters.render.annotate import (  # noqa: E402
    LEFT_RGB,
    RIGHT_RGB,
    ContactMark,
    Overlay,
    TimedLabel,
    key_frames_jpeg,
    write_annotated_video,
)
from backstride.adapters.video import open_video  # noqa: E402

W, H = 640, 480


def standing_figure(times: np.ndarray, width: int = W, height: int = H) -> PoseSequence:
    """The same figure in every frame: left leg at x = 0.3 width, right leg at 0.7 width."""
    xy = np.full((LANDMARK_COUNT, 2), np.nan)
    for joint, (x, y) in {
        Joint.LEFT_SHOULDER: (0.45, 0.2), Joint.RIGHT_SHOULDER: (0.55, 0.2),
        Joint.LEFT_HIP: (0.3, 0.5), Joint.RIGHT_HIP: (0.7, 0.5),
        Joint.LEFT_KNEE: (0.3, 0.65), Joint.RIGHT_KNEE: (0.7, 0.65),
        Joint.LEFT_ANKLE: (0.3, 0.8), Joint.RIGHT_ANKLE: (0.7, 0.8),
        Joint.LEFT_HEEL: (0.27, 0.83), Joint.RIGHT_HEEL: (0.67, 0.83),
        Joint.LEFT_TOE: (0.36, 0.84), Joint.RIGHT_TOE: (0.76, 0.84),
    }.items():
        xy[joint] = (x * width, y * height)
    n = times.size
    return PoseSequence(t_s=times, xy_px=np.tile(xy, (n, 1, 1)),
                        visibility=np.ones((n, LANDMARK_COUNT)), width_px=width,
                        height_px=height, frame_rate_hz=25.0)


@pytest.fixture
def clip(tmp_path: Path) -> Path:
    return clips.make_clip(tmp_path / "clip.mp4", width=W, height=H, frames=25, rate=25)


def frame_times(path: Path) -> np.ndarray:
    return np.array([t for t, _ in open_video(path).frames()])


def decoded(path: Path) -> list[np.ndarray]:
    return [frame for _, frame in open_video(path).frames()]


def near(frame: np.ndarray, x: float, y: float, colour: tuple[int, int, int],
         radius: int = 3, tolerance: int = 60) -> bool:
    """Some pixel within ``radius`` of (x, y) has about this colour."""
    x0, y0 = round(x), round(y)
    patch = frame[y0 - radius:y0 + radius + 1, x0 - radius:x0 + radius + 1].astype(int)
    return bool((np.abs(patch - np.array(colour)).max(axis=-1) < tolerance).any())


def test_annotated_video_keeps_timing_and_draws_the_skeleton(clip: Path, tmp_path: Path) -> None:
    times = frame_times(clip)
    out = tmp_path / "annotated.mp4"
    write_annotated_video(clip, standing_figure(times), Overlay(), out)
    with av.open(str(out)) as container:
        stream = container.streams.video[0]
        assert stream.codec_context.name == "h264"
        assert stream.codec_context.pix_fmt == "yuv420p"
        assert float(stream.average_rate) == pytest.approx(25.0)
        assert not container.streams.audio
    np.testing.assert_allclose(frame_times(out), times, atol=1e-4)
    frames = decoded(out)
    assert len(frames) == 25
    mid_left_thigh = (0.3 * W, 0.575 * H)
    mid_right_thigh = (0.7 * W, 0.575 * H)
    assert all(near(f, *mid_left_thigh, LEFT_RGB) for f in frames)
    assert all(near(f, *mid_right_thigh, RIGHT_RGB) for f in frames)
    assert not near(decoded(clip)[0], *mid_left_thigh, LEFT_RGB)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["annotated.mp4", "clip.mp4"]


def test_contacts_are_marked_only_around_their_time(clip: Path, tmp_path: Path) -> None:
    times = frame_times(clip)
    out = tmp_path / "annotated.mp4"
    overlay = Overlay(contacts=(ContactMark(t_s=float(times[5]), side="left", text="knee 21°"),
                                ContactMark(t_s=float(times[15]), side="right")),
                      contact_hold_s=0.1)
    write_annotated_video(clip, standing_figure(times), overlay, out)
    frames = decoded(out)
    ring_radius = round(22 * max(W, H) / 1280)
    left_ring = (0.27 * W - ring_radius, 0.83 * H)   # left-hand edge of the ring at the heel
    right_ring = (0.67 * W - ring_radius, 0.83 * H)
    left_marked = [i for i, f in enumerate(frames) if near(f, *left_ring, LEFT_RGB, 1)]
    right_marked = [i for i, f in enumerate(frames) if near(f, *right_ring, RIGHT_RGB, 1)]
    assert left_marked == [5, 6, 7]    # 0.1 s at 25 fps: the contact frame and two more
    assert right_marked == [15, 16, 17]


def test_header_and_labels_are_written(clip: Path, tmp_path: Path) -> None:
    times = frame_times(clip)
    out = tmp_path / "annotated.mp4"
    overlay = Overlay(header=("cadence 168 spm",),
                      labels=(TimedLabel(start_s=0.4, end_s=0.6, text="trunk lean 7°"),))
    write_annotated_video(clip, standing_figure(times), overlay, out)
    frames = decoded(out)
    scale = max(W, H) / 1280  # text lines sit on baselines 40 and 76 px at 1280 px
    header_box = (slice(round(24 * scale), round(42 * scale)), slice(0, W // 2))
    second_line = (slice(round(60 * scale), round(78 * scale)), slice(0, W // 2))

    def white_pixels(frame: np.ndarray, box: tuple[slice, slice]) -> int:
        return int((frame[box].min(axis=-1) > 220).sum())

    assert all(white_pixels(f, header_box) > 30 for f in frames)
    lit = [i for i, f in enumerate(frames) if white_pixels(f, second_line) > 30]
    assert lit == [i for i, t in enumerate(times) if 0.4 <= t < 0.6]


def test_odd_sized_source_is_cropped_to_even(tmp_path: Path) -> None:
    clip = clips.make_clip(tmp_path / "odd.mp4", width=161, height=121, frames=5,
                           pix_fmt="yuv444p")
    out = tmp_path / "annotated.mp4"
    write_annotated_video(clip, standing_figure(frame_times(clip), 161, 121), Overlay(), out)
    info = open_video(out).info
    assert (info.width_px, info.height_px) == (160, 120)


def test_rotated_source_is_annotated_upright(tmp_path: Path) -> None:
    clip = clips.make_clip(tmp_path / "phone.mp4", width=H, height=W, frames=5, rotation_cw=90)
    out = tmp_path / "annotated.mp4"
    write_annotated_video(clip, standing_figure(frame_times(clip), H, W), Overlay(), out)
    info = open_video(out).info
    assert (info.width_px, info.height_px, info.rotation_deg) == (H, W, 0)


def test_keypoints_of_another_clip_are_refused_and_nothing_is_written(
        clip: Path, tmp_path: Path) -> None:
    out = tmp_path / "annotated.mp4"
    out.write_bytes(b"previous")
    with pytest.raises(InputError, match=r"measured on a 320x240 clip, but clip\.mp4 is "
                       r"640x480"):
        write_annotated_video(clip, standing_figure(frame_times(clip), 320, 240), Overlay(),
                              out)
    assert out.read_bytes() == b"previous"


def test_key_frames_are_small_jpegs_of_the_nearest_frames(clip: Path) -> None:
    times = frame_times(clip)
    nobody = standing_figure(times)
    nobody = PoseSequence(t_s=times, xy_px=np.full_like(nobody.xy_px, np.nan),
                          visibility=np.zeros_like(nobody.visibility), width_px=W, height_px=H,
                          frame_rate_hz=25.0)
    wanted = [0.5, 0.0, 0.43, 99.0]   # 0.43 s is nearest to frame 11 (0.44 s)
    jpegs = key_frames_jpeg(clip, nobody, wanted, max_width_px=320)
    assert len(jpegs) == 4
    assert all(j[:2] == b"\xff\xd8" for j in jpegs)
    images = [jpeg_rgb(j) for j in jpegs]
    assert all(image.shape == (240, 320, 3) for image in images)
    side = min(W, H) // 6
    for t, image, index in zip(wanted, images, [12, 0, 11, 24], strict=True):
        square = np.nonzero((image[100:140].min(axis=-1) > 200).any(axis=0))[0]
        x_full = (index * 3) % (W - side) + (side - 1) / 2
        assert square.mean() == pytest.approx(x_full / 2, abs=2), t


def test_key_frames_show_the_keypoints_and_are_never_enlarged(clip: Path) -> None:
    figure = standing_figure(frame_times(clip))
    big, small = (jpeg_rgb(key_frames_jpeg(clip, figure, [0.2], max_width_px=width)[0])
                  for width in (1000, 320))
    assert big.shape == (H, W, 3)
    assert near(big, 0.3 * W, 0.575 * H, LEFT_RGB)
    assert small.shape == (240, 320, 3)


def jpeg_rgb(data: bytes) -> np.ndarray:
    return np.asarray(cv2.imdecode(np.frombuffer(data, np.uint8), cv2.IMREAD_COLOR)[..., ::-1])


def test_a_ring_follows_the_analysed_heel_track(clip: Path, tmp_path: Path) -> None:
    """Issue 13: where the model labelled the feet the other way round, the analysis's heel
    track (swaps repaired) says where the stance foot is; the ring goes there."""
    times = frame_times(clip)
    out = tmp_path / "annotated.mp4"
    figure = standing_figure(times)
    # The analysis found the left foot where the model's right heel is.
    track = (times, np.tile(figure.xy_px[0, Joint.RIGHT_HEEL], (times.size, 1)))
    overlay = Overlay(contacts=(ContactMark(t_s=float(times[5]), side="left"),),
                      contact_hold_s=0.1, heels_px={"left": track})
    write_annotated_video(clip, figure, overlay, out)
    frames = decoded(out)
    ring_radius = round(22 * max(W, H) / 1280)
    on_model_left = (0.27 * W - ring_radius, 0.83 * H)
    on_track = (0.67 * W - ring_radius, 0.83 * H)
    assert [i for i, f in enumerate(frames) if near(f, *on_track, LEFT_RGB, 1)] == [5, 6, 7]
    assert not [i for i, f in enumerate(frames) if near(f, *on_model_left, LEFT_RGB, 1)]
