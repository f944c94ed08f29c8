"""The plan page: triage banner first, a held plan hides all progression, offline, escaped."""

from __future__ import annotations

import re
from datetime import date
from html import unescape
from html.parser import HTMLParser
from typing import Any

import pytest

from backstride.adapters.render.plan_html import render_plan_html
from backstride.adapters.render.plan_json import plan_json
from backstride.core.plan import Baseline, build_plan
from backstride.core.triage import Urgency

BASIS = "single run 2024-05-01 (one run only: re-measure)"
SHOES = (("Pegasus 40", 612_000.0), ("Old trainer", 900_000.0), ("New racer", 10_000.0))
URGENT_ACTION = "See a doctor or physiotherapist within 1–2 days."


def self_care_plan(**changes: Any) -> dict[str, Any]:
    plan = build_plan(triage_level=Urgency.SELF_CARE, triage_action="Keep running gently.",
                      cleared=False, baseline=Baseline(cadence_spm=156.2, basis=BASIS),
                      findings=("pelvic_drop",), contributors=("weak_core",), shoes=SHOES,
                      start=date(2026, 12, 8))
    return {**plan_json(plan), **changes}


def urgent_plan() -> dict[str, Any]:
    plan = build_plan(triage_level=Urgency.URGENT, triage_action=URGENT_ACTION, cleared=False,
                      baseline=Baseline(cadence_spm=156.2, basis=BASIS),
                      findings=("pelvic_drop",), contributors=("weak_core",), shoes=SHOES)
    return plan_json(plan)


TRIAGE = {"schema": "backstride.triage/1", "level": "urgent", "action": URGENT_ACTION,
          "reasons": [{"rule": "leg_weakness", "level": "urgent",
                       "message": "New weakness in one leg.", "source": "NICE CKS [C]"}],
          "startback": {"total": 5, "psychosocial": 2, "risk": "medium"}}
SELFTESTS = {"schema": "backstride.selftest_result/1",
             "results": [
                 {"test": "prone_plank_s", "value": 15.0, "unit": "s", "cutoff": 20.0,
                  "status": "below", "contributor": "weak_core", "evidence": "confirmed",
                  "message": "Below the norm.", "source": "Strand 2014"},
                 {"test": "side_bridge_left_s", "value": 60.0, "unit": "s", "cutoff": 27.0,
                  "status": "ok", "contributor": "weak_core", "evidence": "confirmed",
                  "message": "Within the norm.", "source": "McGill"},
                 {"test": "trunk_flexor_hold_s", "value": None, "unit": "s", "cutoff": 58.0,
                  "status": "not_done", "contributor": "weak_core", "evidence": "confirmed",
                  "message": "", "source": ""},
                 {"test": "active_slr_left_deg", "value": 70.0, "unit": "deg", "cutoff": 80.0,
                  "status": "below", "contributor": "tight_hamstrings", "evidence": "confirmed",
                  "message": "Below 80°.", "source": "Ayala 2013"},
                 {"test": "thomas_test_right", "value": "stopped_pain", "unit": None,
                  "cutoff": None, "status": "stopped_pain", "contributor": "tight_hip_flexors",
                  "evidence": "confirmed", "message": "Stopped by pain.", "source": "Magee"}],
             "notes": ["Sex not given: the female cut-offs were used."]}


class _Document(HTMLParser):
    """Text (without style) and the rows of the week table."""

    def __init__(self) -> None:
        super().__init__()
        self.text: list[str] = []
        self.week_rows = 0
        self._skip = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self._skip = tag == "style"
        classes = (dict(attrs).get("class") or "").split()
        if tag == "tr" and "week" in classes:
            self.week_rows += 1

    def handle_endtag(self, tag: str) -> None:
        self._skip = False

    def handle_data(self, data: str) -> None:
        if not self._skip:
            self.text.append(data)


def parse(html: str) -> _Document:
    doc = _Document()
    doc.feed(html)
    return doc


def visible_text(html: str) -> str:
    """The body's text, whitespace collapsed."""
    body = html[html.index("<body>"):]
    return re.sub(r"\s+", " ", " ".join(parse(body).text)).strip()


@pytest.fixture(scope="module")
def html() -> str:
    return render_plan_html(self_care_plan(), selftests=SELFTESTS)


