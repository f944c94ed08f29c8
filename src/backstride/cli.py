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

from backstride import __version__, questionnaire, workflows
from backstride.adapters.render.selftest_json import selftest_text
from backstride.adapters.render.text import text_summary
from backstride.adapters.render.triage_json import triage_text
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

    def note(self, text: str) -> None:
        """Where files went, and the like: stderr, so stdout can carry JSON."""
        if not self.quiet:
            click.echo(text, err=True)

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
            app.note(f"report: {path}")


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
    app.say(triage_text(result.triage.result))
    app.say(text_summary(result.outcome.json(), units=settings.units))
    app.say(plan_text(result.planned.json))
    app.say("Files: " + ", ".join(str(p) for p in (
        result.fit_path, result.json_path, result.plan_path, *result.other_paths)))
    click.echo(str(result.report_path))


@cli.command("triage")
@click.option("--answers", "answers_path", type=click.Path(path_type=Path),
              help="A backstride.answers/1 file; without it the questions are asked here.")
@click.option("--json", "json_out", metavar="FILE|-", help="Write backstride.triage/1 JSON.")
@click.option("--save", "save_path", type=click.Path(path_type=Path),
              default=Path("backstride-answers.json"), show_default=True,
              help="Interactive mode: where to save your answers.")
@_global_options
@click.pass_context
def triage_command(ctx: click.Context, answers_path: Path | None, json_out: str | None,
                   save_path: Path) -> None:
    """Red-flag triage and STarT Back: do you need to see a clinician first?"""
    app = _app(ctx)
    if answers_path is not None:
        answers = workflows.read_json_file(answers_path, "triage answers")
    else:
        app.say("A few questions about your back pain, the most important first. "
                "Answer y, n, a number, or u if you are not sure.")
        answers, _stopped = questionnaire.ask_triage()
        workflows.write_text_atomic(save_path, json.dumps(answers, indent=2) + "\n")
    outcome = workflows.assess_back(answers, settings=app.settings)
    if json_out is not None:
        _emit_json(outcome.json, json_out)
    if json_out != "-":
        click.echo(triage_text(outcome.result))
        if answers_path is None:
            app.note(f"Your answers are saved in {save_path} (re-run with --answers).")


@cli.command("selftest")
@click.option("--results", "results_path", type=click.Path(path_type=Path),
              help="A backstride.selftests/1 file; without it each test is explained and "
                   "asked here.")
@click.option("--json", "json_out", metavar="FILE|-",
              help="Write backstride.selftest_result/1 JSON.")
@click.option("--save", "save_path", type=click.Path(path_type=Path),
              default=Path("backstride-selftests.json"), show_default=True,
              help="Interactive mode: where to save your results.")
@_global_options
@click.pass_context
def selftest_command(ctx: click.Context, results_path: Path | None, json_out: str | None,
                     save_path: Path) -> None:
    """Home self-tests of core, hips and flexibility, scored against norms."""
    app = _app(ctx)
    if results_path is not None:
        results = workflows.read_json_file(results_path, "self-test results")
    else:
        workflows.check_selftests_allowed(app.settings)
        app.say("Home self-tests. Skip any you cannot do (Enter); stop any test that hurts "
                "your back or leg and answer p.")
        results = questionnaire.ask_selftests()
        workflows.write_text_atomic(save_path, json.dumps(results, indent=2) + "\n")
    outcome = workflows.screen_body(results, settings=app.settings)
    if json_out is not None:
        _emit_json(outcome.json, json_out)
    if json_out != "-":
        click.echo(selftest_text(outcome.result))


@cli.command("plan")
@click.option("--answers", type=click.Path(path_type=Path), help="Triage answers file.")
@click.option("--results", type=click.Path(path_type=Path), help="Self-test results file.")
@click.option("--analysis", type=click.Path(path_type=Path),
              help="An analysis JSON (backstride analyze --json) for the cadence baseline.")
