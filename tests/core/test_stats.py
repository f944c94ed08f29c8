from __future__ import annotations

import numpy as np
import pytest

from backstride.core.stats import block_ids, bootstrap_mean_ci95, seed_for, strongest_change_point


def test_block_ids_are_consecutive_ten_second_blocks() -> None:
    t = np.array([0.0, 5, 9.9, 10, 19, 35, 36])
    assert block_ids(t).tolist() == [0, 0, 0, 1, 1, 2, 2]


def test_bootstrap_interval_covers_the_mean_and_is_reproducible() -> None:
    values = np.random.default_rng(0).normal(160, 5, 600)
    blocks = block_ids(np.arange(600.0))
    ci = bootstrap_mean_ci95(values, blocks, seed=seed_for("ff" * 32, "cadence"))
    assert ci is not None and ci[0] < values.mean() < ci[1]
    assert ci == bootstrap_mean_ci95(values, blocks, seed=seed_for("ff" * 32, "cadence"))
    assert ci[1] - ci[0] == pytest.approx(2 * 1.96 * 5 / np.sqrt(600), rel=0.3)


def test_one_block_gives_no_interval() -> None:
    assert bootstrap_mean_ci95(np.ones(5), np.zeros(5, dtype=np.int64), seed=1) is None


def test_change_point_found_at_a_step_and_not_in_noise() -> None:
    rng = np.random.default_rng(3)
    step = np.concatenate([np.full(60, 10.0), np.full(40, 12.0)]) + rng.normal(0, 0.5, 100)
    point = strongest_change_point(step)
    assert point is not None and point.index == pytest.approx(60, abs=2)
    assert strongest_change_point(rng.normal(0, 1.0, 100)) is None
