"""Time series for the report's charts, in contract units, thinned to a drawable size."""

from __future__ import annotations

from typing import Final

import numpy as np

from backstride.adapters.render.units import METRIC_UNITS
from backstride.core.report import WatchReport
from backstride.core.types import FloatArray

MAX_POINTS: Final = 1500


def plot_series(report: WatchReport) -> dict[str, list[float | None]]:
    """``timer_s`` (since the first running record), ``distance_m``, ``running`` (1/0) and
    one list per available metric (contract keys); NaN becomes None."""
    run = report.run
    idx = np.flatnonzero(run.running)
    first, last = int(idx[0]), int(idx[-1])
    keep = np.arange(first, last + 1)
    if keep.size > MAX_POINTS:  # even thinning keeps the shape of a 1 Hz series
        keep = keep[np.linspace(0, keep.size - 1, MAX_POINTS).round().astype(np.int64)]
    out: dict[str, list[float | None]] = {
        "timer_s": _clean(run.timer_s[keep] - run.timer_s[first]),
        "running": [1.0 if r else 0.0 for r in run.running[keep]],
    }
    distance = run.series.get("distance_m")
    if distance is not None:
        start = distance[first] if np.isfinite(distance[first]) else 0.0
        out["distance_m"] = _clean(distance[keep] - start)
    for name, summary in run.metrics.items():
        values = run.series.get(name)
        if values is not None and summary.value is not None:
            out[METRIC_UNITS[name].key] = _clean(values[keep] * METRIC_UNITS[name].factor)
    return out


def _clean(values: FloatArray) -> list[float | None]:
    return [round(float(v), 4) if np.isfinite(v) else None for v in values]
