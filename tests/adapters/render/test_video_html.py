"""The video HTML report: one offline document from the synthetic runner (no pose model), every
required piece shown, escaped, nothing from the network; and drawn in headless Chromium."""

from __future__ import annotations

import base64
import copy
import re
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from plotly.offline import get_plotlyjs

from backstride.adapters.render.video_html import render_video_html
from backstride.adapters.render.video_json import video_json
from backstride.core.report import DISCLAIMER, VideoReport, build_video_report
from backstride.core.simulate_pose import RunnerSpec, simulate_pose
from tests.adapters.render.html_doc import parse, visible_text
from tests.conftest import screenshot_dir

SHA = "5e" * 32


def tiny_jpeg() -> bytes:
    cv2 = pytest.importorskip("cv2")
    image = np.zeros((36, 64, 3), dtype=np.uint8)
    image[:, :32] = (200, 120, 40)
    ok, buffer = cv2.imencode(".jpg", image)
    assert ok
    return bytes(buffer.tobytes())


def make(spec: RunnerSpec, name: str = "clip <1>.mp4") -> tuple[dict[str, Any], VideoReport]:
    report = build_video_report(simulate_pose(spec), source_name=name, sha256=SHA)
    return video_json(report), report


def key_frames(analysis: dict[str, Any], jpeg: bytes) -> list[tuple[float, str, bytes]]:
    contacts = analysis["video"]["contacts_s"] or {}
    return sorted((float(t), side, jpeg) for side, times in contacts.items() for t in times[:2])


def without_bundle(html: str) -> str:
    return html.replace(get_plotlyjs(), "")


@pytest.fixture(scope="module")
def jpeg() -> bytes:
    return tiny_jpeg()


@pytest.fixture(scope="module")
def side(jpeg: bytes) -> tuple[dict[str, Any], VideoReport, str]:
    analysis, report = make(RunnerSpec())
    return analysis, report, render_video_html(analysis, report,
                                               key_frames=key_frames(analysis, jpeg))


@pytest.fixture(scope="module")
def rear(jpeg: bytes) -> tuple[dict[str, Any], VideoReport, str]:
    analysis, report = make(RunnerSpec(view="rear", standing_s=2.0), name="rear.mov")
    return analysis, report, render_video_html(analysis, report,
                                               key_frames=key_frames(analysis, jpeg))


@pytest.fixture(scope="module")
def slow() -> tuple[dict[str, Any], str]:
    """30 fps: ground contact time is refused."""
    analysis, report = make(RunnerSpec(frame_rate_hz=30.0), name="phone30.mp4")
    return analysis, render_video_html(analysis, report)


# ---------------------------------------------------------------- document


def test_one_document_with_plotly_inline(side: tuple[dict[str, Any], VideoReport, str]) -> None:
    html = side[2]
    assert html.lstrip().lower().startswith("<!doctype html>")
    assert html.count("<html") == 1 and html.count("</html>") == 1
    bundle = get_plotlyjs()
    assert html.count(bundle[:200]) == 1 and bundle in html
    assert "Plotly.newPlot" in html


@pytest.mark.parametrize("which", ["side", "rear"])
def test_nothing_is_loaded_from_the_network(which: str, request: pytest.FixtureRequest) -> None:
    html = request.getfixturevalue(which)[2]
    doc = parse(html)
    assert [u for u in doc.urls if not u[2].startswith("data:image/jpeg;base64,")] == []
    assert not [u for u in doc.urls if u[0] == "script"]
    assert "link" not in doc.tags and "iframe" not in doc.tags
    outside = without_bundle(html)
    assert not re.search(r"""(src|href)\s*=\s*["']?\s*(https?:)?//""", outside, re.I)
    assert not re.search(r"<script[^>]*\bsrc\s*=", outside, re.I)
    assert "@import" not in outside and "url(" not in outside
    assert "cdn." not in outside.lower()


