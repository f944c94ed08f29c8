"""Running form from a video's pose track: per-step metrics, quality gates, summaries.

DOMAIN.md §3.5–3.7. Every metric is computed per step (or stride) and summarised by its median,
with ``n`` steps and a bootstrap interval over steps seeded from the input's SHA-256. A metric
that fails a gate is returned as ``insufficient_data`` or ``not_available`` with the reason and
what to film instead, never as a number.
"""

from __future__ import annotations

import dataclasses
import itertools
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Final

import numpy as np

from backstride.core.gait import (
    AGREE_HIGH_FRAC,
    AGREE_MAX_FRAC,
    CONTACT_LAG_S,
    MAX_GAP_S,
    CleanPose,
    GaitEvents,
    View,
    clean_pose,
    detect_gait_events,
    sample_rate_hz,
)
from backstride.core.pose import Joint as J
from backstride.core.pose import PoseSequence
from backstride.core.running import MetricSummary
from backstride.core.stats import seed_for
from backstride.core.types import BoolArray, FloatArray, Issue, MetricStatus

LEG_PER_HEIGHT: Final = 0.491  # hip-to-ankle leg length / body height (Winter; §3.6) [S]
MIN_CONTACTS: Final = 20
MIN_PER_SIDE: Final = 8
MIN_DETECTED_FRAC: Final = 0.9
MAX_HIP_JUMP_FRAC_WIDTH: Final = 0.10
MIN_VISIBILITY: Final = 0.5
MIN_VISIBLE_FRAC: Final = 0.8
SIDE_MAX_SHOULDER_RATIO: Final = 0.35
REAR_MIN_SHOULDER_RATIO: Final = 0.5
FACE_JOINTS: Final = (0, 2, 5)  # nose, left eye, right eye
MIN_FACE_VISIBILITY: Final = 0.5  # a frontal clip whose face is this visible faces the camera [D]
MIN_PASS_S: Final = 1.0
"""A stretch of the runner with the whole body in frame this long counts as a pass [D]."""
PASS_SIZE_FRAC: Final = 0.25
"""Passes are joined when the runner's hip-to-ankle height differs at most this much [D]."""
MAX_SIZE_CHANGE_FRAC: Final = 0.15
"""Frontal views: the runner's leg length in the last third of the clip may differ this much
from the first third; past it the runner came toward or went away from the camera [D]."""
SIZE_SENSITIVE: Final = ("step_width_frac_leg", "step_width_m", "lateral_sway_frac_leg")
WARN_LONG_SIDE_PX: Final = 960
MIN_LONG_SIDE_PX: Final = 640
WARN_RUNNER_PX: Final = 400
MIN_RUNNER_PX: Final = 200
MIN_CADENCE_FPS: Final = 20.0
MIN_ANGLE_FPS: Final = 24.0
WARN_ANGLE_FPS: Final = 50.0
MIN_GCT_FPS: Final = 50.0
SLOW_MOTION_BELOW_SPM: Final = 100.0
WALKING_BELOW_SPM: Final = 130.0  # as for watch records (DOMAIN.md §2) [D]
N_BOOT: Final = 2000
STILL_SPEED_FRAC_LEG: Final = 0.25  # hip speed below this many legs a second = standing [D]
# (running moves the hips at ~0.8 leg/s peak; keypoint jitter alone reaches ~0.15)
STILL_MIN_S: Final = 1.0
BODY_EDGE_JOINTS: Final = (J.NOSE, J.LEFT_HIP, J.RIGHT_HIP, J.LEFT_ANKLE, J.RIGHT_ANKLE,
                           J.LEFT_HEEL, J.RIGHT_HEEL, J.LEFT_TOE, J.RIGHT_TOE)
CUT_OFF_MARGIN_FRAC: Final = 0.01  # a joint this far past the edge is out of the picture [D]
MAX_CUT_OFF_FRAC: Final = 0.2  # of frames with the runner cut off -> refuse [D]
MAX_CAMERA_MOTION_FRAC_WIDTH: Final = 0.02  # §3.5 "steady camera" [D]; a still treadmill
# clip measures ~0.15 %, a slow pan passes 2 % within a second or two
MIN_CAMERA_MEASURED_FRAC: Final = 0.8

FILM_HINT: Final = "'backstride guide filming' says how to film it"

SIDE_METRICS: Final = ("overstride_frac_leg", "shank_angle_at_contact_deg",
                       "knee_flexion_at_contact_deg", "knee_flexion_midstance_deg",
                       "trunk_lean_deg", "trunk_lean_range_deg", "hip_extension_deg",
                       "ground_contact_time_s")
REAR_METRICS: Final = ("pelvic_drop_deg", "step_width_frac_leg", "lateral_sway_frac_leg")
BOTH_METRICS: Final = ("cadence_spm", "vertical_oscillation_frac_leg")
SCALED: Final = {"overstride_frac_leg": "overstride_m",
                 "vertical_oscillation_frac_leg": "vertical_oscillation_m",
                 "step_width_frac_leg": "step_width_m"}
VIDEO_METRICS: Final = (*BOTH_METRICS, *SIDE_METRICS, *REAR_METRICS, *SCALED.values())
# Positions relative to the frame: a moving camera moves them too (angles and timing stay).
CAMERA_SENSITIVE: Final = ("vertical_oscillation_frac_leg", "overstride_frac_leg",
                           "step_width_frac_leg", "lateral_sway_frac_leg")
AT_CONTACT: Final = frozenset({"overstride_frac_leg", "shank_angle_at_contact_deg",
                               "knee_flexion_at_contact_deg"})
# Landmarks each metric needs visible (§3.5 visibility gate); "near" = the near leg's joints.
NEEDS: Final[dict[str, tuple[str, ...]]] = {
    "cadence_spm": ("heels",),
    "overstride_frac_leg": ("near",), "shank_angle_at_contact_deg": ("near",),
    "knee_flexion_at_contact_deg": ("near",), "knee_flexion_midstance_deg": ("near",),
    "hip_extension_deg": ("near",), "ground_contact_time_s": ("near",),
    "trunk_lean_deg": ("shoulders", "hips"), "trunk_lean_range_deg": ("shoulders", "hips"),
    "vertical_oscillation_frac_leg": ("hips",),
    "pelvic_drop_deg": ("hips",), "step_width_frac_leg": ("ankles",),
    "lateral_sway_frac_leg": ("hips",),
}
JOINT_GROUPS: Final[dict[str, tuple[J, ...]]] = {
    "heels": (J.LEFT_HEEL, J.RIGHT_HEEL),
    "hips": (J.LEFT_HIP, J.RIGHT_HIP),
    "shoulders": (J.LEFT_SHOULDER, J.RIGHT_SHOULDER),
    "ankles": (J.LEFT_ANKLE, J.RIGHT_ANKLE),
    "left": (J.LEFT_HIP, J.LEFT_KNEE, J.LEFT_ANKLE, J.LEFT_HEEL, J.LEFT_TOE),
    "right": (J.RIGHT_HIP, J.RIGHT_KNEE, J.RIGHT_ANKLE, J.RIGHT_HEEL, J.RIGHT_TOE),
}


