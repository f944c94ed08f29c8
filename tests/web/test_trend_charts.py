"""The trends page's charts through the real app: real FIT runs imported, a pain diary and a
plan; the chart data the page carries is checked against the stored runs, and in Chromium at
360 px the charts are drawn with no sideways scroll, no console error and no CSP violation."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

from fastapi.testclient import TestClient

from backstride import workflows
from backstride.config import Settings
from backstride.core.simulate import demo_answers
from tests.web.conftest import screenshot
from tests.web.test_history_pages import import_runs
from tests.web.test_runs_pages import Watcher

DAYS = [0, 1, 3, 5, 8, 10, 12, 15, 17, 19, 22, 24]


def _history(settings: Settings, tmp_path: Path) -> list[Any]:
    runs = import_runs(settings, tmp_path, DAYS)
    for k, run in enumerate(runs):
        workflows.add_pain(settings=settings, score=4 if k % 2 else 0, kind="during",
                           location="low back", onset_min=3.0 if k % 2 else None,
                           onset_km=None, run_id=run.id,
                           recorded_on=run.start_utc.date(), note=None)
    workflows.assess_back(demo_answers(), settings=settings)
    workflows.make_plan(settings=settings)
    return runs


def _chart_data(html: str) -> dict[str, Any]:
    found = re.search(r'<script type="application/json" id="trend-charts-data">(.*?)</script>',
                      html, re.S)
    assert found, "no chart data on the page"
    data: dict[str, Any] = json.loads(found.group(1))
    return data


def test_trends_page_charts_match_the_stored_runs(client: TestClient, settings: Settings,
                                                  tmp_path: Path) -> None:
    runs = _history(settings, tmp_path)
    html = client.get("/trends").text
    data = _chart_data(html)
    charts = {c["id"]: c["figure"] for c in data["charts"]}
    assert {"trend-cadence", "trend-pain", "trend-onsets"} <= set(charts)
    assert data["config"]["responsive"] is True and data["config"]["displaylogo"] is False
    oldest_first = sorted(runs, key=lambda r: r.start_utc)
    points = [t for t in charts["trend-cadence"]["data"] if t.get("mode") == "markers"]
    drawn = sorted((x, y) for t in points for x, y in zip(t["x"], t["y"], strict=True))
    stored = [(r.start_utc.date().isoformat(), round(r.metrics["cadence_spm"]["value"], 1))
              for r in oldest_first]
    assert drawn == stored
    plan = workflows.make_plan(settings=settings).json()
    step = plan["cadence_steps"][0]  # the simulated runs step at ~160 spm: a plan with steps
    names = {t["name"] for t in charts["trend-cadence"]["data"]}
    assert {"step target", "watch alert range"} <= names
    target = next(t for t in charts["trend-cadence"]["data"] if t["name"] == "step target")
    assert target["y"] == [step["target_spm"]] * 2
    assert target["x"][0] == plan["start_date"]
    pain = charts["trend-pain"]["data"][0]
    newest_first = [4 if k % 2 else 0 for k in range(len(DAYS))]
    assert pain["y"] == newest_first[::-1]
    # every chart has a heading, an accessible name and a caption in words
    for chart_id in charts:
        assert f'id="{chart_id}-title"' in html
        assert re.search(rf'id="{chart_id}" role="img" aria-label="[^"]+"', html)
    assert html.count("<figcaption") >= len(charts)
    assert 'src="/static-lib/plotly.min.js"' in html and "cdn" not in html.lower()
    assert "heuristic" in html  # watch metrics have no published noise: the band says so


def test_trends_charts_need_no_inline_script(client: TestClient, settings: Settings,
                                             tmp_path: Path) -> None:
    import_runs(settings, tmp_path, DAYS[:3])
    reply = client.get("/trends")
    assert "<script>" not in reply.text  # the CSP allows no inline script
    assert "script-src 'self'" in reply.headers["content-security-policy"]
    assert client.get("/static/trend-charts.js").status_code == 200


def test_trend_charts_on_a_phone(live_server: str, browser: Any, settings: Settings,
                                 tmp_path: Path) -> None:
    from playwright.sync_api import expect

    _history(settings, tmp_path)
    context = browser.new_context(viewport={"width": 360, "height": 740}, device_scale_factor=2,
                                  is_mobile=True, has_touch=True)
    page = context.new_page()
    try:
        watcher = Watcher(page)
        page.goto(f"{live_server}/trends")
        expect(page.locator("#trend-cadence .main-svg").first).to_be_visible(timeout=20_000)
        drawn = page.locator(".trend-plot .main-svg").count()
        assert drawn >= 2 * page.locator(".trend-plot").count()  # plot + its overlay svg
        widths = page.evaluate("[document.documentElement.scrollWidth, window.innerWidth]")
        assert widths[0] <= widths[1], f"the page scrolls sideways at 360 px: {widths}"
        box = page.locator("#trend-cadence").bounding_box()
        assert box is not None and box["width"] <= 360
        screenshot(page, "trends-phone")
        assert watcher.problems() == []
    finally:
        context.close()
