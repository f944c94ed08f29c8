"""The history's JSON documents (CONTRACT.md): ``backstride.runs/1``, ``backstride.shoes/1``,
``backstride.pain/1``, ``backstride.videos/1`` and ``backstride.users/1``, built from the typed
records the workflows return."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from backstride.adapters.storage.records import PainRecord, RunRecord, ShoeRecord, VideoRecord
from backstride.adapters.storage.store import UserRecord


def utc_text(moment: datetime | None) -> str | None:
    """A UTC time as the contract writes it: "2024-05-01T06:30:00Z"."""
    return None if moment is None else moment.strftime("%Y-%m-%dT%H:%M:%SZ")


def _day(value: Any) -> str | None:
    return None if value is None else str(value.isoformat())


def shoe_json(shoe: ShoeRecord) -> dict[str, Any]:
    return {"id": shoe.id, "name": shoe.name, "added_on": _day(shoe.added_on),
            "retired_on": _day(shoe.retired_on), "default_from": _day(shoe.default_from),
            "default_to": _day(shoe.default_to), "n_runs": shoe.n_runs,
            "distance_m": shoe.distance_m, "status": shoe.status}


def shoes_json(shoes: Sequence[ShoeRecord], *, warn_m: float, replace_m: float
               ) -> dict[str, Any]:
    return {"schema": "backstride.shoes/1", "warn_m": warn_m, "replace_m": replace_m,
            "shoes": [shoe_json(shoe) for shoe in shoes]}


def pain_entry_json(entry: PainRecord) -> dict[str, Any]:
    return {"id": entry.id, "run_id": entry.run_id, "recorded_on": _day(entry.recorded_on),
            "kind": entry.kind, "score": entry.score, "location": entry.location,
            "onset_min": entry.onset_min, "onset_km": entry.onset_km, "note": entry.note}


def pain_json(entries: Sequence[PainRecord]) -> dict[str, Any]:
    return {"schema": "backstride.pain/1", "entries": [pain_entry_json(e) for e in entries]}


def run_json(run: RunRecord) -> dict[str, Any]:
    return {"id": run.id,
            "start_utc": utc_text(run.start_utc),
            "distance_m": run.distance_m, "duration_s": run.duration_s, "surface": run.surface,
            "source_sha256": run.source_sha256, "format": run.format, "device": run.device,
            "linked_files": [{"name": f.name, "format": f.format} for f in run.linked_files],
            "metrics": run.metrics}


def runs_json(runs: Sequence[RunRecord]) -> dict[str, Any]:
    return {"schema": "backstride.runs/1", "runs": [run_json(run) for run in runs]}


def video_json_entry(video: VideoRecord) -> dict[str, Any]:
    return {"id": video.id, "name": video.name, "view": video.view,
            "duration_s": video.duration_s, "cadence_spm": video.cadence_spm,
            "imported_utc": utc_text(video.imported_utc), "source_sha256": video.sha256,
            "metrics": video.metrics}


def videos_json(videos: Sequence[VideoRecord]) -> dict[str, Any]:
    """``backstride.videos/1``: every stored clip, in the order given, with its metrics."""
    return {"schema": "backstride.videos/1",
            "videos": [video_json_entry(video) for video in videos]}


def users_json(users: Sequence[UserRecord]) -> dict[str, Any]:
    """``backstride.users/1``: every user with role and runners; never a password hash."""
    return {"schema": "backstride.users/1", "users": [
        {"username": u.username, "role": u.role, "runner": u.runner, "sees": list(u.sees),
         "created_utc": utc_text(u.created_utc)} for u in users]}
