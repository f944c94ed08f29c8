"""Commands for the history: imports, runs, shoes, the pain diary, trends, the database."""


from __future__ import annotations

from pathlib import Path
from typing import Any

import click

from backstride import workflows
from backstride.adapters.render.text import text_summary
from backstride.adapters.render.trends_json import trends_json, trends_text
from backstride.adapters.render.units import M_PER_MILE, distance_text
from backstride.cli_common import DATE, AppContext, app_of, day, emit_json, fail, global_options


@click.command("import")
@click.argument("paths", nargs=-1, required=True, type=click.Path(path_type=Path))
@click.option("--json", "json_out", metavar="FILE|-", help="Write the import summary as JSON.")
@click.option("--workers", type=click.IntRange(1, 256), default=None,
              help="Files decoded at once (default: all cores; 1 = in this process).")
@global_options
@click.pass_context
def import_command(ctx: click.Context, paths: tuple[Path, ...], json_out: str | None,
                   workers: int | None) -> None:
    """Import watch files, folders and export archives (Garmin, Strava, Apple Health)."""
    _run_import(app_of(ctx), paths, json_out, workers=workers, ray_address=None,
                ray_fallback=None)


@click.command("batch")
@click.argument("paths", nargs=-1, required=True, type=click.Path(path_type=Path))
@click.option("--ray", "ray_address", metavar="ADDRESS", envvar="RAY_ADDRESS", default=None,
              help="Run on this Ray cluster ('local' starts one here); env RAY_ADDRESS.")
@click.option("--ray-fallback", type=click.Choice(["local"]), default=None,
              help="If the Ray cluster does not answer, run on this machine's cores instead.")
@click.option("--json", "json_out", metavar="FILE|-", help="Write the batch summary as JSON.")
@click.option("--workers", type=click.IntRange(1, 256), default=None,
              help="Without Ray: files at once (default: all cores; 1 = in this process).")
@global_options
@click.pass_context
def batch_command(ctx: click.Context, paths: tuple[Path, ...], ray_address: str | None,
                  ray_fallback: str | None, json_out: str | None, workers: int | None) -> None:
    """Analyse many files into the history: all local cores, or a Ray cluster."""
    _run_import(app_of(ctx), paths, json_out, workers=workers, ray_address=ray_address,
                ray_fallback=ray_fallback)


def _run_import(app: AppContext, paths: tuple[Path, ...], json_out: str | None, *,
                workers: int | None, ray_address: str | None,
                ray_fallback: str | None) -> None:
    with app.progress("Importing") as progress:
        summary = workflows.import_paths(list(paths), settings=app.settings, workers=workers,
                                         progress=progress, ray_address=ray_address,
                                         ray_fallback=ray_fallback)
    for note in summary.notes:
        app.note(note)
    if json_out is not None:
        emit_json(summary.json(), json_out)
    if json_out != "-":
        videos = f" ({summary.videos} videos)" if summary.videos else ""
        app.say(f"imported {summary.imported}{videos}, already imported "
                f"{summary.already_imported}, "
                f"duplicates {summary.duplicates}, not runs {summary.not_runs}, "
                f"skipped {len(summary.skipped)}")
    if summary.skipped:
        fail([f"skipped {name}: {reason}" for name, reason in summary.skipped])


@click.group("runs", invoke_without_command=True)
@click.option("--json", "json_out", metavar="FILE|-", help="Write backstride.runs/1 JSON.")
@click.option("--limit", type=click.IntRange(1), default=None, help="Only the newest N runs.")
@global_options
@click.pass_context
def runs_group(ctx: click.Context, json_out: str | None, limit: int | None) -> None:
    """Your runs: list them, show one, set a run's surface."""
    if ctx.invoked_subcommand is not None:
        return
    from backstride.adapters.render.history_json import runs_json, utc_text

    app = app_of(ctx)
    runs = workflows.list_runs(settings=app.settings, limit=limit)
    if json_out is not None:
        emit_json(runs_json(runs), json_out)
    if json_out != "-":
        if not runs:
            app.say("No runs yet: backstride import PATH… (files, folders, export archives).")
        for run in runs:
            cadence = run.metric_value("cadence_spm")
            shown = f"{cadence:.0f} spm" if cadence is not None else "–"
            distance = f"{run.distance_m / 1000:.2f} km" if run.distance_m else "?"
            start = utc_text(run.start_utc) or "date unknown"
            copies = run.linked_files
            also = f"  (same run: {', '.join(c.name for c in copies)})" if copies else ""
            app.say(f"{run.id:>6}  {start:<20}  {distance:>9}  "
                    f"{shown:>8}  {run.surface or '':<9}  {run.device or ''}{also}")