@pytest.mark.parametrize("which", ["side", "rear"])
def test_no_nan_or_none_shown(which: str, request: pytest.FixtureRequest) -> None:
    html = request.getfixturevalue(which)[2]
    outside = without_bundle(html)
    assert not re.search(r"\bnan\b", outside, re.I)
    assert not re.search(r"\b(None|undefined|Infinity)\b", visible_text(html))


def test_title_names_clip_and_view_and_is_escaped(
        side: tuple[dict[str, Any], VideoReport, str]) -> None:
    html = side[2]
    assert "<title>backstride · clip &lt;1&gt;.mp4 · side view</title>" in html
    assert "<h1>clip &lt;1&gt;.mp4</h1>" in html
    assert "clip <1>" not in html


def test_disclaimer_once(side: tuple[dict[str, Any], VideoReport, str]) -> None:
    text = visible_text(side[2])
    assert text.count(DISCLAIMER) == 1
    assert text.index(DISCLAIMER) < text.index("Form metrics")


def test_summary_cards(side: tuple[dict[str, Any], VideoReport, str]) -> None:
    analysis, _, html = side
    text = visible_text(html)
    estimates = analysis["video"]["cadence_estimates_spm"]
    assert "Cadence 170 spm" in text and "high confidence" in text
    assert "Cadence cross-checks:" in text
    for name, key in (("foot contacts", "contacts"), ("hip bounce", "hip_bounce_spectrum"),
                      ("feet spectrum", "feet_spectrum")):
        assert f"{name} {estimates[key]:.1f} spm" in text
    assert "View side" in text and "near leg left" in text
    assert "Frame rate 60 fps" in text
    assert "Analysed 12.0 s" in text
    assert "Pose found 100 %" in text


def test_metrics_table_with_units_ci_n_and_noise(
        side: tuple[dict[str, Any], VideoReport, str]) -> None:
    analysis, _, html = side
    text = visible_text(html)
    assert "<th scope=\"col\">Metric</th>" in html and "95 % CI" in text
    overstride = analysis["metrics"]["overstride_frac_leg"]
    lo, hi = overstride["ci95"]
    assert f"Overstride {overstride['value']:.3f} leg lengths" in text
    assert f"{lo:.3f}–{hi:.3f} leg lengths {overstride['n']}" in text
    knee = analysis["metrics"]["knee_flexion_at_contact_deg"]
    assert f"Knee flexion at contact 2D noise 3–8° within a day, 9–14° between days " \
           f"{knee['value']:.1f}°" in text
    assert "Shin angle at contact" in text and "Trunk lean (forward +)" in text
    gct = analysis["metrics"]["ground_contact_time_ms"]
    # Issue 13: from video an upper bound, in words, and the table's last row, never its first.
    assert f"Ground contact time at most {gct['value']:.0f} ms" in text
    assert "an upper bound" in text
    rows = re.findall(r'<tr id="metric-([a-z_0-9]+)"', html)
    assert rows[0] == "cadence_spm" and rows[-1] == "ground_contact_time_ms"
    assert "Damsted 2015" in text
    assert "Not measured:" not in text  # nothing refused at 60 fps


def test_refused_metric_shows_status_and_reason_never_a_number(
        slow: tuple[dict[str, Any], str]) -> None:
    analysis, html = slow
    gct = analysis["metrics"]["ground_contact_time_ms"]
    assert gct["status"] != "ok" and gct["reason"]
    text = visible_text(html)
    assert "Not measured:" in text
    assert f"Ground contact time — insufficient data: {gct['reason']}" in text
    assert 'id="metric-ground_contact_time_ms"' not in html
    assert 'id="chart-ground-contact-time-ms"' not in html
    refused = re.search(r'<li id="refused-ground_contact_time_ms">(.*?)</li>', html, re.S)
    assert refused is not None
    assert not re.search(r"\d+(\.\d+)? ms\b", refused.group(1).replace("250 ms", "")
                         .replace("33 ms", ""))


