"""Commands for triage, self-tests, the plan, the metronome and clearances."""


from __future__ import annotations

import json
from collections.abc import Callable
from datetime import datetime
from pathlib import Path
from typing import Any

import click

from backstride import questionnaire, workflows
from backstride.adapters.render.selftest_json import selftest_text
from backstride.adapters.render.triage_json import triage_text
from backstride.cli_common import DATE, app_of, emit_json, fail, global_options
from backstride.errors import BackstrideError


@click.command("triage")
@click.option("--answers", "answers_path", type=click.Path(path_type=Path),
              help="A backstride.answers/1 file; without it the questions are asked here.")
@click.option("--json", "json_out", metavar="FILE|-", help="Write backstride.triage/1 JSON.")
@click.option("--save", "save_path", type=click.Path(path_type=Path),
              default=Path("backstride-answers.json"), show_default=True,
              help="Interactive mode: where to save your answers.")
@global_options
@click.pass_context
def triage_command(ctx: click.Context, answers_path: Path | None, json_out: str | None,
                   save_path: Path) -> None:
    """Red-flag triage and STarT Back: do you need to see a clinician first?"""
    app = app_of(ctx)
    if answers_path is not None:
        answers = workflows.read_json_file(answers_path, "triage answers")
    else:
        app.say(questionnaire.TRIAGE_INTRO)
        answers, _stopped = questionnaire.ask_triage()
    # The result first, always: shown before anything is saved, so a file or a database that
    # cannot be written never hides it (docs/safety.md, "Result first").
    outcome = workflows.assess_back(answers, settings=app.settings, save=False)
    if json_out == "-":
        emit_json(outcome.json(), json_out)
    else:
        click.echo(triage_text(outcome.result))
    problems = []
    if json_out is not None and json_out != "-":
        problems += _saved(lambda: emit_json(outcome.json(), json_out), f"the result to {json_out}")
    if answers_path is None:
        problems += _saved(lambda: workflows.write_text_atomic(
            save_path, json.dumps(answers, indent=2) + "\n"), f"your answers to {save_path}")
    states: list[workflows.CareState] = []
    problems += _saved(lambda: states.append(workflows.record_triage(
        outcome, settings=app.settings, direct=True)), "this triage in your history")
    if problems:
        fail(problems)
    if answers_path is None and json_out != "-":
        app.note(f"Your answers are saved in {save_path} (re-run with --answers).")
    state = states[0]
    holding = state.holding
    if holding is not None and holding != state.latest:
        app.note(f"Your plan stays on hold: your {holding.level} triage of "
                 f"{holding.created_utc.date().isoformat()} holds it until a clinician's "
                 "clearance is recorded ('backstride clearance --by NAME'); these later "
                 "answers are kept but do not lift it.")


def _saved(write: Callable[[], object], what: str) -> list[str]:
    """Run one save after the result is shown; its failure as an error line (none if saved)."""
    try:
        write()
    except (BackstrideError, OSError) as exc:
        detail = str(exc) if isinstance(exc, BackstrideError) else (
            f"{type(exc).__name__}: {exc.strerror or exc}")
        return [f"could not save {what} ({detail}). The result above stands: follow its "
                "advice, then fix this and run the triage again to keep it."]
    return []


@click.command("selftest")
@click.option("--results", "results_path", type=click.Path(path_type=Path),
              help="A backstride.selftests/1 file; without it each test is explained and "
                   "asked here.")
@click.option("--json", "json_out", metavar="FILE|-",
              help="Write backstride.selftest_result/1 JSON.")
@click.option("--save", "save_path", type=click.Path(path_type=Path),
              default=Path("backstride-selftests.json"), show_default=True,
              help="Interactive mode: where to save your results.")
@global_options
@click.pass_context
def selftest_command(ctx: click.Context, results_path: Path | None, json_out: str | None,
                     save_path: Path) -> None:
    """Home self-tests of core, hips and flexibility, scored against norms."""
    app = app_of(ctx)
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
        emit_json(outcome.json(), json_out)
    if json_out != "-":
        click.echo(selftest_text(outcome.result))


@click.command("plan")
@click.option("--answers", type=click.Path(path_type=Path), help="Triage answers file.")
@click.option("--results", type=click.Path(path_type=Path), help="Self-test results file.")
@click.option("--analysis", type=click.Path(path_type=Path),
              help="An analysis JSON (backstride analyze --json) for the cadence baseline.")
