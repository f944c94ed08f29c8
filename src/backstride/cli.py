"""The command line: parse, call one workflow, show the result. Errors are mapped here only:
``backstride: error: ...`` on stderr and exit 1 for bad input, 2 for wrong usage."""

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

from backstride import __version__, questionnaire, workflows
from backstride.adapters.render.selftest_json import selftest_text
from backstride.adapters.render.text import text_summary
from backstride.adapters.render.trends_json import trends_json, trends_text
from backstride.adapters.render.triage_json import triage_text
from backstride.adapters.render.units import M_PER_MILE, distance_text
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


@cli.command("import")
@click.argument("paths", nargs=-1, required=True, type=click.Path(path_type=Path))
@click.option("--json", "json_out", metavar="FILE|-", help="Write the import summary as JSON.")
@click.option("--workers", type=click.IntRange(1, 256), default=None,
              help="Files decoded at once (default: all cores; 1 = in this process).")
@_global_options
@click.pass_context
def import_command(ctx: click.Context, paths: tuple[Path, ...], json_out: str | None,
                   workers: int | None) -> None:
    """Import watch files, folders and export archives (Garmin, Strava, Apple Health)."""
    app = _app(ctx)
    with app.progress("Importing") as progress:
        summary = workflows.import_paths(list(paths), settings=app.settings, workers=workers,
                                         progress=progress)
    if json_out is not None:
        _emit_json(summary.json(), json_out)
    if json_out != "-":
        app.say(f"imported {summary.imported}, already imported {summary.already_imported}, "
                f"duplicates {summary.duplicates}, not runs {summary.not_runs}, "
                f"skipped {len(summary.skipped)}")
    if summary.skipped:
        _fail([f"skipped {name}: {reason}" for name, reason in summary.skipped])


@cli.group("runs", invoke_without_command=True)
@click.option("--json", "json_out", metavar="FILE|-", help="Write backstride.runs/1 JSON.")
@click.option("--limit", type=click.IntRange(1), default=None, help="Only the newest N runs.")
@_global_options
@click.pass_context
def runs_group(ctx: click.Context, json_out: str | None, limit: int | None) -> None:
    """Your runs: list them, show one, set a run's surface."""
    if ctx.invoked_subcommand is not None:
        return
    app = _app(ctx)
    data = workflows.list_runs(settings=app.settings, limit=limit)
    if json_out is not None:
        _emit_json(data, json_out)
    if json_out != "-":
        for run in data["runs"]:
            cadence = (run["metrics"].get("cadence_spm") or {}).get("value")
            shown = f"{cadence:.0f} spm" if cadence is not None else "–"
            distance = f"{run['distance_m'] / 1000:.2f} km" if run["distance_m"] else "?"
            app.say(f"{run['id']:>6}  {run['start_utc'] or 'date unknown':<20}  {distance:>9}  "
                    f"{shown:>8}  {run['surface'] or '':<9}  {run['device'] or ''}")


@runs_group.command("show")
@click.argument("run_id", type=int)
@click.option("--json", "json_out", metavar="FILE|-", help="Write the run's analysis JSON.")
@_global_options
@click.pass_context
def runs_show(ctx: click.Context, run_id: int, json_out: str | None) -> None:
    """One run's full analysis."""
    app = _app(ctx)
    analysis = workflows.run_analysis(run_id, settings=app.settings)
    if json_out is not None:
        _emit_json(analysis, json_out)
    if json_out != "-":
        click.echo(text_summary(analysis, units=app.settings.units))


@runs_group.command("set")
@click.argument("run_id", type=int)
@click.option("--surface", type=click.Choice(workflows.SURFACES), required=True)
@_global_options
@click.pass_context
def runs_set(ctx: click.Context, run_id: int, surface: str) -> None:
    """Set a run's surface (road, trail, track, treadmill, grass)."""
    app = _app(ctx)
    workflows.set_surface(run_id, surface, settings=app.settings)
    app.say(f"run {run_id}: surface {surface}")


_DATE = click.DateTime(formats=["%Y-%m-%d"])


def _day(value: Any) -> date | None:
    return None if value is None else value.date()


@cli.group("shoes", invoke_without_command=True)
@click.option("--json", "json_out", metavar="FILE|-", help="Write the shoe list as JSON.")
@_global_options
@click.pass_context
def shoes_group(ctx: click.Context, json_out: str | None) -> None:
    """Your shoes and their mileage (warn at 300 mi, replace at 500 mi: a convention)."""
    if ctx.invoked_subcommand is None:
        _show_shoes(_app(ctx), json_out)


@shoes_group.command("list")
@click.option("--json", "json_out", metavar="FILE|-", help="Write the shoe list as JSON.")
@_global_options
@click.pass_context
def shoes_list(ctx: click.Context, json_out: str | None) -> None:
    """List shoes with their distance and status."""
    _show_shoes(_app(ctx), json_out)


def _show_shoes(app: AppContext, json_out: str | None) -> None:
    settings = app.settings
    data = workflows.list_shoes(settings=settings)
    if json_out is not None:
        _emit_json(data, json_out)
    if json_out == "-":
        return
    if not data["shoes"]:
        app.say("No shoes yet: backstride shoes add NAME [--start-km N] [--default-from DATE]")
    for shoe in data["shoes"]:
        distance = distance_text(shoe["distance_m"], settings.units)
        app.say(f"{shoe['id']:>4}  {shoe['name']:<28} {distance:>10}  {shoe['n_runs']:>4} runs"
                f"  {shoe['status'].replace('_', ' ')}")


