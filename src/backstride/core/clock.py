"""Repairing a watch's time base: clock jumps forward and back, without dropping records.

A watch that syncs its clock mid-run (GPS time, a phone) can jump days forward or minutes
back. Records keep coming once a second and the distance keeps counting, so the sequence of
records says what really happened (DOMAIN.md §2 quirk 8 [D]):

- a forward gap longer than the whole session's elapsed time (or than 6 h when the file has no
  session), or a step back in time, with the distance continuing across it, is a clock jump:
  the later records are moved back (or on) so the gap becomes one typical record interval;
- without distance to confirm it, the same repair keeps the records in their order, and the
  warning says the timing there is uncertain and how many records it concerns.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Final

import numpy as np

from backstride.core.types import FloatArray, Issue

NO_SESSION_JUMP_S: Final = 6 * 3600.0
SESSION_SLACK_S: Final = 600.0
CONTINUOUS_M: Final = 200.0  # distance across a jump at most this: the run went on [D]


@dataclass(frozen=True, slots=True, kw_only=True)
class ClockRepair:
    t_s: FloatArray  # repaired absolute times, non-decreasing
    jumps: tuple[tuple[float, float], ...]  # (original time of the first record after, shift)
    issue: Issue | None

    def map_time(self, x: float) -> float:
        """An event's or summary's time (same clock as the records) on the repaired axis."""
        for after, shift in self.jumps:
            if x >= after:
                x -= shift
        return x


def repair_clock(t: FloatArray, distance: FloatArray | None, *,
                 elapsed_s: float | None) -> ClockRepair:
    """``t`` absolute record times (finite, file order); ``elapsed_s`` the session's total
    elapsed time when the file states it."""
    out = t.astype(np.float64).copy()
    if out.size < 2:
        return ClockRepair(t_s=out, jumps=(), issue=None)
    dt = np.diff(out)
    positive = dt[dt > 0]
    typical = float(np.median(positive)) if positive.size else 1.0
    limit = (elapsed_s + SESSION_SLACK_S) if elapsed_s else NO_SESSION_JUMP_S
    single = _isolated_bad_times(out, limit, typical)
    dt = np.diff(out)
    jumps: list[tuple[float, float]] = []
    moved = np.zeros(out.size, dtype=bool)
    uncertain = 0
    forward_s = back_s = 0.0
    for i in np.flatnonzero((dt < 0) | (dt > limit)).tolist():
        gap = float(out[i + 1] - out[i])
        shift = gap - typical
        jumps.append((float(t[i + 1]), shift))
        out[i + 1:] -= shift
        moved[i + 1:] = True
        if gap > 0:
            forward_s += gap
        else:
            back_s += -gap
        if not _continuous(distance, i):
            uncertain += 1
    if not jumps:
        return ClockRepair(t_s=out, jumps=(), issue=None if not single else Issue(
            code="clock_repaired", message=(
                f"{single} record(s) carried a time out of line with the records either side "
                "(damage in the file): their time was taken from their neighbours and they "
                "were kept.")))
    share = moved.sum() / out.size
    what = []
    if forward_s:
        what.append(f"jumped forward by {_span(forward_s)}")
    if back_s:
        what.append(f"went back by {_span(back_s)}")
    sure = ("the distance went on across it, so the records were put back on the run's time "
            "line" if not uncertain else
            "without distance to confirm it the records were kept in their order; timing "
            "across the jump is uncertain")
    return ClockRepair(t_s=out, jumps=tuple(jumps), issue=Issue(
        code="clock_repaired", message=(
            f"The watch's clock {' and '.join(what)} during the run ({len(jumps)} time(s); "
            f"{share:.0%} of the records come after it): {sure}. No record was dropped.")))


def _isolated_bad_times(t: FloatArray, limit: float, typical: float) -> int:
    """Single records whose time is out of line while both neighbours agree: interpolated."""
    if t.size < 3:
        return 0
    prev, mid, nxt = t[:-2], t[1:-1], t[2:]
    bad = ((mid < prev) | (mid > nxt)) & (nxt >= prev) & (nxt - prev <= limit)
    t[1:-1][bad] = (prev[bad] + nxt[bad]) / 2.0
    count = int(bad.sum())
    if t[-1] < t[-2]:
        t[-1] = t[-2] + typical
        count += 1
    return count


def _continuous(distance: FloatArray | None, i: int) -> bool:
    if distance is None:
        return False
    a, b = distance[i], distance[i + 1]
    return bool(np.isfinite(a) and np.isfinite(b) and 0.0 <= b - a <= CONTINUOUS_M)


def _span(seconds: float) -> str:
    if seconds >= 86400:
        return f"{seconds / 86400:.1f} days"
    if seconds >= 3600:
        return f"{seconds / 3600:.1f} h"
    if seconds >= 60:
        return f"{seconds / 60:.0f} min"
    return f"{seconds:.0f} s"
