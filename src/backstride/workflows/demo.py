"""The demo: the whole flow on data the package makes itself."""


from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, replace
from datetime import date
from pathlib import Path
from typing import Any, Final

from backstride.adapters.formats.fit_writer import simulated_run_messages, write_fit_bytes
from backstride.adapters.output import write_output
from backstride.adapters.storage.records import sqlite_url
from backstride.config import Settings
from backstride.core.report import VideoReport, build_video_report
from backstride.core.simulate import RunPlan, demo_answers, demo_selftests, simulate_run
from backstride.core.simulate_pose import RunnerSpec, simulate_pose
from backstride.workflows._files import write_text_atomic
from backstride.workflows.analysis import Analysed, analyze_path, render_html
from backstride.workflows.care import (
    Planned,
    Triaged,
    assess_back,
    make_plan,
    render_plan,
    write_calendar,
    write_workouts,
)
from backstride.workflows.history import open_store
from backstride.workflows.metronome import write_metronome
from backstride.workflows.video import measured_from_report


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
    write_output(fit_path, write_fit_bytes(simulated_run_messages(run)))
    outcome = analyze_path(fit_path)
    json_path = out_dir / "demo-run.analysis.json"
    write_text_atomic(json_path, json.dumps(outcome.json(), indent=2) + "\n")
    report_path = out_dir / "demo-run.html"
    answers_path, tests_path = out_dir / "demo-answers.json", out_dir / "demo-selftests.json"
    write_text_atomic(answers_path, json.dumps(demo_answers(), indent=2) + "\n")
    write_text_atomic(tests_path, json.dumps(demo_selftests(), indent=2) + "\n")
    video_reports = _demo_videos(out_dir, settings)
    video_paths = tuple(path for path, _analysis, _report in video_reports)
    planned = make_plan(settings=settings, answers=answers_path, results=tests_path,
                        analysis=json_path)
    plan_path = out_dir / "demo-plan.html"
    write_text_atomic(plan_path, render_plan(planned, settings=settings))
    # The run's findings link to the parts of the plan beside it that answer them.
    write_text_atomic(report_path, render_html(outcome, settings=settings, plan=planned.json(),
                                               plan_href=plan_path.name))
    from backstride.adapters.render.video_html import render_video_html

    for path, analysis, report in video_reports:  # the clips' findings link into it too
        write_text_atomic(path, render_video_html(analysis, report, plan=planned.json(),
                                                  plan_href=plan_path.name))
    write_text_atomic(out_dir / "demo-plan.json", json.dumps(planned.json(), indent=2) + "\n")
    first = planned.plan.cadence_steps[0].target_spm if planned.plan.cadence_steps else 170.0
    others = (
        answers_path, tests_path, out_dir / "demo-plan.json",
        write_metronome(cadence_spm=first, minutes=2.0, accent_every=None,
                        out=out_dir / f"metronome-{first:g}spm.wav"),
        write_calendar(planned.plan, out_dir / "demo-plan.ics", start=date(2024, 5, 6)),
        *write_workouts(planned.plan, out_dir / "workouts"),
        *video_paths,
    )
    triaged = assess_back(demo_answers(), settings=settings, save=False)
    return DemoResult(fit_path=fit_path, json_path=json_path, report_path=report_path,
                      plan_path=plan_path, other_paths=others, outcome=outcome,
                      triage=triaged, planned=planned)


DEMO_SIDE: Final = RunnerSpec(cadence_spm=158.0, trunk_lean_deg=13.0, thigh_mean_deg=10.0,
                              frame_rate_hz=60.0, noise_px=1.5, swap_frac=0.05, seed=11)
DEMO_REAR: Final = RunnerSpec(view="rear", cadence_spm=158.0, pelvic_drop_deg=8.0,
                              standing_s=2.0, duration_s=14.0, frame_rate_hz=60.0,
                              noise_px=1.0, seed=12)


def _demo_videos(out_dir: Path, settings: Settings
                 ) -> list[tuple[Path, dict[str, Any], VideoReport]]:
    """A side and a rear "clip" of a simulated runner, as keypoints (the demo has no camera
    and does not run the pose model), analysed and stored in the demo history so the plan
    takes their findings; where each view's HTML report goes, with its analysis and report
    (written once the plan they link to is made)."""
    from backstride.adapters.pose.recorded import poses_to_bytes

    out: list[tuple[Path, dict[str, Any], VideoReport]] = []
    with open_store(settings) as store:
        for label, spec in (("side", DEMO_SIDE), ("rear", DEMO_REAR)):
            poses = simulate_pose(spec)
            name = f"demo-{label}-keypoints (simulated runner)"
            sha256 = hashlib.sha256(poses_to_bytes(poses)).hexdigest()
            report = build_video_report(poses, source_name=name, sha256=sha256)
            item = measured_from_report(report, name=name)
            store.save_video(item)
            out.append((out_dir / f"demo-video-{label}.html", item.analysis, report))
    return out
