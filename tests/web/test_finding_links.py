"""From finding to action through the real app: a real FIT run (about 156 spm: a low-cadence
finding) is imported; before a plan its findings link to the plan page to make one, after the
plan is made they link to the plan page's anchors, which exist; the plan page and the plan JSON
say which findings each item answers."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

from fastapi.testclient import TestClient

from backstride import workflows
from backstride.adapters.formats.fit_writer import simulated_run_messages, write_fit_bytes
from backstride.config import Settings
from backstride.core.simulate import RunPlan, demo_answers, simulate_run
from tests.web.conftest import screenshot
from tests.web.test_care_pages import make_plan, triage
from tests.web.test_runs_pages import Watcher


def _one_run(settings: Settings, tmp_path: Path) -> int:
    path = tmp_path / "run.fit"
    path.write_bytes(write_fit_bytes(simulated_run_messages(simulate_run(RunPlan(), seed=7))))
    assert workflows.import_paths([path], settings=settings, workers=1).imported == 1
    return workflows.list_runs(settings=settings)[0].id


def _plan_links(html: str) -> list[str]:
    """The plan links of the page's findings section (the menu's /plan left out)."""
    section = re.search(r'<section class="card finding-plan".*?</section>', html, re.S)
    assert section, "no findings section"
    return re.findall(r'href="(/plan[^"]*)"', section.group(0))


def test_run_findings_link_to_the_plan(client: TestClient, settings: Settings,
                                       tmp_path: Path) -> None:
    run_id = _one_run(settings, tmp_path)
    findings = workflows.run_analysis(run_id, settings=settings)["findings"]
    assert "low_cadence" in [f["id"] for f in findings]

    before = client.get(f"/runs/{run_id}").text
    assert "What your plan does about these findings" in before
    assert "You have no plan yet" in before
    assert set(_plan_links(before)) == {"/plan"}  # no plan: the page to make one
    assert before.count('<span class="tag') >= len(findings)

    triage(client, demo_answers())
    assert make_plan(client).status_code == 200
    after = client.get(f"/runs/{run_id}").text
    links = _plan_links(after)
    assert "/plan#plan-step-1" in links
    plan_page = client.get("/plan").text
    ids = set(re.findall(r'\bid="([^"]+)"', plan_page))
    for link in links:  # every link lands on an anchor of the plan page
        assert link.split("#", 1)[1] in ids, link
    # the plan page says what each step answers, and lists the run's findings
    step = re.search(r'<li id="plan-step-1">(.*?)</li>', plan_page, re.S)
    assert step and "Answers: low cadence" in step.group(1)
    assert "Your findings, and where the plan answers them" in plan_page
    # the plan JSON: each step's answers, the findings it was made from
    plan = client.get("/plan/plan.json").json()
    assert plan["cadence_steps"] and plan["cadence_answers"][0] == "low_cadence"
    assert "low_cadence" in plan["findings"] and isinstance(plan["runs_answer"], list)
    # the report (in a sandboxed frame on the run page) names the parts; the page links them
    report = client.get(f"/runs/{run_id}/report").text
    assert "What to do:" in report and "In your plan:</span> cadence step 1" in report
    assert 'href="/plan' not in report


def test_printable_plan_and_exercise_anchors(client: TestClient, settings: Settings,
                                             tmp_path: Path) -> None:
    _one_run(settings, tmp_path)
    triage(client, demo_answers())
    make_plan(client)
    page = client.get("/plan").text
    printable = client.get("/plan/report").text
    for anchor in ("plan-cadence", "plan-runs", "plan-exercises", "plan-remeasure",
                   "plan-step-1", "exercise-glute_bridge"):
        assert f'id="{anchor}"' in page, anchor
        assert f'id="{anchor}"' in printable, anchor


def test_a_finding_link_opens_its_step_on_a_phone(live_server: str, browser: Any,
                                                  settings: Settings, tmp_path: Path) -> None:
    from playwright.sync_api import expect

    run_id = _one_run(settings, tmp_path)
    context = browser.new_context(viewport={"width": 360, "height": 740}, is_mobile=True,
                                  has_touch=True)
    page = context.new_page()
    try:
        watcher = Watcher(page)
        workflows.assess_back(demo_answers(), settings=settings)  # a stored self-care triage
        page.goto(f"{live_server}/plan")
        page.get_by_role("button", name="Make my plan").click()
        page.wait_for_url(f"{live_server}/plan")
        page.goto(f"{live_server}/runs/{run_id}")
        link = page.locator(".finding-plan a[href='/plan#plan-step-1']").first
        link.click()
        page.wait_for_url(f"{live_server}/plan#plan-step-1")
        expect(page.locator("#plan-step-1")).to_be_in_viewport()
        screenshot(page, "plan-answers-phone")
        # the run page last: the printable plan's frame runs no script to ask for CSP reports
        for path in ("/plan", f"/runs/{run_id}"):
            page.goto(f"{live_server}{path}")
            widths = page.evaluate("[document.documentElement.scrollWidth, window.innerWidth]")
            assert widths[0] <= widths[1], (path, widths)
        screenshot(page, "run-findings-phone")
        assert watcher.problems() == []
    finally:
        context.close()



def test_a_stored_clip_links_its_findings_to_the_plan(client: TestClient,
                                                      settings: Settings) -> None:
    """A simulated side-view clip leaning 16° forward (a forward-lean finding): its page links
    the finding to the glute bridge once the plan holds it."""
    from backstride.core.report import build_video_report
    from backstride.core.simulate_pose import RunnerSpec, simulate_pose
    from backstride.workflows.video import save_video_report

    report = build_video_report(simulate_pose(RunnerSpec(trunk_lean_deg=16.0)),
                                source_name="lean.mp4", sha256="d" * 64)
    _new, video_id = save_video_report(report, name="lean.mp4", settings=settings,
                                       runner="me")
    page = client.get(f"/videos/stored/{video_id}").text
    assert "forward trunk lean (video)" in page and set(_plan_links(page)) == {"/plan"}
    triage(client, demo_answers())
    make_plan(client)
    assert "/plan#exercise-glute_bridge" in _plan_links(client.get(f"/videos/stored/{video_id}")
                                                        .text)
