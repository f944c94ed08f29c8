"""The HTML report: one offline document, every required piece shown, escaped, robust to gaps."""

from __future__ import annotations

import copy
import json
import re
from typing import Any

import pytest
from plotly.offline import get_plotlyjs

from backstride.adapters.render.html import render_analysis_html
from tests.adapters.render.html_doc import Document
from tests.adapters.render.html_doc import parse as parse_html
from tests.adapters.render.html_doc import visible_text as html_text

DISCLAIMER = ("backstride gives information, not a diagnosis: form findings are possible "
              "contributors to back pain, not causes. See a clinician for pain that worries you.")
URL_SOURCE = "https://example.org/garmin-manual/gauges.html"


def _metric(value: float, unit: str, ci: tuple[float, float], **extra: Any) -> dict[str, Any]:
    return {"value": value, "unit": unit, "median": value, "sd": 1.0, "n": 517,
            "ci95": list(ci), "status": "ok", "reason": None, **extra}


def make_analysis() -> dict[str, Any]:
    """A small analysis in the shape of ``backstride.analysis/1`` with every optional part."""
    return {
        "schema": "backstride.analysis/1",
        "source": {"path": "/data/run <1>.fit", "format": "fit", "sha256": "ab" * 32,
                   "device": "Garmin Forerunner 920XT", "sport": "running"},
        "activity": {"start_utc": "2018-05-27T07:33:01Z", "duration_s": 2850.7,
                     "moving_time_s": 2851.0, "distance_m": 9805.92},
        "metrics": {
            "cadence_spm": _metric(167.038685, "spm", (166.768336, 167.312148)),
            "ground_contact_time_ms": _metric(252.158607, "ms", (251.15, 253.16)),
            "gct_balance_left_pct": _metric(51.643946, "%", (51.57, 51.71),
                                            label="side unverified"),
            "vertical_oscillation_mm": _metric(101.589168, "mm", (101.12, 102.06)),
            "vertical_ratio_pct": _metric(8.156325, "%", (8.093, 8.222)),
            "step_length_m": _metric(1.214221, "m", (1.206, 1.222)),
            "speed_mps": _metric(3.432182, "m/s", (3.4036, 3.4596)),
            "power_w": {"value": None, "unit": "W", "median": None, "sd": None, "n": 0,
                        "ci95": None, "status": "not_available",
                        "reason": "this file does not record power"},
            "heart_rate_bpm": {"value": None, "unit": "bpm", "median": None, "sd": None,
                               "n": 3, "ci95": None, "status": "insufficient_data",
                               "reason": "only 3 s of heart rate were recorded"},
        },
        "drift": [{"metric": "cadence_spm", "early": 168.5, "late": 165.0,
                   "change_pct": -2.069, "onset_s": 1440.0, "onset_m": 5022.7,
                   "significant": True}],
        "findings": [
            {"id": "high_vertical_oscillation", "severity": "watch", "evidence": "default",
             "heuristic": True, "metric": "vertical_oscillation_mm", "value": 101.6,
             "threshold": 97.0, "message": "Your bounce is in Garmin's orange band.",
             "source": f"Garmin manual, {URL_SOURCE} [D]"},
            {"id": "low_cadence", "severity": "act", "evidence": "confirmed",
             "heuristic": False, "metric": "cadence_spm", "value": 150.0, "threshold": 164.0,
             "message": "Cadence <script>alert(1)</script> & more.", "source": "Study [C]"},
        ],
        "quality": {"warnings": ["Only the running leg(s) were analysed."]},
        "gauges": [
            {"metric": "cadence_spm", "value": 167.0, "unit": "spm", "colour": "green",
             "source": "Garmin Forerunner 945 manual: percentiles of Garmin users",
             "bands": [{"colour": "purple", "low": 184, "high": None},
                       {"colour": "blue", "low": 174, "high": 183},
                       {"colour": "green", "low": 164, "high": 173},
                       {"colour": "orange", "low": 153, "high": 163},
                       {"colour": "red", "low": None, "high": 152}]},
            {"metric": "gct_imbalance_pct", "value": 1.7, "unit": "% from 50/50",
             "colour": "orange", "source": "Garmin Enduro 3 manual, GCT balance gauge",
             "bands": [{"colour": "green", "low": None, "high": 0.7},
                       {"colour": "orange", "low": 0.8, "high": 2.2},
                       {"colour": "red", "low": 2.3, "high": None}]},
        ],
        "device_summary": [{"sport": "running",
                            "averages": {"cadence_spm": 167.03125, "step_length_m": 1.238,
                                         "speed_mps": 3.44},
                            "total_distance_m": 9805.92, "total_elapsed_time_s": 2850.7,
                            "total_timer_time_s": 2850.7, "total_strides": 3960.0,
                            "step_length_from_strides_m": 1.2381}],
        "disclaimer": DISCLAIMER,
    }


