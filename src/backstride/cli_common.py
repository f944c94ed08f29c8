"""What every command shares: the context, the global options, JSON output, errors."""


from __future__ import annotations

import json
import sys
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any, NoReturn, TypeVar

import click

from backstride import workflows
from backstride.config import UNITS, Settings, load_settings

F = TypeVar("F", bound=Callable[..., Any])


@dataclass
class AppContext:
    overrides: dict[str, Any] = field(default_factory=dict)
    quiet: bool = False

    @property
    def settings(self) -> Settings:
        return load_settings(self.overrides)

    def say(self, text: str) -> None:
        if not self.quiet:
            click.echo(text)

    def note(self, text: str) -> None:
        """Where files went, and the like: stderr, so stdout can carry JSON."""
        if not self.quiet:
            click.echo(text, err=True)

    @contextmanager
    def progress(self, label: str, total: int | None = None
                 ) -> Iterator[Callable[[int, int | None], None]]:
        """A progress bar on stderr, drawn once there are at least two items; the total may
        first be known at the first update (imports find files inside archives)."""
        bars: list[Any] = []  # the bar, once the total is known
        shown = [0]

        def update(done: int, total_now: int | None) -> None:
            length = total_now if total_now is not None else total
            if self.quiet:
                return
            if length is None:  # a running count when the total is not known in advance
                click.echo(f"\r{label}: {done}", nl=False, err=True)
                shown[0] = done
                return
            if not bars:
                if length < 2:
                    return
                bar = click.progressbar(length=length, label=label, file=sys.stderr)
                bar.__enter__()
                bars.append(bar)
            bars[0].update(done - shown[0])
            shown[0] = done

        try:
            yield update
        finally:
            for bar in bars:
                bar.__exit__(None, None, None)
            if not bars and shown[0] and (total is None):
                click.echo("", err=True)


def global_options(command: F) -> F:
    """--db, --units and --quiet on the group and on every command (before or after the name)."""
    def remember(name: str) -> Callable[[click.Context, click.Parameter, Any], Any]:
        def callback(ctx: click.Context, _param: click.Parameter, value: Any) -> Any:
            if value is not None and value is not False:
                app = ctx.ensure_object(AppContext)
                if name == "quiet":
                    app.quiet = True
                else:
                    app.overrides[name] = value
            return value
        return callback

    for option in (
        click.option("--db", "db", default=None, expose_value=False, envvar="BACKSTRIDE_DB",
                     callback=remember("db"), help="History database URL (SQLAlchemy)."),
        click.option("--units", type=click.Choice(UNITS), default=None, expose_value=False,
                     callback=remember("units"), help="Display units (JSON is unchanged)."),
        click.option("--quiet", is_flag=True, default=False, expose_value=False,
                     callback=remember("quiet"), help="Print only errors and requested output."),
    ):
        command = option(command)
    return command



def one_blas_thread() -> None:
    """For a one-shot command that multiplies no matrices (the metronome): numpy's BLAS
    starts a thread per core when it loads, ~0.1 s of system time, more than the command's
    own work. Call it before numpy loads; a numpy already loaded (a test, a library caller)
    keeps its threads."""
    import os

    os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")


def app_of(ctx: click.Context) -> AppContext:
    return ctx.ensure_object(AppContext)



def fail(messages: Sequence[str]) -> NoReturn:
    for message in messages:
        click.echo(f"backstride: error: {message}", err=True)
    raise SystemExit(1)



def emit_json(payload: dict[str, Any], target: str) -> None:
    text = json.dumps(payload, indent=2, ensure_ascii=False) + "\n"
    if target == "-":
        click.echo(text, nl=False)
    else:
        workflows.write_text_atomic(Path(target), text)



DATE = click.DateTime(formats=["%Y-%m-%d"])


def day(value: Any) -> date | None:
    return None if value is None else value.date()


