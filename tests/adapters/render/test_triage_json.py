"""backstride.triage/1 and backstride.answers/1 JSON, and the terminal text of a triage."""

from __future__ import annotations

import json
from typing import Any

from backstride.adapters.render.triage_json import answers_json, triage_json, triage_text
from backstride.core.triage import (
    ANSWER_NAMES,
    RED_FLAG,
    TRIAGE_DISCLAIMER,
    UNSURE,
    assess,
    unsure_answers,
    validate_answers,
)

BASELINE: dict[str, Any] = {
    "schema": "backstride.answers/1", **dict.fromkeys(ANSWER_NAMES, False),
    "age_years": 35, "pain_days": 5, "pain_now_0_10": 3, "self_care_days": 2, "improving": True,
    "leg_symptoms": "none", "trauma": "none",
}


def test_triage_json_has_exactly_the_contract_keys_and_values() -> None:
    data = {**BASELINE, "fever": True, "bladder_change": True,
            "startback": [1, 1, 1, 1, 1, 0, 0, 0, 0]}
    out = triage_json(assess(validate_answers(data), emergency_number="999"))
    bladder, fever = RED_FLAG["bladder_change"], RED_FLAG["fever"]
    assert out == {
        "schema": "backstride.triage/1",
        "level": "emergency",
        "action": f"Go to an emergency department now or call 999: {bladder.why}.",
        "reasons": [
            {"rule": "bladder_change", "level": "emergency", "message": bladder.message,
             "source": bladder.source},
            {"rule": "fever", "level": "urgent", "message": fever.message,
             "source": fever.source},
        ],
        "startback": {"total": 5, "psychosocial": 1, "risk": "medium"},
    }
    assert json.loads(json.dumps(out)) == out


def test_triage_json_without_startback_answers_has_null_startback() -> None:
    out = triage_json(assess(validate_answers(BASELINE)))
    assert (out["level"], out["reasons"], out["startback"]) == ("self_care", [], None)


def test_answers_json_is_the_answers_file_as_given() -> None:
    data = {**BASELINE, "age_years": UNSURE, "startback": [0, 0, 0, 0, 1, 1, 1, 1, 4]}
    out = answers_json(validate_answers(data))
    assert out == data
    assert list(out) == ["schema", *ANSWER_NAMES, "startback"]
    assert validate_answers(json.loads(json.dumps(out))) == validate_answers(data)


def test_answers_json_leaves_out_startback_when_not_answered() -> None:
    out = answers_json(validate_answers(unsure_answers({"bladder_change": True})))
    assert "startback" not in out
    assert out["bladder_change"] is True and out["trauma"] == UNSURE


def test_triage_text_puts_level_and_action_first_and_alone() -> None:
    data = {**BASELINE, "rest_pain": True, "chest_pain": True,
            "startback": [0, 0, 0, 0, 1, 1, 1, 1, 0]}
    result = assess(validate_answers(data), emergency_number="112")
    lines = triage_text(result).splitlines()
    assert lines[0] == f"EMERGENCY — {result.action}"
    assert "112" in lines[0] and lines[1] == ""
    body = "\n".join(lines)
    # plain messages, highest level first, no rule ids (the JSON keeps them)
    chest, rest, startback = (body.index(f"  - {RED_FLAG[rule].message} (") for rule in
                              ("chest_pain", "rest_pain", "startback_high"))
    assert chest < rest < startback < body.index("STarT Back: high risk")
    assert "chest_pain" not in body and "startback_high" not in body
    assert "(total 4/9, psychosocial 4/5)" in body
    assert lines[-1] == TRIAGE_DISCLAIMER


def test_triage_text_with_no_red_flags() -> None:
    text = triage_text(assess(validate_answers(BASELINE)))
    assert text.startswith("SELF-CARE — Stay active")
    assert "No red flags in your answers." in text and "STarT Back" not in text