def make_series() -> dict[str, list[float | None]]:
    """About 48 min every 30 s, with a walking break and gaps."""
    n = 96
    timer: list[float | None] = [30.0 * i for i in range(n)]
    running: list[float | None] = [0.0 if 40 <= i < 43 else 1.0 for i in range(n)]
    cadence: list[float | None] = [168.0 - 3.0 * (i > 48) + (i % 3) for i in range(n)]
    cadence[10] = None
    return {
        "timer_s": timer, "running": running,
        "distance_m": [103.0 * i for i in range(n)],
        "cadence_spm": cadence,
        "ground_contact_time_ms": [250.0 + (i % 5) for i in range(n)],
        "gct_balance_left_pct": [51.5 + 0.1 * (i % 4) for i in range(n)],
        "speed_mps": [0.0 if i == 0 else 3.4 + 0.01 * (i % 7) for i in range(n)],
    }


def parse(html: str) -> Document:
    return parse_html(html, word_breaks=False)


def visible_text(html: str) -> str:
    return html_text(html, word_breaks=False)


@pytest.fixture(scope="module")
def html() -> str:
    return render_analysis_html(make_analysis(), make_series())


@pytest.fixture(scope="module")
def text(html: str) -> str:
    return visible_text(html)


def test_one_document_with_plotly_inline(html: str) -> None:
    assert html.lstrip().lower().startswith("<!doctype html>")
    assert html.count("<html") == 1 and html.count("</html>") == 1
    bundle = get_plotlyjs()
    assert "plotly.js v" in bundle[:200]
    assert html.count(bundle[:200]) == 1  # the library, inline, once
    assert bundle in html
    assert "Plotly.newPlot" in html


def test_nothing_is_loaded_from_the_network(html: str) -> None:
    doc = parse(html)
    remote = [u for u in doc.urls if re.match(r"\s*(https?:)?//", u[2], re.IGNORECASE)]
    assert remote == []
    assert not [u for u in doc.urls if u[0] == "script"]  # no <script src=...> at all
    assert "link" not in doc.tags and "img" not in doc.tags and "iframe" not in doc.tags
    outside_bundle = html.replace(get_plotlyjs(), "")
    assert not re.search(r"""(src|href)\s*=\s*["']?\s*(https?:)?//""", outside_bundle, re.I)
    assert not re.search(r"<script[^>]*\bsrc\s*=", outside_bundle, re.I)
    assert not re.search(r"<link[^>]*\bhref\s*=", outside_bundle, re.I)
    assert "@import" not in outside_bundle and "url(" not in outside_bundle
    assert "cdn." not in outside_bundle.lower()


def test_source_urls_are_text_not_links(html: str, text: str) -> None:
    assert URL_SOURCE in text
    assert f'href="{URL_SOURCE}' not in html


def test_disclaimer_once_at_the_top(html: str, text: str) -> None:
    assert html.count(DISCLAIMER) == 1
    assert text.index(DISCLAIMER) < text.index("Garmin Forerunner 920XT") < text.index("Summary")


def test_header(text: str) -> None:
    for piece in ("run <1>.fit", "Garmin Forerunner 920XT", "27 May 2018, 07:33 UTC",
                  "9.81 km", "47:31", "4:51 /km"):
        assert piece in text


def test_ok_metrics_show_value_unit_interval_and_n(text: str) -> None:
    for piece in ("167 spm", "252 ms", "51.6 %", "101.6 mm", "8.16 %", "1.21 m",
                  "95 % CI 166.8–167.3 spm", "95 % CI 4:49–4:54 /km", "n = 517"):
        assert piece in text, piece
    assert "side unverified" in text


def test_metrics_without_value_say_why(text: str) -> None:
    assert "Not measured:" in text
    assert "Power — this file does not record power" in text
    assert "Heart rate — only 3 s of heart rate were recorded" in text