@runs_group.command("show")
@click.argument("run_id", type=int)
@click.option("--json", "json_out", metavar="FILE|-", help="Write the run's analysis JSON.")
@global_options
@click.pass_context
def runs_show(ctx: click.Context, run_id: int, json_out: str | None) -> None:
    """One run's full analysis."""
    app = app_of(ctx)
    analysis = workflows.run_analysis(run_id, settings=app.settings)
    if json_out is not None:
        emit_json(analysis, json_out)
    if json_out != "-":
        click.echo(text_summary(analysis, units=app.settings.units))


@runs_group.command("set")
@click.argument("run_id", type=int)
@click.option("--surface", type=click.Choice(workflows.SURFACES), required=True)
@global_options
@click.pass_context
def runs_set(ctx: click.Context, run_id: int, surface: str) -> None:
    """Set a run's surface (road, trail, track, treadmill, grass)."""
    app = app_of(ctx)
    workflows.set_surface(run_id, surface, settings=app.settings)
    app.say(f"run {run_id}: surface {surface}")



@click.group("shoes", invoke_without_command=True)
@click.option("--json", "json_out", metavar="FILE|-", help="Write the shoe list as JSON.")
@global_options
@click.pass_context
def shoes_group(ctx: click.Context, json_out: str | None) -> None:
    """Your shoes and their mileage (warn at 300 mi, replace at 500 mi: a convention)."""
    if ctx.invoked_subcommand is None:
        _show_shoes(app_of(ctx), json_out)


@shoes_group.command("list")
@click.option("--json", "json_out", metavar="FILE|-", help="Write the shoe list as JSON.")
@global_options
@click.pass_context
def shoes_list(ctx: click.Context, json_out: str | None) -> None:
    """List shoes with their distance and status."""
    _show_shoes(app_of(ctx), json_out)


def _show_shoes(app: AppContext, json_out: str | None) -> None:
    settings = app.settings
    from backstride.adapters.render.history_json import shoes_json

    found = workflows.list_shoes(settings=settings)
    if json_out is not None:
        emit_json(shoes_json(found.shoes, warn_m=found.warn_m, replace_m=found.replace_m),
                  json_out)
    if json_out == "-":
        return
    if not found.shoes:
        app.say("No shoes yet: backstride shoes add NAME [--start-km N] [--default-from DATE]")
    for shoe in found.shoes:
        distance = distance_text(shoe.distance_m, settings.units)
        app.say(f"{shoe.id:>4}  {shoe.name:<28} {distance:>10}  {shoe.n_runs:>4} runs"
                f"  {(shoe.status or '').replace('_', ' ')}")


@shoes_group.command("add")
@click.argument("name")
@click.option("--start-km", type=click.FloatRange(0), default=None,
              help="Distance the shoe has already run, in km.")
@click.option("--start-mi", type=click.FloatRange(0), default=None,
              help="Distance the shoe has already run, in miles.")
@click.option("--default-from", type=DATE, default=None,
              help="Runs from this day (YYYY-MM-DD) get this shoe automatically.")
@click.option("--default-to", type=DATE, default=None, help="...until this day.")
@global_options
@click.pass_context
def shoes_add(ctx: click.Context, name: str, start_km: float | None, start_mi: float | None,
              default_from: Any, default_to: Any) -> None:
    """Add a shoe."""
    app = app_of(ctx)
    if start_km is not None and start_mi is not None:
        fail(["Give --start-km or --start-mi, not both."])
    start_m = (start_km or 0.0) * 1000.0 + (start_mi or 0.0) * M_PER_MILE
    shoe_id = workflows.add_shoe(settings=app.settings, name=name, start_distance_m=start_m,
                                 default_from=day(default_from), default_to=day(default_to))
    app.say(f"shoe {shoe_id}: {name}")


@shoes_group.command("retire")
@click.argument("shoe_id", type=int)
@click.option("--date", "on", type=DATE, default=None, help="Retired on (default today).")
@global_options
@click.pass_context
def shoes_retire(ctx: click.Context, shoe_id: int, on: Any) -> None:
    """Retire a shoe."""
    app = app_of(ctx)
    workflows.retire_shoe(shoe_id, settings=app.settings, on=day(on))
    app.say(f"shoe {shoe_id} retired")


