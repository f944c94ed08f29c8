"""The metronome: a click track at a cadence target, written as a WAV file."""

from __future__ import annotations

from pathlib import Path

from backstride.adapters.audio import write_wav
from backstride.core.metronome import click_track


def write_metronome(*, cadence_spm: float, minutes: float, accent_every: int | None,
                    out: Path) -> Path:
    track = click_track(cadence_spm, minutes * 60.0, accent_every=accent_every)
    write_wav(out, track)
    return out