@dataclass(frozen=True, slots=True, kw_only=True)
class StepValues:
    """One metric's per-step values, for the report's charts and the per-side split."""

    t_s: FloatArray
    values: FloatArray
    sides: tuple[str, ...]


@dataclass(frozen=True, slots=True, kw_only=True)
class FormAnalysis:
    view: View
    view_detected: View | None  # what the shoulder/torso ratio says (None: in between)
    view_ratio: float | None
    leg_px: float
    m_per_px: float | None
    near_side: str | None  # side view: the leg nearer the camera
    treadmill: bool | None
    duration_s: float
    events: GaitEvents | None
    clean: CleanPose | None
    metrics: Mapping[str, MetricSummary]
    steps: Mapping[str, StepValues]
    per_side: Mapping[str, Mapping[str, float]]
    issues: tuple[Issue, ...]
    cadence_confidence: str | None  # "high" or "moderate" (§3.4), None when not measured
    analysed_span_s: tuple[float, float] = field(default=(0.0, 0.0))
    camera_motion_frac_width: float | None = None  # None: not measured (older keypoints)
    time_scale: float = 1.0  # real s per playback s (slow motion); event times are real


# ---------------------------------------------------------------------------------------------
# Geometry

def _at(clean: CleanPose, joint: J, times: FloatArray) -> FloatArray:
    """``(len(times), 2)`` positions by linear interpolation (NaN outside valid frames)."""
    track = clean.joint(joint)
    out = np.full((times.size, 2), np.nan)
    for c in range(2):
        values = track[:, c]
        valid = np.isfinite(values)
        if valid.sum() < 2:
            continue
        out[:, c] = np.interp(times, clean.t_s[valid], values[valid], left=np.nan,
                              right=np.nan)
        # A time inside a long gap must stay unknown, not bridged.
        nearest = np.searchsorted(clean.t_s, times).clip(1, clean.t_s.size - 1)
        unknown = ~(valid[nearest] & valid[nearest - 1])
        out[unknown, c] = np.nan
    return out


def _angle_from_vertical(top: FloatArray, bottom: FloatArray, facing: int) -> FloatArray:
    """Degrees between top→bottom and straight down; + when ``bottom`` is ahead (facing)."""
    d = bottom - top
    return np.asarray(np.degrees(np.arctan2(facing * d[:, 0], d[:, 1])), dtype=np.float64)


def _flexion(hip: FloatArray, knee: FloatArray, ankle: FloatArray) -> FloatArray:
    """180° − the hip–knee–ankle angle."""
    a, b = hip - knee, ankle - knee
    cos = np.sum(a * b, axis=1) / (np.linalg.norm(a, axis=1) * np.linalg.norm(b, axis=1))
    return np.asarray(180.0 - np.degrees(np.arccos(np.clip(cos, -1.0, 1.0))), dtype=np.float64)


def leg_length_px(clean: CleanPose, sides: tuple[str, ...]) -> float:
    """Median hip–knee + knee–ankle over frames (§3.6), the longest of the given sides."""
    best = float("nan")
    for side in sides:
        hip, knee, ankle = JOINT_GROUPS[side][:3]
        seg = (np.linalg.norm(clean.joint(hip) - clean.joint(knee), axis=1)
               + np.linalg.norm(clean.joint(knee) - clean.joint(ankle), axis=1))
        if np.isfinite(seg).any():
            value = float(np.nanmedian(seg))
            best = value if not np.isfinite(best) else max(best, value)
    return best


# ---------------------------------------------------------------------------------------------
# Whole-clip checks

def view_ratio(clean: CleanPose) -> float | None:
    """Shoulder width over torso length (§3.5 view fit): small side on, large from behind."""
    width = np.abs(clean.joint(J.LEFT_SHOULDER)[:, 0] - clean.joint(J.RIGHT_SHOULDER)[:, 0])
    torso = np.linalg.norm(clean.mid(J.LEFT_SHOULDER, J.RIGHT_SHOULDER)
                           - clean.mid(J.LEFT_HIP, J.RIGHT_HIP), axis=1)
    ratio = width / torso
    ratio = ratio[np.isfinite(ratio)]
    return float(np.median(ratio)) if ratio.size else None


def detect_view(ratio: float | None) -> View | None:
    """Side or frontal ("rear": from behind or, see :func:`frontal_view`, the front) from the
    shoulder width / torso length ratio; None in between."""
    if ratio is None:
        return None
    if ratio < SIDE_MAX_SHOULDER_RATIO:
        return "side"
    if ratio > REAR_MIN_SHOULDER_RATIO:
        return "rear"
    return None


def frontal_view(poses: PoseSequence) -> tuple[View, str | None]:
    """A frontal clip seen from the front or from behind, by two cues [D]: the face (nose and
    eyes) is visible only from the front, and from the front the runner's left shoulder and hip
    appear on the image's right. Both agree: that view. They disagree: the face decides (the
    model's left/right labels are the less reliable cue), with a note saying so."""
    seen = poses.detected
    if not seen.any():
        return "rear", None
    face = float(np.median(poses.visibility[seen][:, FACE_JOINTS].mean(axis=1)))
    mirrored_frac = float(np.mean(np.concatenate([
        poses.xy_px[seen, int(a), 0] > poses.xy_px[seen, int(b), 0]
        for a, b in ((J.LEFT_SHOULDER, J.RIGHT_SHOULDER), (J.LEFT_HIP, J.RIGHT_HIP))])))
    faces_camera = face >= MIN_FACE_VISIBILITY
    mirrored = mirrored_frac > 0.5
    view: View = "front" if faces_camera else "rear"
    if faces_camera == mirrored:
        return view, None
    return view, (f"the face is {'visible' if faces_camera else 'hidden'} (visibility "
                  f"{face:.2f}) but the runner's left appears on the image's "
                  f"{'right' if mirrored else 'left'} in {100 * mirrored_frac:.0f} % of frames; "
                  f"taken as a {view} view. Give --view to say which it is")


