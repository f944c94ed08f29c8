"""Keypoint cleaning, gait events and cadence from a video's pose track (DOMAIN.md §3.3–3.4).

Cleaning, in the order DOMAIN.md gives: bridge short gaps, repair left/right swaps *before*
smoothing (a swap smoothed first becomes a plausible-looking but false movement), drop
outliers, then a zero-phase Butterworth low-pass. Events: Zeni's kinematic method on the side
view (contact = heel furthest ahead of the hips, toe-off = toe furthest behind), hip-height
minima on the rear view. Cadence is cross-checked three independent ways; their spread is the
confidence.
"""

from __future__ import annotations

import itertools
import warnings
from dataclasses import dataclass
from typing import Final, Literal

import numpy as np
from scipy.signal import butter, filtfilt, find_peaks

from backstride.core.pose import LEFT_RIGHT_PAIRS, PoseSequence
from backstride.core.pose import Joint as J
from backstride.core.types import BoolArray, FloatArray

View = Literal["side", "rear", "front"]
Side = Literal["left", "right"]

MAX_GAP_S: Final = 0.2  # §3.3.1
CUTOFF_HZ: Final = 6.0  # §3.3.3, Butterworth 2nd order, zero phase
FILTER_ORDER: Final = 2
SWAP_FLOOR_FRAC_LEG: Final = 0.1  # a heel gap this close to zero may be either sign [D]
HAMPEL_K: Final = 3.0  # median ± 3·MAD (§3.3.2)
HAMPEL_HALF_WINDOW: Final = 3
MIN_PEAK_DISTANCE_S: Final = 0.35  # per foot (§3.4)
MIN_STEP_DISTANCE_S: Final = 0.2  # rear view, both feet
PEAK_PROMINENCE_SD: Final = 0.25
CONTACT_LAG_S: Final = 1.0 / 30.0  # read "at contact" values this much before the event [D]
CADENCE_BAND_SPM: Final = (100.0, 240.0)
AGREE_HIGH_FRAC: Final = 0.02  # §3.4 confidence
AGREE_MAX_FRAC: Final = 0.05
SPECTRUM_POINTS: Final = 1 << 16


@dataclass(frozen=True, slots=True, kw_only=True)
class CleanPose:
    """Cleaned keypoints: NaN where a gap was longer than ``MAX_GAP_S``."""

    t_s: FloatArray
    xy_px: FloatArray
    sample_rate_hz: float  # from the median frame interval (timestamps, not the nominal rate)
    swaps_repaired: int
    outliers_dropped: int
    filtered: bool

    def joint(self, joint: J) -> FloatArray:
        return self.xy_px[:, int(joint), :]

    def mid(self, a: J, b: J) -> FloatArray:
        return (self.joint(a) + self.joint(b)) / 2.0


@dataclass(frozen=True, slots=True, kw_only=True)
class CadenceEstimates:
    events_spm: float | None  # 60·(N−1)/(t_N − t_1) over contacts of both feet
    hip_spectrum_spm: float | None  # hip-midpoint height, strongest frequency 2–4 Hz
    feet_spectrum_spm: float | None  # left−right foot difference, stride frequency × 2

    @property
    def spread_frac(self) -> float | None:
        values = [v for v in (self.events_spm, self.hip_spectrum_spm, self.feet_spectrum_spm)
                  if v is not None]
        if len(values) < 2:
            return None
        return (max(values) - min(values)) / float(np.median(values))


@dataclass(frozen=True, slots=True, kw_only=True)
class GaitEvents:
    view: View
    facing: int  # side view: +1 the runner moves toward image right, −1 toward the left
    contacts_s: dict[str, FloatArray]  # per side
    toe_offs_s: dict[str, FloatArray]  # per side (side view only; empty for rear)
    cadence: CadenceEstimates
    alternation_frac: float  # share of successive contacts that alternate feet

    @property
    def all_contacts(self) -> tuple[FloatArray, tuple[str, ...]]:
        """Contacts of both feet in time order, with the side of each."""
        times = np.concatenate([self.contacts_s["left"], self.contacts_s["right"]])
        sides = ["left"] * self.contacts_s["left"].size + ["right"] * self.contacts_s[
            "right"].size
        order = np.argsort(times, kind="stable")
        return times[order], tuple(sides[i] for i in order)

    @property
    def contact_count(self) -> int:
        return int(self.contacts_s["left"].size + self.contacts_s["right"].size)


