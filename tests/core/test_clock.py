"""The watch's time base repaired from the record sequence (issue #12 item 4)."""

from __future__ import annotations

import numpy as np
import pytest

from backstride.core.clock import repair_clock


def test_forward_jump_longer_than_the_session_is_undone() -> None:
    t = np.arange(3360.0)
    t[480:] += 20 * 86400
    fixed = repair_clock(t, np.arange(3360.0) * 3, elapsed_s=3360.0)
    np.testing.assert_allclose(fixed.t_s, np.arange(3360.0))
    assert fixed.issue is not None and "20.0 days" in fixed.issue.message
    assert fixed.map_time(480 + 20 * 86400 + 100) == pytest.approx(580)


def test_a_pause_within_the_session_is_not_a_jump() -> None:
    t = np.concatenate((np.arange(600.0), 1200 + np.arange(600.0)))
    fixed = repair_clock(t, None, elapsed_s=1800.0)
    np.testing.assert_array_equal(fixed.t_s, t)
    assert fixed.issue is None


def test_backward_step_without_distance_is_kept_and_called_uncertain() -> None:
    t = np.arange(1000.0)
    t[400:] -= 120
    fixed = repair_clock(t, None, elapsed_s=None)
    assert np.all(np.diff(fixed.t_s) > 0) and fixed.t_s.size == 1000
    assert fixed.issue is not None and "uncertain" in fixed.issue.message
    assert "60% of the records come after" in fixed.issue.message


def test_a_single_bad_time_is_taken_from_its_neighbours() -> None:
    t = np.arange(100.0)
    t[50] = 3.0
    fixed = repair_clock(t, None, elapsed_s=100.0)
    np.testing.assert_allclose(fixed.t_s, np.arange(100.0))
    assert fixed.issue is not None and "1 record(s)" in fixed.issue.message