def runner_tracks(poses: PoseSequence) -> list[tuple[int, int]]:
    """[start, stop) frame runs of one tracked person (§3.5 "one person"). A run ends where
    the hip midpoint jumps by more than 10 % of the frame width from the last frame with a pose
    (the model moved to someone else), at a scene cut, or where no pose was found for longer than
    ``MAX_GAP_S``; a few frames without a pose inside a run are bridged later."""
    hip = (poses.joint(J.LEFT_HIP) + poses.joint(J.RIGHT_HIP)) / 2
    frames = np.flatnonzero(np.isfinite(hip[:, 0]))
    runs: list[tuple[int, int]] = []
    if frames.size == 0:
        return runs
    start = last = int(frames[0])
    cuts = set(poses.scene_cuts)
    for i in frames[1:].tolist():
        jump = float(np.linalg.norm(hip[i] - hip[last]))
        cut = any(c in cuts for c in range(last + 1, i + 1))
        if cut or jump > MAX_HIP_JUMP_FRAC_WIDTH * poses.width_px \
                or poses.t_s[i] - poses.t_s[last] > MAX_GAP_S + 1e-9:
            runs.append((start, last + 1))
            start = i
        last = i
    runs.append((start, last + 1))
    return runs


def _visible_frac(poses: PoseSequence, joints: tuple[J, ...]) -> float:
    """Share of the frames with a pose (frames left out between passes do not count) in which
    every joint given is clearly visible."""
    seen = poses.detected
    if not seen.any():
        return 0.0
    vis = poses.visibility[seen][:, [int(j) for j in joints]]
    return float(np.mean(np.all(vis >= MIN_VISIBILITY, axis=1)))


def _runner_height_px(poses: PoseSequence) -> float:
    seen = poses.detected
    feet = np.max(poses.xy_px[seen][:, [J.LEFT_HEEL, J.RIGHT_HEEL, J.LEFT_TOE, J.RIGHT_TOE], 1],
                  axis=1)
    height = feet - poses.xy_px[seen, J.NOSE, 1]
    height = height[np.isfinite(height)]
    # The nose sits ~0.1 of height below the crown: scale to a standing height [D].
    return float(np.median(height)) / 0.94 if height.size else 0.0


def _slice(poses: PoseSequence, start: int, stop: int) -> PoseSequence:
    t = poses.t_s[start:stop]
    return PoseSequence(t_s=t - (t[0] if t.size else 0.0), xy_px=poses.xy_px[start:stop],
                        visibility=poses.visibility[start:stop], width_px=poses.width_px,
                        height_px=poses.height_px, frame_rate_hz=poses.frame_rate_hz,
                        rotation_deg=poses.rotation_deg, model=poses.model,
                        camera_shift_px=None if poses.camera_shift_px is None
                        else poses.camera_shift_px[start:stop],
                        capture_rate_hz=poses.capture_rate_hz,
                        scene_cuts=tuple(c - start for c in poses.scene_cuts
                                         if start < c < stop))


def camera_motion_frac_width(poses: PoseSequence) -> float | None:
    """The camera's largest excursion from where it stood at the first frame, as a fraction of
    the frame width: the path is the running sum of ``camera_shift_px`` (a frame that could not
    be measured counts as still). None when not measured, or measured in < 80 % of frames."""
    shift = poses.camera_shift_px
    if shift is None or poses.frame_count < 2:
        return None
    steps = shift[1:]
    measured = np.all(np.isfinite(steps), axis=1)
    if float(np.mean(measured)) < MIN_CAMERA_MEASURED_FRAC:
        return None
    path = np.cumsum(np.where(measured[:, None], steps, 0.0), axis=0)
    return float(np.max(np.hypot(path[:, 0], path[:, 1]))) / poses.width_px


# ---------------------------------------------------------------------------------------------
# Summaries

def _summary(name: str, values: FloatArray, *, sha256: str, min_n: int,
             statistic: Callable[[FloatArray], float] = np.median) -> MetricSummary:
    kept = values[np.isfinite(values)]
    if kept.size < min_n:
        return _refused(name, MetricStatus.INSUFFICIENT_DATA,
                        f"only {kept.size} steps could be measured (at least {min_n} needed); "
                        f"film a longer clip of steady running, {FILM_HINT}")
    rng = np.random.default_rng(seed_for(sha256, f"video:{name}"))
    boots = [statistic(kept[rng.integers(0, kept.size, kept.size)]) for _ in range(N_BOOT)]
    low, high = np.percentile(boots, [2.5, 97.5])
    return MetricSummary(name=name, value=float(statistic(kept)), median=float(np.median(kept)),
                         sd=float(np.std(kept, ddof=1)), n=int(kept.size),
                         ci95=(float(low), float(high)), status=MetricStatus.OK)


def _refused(name: str, status: MetricStatus, reason: str) -> MetricSummary:
    return MetricSummary(name=name, value=None, median=None, sd=None, n=0, ci95=None,
                         status=status, reason=reason)


def film_more_s(contacts: int, clip_s: float) -> float:
    """Seconds more to film for :data:`MIN_CONTACTS` contacts, at the rate this clip gave them
    per second of clip (passes and unusable stretches included); at 170 spm when it gave none."""
    per_s = contacts / clip_s if contacts > 0 and clip_s > 0 else 170.0 / 60.0
    return float(np.ceil(max(MIN_CONTACTS - contacts, 0) / per_s))


def _cadence_summary(events: GaitEvents, sha256: str,
                     clip_s: float) -> tuple[MetricSummary, str | None]:
    times, _ = events.all_contacts
    rate = events.cadence.events_spm
    if times.size < MIN_CONTACTS or rate is None:
        more = film_more_s(int(times.size), clip_s)
        film = (f"film at least {more:.0f} s more of steady running (whole body in frame)"
                if more > 0 else "film at least 10 s of steady running, without breaks")
        return _refused("cadence_spm", MetricStatus.INSUFFICIENT_DATA, (
            f"{times.size} of the {MIN_CONTACTS} foot contacts needed were found: {film}, "
            f"{FILM_HINT}")), None
    spread = events.cadence.spread_frac
    if spread is not None and spread > AGREE_MAX_FRAC:
        c = events.cadence
        return _refused("cadence_spm", MetricStatus.INSUFFICIENT_DATA, (
            f"three cadence estimates disagree by {100 * spread:.0f} % (contacts "
            f"{_fmt(c.events_spm)}, hip bounce {_fmt(c.hip_spectrum_spm)}, feet "
            f"{_fmt(c.feet_spectrum_spm)} spm): the running is not steady or the camera "
            f"moved; film steady running from a fixed camera, {FILM_HINT}")), None
    intervals = np.diff(times)
    step_rates = 60.0 / intervals
    rng = np.random.default_rng(seed_for(sha256, "video:cadence_spm"))
    boots = 60.0 / np.array([intervals[rng.integers(0, intervals.size, intervals.size)].mean()
                             for _ in range(N_BOOT)])
    low, high = np.percentile(boots, [2.5, 97.5])
    summary = MetricSummary(name="cadence_spm", value=float(rate),
                            median=float(np.median(step_rates)),
                            sd=float(np.std(step_rates, ddof=1)), n=int(intervals.size),
                            ci95=(float(low), float(high)), status=MetricStatus.OK)
    confidence = "high" if spread is not None and spread <= AGREE_HIGH_FRAC else "moderate"
    return summary, confidence