# ---------------------------------------------------------------------------------------------
# Cleaning

def sample_rate_hz(t_s: FloatArray) -> float:
    if t_s.size < 2:
        return 0.0
    return float(1.0 / np.median(np.diff(t_s)))


def _bridge_gaps(t_s: FloatArray, values: FloatArray, max_gap_s: float) -> FloatArray:
    """Linear interpolation over runs of NaN no longer than ``max_gap_s`` (between the two
    neighbouring valid samples); longer gaps and the ends stay NaN."""
    out = values.copy()
    valid = np.isfinite(values)
    if valid.sum() < 2:
        return out
    idx = np.flatnonzero(valid)
    gaps = np.flatnonzero(np.diff(idx) > 1)
    for g in gaps:
        a, b = idx[g], idx[g + 1]
        if t_s[b] - t_s[a] <= max_gap_s + 1e-9:
            out[a + 1:b] = np.interp(t_s[a + 1:b], [t_s[a], t_s[b]], [values[a], values[b]])
    return out


def _leg_length_px(xy: FloatArray) -> float:
    lengths = []
    for hip, knee, ankle in ((J.LEFT_HIP, J.LEFT_KNEE, J.LEFT_ANKLE),
                             (J.RIGHT_HIP, J.RIGHT_KNEE, J.RIGHT_ANKLE)):
        seg = (np.linalg.norm(xy[:, hip] - xy[:, knee], axis=1)
               + np.linalg.norm(xy[:, knee] - xy[:, ankle], axis=1))
        if np.isfinite(seg).any():
            lengths.append(float(np.nanmedian(seg)))
    return max(lengths) if lengths else float("nan")


def repair_swaps(xy: FloatArray, t_s: FloatArray, *,
                 floor_px: float) -> tuple[FloatArray, int]:
    """Undo frames where the model exchanged the legs (§3.3.2), before any smoothing.

    An exchange flips the sign of the left−right heel gap but not its size. The real gap only
    changes sign where its size passes near zero (the legs cross at every midstance; never, on
    a rear view). So the size (which swaps cannot spoil) is cut into stretches at its minima and
    at gaps, each stretch takes the sign most of its frames have, and a frame of the other sign,
    clear of zero by ``floor_px``, is a swap. Returns the repaired copy and the frames changed.
    """
    out = xy.copy()
    gap = out[:, J.LEFT_HEEL, 0] - out[:, J.RIGHT_HEEL, 0]
    size = _bridge_gaps(t_s, np.abs(gap), MAX_GAP_S)  # short dropouts don't cut a stretch
    swapped = np.zeros(gap.size, dtype=bool)
    fs = sample_rate_hz(t_s)
    for start, stop in _segments(np.isfinite(size)):
        seg = size[start:stop]
        cuts = [0, seg.size]
        if seg.size >= 5 and fs > 0:
            # Every clear dip is a possible crossing: cutting too often costs nothing, missing
            # one would flip half a step.
            smooth = _running_median(seg, 1)
            minima, _ = find_peaks(-smooth, distance=max(1, int(MIN_STEP_DISTANCE_S * fs)),
                                   prominence=0.1 * float(np.std(smooth)))
            cuts = [0, *minima.tolist(), seg.size]
        for a, b in itertools.pairwise(cuts):
            part = gap[start + a:start + b]
            clear = np.abs(part) > floor_px  # NaN compares False
            if not clear.any():
                continue
            majority = 1.0 if np.sum(part[clear] > 0) >= np.sum(part[clear] < 0) else -1.0
            flip = clear & (np.sign(part) != majority)
            if a > 0:
                flip[0] = False  # the dip's own frame may lie on either side of the crossing
            swapped[start + a:start + b] = flip
    for a, b in LEFT_RIGHT_PAIRS[1:]:  # legs and hips; shoulders are not confused this way
        out[swapped, a], out[swapped, b] = xy[swapped, b], xy[swapped, a]
    return out, int(swapped.sum())


