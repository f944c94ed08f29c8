"""Small synthetic clips made with PyAV at test time (never stored in the repo).

A clip shows a white square moving right across a dark frame, with a red marker in the
top-left corner of the *upright* picture, so a test can tell which way a frame was turned.
"""

from __future__ import annotations

import struct
from pathlib import Path
from typing import Any

import numpy as np

MARKER_PX = 8
"""Side of the red square in the upright picture's top-left corner."""


def picture(index: int, width: int, height: int, *, noise: bool = False) -> np.ndarray:
    """Frame ``index`` as the viewer should see it: ``(height, width, 3)`` RGB. ``noise``: a
    fresh random background each frame, so the file is mostly picture data (damage tests)."""
    frame = np.full((height, width, 3), 30, dtype=np.uint8)
    if noise:
        frame = np.random.default_rng(index).integers(0, 120, frame.shape, dtype=np.uint8)
    side = max(4, min(width, height) // 6)
    x = (index * 3) % max(1, width - side)
    top = (height - side) // 2
    frame[top:top + side, x:x + side] = 255
    frame[:MARKER_PX, :MARKER_PX] = (255, 0, 0)
    return frame


def make_clip(path: Path, *, width: int = 96, height: int = 64, frames: int = 30,
              rate: int = 30, codec: str = "libx264", faststart: bool = False,
              rotation_cw: int = 0, audio: bool = False, noise: bool = False,
              pix_fmt: str = "yuv420p") -> Path:
    """Encode a clip. ``rotation_cw``: the file stores each picture turned that far
    counterclockwise plus a display matrix saying "turn it ``rotation_cw`` clockwise" — how a
    phone stores a portrait clip. ``width``/``height`` are the upright picture's; odd sizes
    need ``pix_fmt="yuv444p"``."""
    import av

    quarter_turns = rotation_cw // 90
    stored_w, stored_h = (height, width) if quarter_turns % 2 else (width, height)
    options = {"movflags": "+faststart"} if faststart else {}
    with av.open(str(path), mode="w", options=options) as container:
        stream = container.add_stream(codec, rate=rate)
        stream.width, stream.height, stream.pix_fmt = stored_w, stored_h, pix_fmt
        sound = container.add_stream("aac", rate=44100) if audio else None
        for index in range(frames):
            stored = np.ascontiguousarray(np.rot90(picture(index, width, height, noise=noise),
                                                    quarter_turns))
            container.mux(stream.encode(av.VideoFrame.from_ndarray(stored, format="rgb24")))
        container.mux(stream.encode(None))
        if sound is not None:
            _add_tone(av, container, sound, frames / rate)
    if rotation_cw:
        set_rotation(path, rotation_cw)
    return path


def _add_tone(av: Any, container: Any, stream: Any, seconds: float) -> None:
    samples = int(44100 * seconds)
    tone = (0.2 * np.sin(2 * np.pi * 440 * np.arange(samples) / 44100)).astype(np.float32)
    frame = av.AudioFrame.from_ndarray(tone[None, :], format="fltp", layout="mono")
    frame.sample_rate, frame.pts = 44100, 0
    container.mux(stream.encode(frame))
    container.mux(stream.encode(None))


def set_rotation(path: Path, clockwise_deg: int) -> None:
    """Write a rotation into the first track header's display matrix (MP4/MOV).

    PyAV cannot write a display matrix (av 16: no stream side data, and the ``rotate`` tag is
    ignored by FFmpeg's muxer), so the 3×3 matrix in ``tkhd`` is patched in place. Fixed-point
    16.16 for a, b, c, d and 2.30 for w, as ISO/IEC 14496-12 §8.3.2 lays it out.
    """
    one, w = 0x10000, 0x40000000
    matrices = {
        90: (0, one, 0, -one, 0, 0, 0, 0, w),
        180: (-one, 0, 0, 0, -one, 0, 0, 0, w),
        270: (0, -one, 0, one, 0, 0, 0, 0, w),
    }
    data = bytearray(path.read_bytes())
    box = data.find(b"tkhd")
    assert box > 0, "no tkhd box"
    version = data[box + 4]
    times = 8 + 8 + 4 + 4 + 8 if version == 1 else 4 + 4 + 4 + 4 + 4
    offset = box + 4 + 4 + times + 8 + 2 + 2 + 2 + 2  # reserved, layer, group, volume, reserved
    struct.pack_into(">9i", data, offset, *matrices[clockwise_deg])
    path.write_bytes(bytes(data))


def write_audio_only(path: Path) -> Path:
    import av

    with av.open(str(path), mode="w") as container:
        _add_tone(av, container, container.add_stream("aac", rate=44100), 1.0)
    return path


def write_zero_frame_matroska(path: Path) -> Path:
    """A Matroska file with a video track and no frame at all (header only)."""
    import av

    with av.open(str(path), mode="w", format="matroska") as container:
        stream = container.add_stream("libx264", rate=30)
        stream.width, stream.height, stream.pix_fmt = 64, 48, "yuv420p"
        container.start_encoding()
    return path


def write_png(path: Path) -> Path:
    import cv2

    ok, encoded = cv2.imencode(".png", picture(0, 64, 48))
    assert ok
    path.write_bytes(encoded.tobytes())
    return path


def truncate(source: Path, target: Path, fraction: float) -> Path:
    data = source.read_bytes()
    target.write_bytes(data[: int(len(data) * fraction)])
    return target


def damage_middle(source: Path, target: Path, seed: int = 0) -> Path:
    """Overwrite 2 % of the media data (the mdat box), a third of the way into it."""
    data = bytearray(source.read_bytes())
    box = data.find(b"mdat")
    size = struct.unpack(">I", data[box - 4:box])[0]
    start, length = box + size // 3, size // 50
    data[start:start + length] = np.random.default_rng(seed).bytes(length)
    target.write_bytes(bytes(data))
    return target


def rotated_copy(source: Path, target: Path, *, clockwise: int, frames: int) -> Path:
    """The first ``frames`` of ``source`` stored as a phone would: each picture turned
    counterclockwise, plus a display matrix saying to turn it ``clockwise`` back."""
    import av

    with av.open(str(source)) as reader, av.open(str(target), mode="w") as writer:
        original = reader.streams.video[0]
        quarter_turns = clockwise // 90
        stream = writer.add_stream("libx264", rate=original.average_rate,
                                   options={"crf": "16", "preset": "veryfast"})
        for index, frame in enumerate(reader.decode(original)):
            if index == frames:
                break
            stored = np.ascontiguousarray(np.rot90(frame.to_ndarray(format="rgb24"),
                                                   quarter_turns))
            if index == 0:
                stream.width, stream.height = stored.shape[1], stored.shape[0]
                stream.pix_fmt = "yuv420p"
            writer.mux(stream.encode(av.VideoFrame.from_ndarray(stored, format="rgb24")))
        writer.mux(stream.encode(None))
    if clockwise:
        set_rotation(target, clockwise)
    return target


def make_pan_clip(path: Path, *, step_px: tuple[int, int], width: int = 256, height: int = 160,
                  frames: int = 30, rate: int = 30, moving_square: bool = False) -> Path:
    """A textured background (blurred random noise) that moves ``step_px`` (x right, y down)
    each frame, as a panning camera shows it, with a white square (the "runner") drawn on top:
    fixed in the middle, as a camera following a runner keeps it, or crossing the frame
    (``moving_square``) in front of a still background."""
    import av
    import cv2

    rng = np.random.default_rng(7)
    margin = frames * max(abs(step_px[0]), abs(step_px[1])) + 1
    texture = rng.integers(0, 256, (height + 2 * margin, width + 2 * margin), dtype=np.uint8)
    texture = cv2.GaussianBlur(texture, (0, 0), 1.5)
    with av.open(str(path), mode="w") as container:
        stream = container.add_stream("libx264", rate=rate, options={"crf": "16"})
        stream.width, stream.height, stream.pix_fmt = width, height, "yuv420p"
        side = height // 3
        for index in range(frames):
            x0, y0 = margin - index * step_px[0], margin - index * step_px[1]
            gray = texture[y0:y0 + height, x0:x0 + width]
            frame = np.ascontiguousarray(np.repeat(gray[:, :, None], 3, axis=2))
            left = (width - side) // 2 + (index * 3 - frames if moving_square else 0)
            top = (height - side) // 2
            frame[top:top + side, left:left + side] = 255
            container.mux(stream.encode(av.VideoFrame.from_ndarray(frame, format="rgb24")))
        container.mux(stream.encode(None))
    return path


def make_big_runner_clip(path: Path, *, step_px: tuple[int, int], cover: tuple[float, float],
                         width: int = 256, height: int = 160, frames: int = 40,
                         rate: int = 30) -> tuple[Path, list[tuple[int, int, int, int]]]:
    """A textured background moving ``step_px`` a frame (a pan; (0, 0) for a tripod) behind a
    textured "runner" over the middle of the picture, as wide as ``cover[0]`` of the width
    when its legs are apart and 30 % narrower between (1.4 strides a second), ``cover[1]`` of
    the height, whose own texture slides down 4 px a frame (limbs moving): a runner filling a
    portrait frame. Returns the clip and the runner's box (x0, y0, x1, y1) in each frame."""
    import av
    import cv2

    rng = np.random.default_rng(11)
    margin = frames * max(abs(step_px[0]), abs(step_px[1])) + 1
    texture = cv2.GaussianBlur(rng.integers(
        0, 256, (height + 2 * margin, width + 2 * margin), dtype=np.uint8), (0, 0), 1.5)
    box_h = round(cover[1] * height)
    y0 = (height - box_h) // 2
    body = cv2.GaussianBlur(rng.integers(0, 256, (box_h + 4 * frames, width), dtype=np.uint8),
                            (0, 0), 1.5)
    boxes: list[tuple[int, int, int, int]] = []
    with av.open(str(path), mode="w") as container:
        stream = container.add_stream("libx264", rate=rate, options={"crf": "16"})
        stream.width, stream.height, stream.pix_fmt = width, height, "yuv420p"
        for index in range(frames):
            stride = 0.85 + 0.15 * np.cos(2 * np.pi * 1.4 * index / rate)
            box_w = round(cover[0] * width * stride)
            x0 = (width - box_w) // 2
            bx, by = margin - index * step_px[0], margin - index * step_px[1]
            gray = texture[by:by + height, bx:bx + width].copy()
            start = 4 * (frames - index)
            gray[y0:y0 + box_h, x0:x0 + box_w] = body[start:start + box_h, x0:x0 + box_w]
            frame = np.ascontiguousarray(np.repeat(gray[:, :, None], 3, axis=2))
            container.mux(stream.encode(av.VideoFrame.from_ndarray(frame, format="rgb24")))
            boxes.append((x0, y0, x0 + box_w - 1, y0 + box_h - 1))
        container.mux(stream.encode(None))
    return path, boxes