def _fmt(value: float | None) -> str:
    return "–" if value is None else f"{value:.1f}"


# ---------------------------------------------------------------------------------------------
# Per-step values

def _near_side(poses: PoseSequence) -> str:
    """The leg nearer the camera: the model sees it better (the far one is hidden half the
    time, §3.3)."""
    scores = {side: float(np.nanmean(poses.visibility[:, [int(j) for j in JOINT_GROUPS[side]]]))
              for side in ("left", "right")}
    return max(scores, key=lambda side: scores[side])


def _stance_pairs(events: GaitEvents, side: str, max_s: float = 0.6) -> list[tuple[float, float]]:
    """(contact, the toe-off that follows it on the same foot) within ``max_s``."""
    pairs = []
    to = events.toe_offs_s[side]
    for ic in events.contacts_s[side]:
        later = to[(to > ic) & (to < ic + max_s)]
        if later.size:
            pairs.append((float(ic), float(later[0])))
    return pairs


def _window(clean: CleanPose, a: float, b: float) -> BoolArray:
    return np.asarray((clean.t_s >= a) & (clean.t_s <= b), dtype=np.bool_)


def _side_steps(clean: CleanPose, events: GaitEvents, side: str,
                leg: float) -> dict[str, StepValues]:
    s = events.facing
    hip_j, knee_j, ankle_j, heel_j, _ = JOINT_GROUPS[side]
    contacts = events.contacts_s[side]
    tc = contacts - CONTACT_LAG_S
    hip_mid = _mid_at(clean, tc)
    heel, knee, ankle = _at(clean, heel_j, tc), _at(clean, knee_j, tc), _at(clean, ankle_j, tc)
    hip = _at(clean, hip_j, tc)
    sides = (side,) * contacts.size
    out = {
        "overstride_frac_leg": StepValues(t_s=contacts, sides=sides,
                                          values=s * (heel[:, 0] - hip_mid[:, 0]) / leg),
        "shank_angle_at_contact_deg": StepValues(t_s=contacts, sides=sides,
                                                 values=_angle_from_vertical(knee, ankle, s)),
        "knee_flexion_at_contact_deg": StepValues(t_s=contacts, sides=sides,
                                                  values=_flexion(hip, knee, ankle)),
    }
    hips_y = clean.mid(J.LEFT_HIP, J.RIGHT_HIP)[:, 1]
    knee_mid, lean, hip_ext, gct, times = [], [], [], [], []
    flex_all = _flexion(clean.joint(hip_j), clean.joint(knee_j), clean.joint(ankle_j))
    # Forward lean = the hips behind the shoulders: shoulders→hips from straight down, with
    # "ahead" taken against the direction of travel.
    lean_all = _angle_from_vertical(clean.mid(J.LEFT_SHOULDER, J.RIGHT_SHOULDER),
                                    clean.mid(J.LEFT_HIP, J.RIGHT_HIP), -s)
    thigh_back = -_angle_from_vertical(clean.joint(hip_j), clean.joint(knee_j), s)
    for ic, to in _stance_pairs(events, side):
        inside = _window(clean, ic, to)
        if inside.sum() < 2 or not np.isfinite(hips_y[inside]).all():
            continue
        frames = np.flatnonzero(inside)
        mid_frame = frames[int(np.argmax(hips_y[frames]))]  # lowest hip = midstance
        # Peak flexion from contact to as long after midstance as contact was before it: the
        # kinematic toe-off lags, and past it the knee flexes again for the swing [D].
        mid_t = float(clean.t_s[mid_frame])
        times.append(ic)
        knee_mid.append(float(np.max(flex_all[_window(clean, ic, min(to, 2 * mid_t - ic))])))
        lean.append(float(lean_all[mid_frame]))
        late = _window(clean, float(clean.t_s[mid_frame]), to + 0.1)
        hip_ext.append(float(np.max(thigh_back[late])))
        gct.append(to - ic)
    t = np.asarray(times)
    stance_sides = (side,) * t.size
    out["knee_flexion_midstance_deg"] = StepValues(t_s=t, values=np.asarray(knee_mid),
                                                   sides=stance_sides)
    out["trunk_lean_deg"] = StepValues(t_s=t, values=np.asarray(lean), sides=stance_sides)
    out["hip_extension_deg"] = StepValues(t_s=t, values=np.asarray(hip_ext), sides=stance_sides)
    out["ground_contact_time_s"] = StepValues(t_s=t, values=np.asarray(gct), sides=stance_sides)
    # Within-stride range of the lean, contact to the same foot's next contact.
    range_t, ranges = [], []
    for a, b in itertools.pairwise(contacts):
        stride = lean_all[_window(clean, a, b)]
        if stride.size > 2 and np.isfinite(stride).all():
            range_t.append(a)
            ranges.append(float(np.ptp(stride)))
    out["trunk_lean_range_deg"] = StepValues(t_s=np.asarray(range_t), values=np.asarray(ranges),
                                             sides=(side,) * len(ranges))
    return out


def _mid_at(clean: CleanPose, times: FloatArray) -> FloatArray:
    return (_at(clean, J.LEFT_HIP, times) + _at(clean, J.RIGHT_HIP, times)) / 2


def _bounce(clean: CleanPose, events: GaitEvents, leg: float) -> StepValues:
    """Per step: highest minus lowest hip-midpoint height, contact to next contact, / leg."""
    times, sides = events.all_contacts
    hips_y = clean.mid(J.LEFT_HIP, J.RIGHT_HIP)[:, 1]
    values, kept_t, kept_sides = [], [], []
    for (a, b), side in zip(itertools.pairwise(times), sides[:-1], strict=True):
        inside = _window(clean, a, b)
        if inside.sum() > 2 and np.isfinite(hips_y[inside]).all() and b - a < 0.6:
            values.append(float(np.ptp(hips_y[inside])) / leg)
            kept_t.append(a)
            kept_sides.append(side)
    return StepValues(t_s=np.asarray(kept_t), values=np.asarray(values), sides=tuple(kept_sides))


def _static_pelvis_deg(clean: CleanPose, leg: float) -> float | None:
    """Hip-line tilt while the runner stands still at the start (§3.1: 2 s standing)."""
    hip = clean.mid(J.LEFT_HIP, J.RIGHT_HIP)
    if clean.t_s.size < 3:
        return None
    speed = np.linalg.norm(np.gradient(hip, clean.t_s, axis=0), axis=1) / leg
    moving = np.flatnonzero(~(speed < STILL_SPEED_FRAC_LEG))  # NaN counts as moving
    first_move = int(moving[0]) if moving.size else clean.t_s.size
    if first_move == 0 or clean.t_s[first_move - 1] - clean.t_s[0] < STILL_MIN_S:
        return None
    still = slice(0, first_move)
    tilt = _hip_tilt_deg(clean.joint(J.LEFT_HIP)[still], clean.joint(J.RIGHT_HIP)[still])
    return float(np.nanmedian(tilt))


