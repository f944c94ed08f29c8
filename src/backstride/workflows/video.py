"""Analysing a running video: pose, form, findings; the annotated copy and key frames.

The heavy libraries (PyAV, MediaPipe, OpenCV) are imported only when a video is analysed, so a
watch-only install works without the ``video`` extra and says how to add it.
"""

from __future__ import annotations

import dataclasses
import hashlib
from pathlib import Path
from typing import TYPE_CHECKING, Any, Final

import numpy as np

from backstride import __version__
from backstride.adapters.storage.records import (
    DEFAULT_RUNNER,
    ImportOutcome,
    MeasuredVideo,
    VideoRecord,
)
from backstride.config import Settings
from backstride.core.gait import View
from backstride.core.report import VideoReport, build_video_report
from backstride.core.types import FloatArray, MetricStatus, Progress
from backstride.errors import (
    InsufficientDataError,
    MissingDependencyError,
    NotFoundError,
    UnreadableFileError,
)
from backstride.workflows.history import open_store

if TYPE_CHECKING:
    from backstride.adapters.render.annotate import Overlay, TimedLabel

def file_sha256(path: Path) -> str:
    with path.open("rb") as handle:
        return hashlib.file_digest(handle, "sha256").hexdigest()


def analyze_video(path: Path, *, view: View | None = None, height_m: float | None = None,
                  progress: Progress | None = None,
                  capture_fps: float | None = None) -> VideoReport:
    """Pose every frame (decoding on a second thread), then measure form. ``capture_fps``:
    the rate a slow-motion clip was recorded at (overrides what its metadata says)."""
    try:
        from backstride.adapters.pose.pipeline import estimate_poses
    except ImportError as exc:  # pragma: no cover - depends on the install
        raise MissingDependencyError("Video analysis", "video") from exc
    try:  # the readers: what they cannot handle is the file's problem, said as such
        sha256 = file_sha256(path)
        poses = estimate_poses(path, progress=progress)
    except (OSError, ValueError, MemoryError) as exc:
        raise UnreadableFileError(path, exc) from exc
    if capture_fps is not None:
        poses = dataclasses.replace(poses, capture_rate_hz=float(capture_fps))
    if not poses.detected.any():
        raise InsufficientDataError(
            f"No person was found in {path.name} ({poses.frame_count} frames). Film the whole "
            "runner from the side or from behind; 'backstride guide filming' says how.")
    return build_video_report(poses, source_name=path.name, sha256=sha256, view=view,
                              height_m=height_m, decode_issues=poses.issues)


def write_annotated(report: VideoReport, source: Path, target: Path,
                    *, progress: Progress | None = None) -> None:
    """The clip with the skeleton, contacts and the values measured at each contact."""
    from backstride.adapters.render.annotate import write_annotated_video

    write_annotated_video(source, report.poses, overlay_of(report), target, progress=progress)


def measure_video(path: Path, *, name: str | None = None) -> MeasuredVideo:
    """Analyse a clip into what history keeps: the analysis and the keypoints (so a later
    version re-analyses without the model), never the video."""
    return measured_from_report(analyze_video(path), name=name or str(path))


def measured_from_report(report: VideoReport, *, name: str) -> MeasuredVideo:
    from backstride.adapters.pose.recorded import poses_to_bytes
    from backstride.adapters.render.video_json import video_json

    cadence = report.form.metrics.get("cadence_spm")
    return MeasuredVideo(
        name=name, sha256=report.sha256, view=report.form.view,
        duration_s=report.form.duration_s,
        cadence_spm=cadence.value if cadence is not None else None,
        pose_model=report.poses.model, keypoints=poses_to_bytes(report.poses),
        analysis=video_json(report), analyser_version=__version__)