def _windows(values: FloatArray, half: int) -> FloatArray:
    """``(n, 2·half + 1)`` view: each sample with ``half`` neighbours a side (edges repeated)."""
    return np.lib.stride_tricks.sliding_window_view(np.pad(values, half, mode="edge"),
                                                    2 * half + 1)


def _running_median(values: FloatArray, half: int) -> FloatArray:
    return np.asarray(np.median(_windows(values, half), axis=1), dtype=np.float64)


def _hampel(values: FloatArray) -> tuple[FloatArray, int]:
    """NaN where a sample is more than 3·MAD from its neighbours' median."""
    n = values.size
    if n < 2 * HAMPEL_HALF_WINDOW + 1:
        return values, 0
    windows = _windows(values, HAMPEL_HALF_WINDOW)
    # All-NaN windows are expected at gaps; numpy's warning about them is not news.
    with np.errstate(all="ignore"), warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        med = np.nanmedian(windows, axis=1)
        mad = 1.4826 * np.nanmedian(np.abs(windows - med[:, None]), axis=1)
    # A floor keeps a near-constant track from flagging sub-pixel jitter.
    bad = np.abs(values - med) > HAMPEL_K * np.maximum(mad, 1.0)
    out = values.copy()
    out[bad] = np.nan
    return out, int(bad.sum())


def _segments(valid: BoolArray) -> list[tuple[int, int]]:
    """[start, stop) runs of True."""
    edges = np.diff(np.concatenate([[0], valid.astype(np.int8), [0]]))
    return list(zip(np.flatnonzero(edges == 1).tolist(), np.flatnonzero(edges == -1).tolist(),
                    strict=True))


def _lowpass(values: FloatArray, fs: float) -> tuple[FloatArray, bool]:
    if fs <= 2.5 * CUTOFF_HZ:
        return values, False  # too few frames a second to filter at 6 Hz
    b, a = butter(FILTER_ORDER, CUTOFF_HZ / (fs / 2.0))
    out = values.copy()
    pad = 3 * max(len(a), len(b))
    for start, stop in _segments(np.isfinite(values)):
        if stop - start > pad:
            out[start:stop] = filtfilt(b, a, values[start:stop])
    return out, True


def clean_pose(poses: PoseSequence) -> CleanPose:
    t = poses.t_s
    fs = sample_rate_hz(t)
    leg = _leg_length_px(poses.xy_px)
    floor = SWAP_FLOOR_FRAC_LEG * leg if np.isfinite(leg) else 0.05 * poses.width_px
    xy, swaps = repair_swaps(poses.xy_px, t, floor_px=floor)
    dropped = 0
    filtered = False
    for j in range(xy.shape[1]):
        if not np.isfinite(xy[:, j, 0]).any():
            continue
        for c in range(2):
            kept, bad = _hampel(xy[:, j, c])
            dropped += bad
            bridged = _bridge_gaps(t, kept, MAX_GAP_S)
            xy[:, j, c], filtered = _lowpass(bridged, fs)
    return CleanPose(t_s=t, xy_px=xy, sample_rate_hz=fs, swaps_repaired=swaps,
                     outliers_dropped=dropped, filtered=filtered)


# ---------------------------------------------------------------------------------------------
# Events

def facing_sign(clean: CleanPose) -> int:
    """+1 when toes point toward image right (the runner moves right), else −1 (§3.4)."""
    d = np.concatenate([clean.joint(J.LEFT_TOE)[:, 0] - clean.joint(J.LEFT_HEEL)[:, 0],
                        clean.joint(J.RIGHT_TOE)[:, 0] - clean.joint(J.RIGHT_HEEL)[:, 0]])
    d = d[np.isfinite(d)]
    return 1 if d.size == 0 or float(np.median(d)) >= 0 else -1


