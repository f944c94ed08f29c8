"""``backstride.selftest_result/1`` JSON, terminal text, instructions and the docs table."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from backstride.adapters.render.selftest_json import (
    cutoff_text,
    selftest_docs_table,
    selftest_instructions_text,
    selftest_json,
    selftest_text,
)
from backstride.core import screening as sc

DOCS = Path(__file__).resolve().parents[3] / "docs" / "self-tests.md"
RESULT_KEYS = ["test", "value", "unit", "cutoff", "status", "contributor", "evidence", "message",
               "source"]


def _json(**values: object) -> dict[str, Any]:
    tests = sc.validate_selftests({"schema": "backstride.selftests/1", **values})
    out = selftest_json(sc.score_self_tests(tests))
    parsed: dict[str, Any] = json.loads(json.dumps(out, allow_nan=False))
    return parsed


def test_contract_example() -> None:
    out = _json(prone_plank_s=45)
    assert list(out) == ["schema", "results", "notes", "contributors", "ratios", "asymmetries"]
    assert out["schema"] == "backstride.selftest_result/1"
    assert out["notes"] == ["Sex not given: the female cut-offs were used."]
    results = out["results"]
    assert isinstance(results, list) and len(results) == len(sc.SELF_TESTS)
    plank = next(r for r in results if r["test"] == "prone_plank_s")
    assert list(plank) == RESULT_KEYS
    assert {k: plank[k] for k in RESULT_KEYS[:7]} == {
        "test": "prone_plank_s", "value": 45.0, "unit": "s", "cutoff": 20.0, "status": "ok",
        "contributor": "weak_core", "evidence": "default"}
    assert "doi.org/10.2478/hukin-2014-0011" in plank["source"]


def test_statuses_values_and_extras() -> None:
    out = _json(sex="male", trendelenburg_left="fail", thomas_test_right="stopped_pain",
                trunk_flexor_hold_s=150, trunk_extensor_hold_s=100,
                single_leg_bridge_left_reps=35, single_leg_bridge_right_reps=22)
    by_test = {r["test"]: r for r in out["results"]}
    assert (by_test["trendelenburg_left"]["status"], by_test["trendelenburg_left"]["value"],
            by_test["trendelenburg_left"]["unit"]) == ("below", "fail", None)
    assert by_test["thomas_test_right"]["status"] == "stopped_pain"
    assert (by_test["prone_plank_s"]["status"], by_test["prone_plank_s"]["value"]) == (
        "not_done", None)
    assert out["contributors"] == ["weak_gluteus_medius"]
    ratio = next(r for r in out["ratios"] if r["ratio"] == "flexion_extension")
    assert (ratio["value"], ratio["outside"], ratio["context_only"]) == (1.5, True, True)
    (asym,) = out["asymmetries"]
    assert asym["weaker"] == "single_leg_bridge_right_reps"
    assert asym["bands"] == ["good", "average"]


def test_text_shows_failures_pain_and_ratios_as_context() -> None:
    tests = sc.validate_selftests({
        "schema": "backstride.selftests/1", "side_bridge_right_s": 22, "side_bridge_left_s": 40,
        "trunk_extensor_hold_s": 30, "active_slr_left_deg": "stopped_pain"})
    text = selftest_text(sc.score_self_tests(tests))
    assert "BELOW Side bridge (right)" in text
    assert "below 29 s suggests weaker trunk side muscles" in text
    assert "PAIN  Active straight-leg raise (left)" in text
    assert "McGill ratios (context only, never a finding on their own)" in text
    assert "Possible contributors: weak_core" in text
    assert "note: Sex not given: the female cut-offs were used." in text
    assert "not done: trunk_flexor_hold_s" in text
    assert all(len(line) <= 100 for line in text.splitlines() if line.startswith(("   ", "note")))


def test_instructions_cover_every_test() -> None:
    text = selftest_instructions_text()
    for row in sc.SELF_TESTS:
        assert f"Record {row.key} " in text
    assert text.startswith("Home self-tests\nSkip every self-test while triage says urgent")
    assert "record stopped_pain" in text
    assert all(len(line) <= 100 for line in text.splitlines())


def test_cutoff_text() -> None:
    rows = sc.SELF_TESTS_BY_KEY
    assert cutoff_text(rows["side_bridge_right_s"].cutoff, "s") == "< 29 s"
    assert cutoff_text(rows["prone_plank_s"].cutoff, "s") == "< 20 s women / < 52 s men"
    assert (cutoff_text(rows["active_knee_extension_left_deg"].cutoff, "deg")
            == "> 23.4° women / > 33.0° men")
    assert cutoff_text(None, None) == "fail"


def test_docs_table_matches_the_code() -> None:
    text = DOCS.read_text(encoding="utf-8")
    start, end = "<!-- selftests-table:start -->\n", "<!-- selftests-table:end -->"
    assert start in text and end in text
    documented = text[text.index(start) + len(start):text.index(end)]
    assert documented == selftest_docs_table(), (
        "docs/self-tests.md is out of date: paste selftest_docs_table() between the markers")
