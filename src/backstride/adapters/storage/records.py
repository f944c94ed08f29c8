"""What the importers hand to the Store: plain values, picklable for worker processes."""

from __future__ import annotations

import io
from dataclasses import dataclass
from datetime import date, datetime
from enum import StrEnum
from pathlib import Path
from typing import TYPE_CHECKING, Any, Final

if TYPE_CHECKING:
    from backstride.core.gait import View
    from backstride.core.types import FloatArray

# Whose data it is when no runner is named (one person on their own computer).
DEFAULT_RUNNER: Final = "me"
# The newest migration's revision: a database at it opens without loading Alembic. A new
# migration must update it (tests/adapters/storage checks it against the migrations folder).
HEAD_REVISION: Final = "0006"


def sqlite_url(path: Path) -> str:
    return f"sqlite:///{path}"

# Series kept at full precision; the rest fit float32 (7 significant digits: 0.1 mm, 0.01 %).
_FLOAT64 = frozenset({"t_s", "timer_s", "distance_m", "lat_deg", "lon_deg"})


@dataclass(frozen=True, slots=True, kw_only=True)
class Measured:
    """One decoded and analysed file, ready to store."""

    name: str
    sha256: str
    format: str
    start_utc: datetime | None
    device: str | None
    device_serial: str | None
    sport: str
    surface: str | None  # from the file's sub_sport, where it says
    distance_m: float | None
    duration_s: float
    moving_time_s: float
    n_records: int
    series: bytes  # encode_series()
    analysis: dict[str, Any]  # backstride.analysis/1
    analyser_version: str


@dataclass(frozen=True, slots=True, kw_only=True)
class MeasuredVideo:
    """One analysed clip, ready to store: its analysis and keypoints, never the video."""

    name: str
    sha256: str
    view: str
    duration_s: float
    cadence_spm: float | None
    pose_model: str
    keypoints: bytes  # adapters.pose.recorded.poses_to_bytes()
    analysis: dict[str, Any]  # backstride.analysis/1
    analyser_version: str


class ImportOutcome(StrEnum):
    IMPORTED = "imported"
    ALREADY_IMPORTED = "already_imported"  # same bytes (SHA-256) as a stored file
    DUPLICATE = "duplicate"  # same run in another file: linked, not analysed again
    REPLACED = "replaced"  # same run, and this FIT copy now is the one analysed


def encode_series(t_s: FloatArray, series: dict[str, FloatArray]) -> bytes:
    import numpy as np

    """Compressed .npz: about 4-6 bytes a value for a 1 Hz run."""
    arrays = {name: values.astype(np.float64 if name in _FLOAT64 else np.float32)
              for name, values in {"t_s": t_s, **series}.items()}
    buffer = io.BytesIO()
    np.savez_compressed(buffer, **arrays)  # type: ignore[arg-type,unused-ignore]
    return buffer.getvalue()


def decode_series(data: bytes) -> tuple[FloatArray, dict[str, FloatArray]]:
    import numpy as np

    with np.load(io.BytesIO(data), allow_pickle=False) as npz:
        arrays = {name: npz[name].astype(np.float64) for name in npz.files}
    return arrays.pop("t_s"), arrays


@dataclass(frozen=True, slots=True, kw_only=True)
class ShoeRecord:
    """A shoe as stored, with its distance: the starting distance plus its runs'.
    ``status`` is what the workflow makes of the distance (None straight from the store)."""

    id: int
    name: str
    added_on: date
    retired_on: date | None
    default_from: date | None
    default_to: date | None
    n_runs: int
    distance_m: float
    status: str | None = None  # ok, replace_soon, replace, retired


@dataclass(frozen=True, slots=True, kw_only=True)
class PainRecord:
    """One pain diary entry; onset by minute or km into the run, either or neither."""

    id: int
    run_id: int | None
    recorded_on: date
    kind: str  # during, after_run, next_morning, other
    score: int  # 0-10
    location: str | None
    onset_min: float | None
    onset_km: float | None
    note: str | None


@dataclass(frozen=True, slots=True, kw_only=True)
class LinkedFile:
    """Another file of the same run (the same activity exported again as TCX or GPX, say)."""

    name: str
    format: str


@dataclass(frozen=True, slots=True, kw_only=True)
class RunRecord:
    """A stored run for lists: its activity and the metrics of its latest analysis (as the
    ``backstride.analysis/1`` document holds them: key -> {"value", "status", ...})."""

    id: int
    start_utc: datetime | None
    distance_m: float | None
    duration_s: float | None
    surface: str | None
    source_sha256: str
    format: str
    device: str | None
    metrics: dict[str, dict[str, Any]]
    linked_files: tuple[LinkedFile, ...] = ()  # the run's other files, oldest first

    @property
    def start_text(self) -> str:
        """"2024-05-01 06:30" (UTC), or "date unknown"."""
        return "date unknown" if self.start_utc is None else \
            self.start_utc.strftime("%Y-%m-%d %H:%M")

    def metric_value(self, key: str) -> float | None:
        """A metric's value when the analysis measured it, else None."""
        value = (self.metrics.get(key) or {}).get("value")
        return None if value is None else float(value)


@dataclass(frozen=True, slots=True, kw_only=True)
class VideoRecord:
    """A stored clip for lists and pages: its row and its analysis as stored
    (``backstride.analysis/1``), never its keypoints."""

    id: int
    name: str
    sha256: str
    view: View
    duration_s: float
    cadence_spm: float | None
    pose_model: str
    analyser_version: str
    imported_utc: datetime
    analysis: dict[str, Any]

    @property
    def metrics(self) -> dict[str, Any]:
        return dict(self.analysis.get("metrics") or {})

    @property
    def finding_ids(self) -> tuple[str, ...]:
        return tuple(str(f["id"]) for f in self.analysis.get("findings") or [])


@dataclass(frozen=True, slots=True, kw_only=True)
class TriageRecord:
    """A stored triage: its answers as given (``answers/1``) and its result (``triage/1``)."""

    created_utc: datetime
    level: str
    answers: dict[str, Any]
    result: dict[str, Any]


@dataclass(frozen=True, slots=True, kw_only=True)
class Clearance:
    """A clinician's clearance (or a recorded visit)."""

    cleared_on: date
    cleared_by: str
    note: str | None
    created_utc: datetime