def _hip_tilt_deg(left: FloatArray, right: FloatArray) -> FloatArray:
    """+ when the right hip is lower in the image (y down), whichever way it faces."""
    return np.asarray(np.degrees(np.arctan2(right[:, 1] - left[:, 1],
                                            np.abs(right[:, 0] - left[:, 0]))), dtype=np.float64)


def _rear_steps(clean: CleanPose, events: GaitEvents, leg: float,
                offset_deg: float) -> dict[str, StepValues]:
    times, sides = events.all_contacts
    left_hip, right_hip = _at(clean, J.LEFT_HIP, times), _at(clean, J.RIGHT_HIP, times)
    tilt = _hip_tilt_deg(left_hip, right_hip) - offset_deg
    stance_left = np.array([s == "left" for s in sides])
    drop = np.where(stance_left, tilt, -tilt)  # + = the swing side lower
    ankles = np.where(stance_left[:, None], _at(clean, J.LEFT_ANKLE, times),
                      _at(clean, J.RIGHT_ANKLE, times))
    width = np.abs(np.diff(ankles[:, 0])) / leg
    opposite = np.array([a != b for a, b in itertools.pairwise(sides)])
    width = np.where(opposite, width, np.nan)
    hip_x = clean.mid(J.LEFT_HIP, J.RIGHT_HIP)[:, 0]
    left_times = events.contacts_s["left"]
    sway = [float(np.ptp(hip_x[_window(clean, a, b)])) / leg
            for a, b in itertools.pairwise(left_times)
            if _window(clean, a, b).sum() > 2 and np.isfinite(hip_x[_window(clean, a, b)]).all()
            and b - a < 1.2]
    return {
        "pelvic_drop_deg": StepValues(t_s=times, values=drop, sides=sides),
        "step_width_frac_leg": StepValues(t_s=times[1:], values=width, sides=sides[1:]),
        "lateral_sway_frac_leg": StepValues(t_s=left_times[:len(sway)], values=np.asarray(sway),
                                            sides=("left",) * len(sway)),
    }


# ---------------------------------------------------------------------------------------------
# The analysis

@dataclass(slots=True)
class _Gates:
    """Refusals collected while checking the clip: metric -> (status, reason)."""

    refused: dict[str, tuple[MetricStatus, str]] = field(default_factory=dict)
    issues: list[Issue] = field(default_factory=list)

    def refuse(self, names: tuple[str, ...] | list[str], reason: str,
               status: MetricStatus = MetricStatus.INSUFFICIENT_DATA) -> None:
        for name in names:
            self.refused.setdefault(name, (status, reason))

    def warn(self, code: str, message: str) -> None:
        self.issues.append(Issue(code=code, message=message))


def analyze_form(poses: PoseSequence, *, sha256: str, view: View | None = None,
                 height_m: float | None = None) -> FormAnalysis:
    """Measure running form from a pose track. Never raises for poor data: every metric that
    cannot be trusted comes back refused, with the reason."""
    gates = _Gates()
    time_scale = poses.time_scale
    poses = poses.on_real_time()  # a slow-motion clip with a known capture rate: real time
    duration_s = poses.duration_s
    all_metrics = list(VIDEO_METRICS)
    if poses.frame_count < 2:
        gates.refuse(all_metrics, "the clip has fewer than 2 frames")
        return _empty(poses, view or "side", gates, duration_s)
    detected_frac = float(np.mean(poses.detected))
    if detected_frac == 0:
        gates.refuse(all_metrics, f"no person was found in the video; {FILM_HINT}")
        return _empty(poses, view or "side", gates, duration_s)
    # Several people, or the model hopping between them: keep the longest single track.
    start, stop, keep = _pick_passes(poses, gates)
    track = _slice(poses, start, stop) if (start, stop) != (0, poses.frame_count) else poses
    if keep is not None:  # several passes: the frames between them are left out
        track = dataclasses.replace(
            track, xy_px=np.where(keep[:, None, None], track.xy_px, np.nan),
            visibility=np.where(keep[:, None], track.visibility, 0.0))
    _frame_gates(track, gates)
    clean = clean_pose(track)
    chosen, detected_view, ratio = _choose_view(track, clean, view, gates)
    near = _near_side(track) if chosen == "side" else None
    if chosen != "side":
        _size_gate(clean, chosen, gates)
    leg = leg_length_px(clean, (near,) if near else ("left", "right"))
    if not np.isfinite(leg) or leg <= 0:
        gates.refuse(all_metrics, f"the legs were not visible; {FILM_HINT}")
        return _empty(poses, chosen, gates, duration_s)
    m_per_px = LEG_PER_HEIGHT * height_m / leg if height_m else None
    events = detect_gait_events(clean, chosen)
    _visibility_gates(track, near, gates)
    camera = _camera_gate(track, gates)
    rate = events.cadence.events_spm
    if rate is not None and rate < SLOW_MOTION_BELOW_SPM and poses.capture_rate_hz is None:
        gates.refuse(all_metrics, (
            f"the contacts come at {rate:.0f} steps/min, below {SLOW_MOTION_BELOW_SPM:.0f}: this "
            "looks like slow motion (or very slow walking). If it is slow motion, give the rate "
            "it was recorded at (backstride analyze CLIP --capture-fps 240, or what the phone "
            "says); otherwise film running at normal speed"))
    walking = _walking(clean, events)
    if walking:
        gates.refuse(all_metrics, walking)
    cadence, confidence = _cadence_summary(events, sha256, duration_s)
    steps = _steps(clean, events, chosen, near, leg, gates)
    metrics = _summaries(steps, cadence, gates, sha256=sha256, view=chosen, leg_px=leg,
                         m_per_px=m_per_px)
    per_side = _per_side(steps, chosen)
    gct = metrics.get("ground_contact_time_s")
    if gct is not None and gct.status is MetricStatus.OK:
        gates.warn("video.gct_kinematic", (
            "ground contact time here runs from the kinematic contact to the kinematic toe-off "
            "(toe furthest behind the hips), which on running video comes after the foot "
            "leaves the ground: read it as an upper bound, and prefer a watch's or foot pod's "
            "ground contact time"))
    if chosen == "side" and near is not None:
        gates.warn("video.near_leg", (
            f"side view: per-leg values use the {near} leg (nearer the camera); the far leg is "
            "often hidden and was left out. Film the other side for that leg"))
    return FormAnalysis(
        view=chosen, view_detected=detected_view, view_ratio=ratio, leg_px=leg,
        m_per_px=m_per_px, near_side=near, treadmill=_treadmill(clean, leg, track, chosen),
        duration_s=duration_s, events=events, clean=clean, metrics=metrics, steps=steps,
        per_side=per_side, issues=tuple(gates.issues), cadence_confidence=confidence
        if metrics["cadence_spm"].status is MetricStatus.OK else None,
        analysed_span_s=(float(poses.t_s[start]), float(poses.t_s[stop - 1])),
        camera_motion_frac_width=camera, time_scale=time_scale)


