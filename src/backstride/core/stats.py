"""Statistics with honest uncertainty: block bootstrap intervals and a single change point.

Consecutive watch records are strongly autocorrelated (a 1 Hz cadence series changes slowly),
so resampling single records would give intervals far too narrow. Resampling 10-s blocks keeps
that dependence inside each block (DOMAIN.md §2, Summaries).
"""

from __future__ import annotations

import zlib
from dataclasses import dataclass
from functools import lru_cache
from typing import Final

import numpy as np

from backstride.core.types import FloatArray, IntArray

BLOCK_S: Final = 10.0
N_BOOTSTRAP: Final = 2000
CHANGE_POINT_PENALTY: Final = 3.0  # x ln(n blocks): a BIC-like bar for "there is a change" [D]


def seed_for(sha256: str, label: str) -> int:
    """A reproducible seed per input and per quantity, so the same file gives the same JSON."""
    return int(sha256[:16] or "0", 16) ^ zlib.crc32(label.encode())


def block_ids(t_s: FloatArray, block_s: float = BLOCK_S) -> IntArray:
    """Consecutive block numbers (0, 1, ...) of the samples, by time."""
    raw = np.floor((t_s - t_s[0]) / block_s).astype(np.int64) if t_s.size else t_s.astype(np.int64)
    _, ids = np.unique(raw, return_inverse=True)
    return np.asarray(ids, dtype=np.int64)


def bootstrap_mean_ci95(
    values: FloatArray, blocks: IntArray, *, seed: int, n_boot: int = N_BOOTSTRAP
) -> tuple[float, float] | None:
    """95 % percentile interval of the mean, resampling whole blocks. None below 2 blocks."""
    if values.size == 0:
        return None
    n_blocks = int(blocks.max()) + 1
    if n_blocks < 2:
        return None
    sums = np.bincount(blocks, weights=values, minlength=n_blocks)
    counts = np.bincount(blocks, minlength=n_blocks).astype(np.float64)
    present = counts > 0
    sums, counts = sums[present], counts[present]
    pick = resample_indices(sums.size, seed, n_boot)
    means = sums[pick].sum(axis=1) / counts[pick].sum(axis=1)
    low, high = np.percentile(means, [2.5, 97.5])
    return float(low), float(high)


@lru_cache(maxsize=4)
def resample_indices(n_blocks: int, seed: int, n_boot: int = N_BOOTSTRAP) -> IntArray:
    """Block indices of ``n_boot`` resamples. Metrics of one run share them (same seed, same
    blocks): drawing them is most of a bootstrap's cost, and intervals stay reproducible."""
    pick = np.random.default_rng(seed).integers(0, n_blocks, size=(n_boot, n_blocks))
    pick.flags.writeable = False
    return pick


@dataclass(frozen=True, slots=True, kw_only=True)
class ChangePoint:
    index: int  # first sample of the second segment
    statistic: float  # between-segment sum of squares over the noise variance
    threshold: float


def strongest_change_point(series: FloatArray) -> ChangePoint | None:
    """The split of ``series`` into two means that explains the most variance, if it clears a
    penalised bar; else None.

    Noise variance comes from successive differences (robust MAD), which a single step in the
    mean barely moves, so a real shift is not mistaken for noise.
    """
    n = series.size
    if n < 6:
        return None
    diffs = np.diff(series)
    mad = float(np.median(np.abs(diffs - np.median(diffs))))
    sigma2 = (1.4826 * mad) ** 2 / 2.0
    if sigma2 <= 0:
        sigma2 = float(np.var(diffs)) / 2.0
    if sigma2 <= 0:
        return None
    csum = np.cumsum(series)
    total = csum[-1]
    k = np.arange(2, n - 1)  # at least two samples on each side
    left_mean = csum[k - 1] / k
    right_mean = (total - csum[k - 1]) / (n - k)
    between = k * (n - k) / n * (left_mean - right_mean) ** 2
    best = int(np.argmax(between))
    statistic = float(between[best] / sigma2)
    threshold = CHANGE_POINT_PENALTY * float(np.log(n))
    if statistic < threshold:
        return None
    return ChangePoint(index=int(k[best]), statistic=statistic, threshold=threshold)
