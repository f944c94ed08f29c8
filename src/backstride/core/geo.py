"""Distances and speeds from GPS tracks: great-circle geometry on a spherical Earth.

A sphere is good to about 0.5 % against the WGS-84 ellipsoid, far below the metre-scale
jitter of a wrist GPS, so the simple and fast haversine formula is enough here.
"""

from __future__ import annotations

from typing import Final

import numpy as np
import numpy.typing as npt

from backstride.core.types import FloatArray

EARTH_RADIUS_M: Final = 6_371_008.8
"""Mean Earth radius (IUGG R1 = (2a + b) / 3 of WGS-84)."""


def haversine_m(
    lat1_deg: npt.ArrayLike, lon1_deg: npt.ArrayLike,
    lat2_deg: npt.ArrayLike, lon2_deg: npt.ArrayLike,
) -> FloatArray:
    """Great-circle distance between point pairs, element-wise; NaN where a coordinate is NaN."""
    lat1 = np.radians(np.asarray(lat1_deg, dtype=np.float64))
    lat2 = np.radians(np.asarray(lat2_deg, dtype=np.float64))
    dlat = lat2 - lat1
    dlon = np.radians(np.asarray(lon2_deg, dtype=np.float64)
                      - np.asarray(lon1_deg, dtype=np.float64))
    a = np.sin(dlat / 2.0) ** 2 + np.cos(lat1) * np.cos(lat2) * np.sin(dlon / 2.0) ** 2
    # Rounding can push `a` a hair above 1 for antipodal points; arcsin would return NaN.
    distance: FloatArray = 2.0 * EARTH_RADIUS_M * np.arcsin(np.sqrt(np.clip(a, 0.0, 1.0)))
    return distance


def cumulative_distance_m(lat_deg: npt.ArrayLike, lon_deg: npt.ArrayLike) -> FloatArray:
    """Distance travelled along a track up to each point, 0 at the first located point.

    A point without a position (NaN) gets NaN; the next located point is measured straight
    from the last located one, so a GPS dropout shortens the track rather than breaking it.
    """
    lat = np.asarray(lat_deg, dtype=np.float64)
    lon = np.asarray(lon_deg, dtype=np.float64)
    out = np.full(lat.shape, np.nan)
    located = np.flatnonzero(np.isfinite(lat) & np.isfinite(lon))
    if located.size == 0:
        return out
    steps = haversine_m(lat[located[:-1]], lon[located[:-1]], lat[located[1:]], lon[located[1:]])
    out[located] = np.concatenate(([0.0], np.cumsum(steps)))
    return out


def speed_from_distance_mps(
    t_s: npt.ArrayLike, distance_m: npt.ArrayLike, *, window_s: float, max_gap_s: float,
) -> FloatArray:
    """Speed at each point: distance covered over a window of about ``window_s`` centred on it.

    Distance over the window's time span is the time-weighted mean of the point-to-point
    speeds inside it. At 1 Hz a GPS position wanders by a few metres from fix to fix, so
    point-to-point speeds swing by 1-2 m/s around the true pace; averaging over ~5 s cuts
    that several-fold while keeping real pace changes (a surge, a stop) visible. The window
    never spans a gap longer than ``max_gap_s`` (a pause), and always reaches at least one
    neighbour, so sparse (smart-recording) tracks still get a speed. NaN where no distance
    is known or a point has no neighbour on its side of a pause.
    """
    t = np.asarray(t_s, dtype=np.float64)
    d = np.asarray(distance_m, dtype=np.float64)
    out = np.full(t.shape, np.nan)
    known = np.flatnonzero(np.isfinite(t) & np.isfinite(d))
    if known.size < 2:
        return out
    tk, dk = t[known], d[known]
    segment = np.concatenate(([0], np.cumsum(np.diff(tk) > max_gap_s)))
    first = np.searchsorted(segment, segment, side="left")
    last = np.searchsorted(segment, segment, side="right") - 1
    i = np.arange(tk.size)
    lo = np.searchsorted(tk, tk - window_s / 2.0, side="left")
    hi = np.searchsorted(tk, tk + window_s / 2.0, side="right") - 1
    lo = np.maximum(np.minimum(lo, i - 1), first)
    hi = np.minimum(np.maximum(hi, i + 1), last)
    span_s = tk[hi] - tk[lo]
    speed = np.full(tk.shape, np.nan)
    np.divide(dk[hi] - dk[lo], span_s, out=speed, where=span_s > 0)
    out[known] = speed
    return out
