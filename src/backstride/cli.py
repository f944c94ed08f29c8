"""The command line: parse, call one workflow, show the result. Errors are mapped here only:
``backstride: error: ...`` on stderr and exit 1 for bad input, 2 for wrong usage."""

from __future__ import annotations

import json
import sys
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, NoReturn, TypeVar

import click

from backstride import __version__, workflows
from backstride.adapters.render.text import text_summary
from backstride.config import UNITS, Settings, load_settings
from backstride.core.report import DISCLAIMER
from backstride.errors import BackstrideError

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

    @contextmanager
    def progress(self, label: str, total: int) -> Iterator[Callable[[int, int | None], None]]:
        if total < 2 or self.quiet:
            yield lambda done, total_: None
            return
        with click.progressbar(length=total, label=label, file=sys.stderr) as bar:
            state = {"done": 0}

            def update(done: int, _total: int | None) -> None:
                bar.update(done - state["done"])
                state["done"] = done

            yield update


def _global_options(command: F) -> F:
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


class _Group(click.Group):
    """Maps every BackstrideError raised by a command to one error line and exit 1."""

    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except BackstrideError as exc:
            _fail([str(exc)])


@click.group(cls=_Group, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="backstride")
@_global_options
@click.pass_context
def cli(ctx: click.Context) -> None:
    """backstride: what in your running and your body is loading your lower back.

    It gives information, not a diagnosis.
    """
    ctx.ensure_object(AppContext)


def _app(ctx: click.Context) -> AppContext:
    return ctx.ensure_object(AppContext)


@cli.command("analyze")
@click.argument("paths", nargs=-1, required=True, type=click.Path(path_type=Path))
@click.option("--json", "json_out", metavar="FILE|-", help="Write backstride.analysis/1 JSON.")
@click.option("--report", "report_out", metavar="FILE.html|DIR", type=click.Path(path_type=Path),
              help="Write the HTML report (a directory with several inputs).")
@click.option("--annotate", metavar="FILE.mp4|DIR", type=click.Path(path_type=Path),
              help="Video only: write the annotated video.")
@click.option("--view", type=click.Choice(["side", "rear"]), help="Video only: camera view.")
@click.option("--height-m", type=click.FloatRange(0.8, 2.5), help="Video only: runner height.")
@_global_options
@click.pass_context
def analyze_command(ctx: click.Context, paths: tuple[Path, ...], json_out: str | None,
                    report_out: Path | None, annotate: Path | None, view: str | None,
                    height_m: float | None) -> None:
    """Analyse watch files (FIT, TCX, GPX; the format is read from the content)."""
    app = _app(ctx)
    settings = app.settings
    if annotate is not None:
        _fail(["--annotate is for videos; watch files have no video to annotate."])
    if (view is not None or height_m is not None) and not app.quiet:
        click.echo("note: --view and --height-m apply to videos; watch files ignore them.",
                   err=True)
    with app.progress("Analysing", total=len(paths)) as progress:
        outcomes = workflows.analyze_paths(list(paths), progress=progress)
    if json_out is not None:
        _write_json(outcomes, json_out)
    if report_out is not None:
        _write_reports(outcomes, report_out, settings, app)
    if json_out != "-":
        for outcome in outcomes:
            if isinstance(outcome, workflows.Analysed):
                app.say(text_summary(outcome.json(), units=settings.units))
        if any(isinstance(o, workflows.Analysed) for o in outcomes):
            app.say(DISCLAIMER)
    _exit_for(outcomes)


def _write_json(outcomes: Sequence[workflows.Outcome], target: str) -> None:
    entries = [o.json() if isinstance(o, workflows.Analysed) else
               {"schema": "backstride.error/1", "path": str(o.path), "error": o.error}
               for o in outcomes]
    payload = entries[0] if len(entries) == 1 else entries
    text = json.dumps(payload, indent=2, ensure_ascii=False) + "\n"
    if target == "-":
        click.echo(text, nl=False)
    else:
        workflows.write_text_atomic(Path(target), text)


def _write_reports(outcomes: Sequence[workflows.Outcome], target: Path, settings: Settings,
                   app: AppContext) -> None:
    for outcome in outcomes:
        if isinstance(outcome, workflows.Analysed):
            path = workflows.report_paths(outcomes, target)[outcome.path]
            workflows.write_text_atomic(path, workflows.render_html(outcome, settings=settings))
            if not app.quiet:
                click.echo(f"report: {path}", err=True)


def _exit_for(outcomes: Sequence[workflows.Outcome]) -> None:
    failed = [o for o in outcomes if isinstance(o, workflows.Failed)]
    if failed:
        _fail([o.error for o in failed])


def _fail(messages: Sequence[str]) -> NoReturn:
    for message in messages:
        click.echo(f"backstride: error: {message}", err=True)
    raise SystemExit(1)


@cli.command("demo")
@click.option("--out", "out_dir", type=click.Path(path_type=Path, file_okay=False),
              default=Path("backstride-demo"), show_default=True, help="Folder for the demo files.")
@_global_options
@click.pass_context
def demo_command(ctx: click.Context, out_dir: Path) -> None:
    """Simulate a run with fatigue drift, analyse it and write an HTML report."""
    app = _app(ctx)
    settings = app.settings
    result = workflows.run_demo(out_dir, settings=settings)
    app.say(text_summary(result.outcome.json(), units=settings.units))
    app.say(f"FIT file: {result.fit_path}\nJSON: {result.json_path}")
    click.echo(str(result.report_path))


@cli.command("clearance")
@click.option("--by", "cleared_by", required=True, help="The clinician who cleared you.")
@click.option("--date", "cleared_on", type=click.DateTime(formats=["%Y-%m-%d"]), default=None,
              help="The day you were cleared (YYYY-MM-DD; default today).")
@click.option("--note", default=None, help="What the clinician said, in a few words.")
@_global_options
@click.pass_context
def clearance_command(ctx: click.Context, cleared_by: str, cleared_on: Any,
                      note: str | None) -> None:
    """Record that a clinician has cleared you: lifts the plan hold."""
    app = _app(ctx)
    saved = workflows.record_clearance(
        settings=app.settings, cleared_by=cleared_by,
        cleared_on=cleared_on.date() if cleared_on is not None else None, note=note)
    app.say(f"Recorded: cleared by {saved.cleared_by} on {saved.cleared_on.isoformat()}. "
            "Run 'backstride plan' to make your plan.")


@cli.group("db")
def db_group() -> None:
    """The history database."""


@db_group.command("migrate")
@_global_options
@click.pass_context
def db_migrate_command(ctx: click.Context) -> None:
    """Upgrade the database schema (the only way PostgreSQL is migrated)."""
    app = _app(ctx)
    url = workflows.migrate_database(app.settings)
    app.say(f"Database is up to date: {url.split('@')[-1]}")


def main(argv: Sequence[str] | None = None) -> None:
    """Entry point: errors exit 1 with one line (see ``_Group``); usage errors exit 2."""
    cli.main(args=list(argv) if argv is not None else None, prog_name="backstride")
