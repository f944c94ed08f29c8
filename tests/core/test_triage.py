"""Red-flag triage, table-driven over RED_FLAGS (DOMAIN.md §5, CONTRACT.md answers/1, triage/1).

Expected ids, levels and keys are written out here from DOMAIN.md and CONTRACT.md, not read from
the code under test, so a change to either table has to be made on purpose in both places.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from backstride.core.triage import (
    ACTIONS,
    ANSWER_KEY,
    ANSWER_KEYS,
    ANSWER_NAMES,
    ANSWERS_SCHEMA,
    QUESTION_ORDER,
    RED_FLAG,
    RED_FLAGS,
    STARTBACK_ITEMS,
    UNSURE,
    WEIGHT_LOSS_NOTE,
    AllOf,
    AnswerKind,
    Answers,
    AtLeast,
    Equals,
    Greater,
    Is,
    Less,
    RedFlag,
    StartBackRisk,
    StartBackScore,
    TriageResult,
    Urgency,
    assess,
    atomic_conditions,
    condition_keys,
    describe_condition,
    emergency_answered,
    max_level,
    score_startback,
    unsure_answers,
    unsure_meaning,
    validate_answers,
)
from backstride.errors import InputError

DOCS = Path(__file__).resolve().parents[2] / "docs" / "safety.md"
E, U, C, S = Urgency.EMERGENCY, Urgency.URGENT, Urgency.SEE_CLINICIAN, Urgency.SELF_CARE

CONTRACT_KEYS = {  # CONTRACT.md answers/1, in its order
    "age_years": "int", "pain_days": "int", "pain_now_0_10": "int", "constant_pain": "bool",
    "self_care_days": "int", "improving": "bool", "first_episode": "bool",
    "bladder_change": "bool", "bowel_incontinence": "bool", "saddle_numbness": "bool",
    "sexual_dysfunction_new": "bool", "leg_symptoms": "choice", "pain_below_knee": "bool",
    "numbness_tingling": "bool", "leg_weakness": "bool", "weakness_worsening": "bool",
    "rest_pain": "bool", "night_pain": "bool", "fever": "bool",
    "unexplained_weight_loss": "bool", "cancer_history": "bool",
    "immunosuppressed_or_ivdu": "bool", "osteoporosis_or_steroids": "bool", "trauma": "choice",
    "chest_pain": "bool", "thoracic_pain": "bool",
}
DOMAIN_RULES = {  # DOMAIN.md §5.2, in its order
    "bladder_change": E, "bowel_incontinence": E, "saddle_numbness": E,
    "sexual_dysfunction_new": E, "leg_symptoms_both_legs": E, "weakness_worsening": E,
    "trauma_major": E, "trauma_minor_osteoporosis": E, "chest_pain": E,
    "unexplained_weight_loss": E, "fever": U, "cancer_history": U, "immunosuppressed_or_ivdu": U,
    "osteoporosis_or_steroids": U, "first_episode_over_50": U, "night_pain": U,
    "thoracic_pain": U, "leg_weakness": U, "numbness_tingling": U, "leg_symptoms_one_leg": C,
    "pain_below_knee": C, "rest_pain": C, "constant_pain_7d_not_improving": C,
    "pain_over_28d_not_improving": C, "age_under_20": C, "startback_high": C,
}
BASELINE: dict[str, Any] = {
    "schema": ANSWERS_SCHEMA, **dict.fromkeys(CONTRACT_KEYS, False),
    "age_years": 35, "pain_days": 5, "pain_now_0_10": 3, "self_care_days": 2, "improving": True,
    "leg_symptoms": "none", "trauma": "none",
}
LOW_STARTBACK = [1, 1, 1, 0, 0, 0, 0, 0, 2]  # total 3, psychosocial 0
MEDIUM_STARTBACK = [1, 1, 1, 1, 1, 0, 0, 0, 0]  # total 5, psychosocial 1
HIGH_STARTBACK = [0, 0, 0, 0, 1, 1, 1, 1, 0]  # total 4, psychosocial 4


@dataclass(frozen=True)
class Case:
    fire: dict[str, Any]  # changes to BASELINE that fire the rule
    misses: tuple[dict[str, Any], ...]  # near misses: the rule must not fire
    also: frozenset[str] = field(default_factory=frozenset)  # rules that must fire with it


def _flag(key: str, *misses: dict[str, Any]) -> Case:
    return Case(fire={key: True}, misses=({key: False}, *misses))


CASES: dict[str, Case] = {
    "bladder_change": _flag("bladder_change"),
    "bowel_incontinence": _flag("bowel_incontinence"),
    "saddle_numbness": _flag("saddle_numbness", {"numbness_tingling": True}),
    "sexual_dysfunction_new": _flag("sexual_dysfunction_new"),
    "leg_symptoms_both_legs": Case(fire={"leg_symptoms": "both_legs"},
                                   misses=({"leg_symptoms": "one_leg"},)),
    "weakness_worsening": Case(fire={"weakness_worsening": True},
                               misses=({"leg_weakness": True},)),
    "trauma_major": Case(fire={"trauma": "major"}, misses=({"trauma": "minor"},)),
    "trauma_minor_osteoporosis": Case(
        fire={"trauma": "minor", "osteoporosis_or_steroids": True},
        misses=({"trauma": "none", "osteoporosis_or_steroids": True}, {"trauma": "minor"}),
        also=frozenset({"osteoporosis_or_steroids"})),
    "chest_pain": _flag("chest_pain", {"thoracic_pain": True}),
    "unexplained_weight_loss": _flag("unexplained_weight_loss"),
    "fever": _flag("fever"),
    "cancer_history": _flag("cancer_history"),
    "immunosuppressed_or_ivdu": _flag("immunosuppressed_or_ivdu"),
    "osteoporosis_or_steroids": _flag("osteoporosis_or_steroids"),
    "first_episode_over_50": Case(
        fire={"first_episode": True, "age_years": 51},
        misses=({"first_episode": True, "age_years": 50}, {"first_episode": False,
                                                            "age_years": 70})),
    "night_pain": _flag("night_pain", {"rest_pain": True}),
    "thoracic_pain": _flag("thoracic_pain"),
    "leg_weakness": _flag("leg_weakness"),
    "numbness_tingling": _flag("numbness_tingling"),
    "leg_symptoms_one_leg": Case(fire={"leg_symptoms": "one_leg"},
                                 misses=({"leg_symptoms": "none"},
                                         {"leg_symptoms": "both_legs"})),
    "pain_below_knee": _flag("pain_below_knee"),
    "rest_pain": _flag("rest_pain"),
    "constant_pain_7d_not_improving": Case(
        fire={"constant_pain": True, "pain_days": 10, "self_care_days": 7, "improving": False},
        misses=({"constant_pain": True, "pain_days": 10, "self_care_days": 6,
                 "improving": False},
                {"constant_pain": True, "pain_days": 10, "self_care_days": 7, "improving": True},
                {"constant_pain": False, "pain_days": 10, "self_care_days": 7,
                 "improving": False})),
    "pain_over_28d_not_improving": Case(
        fire={"pain_days": 29, "improving": False},
        misses=({"pain_days": 28, "improving": False}, {"pain_days": 90, "improving": True})),
    "age_under_20": Case(fire={"age_years": 19}, misses=({"age_years": 20},)),
    "startback_high": Case(fire={"startback": HIGH_STARTBACK},
                           misses=({"startback": MEDIUM_STARTBACK},)),
}
# "unsure" on these keys stands for a value that fires a higher rule instead (CONTRACT.md).
UNSURE_FIRES_INSTEAD = {("leg_symptoms_one_leg", "leg_symptoms"): "leg_symptoms_both_legs",
                        ("trauma_minor_osteoporosis", "trauma"): "trauma_major"}


def answers(**changes: Any) -> Answers:
    return validate_answers({**BASELINE, **changes})


def rule_ids(result: TriageResult) -> list[str]:
    return [hit.rule for hit in result.reasons]


def _near_misses() -> list[Any]:
    return [pytest.param(rule_id, miss, id=f"{rule_id}-{n}")
            for rule_id, case in CASES.items() for n, miss in enumerate(case.misses)]


def _rule_keys() -> list[Any]:
    return [pytest.param(rule, key, id=f"{rule.id}-{key}") for rule in RED_FLAGS
            for key in dict.fromkeys(condition_keys(rule.condition)) if key in CONTRACT_KEYS]


# --- the tables ----------------------------------------------------------------------------------


def test_answer_keys_are_the_contract_keys_with_their_types() -> None:
    assert {k.name: k.kind.value for k in ANSWER_KEYS} == CONTRACT_KEYS
    assert list(ANSWER_NAMES) == list(CONTRACT_KEYS)


def test_rule_table_is_domain_section_5_2_with_its_levels_in_order() -> None:
    assert {rule.id: rule.level for rule in RED_FLAGS} == DOMAIN_RULES
    assert [rule.id for rule in RED_FLAGS] == list(DOMAIN_RULES)
    assert set(RED_FLAG) == set(DOMAIN_RULES)


def test_every_rule_has_a_firing_case_and_a_near_miss() -> None:
    assert set(CASES) == {rule.id for rule in RED_FLAGS}
    assert all(case.misses for case in CASES.values())


@pytest.mark.parametrize("rule", RED_FLAGS, ids=lambda r: r.id)
def test_conditions_read_real_keys_with_values_of_their_type(rule: RedFlag) -> None:
    for cond in atomic_conditions(rule.condition):
        key = ANSWER_KEY[cond.key]
        if isinstance(cond, Is):
            assert key.kind is AnswerKind.BOOL
        elif isinstance(cond, Equals):
            assert key.kind is AnswerKind.CHOICE and cond.target in key.choices
        else:
            assert key.kind is AnswerKind.INT
    assert rule.message and rule.why and rule.source


@pytest.mark.parametrize("rule", RED_FLAGS, ids=lambda r: r.id)
def test_keys_of_emergency_rules_are_asked_with_the_emergency_questions(rule: RedFlag) -> None:
    if rule.level is E:
        assert all(ANSWER_KEY[key].emergency for key in condition_keys(rule.condition))


def test_emergency_questions_are_asked_first() -> None:
    assert sorted(QUESTION_ORDER) == sorted(CONTRACT_KEYS)
    n_emergency = sum(k.emergency for k in ANSWER_KEYS)
    assert all(ANSWER_KEY[name].emergency for name in QUESTION_ORDER[:n_emergency])
    assert QUESTION_ORDER[:7] == ("bladder_change", "bowel_incontinence", "saddle_numbness",
                                  "sexual_dysfunction_new", "leg_symptoms", "leg_weakness",
                                  "weakness_worsening")  # weakness before whether it worsens
    assert {"trauma", "chest_pain", "unexplained_weight_loss"} <= set(
        QUESTION_ORDER[:n_emergency])


def test_conditions_describe_themselves() -> None:
    assert describe_condition(RED_FLAG["constant_pain_7d_not_improving"].condition) == (
        "constant_pain and self_care_days ≥ 7 and not improving")
    assert describe_condition(AllOf(Equals("trauma", "minor"), Less("age_years", 20))) == (
        "trauma = minor and age_years < 20")
    assert describe_condition(Greater("pain_days", 28)) == "pain_days > 28"
    assert describe_condition(AtLeast("self_care_days", 7)) == "self_care_days ≥ 7"


# --- each rule: fires, near miss, unsure -------------------------------------------------------


def test_all_negative_answers_fire_nothing_and_mean_self_care() -> None:
    result = assess(answers())
    assert (result.level, result.reasons, result.startback) == (S, (), None)


@pytest.mark.parametrize("rule", RED_FLAGS, ids=lambda r: r.id)
def test_rule_fires_on_its_own_case(rule: RedFlag) -> None:
    case = CASES[rule.id]
    result = assess(answers(**case.fire))
    assert result.level == rule.level
    assert set(rule_ids(result)) == {rule.id} | case.also
    hit = result.reasons[0]
    assert (hit.rule, hit.level, hit.message, hit.source) == (
        rule.id, rule.level, rule.message, rule.source)


@pytest.mark.parametrize(("rule_id", "miss"), _near_misses())
def test_near_miss_does_not_fire_the_rule(rule_id: str, miss: dict[str, Any]) -> None:
    assert rule_id not in rule_ids(assess(answers(**miss)))


@pytest.mark.parametrize(("rule", "key"), _rule_keys())
def test_unsure_on_a_key_of_the_rule_counts_toward_the_higher_level(rule: RedFlag,
                                                                    key: str) -> None:
    result = assess(answers(**{**CASES[rule.id].fire, key: UNSURE}))
    expected = UNSURE_FIRES_INSTEAD.get((rule.id, key), rule.id)
    assert expected in rule_ids(result)
    assert result.level >= rule.level
    hit = next(h for h in result.reasons if h.rule == expected)
    assert 'answered "unsure": ' in hit.message and key in hit.message


def test_unsure_improving_counts_as_not_improving() -> None:
    assert rule_ids(assess(answers(pain_days=29, improving=UNSURE))) == [
        "pain_over_28d_not_improving"]
    assert unsure_meaning("improving") == "counts as no"


def test_unsure_age_meets_both_age_conditions() -> None:
    result = assess(answers(age_years=UNSURE, first_episode=True))
    assert rule_ids(result) == ["first_episode_over_50", "age_under_20"]


def test_unsure_days_count_as_over_28_and_at_least_7() -> None:
    assert rule_ids(assess(answers(pain_days=UNSURE, improving=False))) == [
        "pain_over_28d_not_improving"]
    result = assess(answers(self_care_days=UNSURE, constant_pain=True, improving=False))
    assert rule_ids(result) == ["constant_pain_7d_not_improving"]


def test_unsure_leg_symptoms_and_trauma_count_as_the_worst_choice() -> None:
    assert rule_ids(assess(answers(leg_symptoms=UNSURE))) == ["leg_symptoms_both_legs"]
    result = assess(answers(trauma=UNSURE, osteoporosis_or_steroids=True))
    assert rule_ids(result) == ["trauma_major", "osteoporosis_or_steroids"]


def test_unsure_pain_now_feeds_no_rule() -> None:
    assert assess(answers(pain_now_0_10=UNSURE)).reasons == ()
    assert unsure_meaning("pain_now_0_10") == "feeds no rule"


def test_all_unsure_is_an_emergency_with_every_rule_an_unsure_answer_can_fire() -> None:
    result = assess(validate_answers(unsure_answers({})))
    assert result.level is E
    cannot = {"leg_symptoms_one_leg", "trauma_minor_osteoporosis", "startback_high"}
    assert rule_ids(result) == [r.id for r in RED_FLAGS if r.id not in cannot]


# --- boundaries and combinations ---------------------------------------------------------------


@pytest.mark.parametrize(("changes", "rule_id", "fires"), [
    ({"age_years": 19}, "age_under_20", True),
    ({"age_years": 20}, "age_under_20", False),
    ({"age_years": 0}, "age_under_20", True),
    ({"age_years": 50, "first_episode": True}, "first_episode_over_50", False),
    ({"age_years": 51, "first_episode": True}, "first_episode_over_50", True),
    ({"self_care_days": 6, "constant_pain": True, "improving": False},
     "constant_pain_7d_not_improving", False),
    ({"self_care_days": 7, "constant_pain": True, "improving": False},
     "constant_pain_7d_not_improving", True),
    ({"pain_days": 28, "improving": False}, "pain_over_28d_not_improving", False),
    ({"pain_days": 29, "improving": False}, "pain_over_28d_not_improving", True),
])
def test_boundaries(changes: dict[str, Any], rule_id: str, fires: bool) -> None:
    assert (rule_id in rule_ids(assess(answers(**changes)))) is fires


def test_emergency_and_urgent_give_emergency_and_both_are_reported_highest_first() -> None:
    result = assess(answers(fever=True, bladder_change=True))
    assert result.level is E
    assert rule_ids(result) == ["bladder_change", "fever"]


def test_reasons_are_ordered_by_level_then_table_order() -> None:
    result = assess(answers(age_years=19, rest_pain=True, night_pain=True, fever=True,
                            chest_pain=True, saddle_numbness=True))
    assert rule_ids(result) == ["saddle_numbness", "chest_pain", "fever", "night_pain",
                                "rest_pain", "age_under_20"]
    assert [h.level for h in result.reasons] == [E, E, U, U, C, C]


def test_minor_trauma_with_osteoporosis_fires_both_rules() -> None:
    result = assess(answers(trauma="minor", osteoporosis_or_steroids=True))
    assert result.level is E
    assert rule_ids(result) == ["trauma_minor_osteoporosis", "osteoporosis_or_steroids"]


def test_osteoporosis_fires_without_trauma_and_minor_trauma_alone_is_self_care() -> None:
    assert assess(answers(osteoporosis_or_steroids=True)).level is U
    assert assess(answers(trauma="minor")).level is S


def test_weight_loss_is_an_emergency_and_says_guidance_usually_calls_it_urgent() -> None:
    result = assess(answers(unexplained_weight_loss=True))
    assert result.level is E
    assert result.reasons[0].message.endswith(WEIGHT_LOSS_NOTE)
    # why it is raised, in plain words: the reference's emergency, guidance's same-day
    assert "reference text treats back pain with unexplained weight loss as a medical " \
           "emergency" in WEIGHT_LOSS_NOTE and "same-day" in WEIGHT_LOSS_NOTE
    assert "reference text treats" in result.action


@pytest.mark.parametrize("rule", RED_FLAGS, ids=lambda r: r.id)
def test_no_reason_claims_a_diagnosis(rule: RedFlag) -> None:
    """A red flag is a raised risk: "can mean", "may mean", "suggests", never "means"."""
    for text in (rule.message, rule.why):
        assert not re.search(r"\bmeans\b", text), text


@pytest.mark.parametrize("rule", [r for r in RED_FLAGS if r.level is E], ids=lambda r: r.id)
def test_emergency_reasons_use_the_actions_time_words(rule: RedFlag) -> None:
    """The emergency action says "now": no reason says "within hours" or "today"."""
    assert "now" in ACTIONS[E]
    for text in (rule.message, rule.why):
        assert not re.search(r"within (a few )?hours|\btoday\b", text), text


# --- actions ------------------------------------------------------------------------------------


@pytest.mark.parametrize(("changes", "start"), [
    ({"bladder_change": True},
     "Go to an emergency department now or call your local emergency number: "),
    ({"fever": True}, "See a doctor within 1–2 days, or today if it gets worse: "),
    ({"rest_pain": True}, "Book a doctor or physiotherapist to see you within about a week: "),
    ({}, "Stay active"),
])
def test_action_is_one_sentence_for_the_level(changes: dict[str, Any], start: str) -> None:
    action = assess(answers(**changes)).action
    assert action.startswith(start)
    assert action.endswith(".") and ". " not in action


def test_self_care_action_says_what_to_do_if_it_does_not_improve() -> None:
    action = assess(answers()).action
    assert "couple of weeks" in action and "if it does not" in action
    assert "new symptoms" in action


@pytest.mark.parametrize("rule", RED_FLAGS, ids=lambda r: r.id)
def test_every_rule_closes_its_action_in_one_sentence(rule: RedFlag) -> None:
    action = assess(answers(**CASES[rule.id].fire)).action
    assert action.endswith(f": {rule.why}.") and ". " not in action


def test_emergency_action_names_the_emergency_number_setting() -> None:
    result = assess(answers(chest_pain=True), emergency_number="112")
    assert result.action.startswith("Go to an emergency department now or call 112: ")
    assert "112" not in assess(answers(fever=True), emergency_number="112").action


# --- validation ---------------------------------------------------------------------------------

WRONG_TYPE = {"int": [True, 3.5, "5", None, [3]], "bool": [1, 0, "yes", "true", None],
              "choice": ["left", 1, True, None, "NONE"]}
IMPOSSIBLE = [("age_years", 300), ("age_years", -1), ("age_years", 121), ("pain_days", -1),
              ("self_care_days", -1), ("pain_now_0_10", 11), ("pain_now_0_10", -1),
              ("pain_days", 43_831), ("leg_symptoms", "left_leg"), ("trauma", "severe")]


@pytest.mark.parametrize("key", CONTRACT_KEYS)
def test_a_missing_key_is_refused_by_name(key: str) -> None:
    data = {k: v for k, v in BASELINE.items() if k != key}
    with pytest.raises(InputError, match=rf"missing {key}:.*unsure"):
        validate_answers(data)


@pytest.mark.parametrize("key", [*CONTRACT_KEYS, "schema"])
def test_an_unknown_key_is_refused_by_name_with_the_expected_keys(key: str) -> None:
    with pytest.raises(InputError) as err:
        validate_answers({**BASELINE, key + "_x": 1})
    assert f"{key}_x" in str(err.value)
    assert "Expected keys: schema, age_years, pain_days" in str(err.value)


@pytest.mark.parametrize(("key", "value"), [
    pytest.param(key, bad, id=f"{key}-{bad!r}")
    for key, kind in CONTRACT_KEYS.items() for bad in WRONG_TYPE[kind]])
def test_a_value_of_the_wrong_type_is_refused_by_name(key: str, value: object) -> None:
    with pytest.raises(InputError, match=rf'answer "{key}" is .*must be'):
        validate_answers({**BASELINE, key: value})


@pytest.mark.parametrize(("key", "value"), IMPOSSIBLE)
def test_an_impossible_value_is_refused_with_the_allowed_values(key: str, value: object) -> None:
    with pytest.raises(InputError) as err:
        validate_answers({**BASELINE, key: value})
    message = str(err.value)
    assert f'"{key}"' in message and ANSWER_KEY[key].allowed in message


def test_error_messages_name_the_allowed_values() -> None:
    with pytest.raises(InputError, match=r'"age_years" is 300, .*from 0 to 120, or "unsure"'):
        validate_answers({**BASELINE, "age_years": 300})
    with pytest.raises(InputError, match='one of "none", "one_leg", "both_legs", "unsure"'):
        validate_answers({**BASELINE, "leg_symptoms": "left"})
    with pytest.raises(InputError, match=r'"fever" is 1, .*true or false'):
        validate_answers({**BASELINE, "fever": 1})


@pytest.mark.parametrize(("key", "value"), [
    ("age_years", 0), ("age_years", 120), ("pain_now_0_10", 0), ("pain_now_0_10", 10),
    ("pain_days", 0), ("self_care_days", 0), ("leg_symptoms", "both_legs"), ("trauma", "minor")])
def test_edge_values_are_accepted_as_given(key: str, value: object) -> None:
    assert answers(**{key: value})[key] == value


@pytest.mark.parametrize("key", CONTRACT_KEYS)
def test_any_key_may_be_unsure_and_is_kept_as_given(key: str) -> None:
    got = answers(**{key: UNSURE})
    assert got[key] == UNSURE and got.unsure == (key,)


@pytest.mark.parametrize("schema", [None, "backstride.answers/2", "", 1])
def test_a_wrong_schema_is_refused(schema: object) -> None:
    with pytest.raises(InputError, match=r'"schema" is .*must be "backstride.answers/1"'):
        validate_answers({**BASELINE, "schema": schema})


def test_a_missing_schema_is_refused() -> None:
    data = {k: v for k, v in BASELINE.items() if k != "schema"}
    with pytest.raises(InputError, match='"schema" is missing'):
        validate_answers(data)


def test_schema_and_startback_may_not_be_unsure() -> None:
    with pytest.raises(InputError, match='"schema"'):
        validate_answers({**BASELINE, "schema": UNSURE})
    with pytest.raises(InputError, match='"startback"'):
        validate_answers({**BASELINE, "startback": UNSURE})


def test_answers_that_are_not_an_object_are_refused() -> None:
    with pytest.raises(InputError, match="JSON object"):
        validate_answers([1, 2])  # type: ignore[arg-type]


@pytest.mark.parametrize("items", [
    [0] * 8, [0] * 10, [2, 0, 0, 0, 0, 0, 0, 0, 0], [0] * 8 + [5], [0] * 8 + [-1],
    [True] + [0] * 8, [0.0] * 9, "000000000", {"1": 0}, [0] * 7 + ["1", 0]])
def test_bad_startback_items_are_refused(items: object) -> None:
    with pytest.raises(InputError, match='"startback"'):
        validate_answers({**BASELINE, "startback": items})


def test_startback_item_errors_name_the_item_and_its_range() -> None:
    with pytest.raises(InputError, match=r"item 9 is 5: .*0 to 4 \(Not at all / Slightly"):
        score_startback([0] * 8 + [5])
    with pytest.raises(InputError, match=r"item 3 is 2: .*0 to 1 \(Disagree / Agree\)"):
        score_startback([0, 0, 2, 0, 0, 0, 0, 0, 0])


def test_startback_is_optional_and_null_means_not_answered() -> None:
    assert answers().startback is None
    assert answers(startback=None).startback is None
    assert answers(startback=LOW_STARTBACK).startback == tuple(LOW_STARTBACK)


def test_answers_built_directly_are_validated_too() -> None:
    values = {k: v for k, v in BASELINE.items() if k != "schema"}
    assert Answers(values=values) == answers()
    with pytest.raises(InputError, match="missing fever"):
        Answers(values={k: v for k, v in values.items() if k != "fever"})
    with pytest.raises(InputError, match='"age_years" is 300'):
        Answers(values={**values, "age_years": 300})
    with pytest.raises(InputError, match='"startback"'):
        Answers(values=values, startback=(1, 1))


# --- STarT Back ---------------------------------------------------------------------------------


@pytest.mark.parametrize(("items", "total", "psychosocial", "risk"), [
    ([0] * 9, 0, 0, "low"),
    (LOW_STARTBACK, 3, 0, "low"),
    ([1, 1, 1, 1, 0, 0, 0, 0, 0], 4, 0, "medium"),  # items 1-4 are not psychosocial
    (MEDIUM_STARTBACK, 5, 1, "medium"),
    ([1, 1, 1, 0, 1, 1, 1, 0, 0], 6, 3, "medium"),  # subscale 3: still medium
    ([0, 0, 0, 1, 0, 0, 1, 1, 3], 4, 3, "medium"),  # the 1,4,7,8,9 mirror would say high
    (HIGH_STARTBACK, 4, 4, "high"),
    ([0, 0, 0, 0, 1, 1, 1, 0, 3], 4, 4, "high"),  # item 9 "Very much" counts
    ([0, 0, 0, 0, 1, 1, 1, 0, 2], 3, 3, "low"),  # item 9 "Moderately" does not
    ([1] * 8 + [4], 9, 5, "high"),
])
def test_startback_scores_by_hand(items: list[int], total: int, psychosocial: int,
                                  risk: str) -> None:
    assert score_startback(items) == StartBackScore(
        total=total, psychosocial=psychosocial, risk=StartBackRisk(risk))


@pytest.mark.parametrize(("item9", "points"), [(0, 0), (1, 0), (2, 0), (3, 1), (4, 1)])
def test_startback_item_9_counts_only_from_very_much(item9: int, points: int) -> None:
    score = score_startback([0] * 8 + [item9])
    assert (score.total, score.psychosocial) == (points, points)


def test_startback_medium_stays_self_care_with_the_score_shown() -> None:
    result = assess(answers(startback=MEDIUM_STARTBACK))
    assert (result.level, result.reasons) == (S, ())
    assert result.startback == StartBackScore(total=5, psychosocial=1, risk=StartBackRisk.MEDIUM)


def test_startback_high_means_see_a_clinician() -> None:
    result = assess(answers(startback=HIGH_STARTBACK))
    assert (result.level, rule_ids(result)) == (C, ["startback_high"])
    assert result.startback is not None and result.startback.risk is StartBackRisk.HIGH


def test_startback_items_for_the_questionnaire() -> None:
    assert [item.number for item in STARTBACK_ITEMS] == list(range(1, 10))
    assert all(item.labels == ("Disagree", "Agree") for item in STARTBACK_ITEMS[:8])
    assert STARTBACK_ITEMS[8].labels == ("Not at all", "Slightly", "Moderately", "Very much",
                                         "Extremely")
    assert STARTBACK_ITEMS[0].text.startswith("My back pain has spread down my leg(s)")
    assert STARTBACK_ITEMS[8].text.startswith("Overall, how bothersome")


# --- levels, questionnaire helpers, invariants --------------------------------------------------


def test_urgency_orders_by_rank_not_by_spelling() -> None:
    assert sorted([E, S, U, C]) == [S, C, U, E]
    assert E > U > C > S and S <= S and E >= U
    assert max([S, E, C]) is E
    assert max_level([C, U]) is U and max_level([]) is S
    assert [level.rank for level in (S, C, U, E)] == [0, 1, 2, 3]


def test_unsure_answers_fills_every_key_not_asked() -> None:
    filled = unsure_answers({"bladder_change": True, "startback": LOW_STARTBACK})
    assert filled["schema"] == ANSWERS_SCHEMA and filled["bladder_change"] is True
    assert all(filled[k] == UNSURE for k in CONTRACT_KEYS if k != "bladder_change")
    assert filled["startback"] == LOW_STARTBACK
    assert validate_answers(filled)["bladder_change"] is True


def test_unsure_answers_keeps_a_misspelt_key_for_validation_to_refuse() -> None:
    with pytest.raises(InputError, match="fevr"):
        validate_answers(unsure_answers({"fevr": True}))


@pytest.mark.parametrize(("asked", "stop"), [
    ({}, False),
    ({"bladder_change": True}, True),
    ({"bladder_change": False, "bowel_incontinence": False}, False),
    ({"bladder_change": UNSURE}, True),
    ({"leg_symptoms": "one_leg"}, False),
    ({"leg_symptoms": "both_legs"}, True),
    ({"trauma": "minor"}, False),
    ({"trauma": "minor", "osteoporosis_or_steroids": True}, True),
    ({"fever": True, "cancer_history": True}, False),
])
def test_emergency_answered_uses_only_the_keys_asked(asked: dict[str, Any], stop: bool) -> None:
    assert emergency_answered(asked) is stop


def test_emergency_answered_refuses_bad_answers() -> None:
    with pytest.raises(InputError, match='"trauma"'):
        emergency_answered({"trauma": "bad"})
    with pytest.raises(InputError, match="fevr"):
        emergency_answered({"fevr": True})


INT_RANGES = {"age_years": (0, 120), "pain_days": (0, 400), "pain_now_0_10": (0, 10),
              "self_care_days": (0, 400)}


def _value(key: str) -> st.SearchStrategy[Any]:
    if CONTRACT_KEYS[key] == "choice":
        return st.sampled_from([*ANSWER_KEY[key].choices, UNSURE])
    given = st.integers(*INT_RANGES[key]) if key in INT_RANGES else st.booleans()
    return st.one_of(given, st.just(UNSURE))


RANDOM_ANSWERS = st.fixed_dictionaries(
    {"schema": st.just(ANSWERS_SCHEMA), **{key: _value(key) for key in CONTRACT_KEYS}},
    optional={"startback": st.lists(st.integers(0, 1), min_size=8, max_size=8).flatmap(
        lambda head: st.integers(0, 4).map(lambda last: [*head, last]))})


@settings(max_examples=150, deadline=None)
@given(RANDOM_ANSWERS)
def test_triage_never_raises_and_its_level_is_the_highest_reason(data: dict[str, Any]) -> None:
    result = assess(validate_answers(data))
    levels = [hit.level for hit in result.reasons]
    assert result.level == max(levels, default=S)
    assert levels == sorted(levels, reverse=True)
    assert result.action.endswith(".") and ". " not in result.action


# --- docs/safety.md stays in sync --------------------------------------------------------------


def _docs_section(title: str) -> list[str]:
    text = DOCS.read_text(encoding="utf-8")
    sections = re.split(r"^## ", text, flags=re.MULTILINE)
    body = next(s for s in sections if s.startswith(title))
    return [line for line in body.splitlines() if line.startswith("| `")]


def _row_id(row: str) -> str:
    return row.split("`")[1]


def test_docs_rule_table_matches_red_flags_exactly() -> None:
    rows = _docs_section("Rules")
    documented = [_row_id(row) for row in rows]
    missing = [r.id for r in RED_FLAGS if r.id not in documented]
    extra = [rule_id for rule_id in documented if rule_id not in RED_FLAG]
    assert not missing, f"rules missing from docs/safety.md: {missing}"
    assert not extra, f"docs/safety.md documents rules that RED_FLAGS lacks: {extra}"
    expected = [f"| `{r.id}` | {describe_condition(r.condition)} | {r.level.value} | {r.source} |"
                for r in RED_FLAGS]
    assert rows == expected


def test_docs_answer_table_matches_the_answer_keys_in_question_order() -> None:
    rows = _docs_section("Answers")
    expected = []
    for name in QUESTION_ORDER:
        key = ANSWER_KEY[name]
        allowed = key.allowed.removesuffix(', or "unsure"').removesuffix(', "unsure"')
        expected.append(f"| `{name}` | {allowed} | {'yes' if key.emergency else 'no'} | "
                        f"{unsure_meaning(name)} | {key.question} |")
    assert rows == expected


def test_docs_state_the_disclaimer_and_the_weight_loss_decision() -> None:
    text = " ".join(DOCS.read_text(encoding="utf-8").split())
    assert "backstride gives information, not a diagnosis" in text
    assert WEIGHT_LOSS_NOTE in text
    assert "severe central pain relieved by lying down" in text