def _in_frame(poses: PoseSequence) -> BoolArray:
    """Frames where the whole runner (head, hips, feet) is inside the picture."""
    xy = poses.xy_px[:, list(BODY_EDGE_JOINTS)]
    margin = CUT_OFF_MARGIN_FRAC * poses.long_side_px
    with np.errstate(invalid="ignore"):
        inside = ((xy[..., 0] >= -margin) & (xy[..., 0] <= poses.width_px + margin)
                  & (xy[..., 1] >= -margin) & (xy[..., 1] <= poses.height_px + margin))
    return np.asarray(np.all(inside, axis=1), dtype=np.bool_)


def _trimmed(track: tuple[int, int], inside: BoolArray) -> tuple[int, int] | None:
    """A track without the frames at its ends where the runner is partly out of the picture
    (entering or leaving it); None when nothing is left."""
    frames = np.flatnonzero(inside[track[0]:track[1]])
    if frames.size == 0:
        return None
    return track[0] + int(frames[0]), track[0] + int(frames[-1]) + 1


def _size_px(poses: PoseSequence, track: tuple[int, int]) -> float:
    hip = poses.xy_px[track[0]:track[1], [J.LEFT_HIP, J.RIGHT_HIP], 1].mean(axis=1)
    ankle = poses.xy_px[track[0]:track[1], [J.LEFT_ANKLE, J.RIGHT_ANKLE], 1].mean(axis=1)
    size = np.abs(ankle - hip)
    size = size[np.isfinite(size)]
    return float(np.median(size)) if size.size else float("nan")


def _pick_passes(poses: PoseSequence, gates: _Gates) -> tuple[int, int, BoolArray | None]:
    """What to analyse: ``[start, stop)`` and, when several passes of the runner are joined,
    which of those frames belong to one (the rest are left out). Never across a scene cut.

    Each steady track of one person is trimmed to the frames with the whole runner in the
    picture. The longest track's shot is kept; the other tracks in it at least
    :data:`MIN_PASS_S` long whose runner is the same size (within :data:`PASS_SIZE_FRAC`) are
    further passes of the same runner, filmed as a friend films them passing, and are joined
    (their frames apart, so no step spans two passes). Warns about the rest, and refuses every
    metric when the model lost the runner in too many of the frames kept (a runner present
    in only part of the clip is not refused here: too few contacts say how much more to
    film)."""
    inside = _in_frame(poses)
    tracks = runner_tracks(poses)
    trimmed = [t for t in (_trimmed(track, inside) for track in tracks) if t is not None]
    candidates = trimmed or tracks
    start, stop = max(candidates, key=lambda r: poses.t_s[r[1] - 1] - poses.t_s[r[0]])
    bounds = [0, *poses.scene_cuts, poses.frame_count]
    shot = next((a, b) for a, b in itertools.pairwise(bounds) if a <= start < b)
    in_shot = [(a, b) for a, b in candidates if shot[0] <= a < shot[1]]
    size = _size_px(poses, (start, stop))
    passes = sorted(t for t in in_shot if t == (start, stop) or (
        poses.t_s[t[1] - 1] - poses.t_s[t[0]] >= MIN_PASS_S
        and abs(_size_px(poses, t) - size) <= PASS_SIZE_FRAC * size))
    keep: BoolArray | None = None
    if len(passes) > 1:
        start, stop = passes[0][0], passes[-1][1]
        keep = np.zeros(stop - start, dtype=np.bool_)
        for a, b in passes:
            keep[a - start:b - start] = True
        seconds = sum(float(poses.t_s[b - 1] - poses.t_s[a]) for a, b in passes)
        gates.warn("video.passes", (
            f"{len(passes)} passes of the runner were joined ({seconds:.1f} s with the whole "
            "body in the picture); no step spans two passes"))
    others = len(in_shot) - len(passes)
    length = f"{poses.t_s[stop - 1] - poses.t_s[start]:.1f} s"
    if others > 0 and sum(1 for a, b in in_shot if b - a > 3) > len(passes):
        gates.warn("video.several_tracks", (
            f"the pose model lost or switched the person {others} times (more than one person, "
            "or the runner left the frame); only the longest steady track"
            f"{' and its passes' if keep is not None else ''} ({length}) was analysed"))
    if poses.scene_cuts:
        at = ", ".join(f"{poses.t_s[c]:.1f} s" for c in poses.scene_cuts[:5])
        gates.warn("video.scene_cuts", (
            f"the clip has {len(poses.scene_cuts)} scene cut(s) (at {at}): it was split there, "
            f"no metric spans a cut, and only the longest shot ({length}) was analysed. "
            "Analyse one continuous shot, not an edited clip"))
    kept = np.ones(stop - start, dtype=np.bool_) if keep is None else keep
    track_frac = float(np.sum(poses.detected[start:stop] & kept)) / int(kept.sum())
    if track_frac < MIN_DETECTED_FRAC:
        gates.refuse(list(VIDEO_METRICS), (
            f"the runner was tracked in only {100 * track_frac:.0f} % of frames (at least "
            f"{100 * MIN_DETECTED_FRAC:.0f} % needed): keep one runner, whole body in frame, "
            f"for the whole clip; {FILM_HINT}"))
    return start, stop, keep


def _camera_gate(track: PoseSequence, gates: _Gates) -> float | None:
    """§3.5 "steady camera": positions relative to the frame need a camera that stood still."""
    motion = camera_motion_frac_width(track)
    if motion is None:
        why = ("keypoints recorded by an older backstride" if track.camera_shift_px is None
               else "too little background to measure it")
        gates.warn("video.camera_not_checked", (
            f"a steady camera is assumed, not checked ({why}): film from a tripod without "
            "panning or zoom"))
    elif motion > MAX_CAMERA_MOTION_FRAC_WIDTH:
        percent = f"{100 * motion:.{0 if motion >= 0.1 else 1}f}"
        reason = (f"the camera moved (about {percent} % of the frame width during the "
                  "clip): positions in the picture moved with it. Film from a tripod without "
                  f"panning or zoom; {FILM_HINT}")
        gates.refuse(list(CAMERA_SENSITIVE), reason)
        gates.warn("video.camera_moved", (
            f"the camera moved (about {percent} % of the frame width): vertical "
            "oscillation, overstride, step width and sway are refused; angles and cadence are "
            "kept. Film from a tripod without panning or zoom"))
    return motion


