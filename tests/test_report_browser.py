"""The HTML report in a real browser: headless Chromium, offline, must draw every chart."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

from backstride.adapters.formats.fit_writer import simulated_run_messages, write_fit_bytes
from backstride.config import load_settings
from backstride.core.simulate import RunPlan, simulate_run
from backstride.workflows import analyze_path, render_html
from tests.conftest import chromium_path

pytestmark = pytest.mark.browser


def test_report_draws_its_charts_offline(tmp_path: Path) -> None:
    browser = chromium_path()
    fit = tmp_path / "run.fit"
    fit.write_bytes(write_fit_bytes(simulated_run_messages(simulate_run(
        RunPlan(duration_s=1500), seed=4))))
    page = tmp_path / "report.html"
    page.write_text(render_html(analyze_path(fit), settings=load_settings()), encoding="utf-8")
    result = subprocess.run(
        [browser, "--headless", "--no-sandbox", "--disable-gpu", "--no-first-run",
         "--disable-background-networking", "--disable-component-update", "--disable-sync",
         "--disable-quic", f"--user-data-dir={tmp_path / 'profile'}",
         "--virtual-time-budget=10000", "--dump-dom", page.as_uri()],
        capture_output=True, text=True, timeout=120, check=False)
    dom = result.stdout
    assert result.returncode == 0, result.stderr[-2000:]
    assert dom.count('class="main-svg"') >= 4, "plotly did not draw the charts"
    assert "Cadence" in dom and "spm" in dom