@shoes_group.command("default")
@click.argument("shoe_id", type=int)
@click.option("--from", "default_from", type=DATE, required=True)
@click.option("--to", "default_to", type=DATE, default=None)
@global_options
@click.pass_context
def shoes_default(ctx: click.Context, shoe_id: int, default_from: Any, default_to: Any) -> None:
    """Make a shoe the default for runs in a date range (assigns runs without a shoe)."""
    app = app_of(ctx)
    workflows.set_default_shoe(shoe_id, settings=app.settings, default_from=default_from.date(),
                               default_to=day(default_to))
    app.say(f"shoe {shoe_id} is the default from {default_from.date().isoformat()}")


@click.group("pain", invoke_without_command=True)
@click.option("--json", "json_out", metavar="FILE|-", help="Write the pain diary as JSON.")
@global_options
@click.pass_context
def pain_group(ctx: click.Context, json_out: str | None) -> None:
    """Your pain diary: 'backstride pain add 4 --where "low back, left" --minute 35'."""
    if ctx.invoked_subcommand is not None:
        return
    from backstride.adapters.render.history_json import pain_json

    app = app_of(ctx)
    entries = workflows.list_pain(settings=app.settings)
    if json_out is not None:
        emit_json(pain_json(entries), json_out)
    if json_out != "-":
        if not entries:
            app.say("No pain entries yet: backstride pain add SCORE [--where TEXT] [--minute M]")
        for entry in entries:
            onset = (f" from minute {entry.onset_min:g}" if entry.onset_min is not None
                     else f" from km {entry.onset_km:g}" if entry.onset_km is not None
                     else "")
            run = f" (run {entry.run_id})" if entry.run_id else ""
            app.say(f"{entry.recorded_on.isoformat()}  {entry.score:>2}/10  {entry.kind:<12} "
                    f"{entry.location or ''}{onset}{run}")


@pain_group.command("add")
@click.argument("score", type=int)
@click.option("--where", "location", default=None, help="Where it hurts, in a few words.")
@click.option("--when", "kind", type=click.Choice(workflows.PAIN_KINDS), default="during",
              show_default=True)
@click.option("--minute", "onset_min", type=float, default=None,
              help="Minute of the run when it started.")
@click.option("--km", "onset_km", type=float, default=None, help="Km of the run when it started.")
@click.option("--run", "run_id", type=int, default=None, help="The run it belongs to (id).")
@click.option("--date", "recorded_on", type=DATE, default=None, help="Day (default today).")
@click.option("--note", default=None)
@global_options
@click.pass_context
def pain_add(ctx: click.Context, score: int, location: str | None, kind: str,
             onset_min: float | None, onset_km: float | None, run_id: int | None,
             recorded_on: Any, note: str | None) -> None:
    """Log pain: a score 0-10, and optionally where and when in the run it started."""
    app = app_of(ctx)
    changed = workflows.add_pain(settings=app.settings, score=score, kind=kind,
                                 location=location, onset_min=onset_min, onset_km=onset_km,
                                 run_id=run_id, recorded_on=day(recorded_on), note=note)
    app.say(f"pain {score}/10 logged")
    if changed:
        click.echo("This pain is new or has changed: answer the red-flag questions again "
                   "('backstride triage') before the next step of your plan.")


@click.command("trends")
@click.option("--json", "json_out", metavar="FILE|-", help="Write backstride.trends/1 JSON.")
@global_options
@click.pass_context
def trends_command(ctx: click.Context, json_out: str | None) -> None:
    """Form over the weeks, progress on the cadence steps, and what links pain to form."""
    app = app_of(ctx)
    found = workflows.trends(settings=app.settings)
    if json_out is not None:
        emit_json(trends_json(found), json_out)
    if json_out != "-":
        click.echo(trends_text(found))



@click.group("db")
def db_group() -> None:
    """The history database."""


@db_group.command("migrate")
@global_options
@click.pass_context
def db_migrate_command(ctx: click.Context) -> None:
    """Upgrade the database schema (the only way PostgreSQL is migrated)."""
    app = app_of(ctx)
    url = workflows.migrate_database(app.settings)
    app.say(f"Database is up to date: {url.split('@')[-1]}")