def _empty(poses: PoseSequence, view: View, gates: _Gates, duration_s: float) -> FormAnalysis:
    metrics = {name: _refused(name, *gates.refused[name]) for name in _keys(view, None)}
    return FormAnalysis(view=view, view_detected=None, view_ratio=None, leg_px=float("nan"),
                        m_per_px=None, near_side=None, treadmill=None, duration_s=duration_s,
                        events=None, clean=None, metrics=metrics, steps={}, per_side={},
                        issues=tuple(gates.issues), cadence_confidence=None)


def _keys(view: View, m_per_px: float | None) -> list[str]:
    names = [*BOTH_METRICS, *(SIDE_METRICS if view == "side" else REAR_METRICS)]
    if m_per_px is not None:
        names += [SCALED[n] for n in names if n in SCALED]
    return names


def _frame_gates(poses: PoseSequence, gates: _Gates) -> None:
    fps = poses.frame_rate_hz if poses.frame_rate_hz > 0 else sample_rate_hz(poses.t_s)
    all_metrics = list(VIDEO_METRICS)
    if fps < MIN_CADENCE_FPS:
        gates.refuse(all_metrics, f"the frame rate is {fps:.0f} fps (at least "
                                  f"{MIN_CADENCE_FPS:.0f} needed); film at 60 fps, or, for a "
                                  "slow-motion clip, give the rate it was recorded at with "
                                  "--capture-fps")
    elif fps < MIN_ANGLE_FPS:
        gates.refuse(sorted(AT_CONTACT), f"{fps:.0f} fps is too few to catch the moment of "
                                         f"contact (at least {MIN_ANGLE_FPS:.0f}); film at 60 fps")
    elif fps < WARN_ANGLE_FPS:
        gates.warn("video.low_fps", f"{fps:.0f} fps: values at foot contact are within a frame "
                                    f"({1000 / fps:.0f} ms) of it; 60 fps is better")
    if fps < MIN_GCT_FPS:
        gates.refuse(["ground_contact_time_s"], (
            f"ground contact lasts ~250 ms, {1000 / fps:.0f} ms a frame at {fps:.0f} fps is too "
            f"coarse (at least {MIN_GCT_FPS:.0f} fps); film at 60 fps or use a watch's "
            "running dynamics"))
    long_side = poses.long_side_px
    if long_side < MIN_LONG_SIDE_PX:
        gates.refuse(all_metrics, f"the video is {long_side} px on its long side (at least "
                                  f"{MIN_LONG_SIDE_PX} needed); film at 1080p")
    elif long_side < WARN_LONG_SIDE_PX:
        gates.warn("video.low_resolution", f"{long_side} px on the long side; 1080p is better")
    height = _runner_height_px(poses)
    if height < MIN_RUNNER_PX:
        gates.refuse(all_metrics, f"the runner is only ~{height:.0f} px tall (at least "
                                  f"{MIN_RUNNER_PX} needed): move the camera closer or zoom "
                                  f"1–2×; {FILM_HINT}")
    elif height < WARN_RUNNER_PX:
        gates.warn("video.small_runner", f"the runner is ~{height:.0f} px tall; "
                                         f"{WARN_RUNNER_PX}+ px gives steadier keypoints")
    _cut_off_gate(poses, gates)


def _cut_off_gate(poses: PoseSequence, gates: _Gates) -> None:
    """The model guesses joints beyond the picture's edge: a runner whose head or feet leave
    the frame in many frames cannot be measured (§3.5 "runner cut off")."""
    seen = poses.xy_px[poses.detected][:, list(BODY_EDGE_JOINTS)]
    if seen.shape[0] == 0:
        return
    margin = CUT_OFF_MARGIN_FRAC * poses.long_side_px
    x, y = seen[..., 0], seen[..., 1]
    edges = {"the top (head)": y < -margin, "the bottom (feet)": y > poses.height_px + margin,
             "the sides": (x < -margin) | (x > poses.width_px + margin)}
    shares = {edge: float(np.mean(np.any(out, axis=1))) for edge, out in edges.items()}
    edge, share = max(shares.items(), key=lambda item: item[1])
    if share > MAX_CUT_OFF_FRAC:
        gates.refuse(list(VIDEO_METRICS), (
            f"the runner is cut off at {edge} of the picture in {100 * share:.0f} % of frames: "
            f"keep the whole body in frame (step back or zoom out); {FILM_HINT}"))
    elif share > 0.02:
        gates.warn("video.cut_off", f"the runner touches {edge} of the picture in "
                                    f"{100 * share:.0f} % of frames; keep the whole body in frame")


def _choose_view(track: PoseSequence, clean: CleanPose, view: View | None,
                 gates: _Gates) -> tuple[View, View | None, float | None]:
    """(the view analysed, the view detected, the shoulder/torso ratio), with the view's
    warnings and refusals."""
    ratio = view_ratio(clean)
    detected_view = detect_view(ratio)
    if detected_view == "rear":  # frontal: from behind, or from the front
        detected_view, doubt = frontal_view(track)
        if doubt and view is None:
            gates.warn("video.view_unclear", doubt)
    chosen: View = view or detected_view or "side"
    if view is None and detected_view is None:
        gates.warn("video.view_unclear", (
            f"the camera view is unclear (shoulder width / torso length {ratio or 0:.2f}; side "
            f"< {SIDE_MAX_SHOULDER_RATIO}, rear or front > {REAR_MIN_SHOULDER_RATIO}); analysed "
            "as a side view. Give --view to say which it is"))
    _view_gates(chosen, detected_view, ratio, gates)
    return chosen, detected_view, ratio


def _view_gates(chosen: View, detected: View | None, ratio: float | None, gates: _Gates) -> None:
    if detected is not None and detected != chosen and "side" not in (detected, chosen):
        # Rear and front see the same frontal plane: the metrics stand, the label is doubted.
        gates.warn("video.view_doubt", (
            f"this clip looks like a {detected} view, not a {chosen} view (the face is "
            f"{'visible' if detected == 'front' else 'hidden'}); the frontal-plane metrics are "
            "the same from either side"))
    elif detected is not None and detected != chosen:
        names = SIDE_METRICS if chosen == "side" else REAR_METRICS
        gates.refuse(list(names), (
            f"this clip looks like a {detected} view (shoulder width / torso length "
            f"{ratio:.2f}), not a {chosen} view; film the {chosen} view, {FILM_HINT}"),
            MetricStatus.NOT_AVAILABLE)


def size_change_frac(clean: CleanPose) -> float | None:
    """How much the runner's leg length (hip-knee + knee-ankle, both legs' median) changed
    from the first to the last third of the clip, as a fraction of the first; None when a third
    has no legs."""
    legs = []
    for side in ("left", "right"):
        hip, knee, ankle = JOINT_GROUPS[side][:3]
        legs.append(np.linalg.norm(clean.joint(hip) - clean.joint(knee), axis=1)
                    + np.linalg.norm(clean.joint(knee) - clean.joint(ankle), axis=1))
    leg = np.nanmedian(np.stack(legs), axis=0) if clean.t_s.size else np.zeros(0)
    third = leg.size // 3
    if third < 2:
        return None
    first, last = leg[:third], leg[-third:]
    if not (np.isfinite(first).any() and np.isfinite(last).any()):
        return None
    early = float(np.nanmedian(first))
    return abs(float(np.nanmedian(last)) - early) / early if early > 0 else None


