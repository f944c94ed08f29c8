"""The metronome command: its own module, so that it loads nothing of triage or the plan."""

from __future__ import annotations

from pathlib import Path

import click

from backstride import workflows
from backstride.cli_common import app_of, global_options, one_blas_thread


@click.command("metronome")
@click.option("--spm", type=float, required=True, help="Steps per minute (one click a step).")
@click.option("--minutes", type=float, default=5.0, show_default=True)
@click.option("--accent-every", type=int, default=None, help="Accent every Kth click.")
@click.option("--out", type=click.Path(path_type=Path, dir_okay=False), default=None,
              help="WAV file to write (default metronome-<spm>spm.wav).")
@global_options
@click.pass_context
def metronome_command(ctx: click.Context, spm: float, minutes: float, accent_every: int | None,
                      out: Path | None) -> None:
    """A click track at your target cadence, as a WAV file to play on a run."""
    one_blas_thread()
    app = app_of(ctx)
    target = out or Path(f"metronome-{spm:g}spm.wav")
    workflows.write_metronome(cadence_spm=spm, minutes=minutes, accent_every=accent_every,
                              out=target)
    app.say(f"{target}: {spm:g} steps per minute for {minutes:g} min")
