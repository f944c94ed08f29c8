"""Overground clips as people film them (issue 13): a friend films the runner passing; the
stretches with the whole runner in frame are used, several passes are joined, and too few
contacts say how many seconds more to film. Synthetic runner, no model."""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest

from backstride.core.form import (
    BODY_EDGE_JOINTS,
    CUT_OFF_MARGIN_FRAC,
    MIN_CONTACTS,
    analyze_form,
    film_more_s,
)
from backstride.core.pose import PoseSequence
from backstride.core.simulate_pose import RunnerSpec, simulate_pose
from backstride.core.types import MetricStatus

SHA = "6" * 64
PASS_S = 5.0
GAP_S = 1.5
SPEED_PX_S = 500.0


def _passes(count: int) -> PoseSequence:
    """``count`` passes across a 1920 px picture (5 s each, from 300 px left of it to 300 px
    right of it, so the runner enters and leaves cut off), 1.5 s without anyone between."""
    parts, times, t0 = [], [], 0.0
    for index in range(count):
        one = simulate_pose(RunnerSpec(duration_s=PASS_S, leg_px=200.0, noise_px=1.0,
                                       seed=index))
        xy = one.xy_px.copy()
        xy[..., 0] += (-300.0 - 960.0 + SPEED_PX_S * one.t_s)[:, None]
        parts.append((xy, one.visibility))
        times.append(one.t_s + t0)
        t0 += PASS_S + GAP_S
        if index < count - 1:  # the empty picture between passes
            gap_t = np.arange(0, GAP_S - 1e-9, 1 / 60) + times[-1][-1] + 1 / 60
            parts.append((np.full((gap_t.size, 33, 2), np.nan), np.zeros((gap_t.size, 33))))
            times.append(gap_t)
            t0 = gap_t[-1] + 1 / 60
    template = simulate_pose(RunnerSpec(duration_s=1.0))
    return dataclasses.replace(
        template, t_s=np.concatenate(times), xy_px=np.concatenate([p[0] for p in parts]),
        visibility=np.concatenate([p[1] for p in parts]))


def test_three_passes_are_joined_into_one_cadence() -> None:
    poses = _passes(3)
    form = analyze_form(poses, sha256=SHA)
    cadence = form.metrics["cadence_spm"]
    assert cadence.status is MetricStatus.OK, cadence.reason
    assert cadence.value == pytest.approx(170.0, abs=1.0)
    joined = [i.message for i in form.issues if i.code == "video.passes"]
    assert joined and joined[0].startswith("3 passes of the runner were joined")
    assert not [i for i in form.issues if i.code == "video.several_tracks"]
    assert form.treadmill is False
    # Only whole-body frames: no contact lies where the runner is partly out of the picture.
    assert form.events is not None
    offset = form.analysed_span_s[0]
    for times in form.events.contacts_s.values():
        for t in times:
            i = int(np.argmin(np.abs(poses.t_s - (t + offset))))
            x = poses.xy_px[i, list(BODY_EDGE_JOINTS), 0]
            margin = CUT_OFF_MARGIN_FRAC * 1920
            assert -margin <= x.min() and x.max() <= 1920 + margin


def test_one_pass_says_how_much_more_to_film() -> None:
    poses = _passes(1)
    form = analyze_form(poses, sha256=SHA)
    cadence = form.metrics["cadence_spm"]
    assert cadence.status is MetricStatus.INSUFFICIENT_DATA
    found = int(form.events.contact_count) if form.events is not None else 0
    more = film_more_s(found, poses.duration_s)
    assert f"{found} of the {MIN_CONTACTS} foot contacts needed were found: film at least " \
           f"{more:.0f} s more" in (cadence.reason or "")
    assert more >= (MIN_CONTACTS - found) / (170 / 60)  # passes waste time: never less


@pytest.mark.parametrize(("found", "clip_s", "expected"), [(18, 9.0, 1.0), (10, 10.0, 10.0),
                                                          (0, 5.0, 8.0), (25, 10.0, 0.0)])
def test_film_more(found: int, clip_s: float, expected: float) -> None:
    assert film_more_s(found, clip_s) == expected