def _size_gate(clean: CleanPose, view: View, gates: _Gates) -> None:
    """Frontal views: a runner coming toward (or going away from) the camera grows (shrinks),
    so widths in leg lengths of one moment are not those of another."""
    change = size_change_frac(clean)
    if change is None or change <= MAX_SIZE_CHANGE_FRAC:
        return
    way = "toward" if view == "front" else "away from"
    reason = (f"the runner's size in the picture changed by {100 * change:.0f} % during the "
              f"clip (at most {100 * MAX_SIZE_CHANGE_FRAC:.0f} %): the runner ran {way} the "
              "camera, so step width and sway cannot be compared from step to step. Film on a "
              f"treadmill, or from a fixed spot with the runner passing at one distance; "
              f"{FILM_HINT}")
    gates.refuse(list(SIZE_SENSITIVE), reason)
    gates.warn("video.runner_size_changed", reason)


def _visibility_gates(poses: PoseSequence, near: str | None, gates: _Gates) -> None:
    for name, groups in NEEDS.items():
        # "near" is the near leg; a rear view has none, so the left leg stands for it.
        joints = tuple(j for g in groups
                       for j in JOINT_GROUPS[(near or "left") if g == "near" else g])
        frac = _visible_frac(poses, joints)
        if frac < MIN_VISIBLE_FRAC:
            gates.refuse([name], (
                f"the needed body points were clearly visible in only {100 * frac:.0f} % of "
                f"frames (at least {100 * MIN_VISIBLE_FRAC:.0f} %): fitted clothes, good light, "
                f"nothing in front of the legs; {FILM_HINT}"))


def _walking(clean: CleanPose, events: GaitEvents) -> str | None:
    """Running has a flight phase: the hips are still falling just after each contact and are
    lowest mid-stance; in walking they rise over the stance leg (inverted pendulum)."""
    times, _ = events.all_contacts
    if times.size < 4:
        return None
    rate = events.cadence.events_spm
    if rate is not None and rate < WALKING_BELOW_SPM:
        return (f"{rate:.0f} steps/min looks like walking, not running: film steady running; "
                f"{FILM_HINT}")
    if events.view != "side":  # steps are found at the hips' lowest point: no phase test
        return None
    hips_y = clean.mid(J.LEFT_HIP, J.RIGHT_HIP)[:, 1]
    valid = np.isfinite(hips_y)
    if valid.sum() < 4:
        return None
    after = np.interp(times + 0.08, clean.t_s[valid], hips_y[valid])
    at = np.interp(times, clean.t_s[valid], hips_y[valid])
    falling = float(np.mean(after > at))  # y grows downward
    if falling < 0.5:
        return ("the person looks to be walking, not running (the hips rise over the stance "
                f"leg instead of sinking): film steady running; {FILM_HINT}")
    return None


def _treadmill(clean: CleanPose, leg: float, track: PoseSequence, view: View) -> bool | None:
    """Treadmill or overground, from where the runner is against the background [D]: on a
    treadmill the hips stay within a leg length of one spot of the scene and (frontal views)
    the runner keeps their size. The spot is the hips' image position minus the camera's path
    (the running sum of the background's shift), so a camera panning to follow an overground
    runner, who stays mid-picture, still reads overground. None when it cannot be told."""
    hip_x = clean.mid(J.LEFT_HIP, J.RIGHT_HIP)[:, 0]
    shift = track.camera_shift_px
    if shift is not None and shift.shape[0] == hip_x.size:
        steps = np.where(np.isfinite(shift[:, 0]), shift[:, 0], 0.0)
        hip_x = hip_x - np.cumsum(steps)  # the background moved by the shift: follow it
    hip_x = hip_x[np.isfinite(hip_x)]
    if hip_x.size < 2:
        return None
    if view != "side":
        change = size_change_frac(clean)
        if change is not None and change > MAX_SIZE_CHANGE_FRAC:
            return False  # coming toward or going away from the camera
    return bool(np.ptp(hip_x) < 1.0 * leg)  # overground runners cross the scene


def _steps(clean: CleanPose, events: GaitEvents, view: View, near: str | None, leg: float,
           gates: _Gates) -> dict[str, StepValues]:
    steps: dict[str, StepValues] = {"vertical_oscillation_frac_leg": _bounce(clean, events, leg)}
    if view == "side":
        assert near is not None
        steps.update(_side_steps(clean, events, near, leg))
        far = "right" if near == "left" else "left"
        steps.update({f"{name}@far": values
                      for name, values in _side_steps(clean, events, far, leg).items()})
    else:
        offset = _static_pelvis_deg(clean, leg)
        if offset is None:
            gates.warn("video.no_static_pelvis", (
                "no 2 s of standing still at the start: the camera's tilt could not be measured "
                "and is not removed from pelvic drop (the median over both legs cancels most of "
                "it, the left/right split does not)"))
        steps.update(_rear_steps(clean, events, leg, offset or 0.0))
    return steps


def _summaries(steps: Mapping[str, StepValues], cadence: MetricSummary, gates: _Gates, *,
               sha256: str, view: View, leg_px: float,
               m_per_px: float | None) -> dict[str, MetricSummary]:
    out: dict[str, MetricSummary] = {}
    for name in _keys(view, m_per_px):
        base = next((k for k, v in SCALED.items() if v == name), name)
        if base in gates.refused:
            out[name] = _refused(name, *gates.refused[base])
            continue
        if name == "cadence_spm":
            out[name] = cadence
            continue
        values = steps[base].values
        if base != name:  # the same steps in metres: leg lengths x the leg's length in m
            assert m_per_px is not None
            values = values * leg_px * m_per_px
        per_side = view != "side" and base == "pelvic_drop_deg"
        out[name] = _summary(name, values, sha256=sha256,
                             min_n=2 * MIN_PER_SIDE if per_side else MIN_PER_SIDE)
    return out


def _per_side(steps: Mapping[str, StepValues], view: View) -> dict[str, dict[str, float]]:
    """Median per leg where both legs have enough steps (rear: pelvic drop)."""
    out: dict[str, dict[str, float]] = {}
    if view == "side":
        return out
    drop = steps.get("pelvic_drop_deg")
    if drop is None:
        return out
    sides = np.array(drop.sides)
    medians = {}
    for side in ("left", "right"):
        values = drop.values[(sides == side) & np.isfinite(drop.values)]
        if values.size < MIN_PER_SIDE:
            return out
        medians[side] = float(np.median(values))
    out["pelvic_drop_deg"] = medians
    return out