def test_findings_heuristic_label_like_the_watch_report(
        side: tuple[dict[str, Any], VideoReport, str]) -> None:
    analysis, report, _ = side
    findings = copy.deepcopy(analysis["findings"])
    assert any(f["heuristic"] for f in findings)
    findings.append({"id": "x", "severity": "info", "evidence": "default", "heuristic": True,
                     "metric": "trunk_lean_deg", "value": 1.0, "threshold": 1.0,
                     "message": "Lean <b>note</b>", "source": "backstride [D]"})
    findings.append({"id": "y", "severity": "act", "evidence": "confirmed",
                     "heuristic": False, "metric": "shank_angle_at_contact_deg", "value": 20.0,
                     "threshold": 10.0, "message": "Act first.", "source": "Study [C]"})
    html = render_video_html({**analysis, "findings": findings}, report)
    text = visible_text(html)
    assert text.index("Act first.") < text.index("Your heel lands") < text.index("Lean <b>note")
    assert "Lean &lt;b&gt;note&lt;/b&gt;" in html and "<b>note" not in html
    assert "Heuristic: the source for this threshold is unconfirmed." in text
    assert "Heuristic: this threshold is backstride's own default, not a validated cut-off." \
        in text
    assert html.count('<span class="heuristic"') == 2
    assert 'href="https://doi.org' not in html  # sources are text


def test_key_frames_embedded_with_captions_and_alt(
        side: tuple[dict[str, Any], VideoReport, str], jpeg: bytes) -> None:
    analysis, _, html = side
    frames = key_frames(analysis, jpeg)
    images = parse(html).images
    assert len(images) == len(frames) == 4
    uri = "data:image/jpeg;base64," + base64.b64encode(jpeg).decode("ascii")
    assert all(img["src"] == uri and img["alt"] for img in images)
    text = visible_text(html)
    for t, foot, _ in frames:
        assert f"{foot} contact at {t:.2f} s" in text
    assert "Frames at foot contact" in text


def test_one_chart_per_measured_step_metric(
        side: tuple[dict[str, Any], VideoReport, str]) -> None:
    _, report, html = side
    ids = re.findall(r'<div class="chart" id="([^"]+)"', html)
    assert "chart-overstride-frac-leg" in ids and "chart-ground-contact-time-ms" in ids
    assert len(ids) == len(set(ids))
    assert not any("far" in i for i in ids)  # the far leg is left out, as in the statistics
    assert len(ids) == len([k for k in report.form.steps if "@" not in k])
    assert re.search(r'"color": ?"#1f6fb2"', html)  # markers coloured by side


def test_rear_view_per_side_and_charts_by_side(
        rear: tuple[dict[str, Any], VideoReport, str]) -> None:
    analysis, _, html = rear
    text = visible_text(html)
    assert "<title>backstride · rear.mov · rear view</title>" in html
    drop = analysis["metrics"]["pelvic_drop_deg"]
    assert drop["status"] == "ok" and drop["per_side"]
    assert "Left and right" in text
    assert (f"Pelvic drop {drop['per_side']['left']:.1f}° {drop['per_side']['right']:.1f}°"
            in text)
    assert "Step width" in text and "Lateral sway of the hips" in text
    assert "near leg" not in text
    pelvic = re.search(r'"id": ?"chart-pelvic-drop-deg".*?"figure"', html, re.S)
    assert pelvic is not None
    assert re.search(r'"name": ?"left"', html) and re.search(r'"name": ?"right"', html)
    assert "No findings" in text


def test_quality_warnings_and_methods(side: tuple[dict[str, Any], VideoReport, str]) -> None:
    analysis, _, html = side
    text = visible_text(html)
    for warning in analysis["quality"]["warnings"]:
        assert warning in html.replace("&#39;", "'")
    for phrase in ("How this was measured", "BlazePose via MediaPipe 0.10.21", "6 Hz",
                   "Butterworth", "Zeni", "33 ms before", "median over the steps",
                   "bootstrap over steps", "SHA-256"):
        assert phrase in text


def test_accessible_and_phone_friendly(side: tuple[dict[str, Any], VideoReport, str]) -> None:
    html = side[2]
    assert '<html lang="en">' in html
    assert 'name="viewport" content="width=device-width, initial-scale=1"' in html
    assert html.count("<h1") == 1 and html.count("<h2") >= 6
    assert 'scope="row"' in html and "@media (max-width: 560px)" in html
    assert 'class="table-wrap"' in html