def save_video_report(report: VideoReport, *, name: str, settings: Settings,
                      runner: str = DEFAULT_RUNNER) -> tuple[bool, int]:
    """Keep an analysed clip in history (the web app's uploads): (newly stored, its id)."""
    item = measured_from_report(report, name=name)
    with open_store(settings) as store:
        stored = store.save_video(item, runner=runner)
        video_id = store.video_id_for(item.sha256, runner=runner)
    assert video_id is not None  # just stored, or stored before
    return stored is ImportOutcome.IMPORTED, video_id


def reanalyze_stored(row: VideoRecord, keypoints: bytes, *, view: View | None = None,
                     height_m: float | None = None) -> VideoReport:
    """A stored clip analysed again from its keypoints, by this version's code."""
    from backstride.adapters.pose.recorded import poses_from_bytes

    poses = poses_from_bytes(keypoints, name=row.name)
    return build_video_report(poses, source_name=Path(row.name).name,
                              sha256=row.sha256, view=view, height_m=height_m,
                              decode_issues=poses.issues)


def _stored(video_id: int, *, settings: Settings, runner: str) -> tuple[VideoRecord, bytes]:
    """A stored clip's row and keypoints; another runner's clip is "no such video"."""
    with open_store(settings) as store:
        found = store.video(video_id, runner=runner)
    if found is None:
        raise NotFoundError(f"There is no video {video_id}. See 'backstride videos' for the "
                            "ids.")
    return found


def stored_video_report(video_id: int, *, settings: Settings,
                        runner: str = DEFAULT_RUNNER) -> VideoReport:
    """A stored clip's report rebuilt from its keypoints (in its stored view), for its
    page; the clip itself is not stored, so there are no key frames."""
    row, keypoints = _stored(video_id, settings=settings, runner=runner)
    return reanalyze_stored(row, keypoints, view=row.view)


KEY_FRAMES: Final = 4


def key_frames(report: VideoReport, source: Path) -> list[tuple[float, str, bytes]]:
    """JPEGs of a few contacts spread over the clip (near leg first on a side view), for the
    report. Empty when no contact was found."""
    from backstride.adapters.render.annotate import key_frames_jpeg

    events = report.form.events
    if events is None:
        return []
    sides = [report.form.near_side] if report.form.near_side else ["left", "right"]
    chosen: list[tuple[float, str]] = []
    for side in sides:
        times = events.contacts_s[side]
        if times.size:
            picks = np.unique(np.linspace(0, times.size - 1, KEY_FRAMES).round().astype(int))
            chosen += [(float(times[i]), side) for i in picks]
    chosen = sorted(chosen)[:KEY_FRAMES * len(sides)]
    # Contacts are times in the analysed track; shift back to clip time.
    offset = report.form.analysed_span_s[0]
    scale = report.form.time_scale  # real time -> the clip's playback time
    at = [(t + offset) / scale for t, _ in chosen]
    images = key_frames_jpeg(source, report.poses, at, overlay=overlay_of(report))
    return [(t, side, image) for t, (_, side), image in zip(at, chosen, images, strict=True)]


def overlay_of(report: VideoReport) -> Overlay:
    """What the annotated video and the key frames show: only metrics that passed their gates
    (a refused metric's per-step values are never drawn), and each contact's ring on the
    stance foot as the analysis saw it (the cleaned heel track, left/right swaps repaired)."""
    from backstride.adapters.render.annotate import ContactMark, Overlay
    from backstride.core.pose import Joint

    form = report.form
    offset = form.analysed_span_s[0]  # event times are within the analysed track
    scale = form.time_scale  # real seconds per playback second (slow motion)
    header = [f"backstride - {form.view} view"]
    cadence = form.metrics.get("cadence_spm")
    if _passed(report, "cadence_spm") and cadence is not None and cadence.value is not None:
        header.append(f"cadence {cadence.value:.1f} spm")
    marks: list[ContactMark] = []
    heels: dict[str, tuple[FloatArray, FloatArray]] = {}
    if form.events is not None:
        at_contact = _values_at_contact(report)
        for side, times in form.events.contacts_s.items():
            marks += [ContactMark(t_s=(float(t) + offset) / scale,
                                  side=side,  # type: ignore[arg-type]
                                  text=", ".join(at_contact.get((side, round(float(t), 4)), [])))
                      for t in times]
            if form.clean is not None:
                heel = Joint.LEFT_HEEL if side == "left" else Joint.RIGHT_HEEL
                heels[side] = ((form.clean.t_s + offset) / scale, form.clean.joint(heel))
    return Overlay(header=tuple(header), contacts=tuple(sorted(marks, key=lambda m: m.t_s)),
                   labels=_lean_labels(report), heels_px=heels)


