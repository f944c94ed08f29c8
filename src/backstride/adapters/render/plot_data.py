"""Time series for the report's charts, in contract units, thinned to a drawable size."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Final

import numpy as np

from backstride.adapters.render.units import METRIC_UNITS
from backstride.core.report import WatchReport
from backstride.core.types import BoolArray, FloatArray

MAX_POINTS: Final = 1500


def plot_series(report: WatchReport) -> dict[str, list[float | None]]:
    """``timer_s`` (since the first running record), ``distance_m``, ``running`` (1/0) and
    one list per available metric (contract keys); NaN becomes None."""
    run = report.run
    measured = [name for name, summary in run.metrics.items() if summary.value is not None]
    return plot_columns(run.running, run.timer_s, run.series, measured)


def plot_columns(running: BoolArray, timer_s: FloatArray, series: Mapping[str, FloatArray],
                 measured: Sequence[str]) -> dict[str, list[float | None]]:
    """The same from stored columns (the history keeps a run's analysed series)."""
    idx = np.flatnonzero(running)
    if idx.size == 0:
        return {"timer_s": [], "running": []}
    first, last = int(idx[0]), int(idx[-1])
    keep = np.arange(first, last + 1)
    if keep.size > MAX_POINTS:  # even thinning keeps the shape of a 1 Hz series
        keep = keep[np.linspace(0, keep.size - 1, MAX_POINTS).round().astype(np.int64)]
    out: dict[str, list[float | None]] = {
        "timer_s": _clean(timer_s[keep] - timer_s[first]),
        "running": [1.0 if r else 0.0 for r in running[keep]],
    }
    distance = series.get("distance_m")
    if distance is not None:
        start = distance[first] if np.isfinite(distance[first]) else 0.0
        out["distance_m"] = _clean(distance[keep] - start)
    for name in measured:
        values = series.get(name)
        if values is not None and name in METRIC_UNITS:
            out[METRIC_UNITS[name].key] = _clean(values[keep] * METRIC_UNITS[name].factor)
    return out


def _clean(values: FloatArray) -> list[float | None]:
    return [round(float(v), 4) if np.isfinite(v) else None for v in values]