@shoes_group.command("add")
@click.argument("name")
@click.option("--start-km", type=click.FloatRange(0), default=None,
              help="Distance the shoe has already run, in km.")
@click.option("--start-mi", type=click.FloatRange(0), default=None,
              help="Distance the shoe has already run, in miles.")
@click.option("--default-from", type=_DATE, default=None,
              help="Runs from this day (YYYY-MM-DD) get this shoe automatically.")
@click.option("--default-to", type=_DATE, default=None, help="...until this day.")
@_global_options
@click.pass_context
def shoes_add(ctx: click.Context, name: str, start_km: float | None, start_mi: float | None,
              default_from: Any, default_to: Any) -> None:
    """Add a shoe."""
    app = _app(ctx)
    if start_km is not None and start_mi is not None:
        _fail(["Give --start-km or --start-mi, not both."])
    start_m = (start_km or 0.0) * 1000.0 + (start_mi or 0.0) * M_PER_MILE
    shoe_id = workflows.add_shoe(settings=app.settings, name=name, start_distance_m=start_m,
                                 default_from=_day(default_from), default_to=_day(default_to))
    app.say(f"shoe {shoe_id}: {name}")


@shoes_group.command("retire")
@click.argument("shoe_id", type=int)
@click.option("--date", "on", type=_DATE, default=None, help="Retired on (default today).")
@_global_options
@click.pass_context
def shoes_retire(ctx: click.Context, shoe_id: int, on: Any) -> None:
    """Retire a shoe."""
    app = _app(ctx)
    workflows.retire_shoe(shoe_id, settings=app.settings, on=_day(on))
    app.say(f"shoe {shoe_id} retired")


@shoes_group.command("default")
@click.argument("shoe_id", type=int)
@click.option("--from", "default_from", type=_DATE, required=True)
@click.option("--to", "default_to", type=_DATE, default=None)
@_global_options
@click.pass_context
def shoes_default(ctx: click.Context, shoe_id: int, default_from: Any, default_to: Any) -> None:
    """Make a shoe the default for runs in a date range (assigns runs without a shoe)."""
    app = _app(ctx)
    workflows.set_default_shoe(shoe_id, settings=app.settings, default_from=default_from.date(),
                               default_to=_day(default_to))
    app.say(f"shoe {shoe_id} is the default from {default_from.date().isoformat()}")


@cli.group("pain", invoke_without_command=True)
@click.option("--json", "json_out", metavar="FILE|-", help="Write the pain diary as JSON.")
@_global_options
@click.pass_context
def pain_group(ctx: click.Context, json_out: str | None) -> None:
    """Your pain diary: 'backstride pain add 4 --where "low back, left" --minute 35'."""
    if ctx.invoked_subcommand is not None:
        return
    app = _app(ctx)
    data = workflows.list_pain(settings=app.settings)
    if json_out is not None:
        _emit_json(data, json_out)
    if json_out != "-":
        for entry in data["entries"]:
            onset = (f" from minute {entry['onset_min']:g}" if entry["onset_min"] is not None
                     else f" from km {entry['onset_km']:g}" if entry["onset_km"] is not None
                     else "")
            run = f" (run {entry['run_id']})" if entry["run_id"] else ""
            app.say(f"{entry['recorded_on']}  {entry['score']:>2}/10  {entry['kind']:<12} "
                    f"{entry['location'] or ''}{onset}{run}")


@pain_group.command("add")
@click.argument("score", type=int)
@click.option("--where", "location", default=None, help="Where it hurts, in a few words.")
@click.option("--when", "kind", type=click.Choice(workflows.PAIN_KINDS), default="during",
              show_default=True)
@click.option("--minute", "onset_min", type=float, default=None,
              help="Minute of the run when it started.")
@click.option("--km", "onset_km", type=float, default=None, help="Km of the run when it started.")
@click.option("--run", "run_id", type=int, default=None, help="The run it belongs to (id).")
@click.option("--date", "recorded_on", type=_DATE, default=None, help="Day (default today).")
@click.option("--note", default=None)
@_global_options
@click.pass_context
def pain_add(ctx: click.Context, score: int, location: str | None, kind: str,
             onset_min: float | None, onset_km: float | None, run_id: int | None,
             recorded_on: Any, note: str | None) -> None:
    """Log pain: a score 0-10, and optionally where and when in the run it started."""
    app = _app(ctx)
    changed = workflows.add_pain(settings=app.settings, score=score, kind=kind,
                                 location=location, onset_min=onset_min, onset_km=onset_km,
                                 run_id=run_id, recorded_on=_day(recorded_on), note=note)
    app.say(f"pain {score}/10 logged")
    if changed:
        click.echo("This pain is new or has changed: answer the red-flag questions again "
                   "('backstride triage') before the next step of your plan.")


@cli.command("trends")
@click.option("--json", "json_out", metavar="FILE|-", help="Write backstride.trends/1 JSON.")
@_global_options
@click.pass_context
def trends_command(ctx: click.Context, json_out: str | None) -> None:
    """Form over the weeks, progress on the cadence steps, and what links pain to form."""
    app = _app(ctx)
    found = workflows.trends(settings=app.settings)
    if json_out is not None:
        _emit_json(trends_json(found), json_out)
    if json_out != "-":
        click.echo(trends_text(found))


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


if __name__ == "__main__":
    main()
