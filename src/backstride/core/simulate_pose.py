"""A synthetic 2D runner with known truth, for the video pipeline's tests and demo.

Each leg follows a periodic sagittal pattern (thigh and knee angles as functions of its gait
phase; the right leg half a stride behind the left). The renderer projects it as a side view
(x along the path, y down), a rear view (x lateral) or a front view (the rear view mirrored: the
runner's left on image right, the face visible), in pixels, at a chosen frame rate, then
spoils it the way BlazePose does: Gaussian jitter, dropped frames, left/right swaps and a less
visible far leg. The truth that tests compare against is computed from the same model without
noise, on a dense time grid, with the conventions the analysis documents (DOMAIN.md §3.4: "at
contact" is read ``CONTACT_LAG_S`` before the kinematic contact event).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Final, Literal

import numpy as np
from scipy.signal import find_peaks

from backstride.core.pose import LANDMARK_COUNT, PoseSequence
from backstride.core.pose import Joint as J
from backstride.core.types import FloatArray

View = Literal["side", "rear", "front"]
DENSE_HZ: Final = 2000.0
SIMULATED_MODEL: Final = "simulated"  # keypoints drawn here, never seen by a pose model


@dataclass(frozen=True, slots=True, kw_only=True)
class RunnerSpec:
    """What to draw. Angles in degrees, lengths as fractions of leg length unless named px."""

    view: View = "side"
    cadence_spm: float = 170.0
    duty_factor: float = 0.36  # stance share of a stride (running < 0.5)
    trunk_lean_deg: float = 8.0  # forward lean at midstance
    trunk_lean_amp_deg: float = 2.0  # within-stride swing of the lean (peak to mean)
    thigh_mean_deg: float = 8.0
    thigh_amp_deg: float = 24.0
    knee_contact_deg: float = 18.0
    knee_midstance_deg: float = 40.0
    knee_swing_deg: float = 95.0
    vertical_oscillation_frac_leg: float = 0.09
    pelvic_drop_deg: float = 5.0  # rear view, swing side lower at midstance
    static_pelvic_offset_deg: float = 0.0  # rear view: camera or stance tilt seen standing
    standing_s: float = 0.0  # rear view: still at the start (static offset)
    step_width_frac_leg: float = 0.12
    lateral_sway_frac_leg: float = 0.05
    facing: int = 1  # side view: +1 runs toward image right, -1 toward the left
    overground_speed_frac_leg_per_s: float = 0.0  # 0 = treadmill (hip stays in frame)
    leg_px: float = 420.0
    width_px: int = 1920
    height_px: int = 1080
    frame_rate_hz: float = 60.0
    duration_s: float = 12.0
    timestamp_jitter_frac: float = 0.0  # variable frame rate: ± this share of a frame
    noise_px: float = 0.0
    dropout_frac: float = 0.0  # frames with no person
    swap_frac: float = 0.0  # frames whose left and right legs are exchanged
    far_visibility: float = 0.6
    seed: int = 0


@dataclass(frozen=True, slots=True, kw_only=True)
class Truth:
    cadence_spm: float
    ic_s: dict[str, FloatArray]  # kinematic contact events per leg, noise-free
    to_s: dict[str, FloatArray]
    shank_angle_at_contact_deg: float
    knee_flexion_at_contact_deg: float
    knee_flexion_midstance_deg: float
    overstride_frac_leg: float
    trunk_lean_deg: float
    hip_extension_deg: float
    ground_contact_time_s: float
    vertical_oscillation_frac_leg: float
    pelvic_drop_deg: float
    step_width_frac_leg: float
    lateral_sway_frac_leg: float
    leg_px: float


THIGH_SHARE: Final = 0.52  # thigh / (thigh + shank)
HEEL_FRAC: Final = 0.07
TOE_FRAC: Final = 0.17
TORSO_FRAC: Final = 0.62
SHOULDER_WIDTH_FRAC: Final = 0.45  # rear view, of leg length
FACE_OFFSETS_FRAC_LEG: Final = {2: -0.04, 5: 0.04, 7: -0.09, 8: 0.09}
"""Frontal views: BlazePose's left eye, right eye, left ear, right ear, x from the head's
centre as seen from behind (the runner's left on image left)."""
REAR_FACE_VISIBILITY: Final = 0.1
HIP_WIDTH_FRAC: Final = 0.22
CONTACT_LAG_S: Final = 1.0 / 30.0  # mirrors core.gait.CONTACT_LAG_S (tested equal)
HIP_LEAD: Final = 0.04  # stride share by which peak hip extension precedes toe-off


def _warped(phase: FloatArray, duty: float) -> FloatArray:
    """Stance [0, duty) -> [0, 0.5), swing -> [0.5, 1): smooth extremes at contact and toe-off."""
    return np.where(phase < duty, 0.5 * phase / duty, 0.5 + 0.5 * (phase - duty) / (1 - duty))


def _leg_angles(phase: FloatArray, spec: RunnerSpec) -> tuple[FloatArray, FloatArray]:
    """Thigh angle forward of vertical and knee flexion, degrees, for gait phase 0–1."""
    # The hip is most extended just before toe-off and already flexing at it (as in real
    # running), so the toe is furthest behind the hips close to toe-off.
    psi = _warped(phase, spec.duty_factor - HIP_LEAD)
    thigh = spec.thigh_mean_deg + spec.thigh_amp_deg * np.cos(2 * np.pi * psi)
    stance = phase < spec.duty_factor
    u_stance = phase / spec.duty_factor
    u_swing = (phase - spec.duty_factor) / (1 - spec.duty_factor)
    knee = np.where(
        stance,
        spec.knee_contact_deg + (spec.knee_midstance_deg - spec.knee_contact_deg)
        * np.sin(np.pi * u_stance) ** 2,
        spec.knee_contact_deg + (spec.knee_swing_deg - spec.knee_contact_deg)
        * np.sin(np.pi * u_swing) ** 2)
    return thigh, knee


def _phases(t_s: FloatArray, spec: RunnerSpec) -> dict[str, FloatArray]:
    stride_s = 120.0 / spec.cadence_spm
    start = np.maximum(t_s - spec.standing_s, 0.0)
    left = (start / stride_s) % 1.0
    return {"left": left, "right": (left + 0.5) % 1.0}


def _side_points(t_s: FloatArray, spec: RunnerSpec) -> dict[int, FloatArray]:
    """Noise-free side-view keypoints (pixels), joint -> (n, 2)."""
    s, leg = spec.facing, spec.leg_px
    thigh_px, shank_px = THIGH_SHARE * leg, (1 - THIGH_SHARE) * leg
    phases = _phases(t_s, spec)
    stride_s = 120.0 / spec.cadence_spm
    step_phase = (t_s / stride_s * 2.0) % 1.0  # 0 at each contact
    # Lowest hip (largest y) at midstance of each step.
    mid = spec.duty_factor  # a leg's midstance, in step phase (two steps a stride)
    hip_y = spec.height_px * 0.42 + 0.5 * spec.vertical_oscillation_frac_leg * leg * np.cos(
        2 * np.pi * (step_phase - mid))
    hip_x = (spec.width_px * 0.5 - s * 0.25 * spec.overground_speed_frac_leg_per_s * leg
             * spec.duration_s + s * spec.overground_speed_frac_leg_per_s * leg * t_s)
    points: dict[int, FloatArray] = {}
    for side, (hip_j, knee_j, ankle_j, heel_j, toe_j) in (
            ("left", (J.LEFT_HIP, J.LEFT_KNEE, J.LEFT_ANKLE, J.LEFT_HEEL, J.LEFT_TOE)),
            ("right", (J.RIGHT_HIP, J.RIGHT_KNEE, J.RIGHT_ANKLE, J.RIGHT_HEEL, J.RIGHT_TOE))):
        thigh, knee = _leg_angles(phases[side], spec)
        shank = np.radians(thigh - knee)
        thigh_r = np.radians(thigh)
        hx = hip_x + (0.01 * leg if side == "left" else -0.01 * leg)
        kx, ky = hx + s * thigh_px * np.sin(thigh_r), hip_y + thigh_px * np.cos(thigh_r)
        ax, ay = kx + s * shank_px * np.sin(shank), ky + shank_px * np.cos(shank)
        points[hip_j] = np.stack([hx, hip_y], axis=1)
        points[knee_j] = np.stack([kx, ky], axis=1)
        points[ankle_j] = np.stack([ax, ay], axis=1)
        points[heel_j] = np.stack([ax - s * HEEL_FRAC * leg, ay + 0.03 * leg], axis=1)
        points[toe_j] = np.stack([ax + s * TOE_FRAC * leg, ay + 0.04 * leg], axis=1)
    # The lean is trunk_lean_deg at midstance and swings 2 x amp within each step.
    lean = np.radians(spec.trunk_lean_deg + spec.trunk_lean_amp_deg * (np.cos(
        2 * np.pi * (step_phase - mid)) - 1.0))
    torso = TORSO_FRAC * leg
    sx, sy = hip_x + s * torso * np.sin(lean), hip_y - torso * np.cos(lean)
    points[J.LEFT_SHOULDER] = np.stack([sx + 0.03 * leg, sy], axis=1)
    points[J.RIGHT_SHOULDER] = np.stack([sx - 0.03 * leg, sy], axis=1)
    points[J.NOSE] = np.stack([sx + s * 0.12 * leg, sy - 0.3 * leg], axis=1)
    return points


def _rear_points(t_s: FloatArray, spec: RunnerSpec) -> dict[int, FloatArray]:
    """Noise-free rear-view keypoints. The camera is behind: the runner's left is image left."""
    leg = spec.leg_px
    phases = _phases(t_s, spec)
    moving = t_s >= spec.standing_s
    stride_s = 120.0 / spec.cadence_spm
    step_phase = (np.maximum(t_s - spec.standing_s, 0) / stride_s * 2.0) % 1.0
    mid = spec.duty_factor  # midstance of each step, in step phase
    bounce = np.where(moving, 0.5 * spec.vertical_oscillation_frac_leg * leg
                      * np.cos(2 * np.pi * (step_phase - mid)), 0.0)
    hip_y = spec.height_px * 0.40 + bounce
    left_phase = phases["left"]
    # Sway toward the stance side: most left at left midstance.
    sway = np.where(moving, -0.5 * spec.lateral_sway_frac_leg * leg
                    * np.cos(2 * np.pi * (left_phase - spec.duty_factor / 2)), 0.0)
    hip_x = spec.width_px * 0.5 + sway
    half_hip = 0.5 * HIP_WIDTH_FRAC * leg
    # Drop: swing side lower, most at midstance; + static offset (image-right hip lower).
    def bump(phase: FloatArray) -> FloatArray:
        return np.where(phase < spec.duty_factor, np.sin(np.pi * phase / spec.duty_factor), 0.0)
    drop = np.radians(spec.pelvic_drop_deg) * np.where(
        moving, bump(left_phase) - bump(phases["right"]), 0.0)
    tilt = drop + np.radians(spec.static_pelvic_offset_deg)  # + = image-right hip lower
    points: dict[int, FloatArray] = {}
    half_width = 0.5 * spec.step_width_frac_leg * leg
    for side, sign, joints in (
            ("left", -1.0, (J.LEFT_HIP, J.LEFT_KNEE, J.LEFT_ANKLE, J.LEFT_HEEL, J.LEFT_TOE)),
            ("right", 1.0, (J.RIGHT_HIP, J.RIGHT_KNEE, J.RIGHT_ANKLE, J.RIGHT_HEEL,
                            J.RIGHT_TOE))):
        hip_j, knee_j, ankle_j, heel_j, toe_j = joints
        hx = hip_x + sign * half_hip * np.cos(tilt)
        hy = hip_y + sign * half_hip * np.sin(tilt)
        phase = phases[side]
        stance = (phase < spec.duty_factor) | ~moving
        lift = np.where(stance, 0.0, 0.25 * leg * np.sin(
            np.pi * (phase - spec.duty_factor) / (1 - spec.duty_factor)))
        foot_x = np.where(moving, spec.width_px * 0.5 + sign * half_width, hx)
        ground = spec.height_px * 0.40 + leg
        ay = ground - lift
        ax = foot_x
        points[hip_j] = np.stack([hx, hy], axis=1)
        points[knee_j] = np.stack([(hx + ax) / 2, (hy + ay) / 2 - 0.02 * leg], axis=1)
        points[ankle_j] = np.stack([ax, ay], axis=1)
        points[heel_j] = np.stack([ax, ay + 0.04 * leg], axis=1)
        points[toe_j] = np.stack([ax, ay + 0.02 * leg], axis=1)
    torso = TORSO_FRAC * leg
    half_shoulder = 0.5 * SHOULDER_WIDTH_FRAC * leg
    points[J.LEFT_SHOULDER] = np.stack([hip_x - half_shoulder, hip_y - torso], axis=1)
    points[J.RIGHT_SHOULDER] = np.stack([hip_x + half_shoulder, hip_y - torso], axis=1)
    head_y = hip_y - torso - 0.3 * leg
    points[J.NOSE] = np.stack([hip_x, head_y], axis=1)
    for index, dx in FACE_OFFSETS_FRAC_LEG.items():  # eyes and ears, left of the head's centre
        points[index] = np.stack([hip_x + dx * leg, head_y - 0.02 * leg], axis=1)
    return points


def _front_points(t_s: FloatArray, spec: RunnerSpec) -> dict[int, FloatArray]:
    """Front view: the rear view mirrored left to right (the camera faces the runner)."""
    return {joint: np.stack([spec.width_px - xy[:, 0], xy[:, 1]], axis=1)
            for joint, xy in _rear_points(t_s, spec).items()}


def _points(t_s: FloatArray, spec: RunnerSpec) -> dict[int, FloatArray]:
    if spec.view == "side":
        return _side_points(t_s, spec)
    return _rear_points(t_s, spec) if spec.view == "rear" else _front_points(t_s, spec)


def _frame_times(spec: RunnerSpec, rng: np.random.Generator) -> FloatArray:
    n = max(round(spec.duration_s * spec.frame_rate_hz), 0)
    t = np.arange(n) / spec.frame_rate_hz
    if spec.timestamp_jitter_frac > 0 and n > 1:
        t = t + rng.uniform(-1, 1, n) * spec.timestamp_jitter_frac / spec.frame_rate_hz
        t = np.sort(t - t[0])
    return t.astype(np.float64)


def simulate_pose(spec: RunnerSpec) -> PoseSequence:
    """Render the runner as BlazePose-like keypoints, noise and artefacts included."""
    rng = np.random.default_rng(spec.seed)
    t = _frame_times(spec, rng)
    n = t.size
    xy = np.full((n, LANDMARK_COUNT, 2), np.nan)
    vis = np.zeros((n, LANDMARK_COUNT))
    for joint, track in _points(t, spec).items():
        xy[:, joint] = track
        vis[:, joint] = 0.95
    if spec.view == "rear":  # the face is turned away: BlazePose reports it barely visible
        for joint in (J.NOSE, *FACE_OFFSETS_FRAC_LEG):
            vis[:, joint] = REAR_FACE_VISIBILITY
    if spec.view == "side":  # the far leg is the one away from the camera: here the right
        for joint in (J.RIGHT_HIP, J.RIGHT_KNEE, J.RIGHT_ANKLE, J.RIGHT_HEEL, J.RIGHT_TOE):
            vis[:, joint] = spec.far_visibility
    if spec.noise_px > 0:
        xy = xy + rng.normal(0.0, spec.noise_px, xy.shape)
    if spec.swap_frac > 0:
        swapped = rng.random(n) < spec.swap_frac
        for a, b in ((J.LEFT_HIP, J.RIGHT_HIP), (J.LEFT_KNEE, J.RIGHT_KNEE),
                     (J.LEFT_ANKLE, J.RIGHT_ANKLE), (J.LEFT_HEEL, J.RIGHT_HEEL),
                     (J.LEFT_TOE, J.RIGHT_TOE)):
            xy[swapped, a], xy[swapped, b] = xy[swapped, b].copy(), xy[swapped, a].copy()
    if spec.dropout_frac > 0:
        lost = rng.random(n) < spec.dropout_frac
        xy[lost] = np.nan
        vis[lost] = 0.0
    return PoseSequence(t_s=t, xy_px=xy, visibility=vis, width_px=spec.width_px,
                        height_px=spec.height_px, frame_rate_hz=spec.frame_rate_hz,
                        model=SIMULATED_MODEL)


def _peaks(signal: FloatArray, t: FloatArray) -> FloatArray:
    """The main peak of each stride (the analysis's own rule, without noise or frames)."""
    sd = float(np.std(signal))
    peaks, _ = find_peaks(signal, distance=int(0.35 * DENSE_HZ), prominence=0.25 * sd)
    return np.asarray(t[peaks], dtype=np.float64)


def truth_of(spec: RunnerSpec) -> Truth:
    """The noise-free answers, on a dense grid, with the analysis's conventions."""
    t = np.arange(0.0, spec.duration_s, 1.0 / DENSE_HZ)
    pts = _points(t, spec)
    leg = spec.leg_px
    ic: dict[str, FloatArray] = {}
    to: dict[str, FloatArray] = {}
    s = spec.facing
    hip_mid = (pts[J.LEFT_HIP] + pts[J.RIGHT_HIP]) / 2
    for side, heel_j, toe_j in (("left", J.LEFT_HEEL, J.LEFT_TOE),
                                ("right", J.RIGHT_HEEL, J.RIGHT_TOE)):
        ic[side] = _peaks(float(s) * (pts[heel_j][:, 0] - hip_mid[:, 0]), t)
        to[side] = _peaks(-float(s) * (pts[toe_j][:, 0] - hip_mid[:, 0]), t)
    phase_contact = (-CONTACT_LAG_S / (120.0 / spec.cadence_spm)) % 1.0
    thigh_c, knee_c = _leg_angles(np.array([phase_contact]), spec)
    shank_c = float(thigh_c[0] - knee_c[0])
    thigh_px = THIGH_SHARE * leg
    shank_px = (1 - THIGH_SHARE) * leg
    overstride = (thigh_px * np.sin(np.radians(thigh_c[0])) + shank_px * np.sin(np.radians(
        shank_c)) - HEEL_FRAC * leg) / leg
    dense = np.linspace(0, 1, 20001)
    thigh_all, knee_all = _leg_angles(dense, spec)
    stance = dense < spec.duty_factor
    left_ic, left_to = ic["left"], to["left"]
    gct = float(np.median([float(np.min(left_to[left_to > a]) - a) for a in left_ic[:-1]
                           if np.any(left_to > a)])) if left_ic.size > 1 else float("nan")
    return Truth(
        cadence_spm=spec.cadence_spm, ic_s=ic, to_s=to,
        shank_angle_at_contact_deg=shank_c,
        knee_flexion_at_contact_deg=float(knee_c[0]),
        knee_flexion_midstance_deg=float(np.max(knee_all[stance])),
        overstride_frac_leg=float(overstride),
        trunk_lean_deg=spec.trunk_lean_deg,
        hip_extension_deg=float(-np.min(thigh_all)),
        ground_contact_time_s=gct,
        vertical_oscillation_frac_leg=spec.vertical_oscillation_frac_leg,
        pelvic_drop_deg=spec.pelvic_drop_deg,
        step_width_frac_leg=spec.step_width_frac_leg,
        lateral_sway_frac_leg=spec.lateral_sway_frac_leg,
        leg_px=leg,
    )