def _passed(report: VideoReport, name: str) -> bool:
    metric = report.form.metrics.get(name)
    return metric is not None and metric.status is MetricStatus.OK


def _values_at_contact(report: VideoReport) -> dict[tuple[str, float], list[str]]:
    """(side, contact time) -> "knee 21 deg", "shin 6 deg", for the metrics that passed."""
    at_contact: dict[tuple[str, float], list[str]] = {}
    for name, text in (("knee_flexion_at_contact_deg", "knee {:.0f} deg"),
                       ("shank_angle_at_contact_deg", "shin {:.0f} deg")):
        steps = report.form.steps.get(name)
        if steps is None or not _passed(report, name):
            continue
        for t, value, side in zip(steps.t_s, steps.values, steps.sides, strict=True):
            if np.isfinite(value):
                at_contact.setdefault((side, round(float(t), 4)), []).append(text.format(value))
    return at_contact


def _lean_labels(report: VideoReport) -> tuple[TimedLabel, ...]:
    from backstride.adapters.render.annotate import TimedLabel
    from backstride.adapters.render.units import METRIC_UNITS

    lean = report.form.steps.get("trunk_lean_deg")
    if lean is None or not _passed(report, "trunk_lean_deg"):
        return ()
    offset, scale = report.form.analysed_span_s[0], report.form.time_scale
    label = METRIC_UNITS["trunk_lean_deg"].label
    return tuple(TimedLabel(start_s=(float(t) + offset) / scale,
                            end_s=(float(t) + offset + 0.3) / scale,
                            text=f"{label}: {value:.0f} deg")
                 for t, value in zip(lean.t_s, lean.values, strict=True) if np.isfinite(value))


def list_videos(*, settings: Settings, runner: str = DEFAULT_RUNNER) -> list[VideoRecord]:
    """Every stored clip, newest first, with its analysis (``backstride.videos/1`` is
    ``adapters.render.history_json.videos_json`` of this)."""
    with open_store(settings) as store:
        return store.list_videos(runner=runner)


def stored_video(video_id: int, *, settings: Settings, runner: str = DEFAULT_RUNNER,
                 reanalyze: bool = False, view: View | None = None,
                 height_m: float | None = None) -> dict[str, Any]:
    """A stored clip's analysis as stored, or (``reanalyze``) computed again from its
    keypoints by this version, optionally with another view or a height."""
    from backstride.adapters.render.video_json import video_json

    row, keypoints = _stored(video_id, settings=settings, runner=runner)
    if not reanalyze and view is None and height_m is None:
        return dict(row.analysis)
    report = reanalyze_stored(row, keypoints, view=view, height_m=height_m)
    return video_json(report, source_path=str(row.analysis["source"]["path"]))


def latest_video_findings(*, settings: Settings, runner: str = DEFAULT_RUNNER
                          ) -> tuple[str, ...]:
    """Finding ids of the newest stored clip of each view (a side and a rear clip each see
    different things), for the plan."""
    with open_store(settings) as store:
        rows = store.list_videos(runner=runner)
    newest: dict[str, VideoRecord] = {}
    for row in rows:  # newest first
        newest.setdefault(row.view, row)
    return tuple(dict.fromkeys(finding for row in newest.values()
                               for finding in row.finding_ids))