@pytest.fixture(scope="module")
def text(html: str) -> str:
    return visible_text(html)


def test_banner_comes_before_everything(html: str, text: str) -> None:
    body = html[html.index("<body>"):]
    assert body.index('class="banner self_care"') < body.index("<p class=\"disclaimer\"")
    assert body.index('class="banner self_care"') < body.index('<table class="weeks"')
    assert text.startswith("Self-care Keep running gently.")


def test_disclaimer_once(text: str) -> None:
    assert text.count("backstride gives information, not a diagnosis.") == 1


def test_baseline_line(text: str) -> None:
    assert f"Your cadence baseline: 156 spm — {BASIS}" in text


def test_one_row_per_week_of_two_three_week_steps(html: str) -> None:
    assert parse(html).week_rows == 6


def _week_cells(html: str) -> list[list[str]]:
    table = html[html.index('<table class="weeks"'):html.index("</table>")]
    rows = re.findall(r"<tr class=\"week[^\"]*\">(.*?)</tr>", table, re.S)
    return [[" ".join(re.sub(r"<[^>]+>", " ", c).split())
             for c in re.findall(r"<td[^>]*>(.*?)</td>", row, re.S)] for row in rows]


def test_targets_ranges_and_metronome_by_week(html: str) -> None:
    cells = _week_cells(html)
    assert [c[0].split()[0] for c in cells] == ["1", "2", "3", "4", "5", "6"]
    assert cells[0][0] == "1 Tue 08 Dec – Mon 14 Dec"
    assert [c[2].split()[0] for c in cells] == ["164", "164", "164", "172", "172", "172"]
    assert [c[3] for c in cells] == ["162–166"] * 3 + ["170–174"] * 3
    metronome = [c[4] for c in cells]
    assert metronome[0].startswith("5 min inside the run")
    assert metronome[1].startswith("2–3 min on / off")
    assert metronome[2] == "off: watch check only"
    assert metronome[3].startswith("5 min inside") and "172 bpm" in metronome[3]
    assert metronome[5] == "off: watch check only"


def test_remeasure_in_its_week_and_exercise_counts(html: str) -> None:
    cells = _week_cells(html)
    assert "164 spm on 3 runs" in cells[2][5]
    assert "self-tests again" in cells[4][5]
    assert "172 spm on 3 runs" in cells[5][5]
    assert cells[0][5] == "–"
    assert cells[0][6] == "3 pre-run 6 strength"


def test_each_week_lists_its_dated_runs_as_the_json_says(html: str) -> None:
    plan = self_care_plan()
    cells = _week_cells(html)
    assert plan["start_date"] == "2026-12-08" and len(plan["weeks"]) == len(cells) == 6
    for row, week in zip(cells, plan["weeks"], strict=True):
        assert row[0].startswith(str(week["week"]))
        assert len(week["runs"]) == 3 == row[1].count(" spm")
        for run in week["runs"]:
            assert run["title"] in row[1]
    assert cells[0][1].startswith("Wed 09 Dec : easy run 20 min at 164 spm")
    # No run or pain on record: 20 min building by at most 10 % a week to 30 min (assumed).
    assert [w["runs"][0]["duration_s"] for w in plan["weeks"]] == [
        1200, 1320, 1450, 1590, 1740, 1800]
    assert "assumed" in plan["runs_basis"]


def test_exercise_cards_grouped_with_dose_and_why(html: str, text: str) -> None:
    assert text.index("Before each run") < text.index("Strength days")
    assert html.count('class="card exercise"') == 9
    assert "2 × 10, 3 s hold at the top" in text
    assert "3 × 10 per side" in text
    assert "pre-run activation (reference text advice)" in text
    assert "weak core (self-test)" in text
    assert "pelvic drop (video)" in text
    assert "4 days a week" in text
    assert "heuristic" in text and "Source:" in text


def test_unknown_why_shown_in_words() -> None:
    plan = self_care_plan()
    plan["exercises"] = [{**plan["exercises"][0], "why": "some_new_finding", "when": "daily"}]
    text = visible_text(render_plan_html(plan))
    assert "some new finding" in text and "Every day" in text


def test_shoes_in_km_with_status(html: str, text: str) -> None:
    assert "612 km" in text and "900 km" in text and "10 km" in text
    assert '<span class="status replace_soon">replace soon</span>' in html
    assert '<span class="status replace">replace</span>' in html
    assert '<span class="status ok">ok</span>' in html


