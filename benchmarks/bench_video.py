"""Video analysis speed and memory, side by side on the same clip in one run:

(a) the bare loop: decode a frame, run BlazePose, repeat, in one thread
    (``estimate_poses_bare``; the model is loaded before the clock starts);
(b) end to end: ``backstride analyze CLIP --json OUT`` as a subprocess (start-up, imports,
    model, decode thread, gait analysis, JSON), and its speed as a fraction of (a);
(c) the peak memory of (b): resident set size summed over the process and its children,
    sampled from /proc every 50 ms (psutil is not a dependency);
(d) writing the annotated MP4 from (a)'s keypoints, timed on its own.

The clip is made from the treadmill fixture by upscaling it to 1080x1920 (portrait, as a phone
films) and looping it to 60 s at 30 fps, in a temporary folder.

    .venv/bin/python benchmarks/bench_video.py [--seconds 60] [--clip PATH] [--e2e cli|pipeline]

``--e2e pipeline`` measures (b) as ``estimate_poses()`` in a subprocess instead of the CLI: the
switch for when ``backstride analyze`` cannot read videos.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
TREADMILL = REPO.parent / "shared" / "fixtures" / "video" / "treadmill-side-30fps.mp4"
SAMPLE_S = 0.05
PAGE_KB = os.sysconf("SC_PAGESIZE") // 1024

PIPELINE_SNIPPET = """
import sys
from pathlib import Path
from backstride.adapters.pose.pipeline import estimate_poses
poses = estimate_poses(Path(sys.argv[1]))
print(poses.frame_count)
"""


def make_clip(path: Path, seconds: float, size: tuple[int, int] = (1080, 1920)) -> None:
    """The treadmill fixture upscaled to ``size`` and looped to ``seconds`` (H.264, 30 fps)."""
    import av
    import cv2

    frames = round(seconds * 30)
    with av.open(str(path), mode="w") as out:
        stream = out.add_stream("libx264", rate=30, options={"crf": "20", "preset": "veryfast"})
        stream.width, stream.height, stream.pix_fmt = size[0], size[1], "yuv420p"
        written = 0
        while written < frames:
            with av.open(str(TREADMILL)) as source:
                for frame in source.decode(video=0):
                    big = cv2.resize(frame.to_ndarray(format="rgb24"), size,
                                     interpolation=cv2.INTER_LINEAR)
                    out.mux(stream.encode(av.VideoFrame.from_ndarray(big, format="rgb24")))
                    written += 1
                    if written == frames:
                        break
        out.mux(stream.encode(None))


def tree_rss_kb(root: int) -> int:
    """Resident set size of ``root`` and all its descendants, from /proc (kB)."""
    total, pending = 0, [root]
    while pending:
        pid = pending.pop()
        try:
            with open(f"/proc/{pid}/statm") as statm:
                total += int(statm.read().split()[1]) * PAGE_KB
            for task in os.listdir(f"/proc/{pid}/task"):
                with open(f"/proc/{pid}/task/{task}/children") as children:
                    pending.extend(int(child) for child in children.read().split())
        except (FileNotFoundError, ProcessLookupError, ValueError):
            continue
    return total


def run_measured(command: list[str]) -> tuple[float, int, str]:
    """Wall seconds, peak RSS of the process tree (kB) and stdout of a command."""
    peak = 0
    started = time.perf_counter()
    process = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                               text=True)
    done = threading.Event()

    def sample() -> None:
        nonlocal peak
        while not done.is_set():
            peak = max(peak, tree_rss_kb(process.pid))
            done.wait(SAMPLE_S)

    sampler = threading.Thread(target=sample, daemon=True)
    sampler.start()
    stdout, stderr = process.communicate()
    seconds = time.perf_counter() - started
    done.set()
    sampler.join()
    if process.returncode != 0:
        raise SystemExit(f"{' '.join(command)} failed ({process.returncode}):\n{stderr}")
    return seconds, peak, stdout


def bare_loop(clip: Path) -> tuple[float, object]:
    """Seconds of the one-thread loop (model loaded first) and its keypoints."""
    from backstride.adapters.pose import get_estimator
    from backstride.adapters.pose.pipeline import estimate_poses_bare

    estimator = get_estimator()  # loaded before the clock: (a) is decode + pose only
    started = time.perf_counter()
    poses = estimate_poses_bare(clip, estimator_factory=lambda: estimator)
    return time.perf_counter() - started, poses


def annotate(clip: Path, poses: object, out: Path) -> float:
    from backstride.adapters.render.annotate import ContactMark, Overlay, write_annotated_video

    overlay = Overlay(header=("cadence 168 spm", "trunk lean 7 deg"),
                      contacts=tuple(ContactMark(t_s=0.18 * i, side="left" if i % 2 else "right",
                                                 text="knee 21 deg") for i in range(300)))
    started = time.perf_counter()
    write_annotated_video(clip, poses, overlay, out)  # type: ignore[arg-type]
    return time.perf_counter() - started


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=60.0)
    parser.add_argument("--clip", type=Path, help="measure this clip instead of making one")
    parser.add_argument("--e2e", choices=["cli", "pipeline"], default="cli",
                        help="(b) as `backstride analyze` (default) or estimate_poses() alone")
    args = parser.parse_args()
    from backstride.adapters.video import open_video

    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        clip = args.clip
        if clip is None:
            clip = folder / f"treadmill-1080x1920-{args.seconds:g}s.mp4"
            started = time.perf_counter()
            make_clip(clip, args.seconds)
            print(f"made {clip.name} in {time.perf_counter() - started:.0f} s")
        info = open_video(clip).info
        print(f"{os.cpu_count()} cores; {clip.name}: {info.width_px}x{info.height_px}, "
              f"{info.frame_count} frames, {info.frame_rate_hz:.0f} fps, {info.codec}")

        bare_s, poses = bare_loop(clip)
        if args.e2e == "cli":
            command = [sys.executable, "-m", "backstride", "analyze", str(clip),
                       "--json", str(folder / "analysis.json")]
            label = "(b) backstride analyze --json"
        else:
            command = [sys.executable, "-c", PIPELINE_SNIPPET, str(clip)]
            label = "(b) estimate_poses() in a subprocess"
        e2e_s, peak_kb, _ = run_measured(command)
        annotate_s = annotate(clip, poses, folder / "annotated.mp4")

    frames = info.frame_count
    bare_fps, e2e_fps = frames / bare_s, frames / e2e_s
    rows = [
        ("(a) bare loop, one thread", f"{bare_s:6.1f} s", f"{bare_fps:6.1f} fps", ""),
        (label, f"{e2e_s:6.1f} s", f"{e2e_fps:6.1f} fps",
         f"b/a {e2e_fps / bare_fps:.2f} (target >= 0.8)"),
        ("(c) peak RSS of (b), process tree", "", f"{peak_kb / 1024:6.0f} MB",
         "target < 800 MB"),
        ("(d) annotated MP4 writing", f"{annotate_s:6.1f} s", f"{frames / annotate_s:6.1f} fps",
         f"{annotate_s / info.duration_s:.2f}x the clip's length"),
    ]
    for name, seconds, rate, note in rows:
        print(f"{name:<40} {seconds:>9} {rate:>11}  {note}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