def test_findings_badges_heuristic_label_and_escaping(html: str, text: str) -> None:
    assert "heuristic" in text
    assert "backstride's own default" in text
    assert 'class="heuristic"' in html and html.count('class="heuristic"') == 1
    assert html.index('class="badge act"') < html.index('class="badge watch"')  # act first
    assert "&lt;script&gt;alert(1)&lt;/script&gt; &amp; more." in html
    assert "<script>alert(1)" not in html


def test_gauges(html: str, text: str) -> None:
    for piece in ("164–173", "≤ 152", "≥ 184", "167 spm · green", "1.7 % from 50/50 · orange",
                  "0.8–2.2", "not health norms"):
        assert piece in text, piece
    assert html.count('class="gauge-marker"') == 2
    for colour in ("purple", "blue", "green", "orange", "red"):
        assert f"{colour}:" in html  # each band's tooltip names its colour


def _figures(html: str) -> list[dict[str, Any]]:
    match = re.search(r"var charts = (\[.*?\]);\n", html, re.S)
    assert match is not None
    charts: list[dict[str, Any]] = json.loads(match.group(1))
    return charts


def test_charts_with_drift_onset_and_excluded_points(html: str) -> None:
    charts = _figures(html)
    ids = [c["id"] for c in charts]
    assert ids == ["chart-cadence-spm", "chart-ground-contact-time-ms",
                   "chart-gct-balance-left-pct", "chart-speed-mps"]
    cadence = charts[0]["figure"]
    annotations = [a["text"] for a in cadence["layout"]["annotations"]]
    assert "onset 24 min, 5.0 km" in annotations
    assert {"first third", "last third"} <= set(annotations)
    names = [t.get("name") for t in cadence["data"]]
    assert "not running (excluded)" in names and "1-min rolling median" in names
    assert max(cadence["data"][0]["x"]) == pytest.approx(95 * 30 / 60)
    assert "drift −2.1 %" in html and "significant" in html


def test_device_summary_table(text: str) -> None:
    assert "Device summary beside record statistics" in text
    assert "167.0 spm" in text and "1.238 m" in text and "1.214 m" in text
    assert "Distance ÷ (2 × strides)" in text


def test_quality_and_methods(text: str) -> None:
    assert "Only the running leg(s) were analysed." in text
    assert "block bootstrap over 10-second blocks" in text and "SHA-256" in text


def test_imperial_units() -> None:
    html = render_analysis_html(make_analysis(), make_series(), units="imperial")
    text = visible_text(html)
    assert "/mi" in text and "6.09 mi" in text and "/km" not in text
    assert "onset 24 min, 3.1 mi" in html


def test_everything_optional_missing() -> None:
    analysis = {"schema": "backstride.analysis/1", "source": {"path": None},
                "activity": {"start_utc": None, "duration_s": None, "moving_time_s": None,
                             "distance_m": None},
                "metrics": {}, "disclaimer": DISCLAIMER}
    empty: tuple[dict[str, list[float | None]], ...] = ({}, {"timer_s": [], "running": []})
    for series in empty:
        html = render_analysis_html(analysis, series)
        text = visible_text(html)
        assert html.count(DISCLAIMER) == 1
        assert "No time series to draw." in text and "No findings" in text
        assert "Plotly.newPlot" not in html


def test_partial_pieces_do_not_break() -> None:
    analysis = make_analysis()
    analysis["drift"] = [{"metric": "cadence_spm", "early": None, "late": None,
                          "change_pct": None, "onset_s": None, "onset_m": None,
                          "significant": False}]
    analysis["gauges"] = [{"metric": "cadence_spm", "value": None, "unit": "spm",
                           "colour": None, "source": "", "bands": []}]
    analysis["device_summary"] = [{"sport": "running", "averages": {}}]
    analysis["metrics"]["speed_mps"]["ci95"] = None
    series = copy.deepcopy(make_series())
    series["cadence_spm"] = [None] * len(series["timer_s"])  # nothing to draw
    series["running"] = [1.0] * 5  # shorter than the time axis
    html = render_analysis_html(analysis, series)
    charts = _figures(html)
    assert "chart-cadence-spm" not in [c["id"] for c in charts]
    texts = [a["text"] for c in charts for a in c["figure"]["layout"].get("annotations", [])]
    assert not [t for t in texts if "onset" in t]