def _refined_peaks(signal: FloatArray, t: FloatArray, *, distance_s: float,
                   fs: float) -> FloatArray:
    """Peak times per contiguous valid stretch, refined between frames by a parabola."""
    times: list[float] = []
    for start, stop in _segments(np.isfinite(signal)):
        seg = signal[start:stop]
        if seg.size < 5:
            continue
        sd = float(np.std(seg))
        if sd == 0:
            continue
        peaks, _ = find_peaks(seg, distance=max(1, round(distance_s * fs)),
                              prominence=PEAK_PROMINENCE_SD * sd)
        for p in peaks:
            times.append(_parabolic_time(seg, t[start:stop], int(p)))
    return np.asarray(times, dtype=np.float64)


def _parabolic_time(seg: FloatArray, t: FloatArray, p: int) -> float:
    if p == 0 or p == seg.size - 1:
        return float(t[p])
    y0, y1, y2 = seg[p - 1], seg[p], seg[p + 1]
    denom = y0 - 2 * y1 + y2
    shift = 0.5 * (y0 - y2) / denom if denom != 0 else 0.0
    shift = float(np.clip(shift, -0.5, 0.5))
    # Timestamps may be uneven (variable frame rate): step toward the neighbour on that side.
    other = t[p + 1] if shift > 0 else t[p - 1]
    return float(t[p] + abs(shift) * (other - t[p]))


def _rate_over_stretches(times: FloatArray, t: FloatArray, valid: BoolArray) -> float | None:
    """Steps per minute from event times, counted within each valid stretch (a long gap may
    hide contacts, so intervals never span one)."""
    steps = 0
    span = 0.0
    for start, stop in _segments(valid):
        inside = times[(times >= t[start]) & (times <= t[stop - 1])]
        if inside.size >= 2:
            steps += inside.size - 1
            span += float(inside[-1] - inside[0])
    return 60.0 * steps / span if span > 0 else None


def _dominant_spm(signal: FloatArray, t: FloatArray, band_hz: tuple[float, float],
                  factor: float) -> float | None:
    """Strongest frequency of ``signal`` in ``band_hz`` (Hann window, zero padding, parabolic
    peak), × ``factor`` × 60. Uses the longest valid stretch, resampled to even time steps."""
    stretches = _segments(np.isfinite(signal))
    if not stretches:
        return None
    start, stop = max(stretches, key=lambda s: s[1] - s[0])
    if stop - start < 16:
        return None
    ts, ys = t[start:stop], signal[start:stop]
    fs = sample_rate_hz(ts)
    grid = np.arange(ts[0], ts[-1], 1.0 / fs)
    ys = np.interp(grid, ts, ys)
    ys = ys - np.polyval(np.polyfit(grid - grid[0], ys, 1), grid - grid[0])
    spectrum = np.abs(np.fft.rfft(ys * np.hanning(ys.size), n=SPECTRUM_POINTS))
    freqs = np.fft.rfftfreq(SPECTRUM_POINTS, 1.0 / fs)
    inside = np.flatnonzero((freqs >= band_hz[0]) & (freqs <= band_hz[1]))
    if inside.size < 3:
        return None
    k = int(inside[np.argmax(spectrum[inside])])
    if 0 < k < spectrum.size - 1:
        y0, y1, y2 = np.log(spectrum[k - 1:k + 2] + 1e-12)
        denom = y0 - 2 * y1 + y2
        k_f = k + (0.5 * (y0 - y2) / denom if denom != 0 else 0.0)
    else:
        k_f = float(k)
    return float(k_f * fs / SPECTRUM_POINTS * 60.0 * factor)


def detect_gait_events(clean: CleanPose, view: View) -> GaitEvents:
    if view == "side":
        return _side_events(clean)
    return _frontal_events(clean, view)  # rear or front: the same frontal-plane events