@click.option("--json", "json_out", metavar="FILE|-", help="Write backstride.plan/1 JSON.")
@click.option("--report", type=click.Path(path_type=Path), help="Write the plan as HTML.")
@click.option("--workout-dir", type=click.Path(path_type=Path, file_okay=False),
              help="Write each planned run as a FIT workout with its cadence alert range.")
@click.option("--ics", type=click.Path(path_type=Path, dir_okay=False),
              help="Write the plan as a calendar file.")
@click.option("--start", type=DATE, default=None,
              help="First day of the plan, YYYY-MM-DD (default: today; kept once set).")
@global_options
@click.pass_context
def plan_command(ctx: click.Context, answers: Path | None, results: Path | None,
                 analysis: Path | None, json_out: str | None, report: Path | None,
                 workout_dir: Path | None, ics: Path | None, start: datetime | None) -> None:
    """Your plan: triage first, then dated runs, cadence steps, exercises, shoes and
    surfaces."""
    app = app_of(ctx)
    settings = app.settings
    planned = workflows.make_plan(settings=settings, answers=answers, results=results,
                                  analysis=analysis,
                                  start=None if start is None else start.date())
    if json_out is not None:
        emit_json(planned.json(), json_out)
    if report is not None:
        workflows.write_text_atomic(report, workflows.render_plan(planned, settings=settings))
        app.note(f"plan report: {report}")
    if workout_dir is not None:
        written = workflows.write_workouts(planned.plan, workout_dir)
        app.note(f"{len(written)} watch workouts in {workout_dir}" if written else
                 "No watch workouts: " + (
                     "the plan is held until a clinician's clearance is recorded."
                     if planned.plan.held else
                     "they wait until you record that you were seen ('backstride clearance "
                     "--by NAME')." if planned.plan.waiting_for_clinician else
                     "the plan has no cadence steps."))
    if ics is not None:
        app.note(f"calendar: {workflows.write_calendar(planned.plan, ics)}")
    if json_out != "-":
        from backstride.adapters.render.plan_text import plan_text

        click.echo(plan_text(planned.plan))


@click.command("today")
@click.option("--date", "on", type=DATE, default=None,
              help="The day, YYYY-MM-DD (default: today).")
@click.option("--json", "json_out", metavar="FILE|-", help="Write backstride.today/1 JSON.")
@global_options
@click.pass_context
def today_command(ctx: click.Context, on: datetime | None, json_out: str | None) -> None:
    """What your plan holds today and this week: the run, its length, cadence target and
    metronome part, the exercises due and what to log afterwards; a hold first."""
    app = app_of(ctx)
    from backstride.adapters.render.today_json import today_json, today_text

    card = workflows.today_card(settings=app.settings, day=None if on is None else on.date())
    if json_out is not None:
        emit_json(today_json(card), json_out)
    if json_out != "-":
        click.echo(today_text(card))


@click.command("summary")
@click.option("--out", type=click.Path(path_type=Path, dir_okay=False),
              default=Path("backstride-summary.html"), show_default=True,
              help="FILE.html (printable page) or FILE.pdf.")
@global_options
@click.pass_context
def summary_command(ctx: click.Context, out: Path) -> None:
    """One printable page for your clinician: triage answers, red flags, STarT Back, pain
    diary, form over time, self-tests, plan and clearances."""
    from backstride.workflows.summary import gather_summary, write_summary

    app = app_of(ctx)
    written = write_summary(gather_summary(settings=app.settings), out)
    app.say(f"Summary for your clinician: {written}")


@click.command("clearance")
@click.option("--by", "cleared_by", required=True, help="The clinician who cleared you.")
@click.option("--date", "cleared_on", type=click.DateTime(formats=["%Y-%m-%d"]), default=None,
              help="The day you were cleared (YYYY-MM-DD; default today).")
@click.option("--note", default=None, help="What the clinician said, in a few words.")
@global_options
@click.pass_context
def clearance_command(ctx: click.Context, cleared_by: str, cleared_on: Any,
                      note: str | None) -> None:
    """Record that a clinician has cleared you (lifts the plan hold), or, after a "see a
    clinician" triage, that you were seen (starts the plan's runs and workouts)."""
    app = app_of(ctx)
    saved = workflows.record_clearance(
        settings=app.settings, cleared_by=cleared_by,
        cleared_on=cleared_on.date() if cleared_on is not None else None, note=note)
    latest = workflows.care_state(app.settings).latest
    verb = "seen" if latest is not None and latest.level == "see_clinician" else "cleared"
    app.say(f"Recorded: {verb} by {saved.cleared_by} on {saved.cleared_on.isoformat()}. "
            "Run 'backstride plan' to make your plan.")