@click.option("--json", "json_out", metavar="FILE|-", help="Write backstride.plan/1 JSON.")
@click.option("--report", type=click.Path(path_type=Path), help="Write the plan as HTML.")
@click.option("--workout-dir", type=click.Path(path_type=Path, file_okay=False),
              help="Write each week's key run as a FIT workout with a cadence alert range.")
@click.option("--ics", type=click.Path(path_type=Path, dir_okay=False),
              help="Write the plan as a calendar file.")
@_global_options
@click.pass_context
def plan_command(ctx: click.Context, answers: Path | None, results: Path | None,
                 analysis: Path | None, json_out: str | None, report: Path | None,
                 workout_dir: Path | None, ics: Path | None) -> None:
    """Your plan: triage first, then cadence steps, exercises, shoes and surfaces."""
    app = _app(ctx)
    settings = app.settings
    planned = workflows.make_plan(settings=settings, answers=answers, results=results,
                                  analysis=analysis)
    if json_out is not None:
        _emit_json(planned.json, json_out)
    if report is not None:
        workflows.write_text_atomic(report, workflows.render_plan(planned, settings=settings))
        app.note(f"plan report: {report}")
    if workout_dir is not None:
        written = workflows.write_workouts(planned.plan, workout_dir)
        app.note(f"{len(written)} watch workouts in {workout_dir}" if written else
                 "No watch workouts: the plan has no cadence steps.")
    if ics is not None:
        app.note(f"calendar: {workflows.write_calendar(planned.plan, ics)}")
    if json_out != "-":
        click.echo(plan_text(planned.json))


def plan_text(plan: dict[str, Any]) -> str:
    lines = [f"{plan['triage']['level'].replace('_', ' ').upper()}: {plan['triage']['action']}"]
    if plan["held"]:
        lines.append(f"PLAN HELD: {plan['hold_reason']}")
    if plan["baseline"]:
        lines.append(f"Cadence baseline {plan['baseline']['cadence_spm']:.0f} spm "
                     f"({plan['baseline']['basis']})")
    for step in plan["cadence_steps"]:
        low, high = step["range_spm"]
        lines.append(f"  weeks {step['week']}-{step['week'] + step['weeks'] - 1}: "
                     f"{step['target_spm']:.0f} spm (watch alert {low:.0f}-{high:.0f}); "
                     f"metronome: backstride metronome --spm {step['target_spm']:.0f}")
    for exercise in plan["exercises"]:
        lines.append(f"  {exercise['when']:<13} {exercise['name']}: {exercise['dose']}, "
                     f"{exercise['days_per_week']} days/week (why: {exercise['why']})")
    for item in plan["remeasure"]:
        lines.append(f"  week {item['week']}: re-measure {item['what']}")
    lines.extend(f"  note: {note}" for note in plan["notes"])
    return "\n".join(lines)


@cli.command("metronome")
@click.option("--spm", type=float, required=True, help="Steps per minute (one click a step).")
@click.option("--minutes", type=float, default=5.0, show_default=True)
@click.option("--accent-every", type=int, default=None, help="Accent every Kth click.")
@click.option("--out", type=click.Path(path_type=Path, dir_okay=False), default=None,
              help="WAV file to write (default metronome-<spm>spm.wav).")
@_global_options
@click.pass_context
def metronome_command(ctx: click.Context, spm: float, minutes: float, accent_every: int | None,
                      out: Path | None) -> None:
    """A click track at your target cadence, as a WAV file to play on a run."""
    app = _app(ctx)
    target = out or Path(f"metronome-{spm:g}spm.wav")
    workflows.write_metronome(cadence_spm=spm, minutes=minutes, accent_every=accent_every,
                              out=target)
    app.say(f"{target}: {spm:g} steps per minute for {minutes:g} min")


def _emit_json(payload: dict[str, Any], target: str) -> None:
    text = json.dumps(payload, indent=2, ensure_ascii=False) + "\n"
    if target == "-":
        click.echo(text, nl=False)
    else:
        workflows.write_text_atomic(Path(target), text)


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