def _side_events(clean: CleanPose) -> GaitEvents:
    t, fs = clean.t_s, clean.sample_rate_hz
    s = facing_sign(clean)
    hip_mid = clean.mid(J.LEFT_HIP, J.RIGHT_HIP)
    contacts: dict[str, FloatArray] = {}
    toe_offs: dict[str, FloatArray] = {}
    for side, heel, toe in (("left", J.LEFT_HEEL, J.LEFT_TOE),
                            ("right", J.RIGHT_HEEL, J.RIGHT_TOE)):
        heel_ahead = float(s) * (clean.joint(heel)[:, 0] - hip_mid[:, 0])
        toe_behind = -float(s) * (clean.joint(toe)[:, 0] - hip_mid[:, 0])
        contacts[side] = _refined_peaks(heel_ahead, t, distance_s=MIN_PEAK_DISTANCE_S, fs=fs)
        toe_offs[side] = _refined_peaks(toe_behind, t, distance_s=MIN_PEAK_DISTANCE_S, fs=fs)
    valid = np.isfinite(hip_mid[:, 0]) & np.isfinite(clean.joint(J.LEFT_HEEL)[:, 0]) \
        & np.isfinite(clean.joint(J.RIGHT_HEEL)[:, 0])
    merged = np.sort(np.concatenate(list(contacts.values())))
    feet_gap = clean.joint(J.LEFT_HEEL)[:, 0] - clean.joint(J.RIGHT_HEEL)[:, 0]
    cadence = CadenceEstimates(
        events_spm=_rate_over_stretches(merged, t, valid),
        hip_spectrum_spm=_dominant_spm(-hip_mid[:, 1], t, (2.0, 4.0), 1.0),
        feet_spectrum_spm=_dominant_spm(feet_gap, t, (0.9, 2.0), 2.0))
    return GaitEvents(view="side", facing=s, contacts_s=contacts, toe_offs_s=toe_offs,
                      cadence=cadence, alternation_frac=_alternation(contacts))


def _frontal_events(clean: CleanPose, view: View) -> GaitEvents:
    """Steps at the hip's lowest points (largest image y); the stance foot is the lower one."""
    t, fs = clean.t_s, clean.sample_rate_hz
    hip_mid = clean.mid(J.LEFT_HIP, J.RIGHT_HIP)
    steps = _refined_peaks(hip_mid[:, 1], t, distance_s=MIN_STEP_DISTANCE_S, fs=fs)
    left_y = np.interp(steps, t, _filled(clean.joint(J.LEFT_ANKLE)[:, 1]))
    right_y = np.interp(steps, t, _filled(clean.joint(J.RIGHT_ANKLE)[:, 1]))
    left = left_y >= right_y
    contacts = {"left": steps[left], "right": steps[~left]}
    valid = np.isfinite(hip_mid[:, 1])
    ankle_gap = clean.joint(J.LEFT_ANKLE)[:, 1] - clean.joint(J.RIGHT_ANKLE)[:, 1]
    cadence = CadenceEstimates(
        events_spm=_rate_over_stretches(steps, t, valid),
        hip_spectrum_spm=_dominant_spm(-hip_mid[:, 1], t, (2.0, 4.0), 1.0),
        feet_spectrum_spm=_dominant_spm(ankle_gap, t, (0.9, 2.0), 2.0))
    empty = np.zeros(0)
    return GaitEvents(view=view, facing=1, contacts_s=contacts,
                      toe_offs_s={"left": empty, "right": empty}, cadence=cadence,
                      alternation_frac=_alternation(contacts))


def _filled(values: FloatArray) -> FloatArray:
    """NaN replaced by the nearest valid value (only to read a value at an event time)."""
    valid = np.isfinite(values)
    if not valid.any():
        return values
    idx = np.arange(values.size)
    return np.interp(idx, idx[valid], values[valid])


def _alternation(contacts: dict[str, FloatArray]) -> float:
    times = np.concatenate([contacts["left"], contacts["right"]])
    if times.size < 2:
        return 0.0
    sides = np.concatenate([np.zeros(contacts["left"].size), np.ones(contacts["right"].size)])
    order = np.argsort(times, kind="stable")
    flips = np.diff(sides[order]) != 0
    return float(flips.mean())