def test_imperial_shows_miles() -> None:
    text = visible_text(render_plan_html(self_care_plan(), units="imperial"))
    assert "380 mi" in text and "559 mi" in text and " km" not in text.replace("(482–805 km)", "")


def test_surfaces_notes_and_selftests(html: str, text: str) -> None:
    assert "dirt trails or a synthetic track" in text
    assert "no trial has tested them in runners with back pain" in text
    rows = [[" ".join(unescape(re.sub(r"<[^>]+>", " ", c)).split()) for c in re.findall(
        r"<td[^>]*>(.*?)</td>", row, re.S)] for row in re.findall(
        r"<tr>(.*?)</tr>", html[html.index('id="selftests"'):html.index('id="shoes"')], re.S)]
    assert [r[:5] for r in rows if r] == [
        ["Prone plank", "15 s", "< 20 s", "below the cut-off", "weak core"],
        ["Side bridge (left)", "60 s", "< 27 s", "ok", "–"],
        ["Active straight-leg raise (left)", "70°", "< 80°", "below the cut-off",
         "tight hamstrings"],
        ["Thomas test (right)", "stopped pain", "fail", "stopped: pain", "tight hip flexors"]]
    assert '<span class="status below">below the cut-off</span>' in html
    assert '<span class="status stopped_pain">stopped: pain</span>' in html
    assert "Trunk flexor hold" not in text and "1 test not done." in text
    assert "Sex not given: the female cut-offs were used." in text


def test_urgent_held_plan_shows_action_and_hold_and_nothing_to_do() -> None:
    html = render_plan_html(urgent_plan(), triage=TRIAGE, selftests=SELFTESTS)
    text = visible_text(html)
    assert 'class="banner urgent"' in html
    assert text.startswith(f"Urgent {URGENT_ACTION}")
    assert "New weakness in one leg." in text and "NICE CKS [C]" in text
    assert "STarT Back score 5 of 9 (psychosocial 2 of 5): medium risk" in text
    hold = text.index("No running progression or exercises until a clinician has cleared you")
    assert hold < text.index("backstride gives information")
    assert "Triage is urgent: no running progression" in text
    assert '<table class="weeks"' not in html and parse(html).week_rows == 0
    assert 'class="card exercise"' not in html and "Glute bridge" not in text
    assert "Prone plank" not in text
    # a held plan carries no running advice at all (docs/safety.md, "Holds that hold")
    assert "612 km" not in text and "dirt trails" not in text and "300–500 miles" not in text
    assert "Your running plan" not in text and "cadence baseline" not in text.lower()


def test_emergency_banner_is_red_class() -> None:
    plan = {**urgent_plan(), "triage": {"level": "emergency", "action": "Call now."}}
    html = render_plan_html(plan)
    assert 'class="banner emergency"' in html
    assert ".banner.emergency { background: #c53030; }" in html


def test_note_is_escaped() -> None:
    plan = self_care_plan(notes=["<script>alert(1)</script> & more"])
    html = render_plan_html(plan)
    assert "<script>alert(1)" not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt; &amp; more" in html


def test_no_external_resource_and_no_script(html: str) -> None:
    held = render_plan_html(urgent_plan(), triage=TRIAGE)
    for page in (html, held):
        assert not re.search(r"""(src|href)\s*=\s*["']?\s*(https?:)?//""", page, re.I)
        assert "<link" not in page.lower()
        assert "<script" not in page.lower()
        assert "@import" not in page and "url(" not in page


def test_print_css(html: str) -> None:
    assert "@page { size: A4;" in html
    assert "print-color-adjust: exact" in html
    assert "break-inside: avoid" in html


def test_minimal_plan_without_baseline_or_shoes() -> None:
    plan = build_plan(triage_level=Urgency.SEE_CLINICIAN, triage_action="Book a physio this week.",
                      cleared=False, baseline=None)
    html = render_plan_html(plan_json(plan))
    text = visible_text(html)
    assert 'class="banner see_clinician"' in html and text.startswith("See a clinician")
    assert "No cadence baseline yet." in text and "No shoes recorded." in text
    assert parse(html).week_rows == 5  # no steps: to the self-test re-measure in week 5
    assert "no change" in text
