"""The demo: the whole flow on data the package makes itself."""


from __future__ import annotations

import json
from dataclasses import dataclass, replace
from datetime import date
from pathlib import Path

from backstride.adapters.formats.fit_writer import simulated_run_messages, write_fit_bytes
from backstride.adapters.storage.store import sqlite_url
from backstride.config import Settings
from backstride.core.simulate import RunPlan, demo_answers, demo_selftests, simulate_run
from backstride.workflows._files import write_text_atomic
from backstride.workflows.analysis import Analysed, analyze_path, render_html
from backstride.workflows.care import (
    Planned,
    Triaged,
    assess_back,
    make_plan,
    render_plan,
    write_calendar,
    write_metronome,
    write_workouts,
)


@dataclass(frozen=True, slots=True, kw_only=True)
class DemoResult:
    fit_path: Path
    json_path: Path
    report_path: Path
    plan_path: Path
    other_paths: tuple[Path, ...]
    outcome: Analysed
    triage: Triaged
    planned: Planned


def run_demo(out_dir: Path, *, settings: Settings, seed: int = 7) -> DemoResult:
    """The whole flow on data the package makes itself: a simulated run with fatigue drift
    written as a real FIT file, triage answers and self-test results; then the analysis,
    triage, self-tests, plan, watch workouts, a metronome track and a calendar. Its history
    database lives in ``out_dir``, apart from the runner's own."""
    out_dir.mkdir(parents=True, exist_ok=True)
    settings = replace(settings, db=sqlite_url(out_dir / "demo-history.db"))
    run = simulate_run(RunPlan(), seed=seed)
    fit_path = out_dir / "demo-run.fit"
    fit_path.write_bytes(write_fit_bytes(simulated_run_messages(run)))
    outcome = analyze_path(fit_path)
    json_path = out_dir / "demo-run.analysis.json"
    write_text_atomic(json_path, json.dumps(outcome.json(), indent=2) + "\n")
    report_path = out_dir / "demo-run.html"
    write_text_atomic(report_path, render_html(outcome, settings=settings))
    answers_path, tests_path = out_dir / "demo-answers.json", out_dir / "demo-selftests.json"
    write_text_atomic(answers_path, json.dumps(demo_answers(), indent=2) + "\n")
    write_text_atomic(tests_path, json.dumps(demo_selftests(), indent=2) + "\n")
    planned = make_plan(settings=settings, answers=answers_path, results=tests_path,
                        analysis=json_path)
    plan_path = out_dir / "demo-plan.html"
    write_text_atomic(plan_path, render_plan(planned, settings=settings))
    write_text_atomic(out_dir / "demo-plan.json", json.dumps(planned.json, indent=2) + "\n")
    first = planned.plan.cadence_steps[0].target_spm if planned.plan.cadence_steps else 170.0
    others = (
        answers_path, tests_path, out_dir / "demo-plan.json",
        write_metronome(cadence_spm=first, minutes=2.0, accent_every=None,
                        out=out_dir / f"metronome-{first:g}spm.wav"),
        write_calendar(planned.plan, out_dir / "demo-plan.ics", start=date(2024, 5, 6)),
        *write_workouts(planned.plan, out_dir / "workouts"),
    )
    triaged = assess_back(demo_answers(), settings=settings, save=False)
    return DemoResult(fit_path=fit_path, json_path=json_path, report_path=report_path,
                      plan_path=plan_path, other_paths=others, outcome=outcome,
                      triage=triaged, planned=planned)