def test_sparse_analysis_does_not_break(side: tuple[dict[str, Any], VideoReport, str]) -> None:
    report = side[1]
    bare = {"metrics": {"cadence_spm": {"value": None, "unit": "spm", "n": 0, "ci95": None,
                                        "status": "insufficient_data", "reason": None}},
            "video": {"cadence_estimates_spm": None}, "findings": [], "quality": {}}
    html = render_video_html(bare, report)
    text = visible_text(html)
    assert "Cadence – " in text  # the card, with no number
    assert "Not measured: Cadence — insufficient data " in text
    assert "insufficient data:" not in text  # no empty reason after a colon
    assert "Plotly.newPlot" not in html  # nothing measured, nothing drawn
    assert not re.search(r"\bnan\b|\bNone\b", without_bundle(html))
    # Issue 13: nothing measured is said at the top and never reads as "no findings".
    assert "Nothing was measured from this clip" in text.split("Form metrics")[0]
    assert "No findings:" not in text and "No problems with the video were found." not in text
    assert "No findings can be given: nothing was measured" in text
    assert text.count(DISCLAIMER) == 1  # shown even when the JSON lacks it


def test_a_refused_clip_says_nothing_was_measured_at_the_top_with_the_reason() -> None:
    analysis, report = make(RunnerSpec(frame_rate_hz=10.0), name="ten.mp4")
    assert all(m["status"] != "ok" for m in analysis["metrics"].values())
    text = visible_text(render_video_html(analysis, report))
    top = text.split("Form metrics")[0]
    assert "Nothing was measured from this clip: the frame rate is 10 fps" in top
    assert "No findings:" not in text


# ---------------------------------------------------------------- browser


@pytest.mark.browser
def test_charts_drawn_in_chromium_offline(browser: Any, tmp_path: Path,
                                          side: tuple[dict[str, Any], VideoReport, str]) -> None:
    _, _, html = side
    path = tmp_path / "video-report.html"
    path.write_text(html, encoding="utf-8")
    context = browser.new_context(viewport={"width": 1100, "height": 900})
    try:
        page = context.new_page()
        errors: list[str] = []
        requests: list[str] = []
        page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
        page.on("pageerror", lambda e: errors.append(str(e)))
        page.on("request", lambda r: requests.append(r.url))
        page.goto(path.as_uri())
        page.wait_for_function("document.querySelectorAll('.chart .main-svg').length > 0")
        charts = page.locator(".chart").count()
        assert charts >= 1
        assert page.locator(".chart .main-svg").count() >= charts
        assert page.locator("img").evaluate_all(
            "imgs => imgs.every(i => i.complete && i.naturalWidth > 0)")
        assert errors == []
        assert all(u.startswith(("file:", "data:")) for u in requests), requests
        page.screenshot(path=str(screenshot_dir() / "video-report.png"), full_page=True)
        phone = browser.new_context(viewport={"width": 390, "height": 844}, is_mobile=True,
                                    device_scale_factor=1)
        try:
            small = phone.new_page()
            small.goto(path.as_uri())
            small.wait_for_function("document.querySelectorAll('.chart .main-svg').length > 0")
            width = small.evaluate("document.documentElement.scrollWidth")
            assert width <= 390 + 1  # no sideways scrolling on a phone
        finally:
            phone.close()
    finally:
        context.close()


def test_a_clip_where_nothing_was_measured_does_not_say_nothing_was_found(
        side: tuple[dict[str, Any], VideoReport, str]) -> None:
    analysis = copy.deepcopy(side[0])
    for metric in analysis["metrics"].values():
        metric.update(status="insufficient_data", value=None,
                      reason="too few steps with the runner in view")
    analysis["findings"] = []
    text = visible_text(render_video_html(analysis, side[1]))
    assert "No findings: nothing in this clip crossed a threshold" not in text
    assert ("Nothing was measured from this clip: too few steps with the runner in view"
            in text)
    assert "No findings can be given: nothing was measured" in text
