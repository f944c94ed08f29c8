"""Home self-tests: every cut-off at its boundary, by sex, pain, validation and the table."""

from __future__ import annotations

import math
from pathlib import Path

import pytest

from backstride.core import screening as sc
from backstride.core.screening import (
    SELF_TESTS,
    SELF_TESTS_BY_KEY,
    SEX_NOT_GIVEN_NOTE,
    Contributor,
    Mark,
    SelfTests,
    SelfTestStatus,
    Sex,
    score_self_tests,
    validate_selftests,
)
from backstride.core.types import Evidence
from backstride.errors import InputError

DOCS = Path(__file__).resolve().parents[2] / "docs" / "self-tests.md"
CONTRACT_KEYS = (
    "trunk_flexor_hold_s", "trunk_extensor_hold_s", "side_bridge_left_s", "side_bridge_right_s",
    "prone_plank_s", "single_leg_bridge_left_reps", "single_leg_bridge_right_reps",
    "trendelenburg_left", "trendelenburg_right", "single_leg_squat_left",
    "single_leg_squat_right", "thomas_test_left", "thomas_test_right", "active_slr_left_deg",
    "active_slr_right_deg", "active_knee_extension_left_deg", "active_knee_extension_right_deg",
    "sitting_hours_per_day",
)
EXPECTED_EVIDENCE = {
    "trunk_flexor_hold_s": Evidence.DEFAULT,  # mean − 1 SD of a confirmed norm
    "trunk_extensor_hold_s": Evidence.UNCONFIRMED,  # Biering-Sørensen cut-off [U]
    "side_bridge_left_s": Evidence.DEFAULT,
    "side_bridge_right_s": Evidence.DEFAULT,
    "prone_plank_s": Evidence.DEFAULT,
    "single_leg_bridge_left_reps": Evidence.SECONDARY,  # [C/S]
    "single_leg_bridge_right_reps": Evidence.SECONDARY,
    "trendelenburg_left": Evidence.SECONDARY,  # Magee [S]
    "trendelenburg_right": Evidence.SECONDARY,
    "single_leg_squat_left": Evidence.CONFIRMED,  # Crossley [C]
    "single_leg_squat_right": Evidence.CONFIRMED,
    "thomas_test_left": Evidence.CONFIRMED,
    "thomas_test_right": Evidence.CONFIRMED,
    "active_slr_left_deg": Evidence.UNCONFIRMED,  # passive norm as a proxy
    "active_slr_right_deg": Evidence.UNCONFIRMED,
    "active_knee_extension_left_deg": Evidence.CONFIRMED,
    "active_knee_extension_right_deg": Evidence.CONFIRMED,
    "sitting_hours_per_day": Evidence.DEFAULT,  # study's group applied to sitting alone
}

# (key, sex, failing value, boundary value that passes, typical passing value)
NUMBER_CASES = [
    ("trunk_flexor_hold_s", Sex.FEMALE, 57.9, 58.0, 160.0),
    ("trunk_extensor_hold_s", Sex.FEMALE, 49.9, 50.0, 101.0),
    ("side_bridge_left_s", Sex.FEMALE, 26.9, 27.0, 55.0),
    ("side_bridge_right_s", Sex.FEMALE, 28.9, 29.0, 54.0),
    ("prone_plank_s", Sex.FEMALE, 19.9, 20.0, 83.0),
    ("prone_plank_s", Sex.MALE, 51.9, 52.0, 124.0),
    ("single_leg_bridge_left_reps", Sex.FEMALE, 19.0, 20.0, 25.0),
    ("single_leg_bridge_right_reps", Sex.MALE, 19.0, 20.0, 25.0),
    ("active_slr_left_deg", Sex.FEMALE, 79.9, 80.0, 90.0),
    ("active_slr_right_deg", Sex.MALE, 79.9, 80.0, 90.0),
    ("active_knee_extension_left_deg", Sex.FEMALE, 23.5, 23.4, 10.0),
    ("active_knee_extension_right_deg", Sex.FEMALE, 23.5, 23.4, 10.0),
    ("active_knee_extension_left_deg", Sex.MALE, 33.1, 33.0, 20.0),
    ("active_knee_extension_right_deg", Sex.MALE, 33.1, 33.0, 20.0),
    ("sitting_hours_per_day", Sex.FEMALE, 7.1, 7.0, 4.0),
]
PASS_FAIL_KEYS = [row.key for row in SELF_TESTS if row.kind is sc.SelfTestKind.PASS_FAIL]


def _one(key: str, value: float | str, sex: str = "female") -> sc.TestResult:
    tests = validate_selftests({"schema": sc.SCHEMA, "sex": sex, key: value})
    result = score_self_tests(tests)
    (found,) = [r for r in result.results if r.test == key]
    return found


def _score(**values: object) -> sc.ScreeningResult:
    return score_self_tests(validate_selftests({"schema": sc.SCHEMA, **values}))


# --- the table ----------------------------------------------------------------------------------


def test_table_has_one_row_per_contract_key_in_order() -> None:
    assert tuple(row.key for row in SELF_TESTS) == CONTRACT_KEYS
    assert ("schema", "sex", *CONTRACT_KEYS) == sc.INPUT_KEYS


@pytest.mark.parametrize("row", SELF_TESTS, ids=lambda r: r.key)
def test_row_is_complete_and_consistent(row: sc.SelfTest) -> None:
    assert row.evidence is EXPECTED_EVIDENCE[row.key]
    assert row.unit in ("s", "reps", "deg", "h/day", None)
    assert row.norm and row.source and row.record and row.how
    assert "http" in row.source
    if row.kind is sc.SelfTestKind.PASS_FAIL:
        assert (row.unit, row.valid, row.cutoff) == (None, None, None)
    else:
        assert row.valid is not None and row.cutoff is not None
        for limit in (row.cutoff.female, row.cutoff.male):
            assert row.valid.low < limit < row.valid.high
        assert "{q}" in row.measured


@pytest.mark.parametrize("row", [r for r in SELF_TESTS if r.key != "sitting_hours_per_day"],
                         ids=lambda r: r.key)
def test_every_physical_test_says_stop_on_pain(row: sc.SelfTest) -> None:
    assert "Stop if it hurts your back or leg" in row.how
    assert "record stopped_pain" in row.how
    assert 2 <= row.how.count(". ") + 1 <= 5


def test_sex_specific_cutoffs_are_the_domain_values() -> None:
    plank = SELF_TESTS_BY_KEY["prone_plank_s"].cutoff
    ake = SELF_TESTS_BY_KEY["active_knee_extension_left_deg"].cutoff
    assert plank is not None and (plank.female, plank.male) == (20.0, 52.0)
    assert ake is not None and (ake.female, ake.male) == (23.4, 33.0)
    assert ake.fail_when is sc.FailWhen.ABOVE and plank.fail_when is sc.FailWhen.BELOW
    by_sex = {row.key for row in SELF_TESTS if row.cutoff is not None and row.cutoff.by_sex}
    assert by_sex == {"prone_plank_s", "active_knee_extension_left_deg",
                      "active_knee_extension_right_deg"}


@pytest.mark.parametrize(("key", "contributor"), [
    ("trunk_flexor_hold_s", Contributor.WEAK_CORE),
    ("trunk_extensor_hold_s", Contributor.WEAK_CORE),
    ("side_bridge_left_s", Contributor.WEAK_CORE),
    ("prone_plank_s", Contributor.WEAK_CORE),
    ("single_leg_bridge_right_reps", Contributor.WEAK_GLUTEUS_MEDIUS),
    ("trendelenburg_left", Contributor.WEAK_GLUTEUS_MEDIUS),
    ("single_leg_squat_right", Contributor.WEAK_GLUTEUS_MEDIUS),
    ("thomas_test_left", Contributor.TIGHT_HIP_FLEXORS),
    ("active_slr_right_deg", Contributor.TIGHT_HAMSTRINGS),
    ("active_knee_extension_left_deg", Contributor.TIGHT_HAMSTRINGS),
    ("sitting_hours_per_day", Contributor.LONG_SITTING),
])
def test_contributor_of_each_test(key: str, contributor: Contributor) -> None:
    assert SELF_TESTS_BY_KEY[key].contributor is contributor


def test_every_key_is_documented() -> None:
    text = DOCS.read_text(encoding="utf-8")
    missing = [key for key in CONTRACT_KEYS if f"`{key}`" not in text]
    assert not missing, f"docs/self-tests.md lacks {missing}"


# --- cut-offs -----------------------------------------------------------------------------------


def test_every_numeric_row_has_boundary_cases() -> None:
    numeric = {row.key for row in SELF_TESTS if row.kind is sc.SelfTestKind.NUMBER}
    assert {case[0] for case in NUMBER_CASES} == numeric


@pytest.mark.parametrize(("key", "sex", "failing", "boundary", "passing"), NUMBER_CASES,
                         ids=[f"{c[0]}-{c[1]}" for c in NUMBER_CASES])
def test_numeric_cutoff_fails_and_boundary_passes(key: str, sex: Sex, failing: float,
                                                  boundary: float, passing: float) -> None:
    row = SELF_TESTS_BY_KEY[key]
    assert row.cutoff is not None
    bad, edge, good = (_one(key, v, sex.value) for v in (failing, boundary, passing))
    assert bad.status is SelfTestStatus.BELOW
    assert edge.status is SelfTestStatus.OK
    assert good.status is SelfTestStatus.OK
    assert bad.cutoff == edge.cutoff == row.cutoff.for_sex(sex)
    assert (bad.value, bad.unit, bad.contributor) == (failing, row.unit, row.contributor)
    assert (bad.evidence, bad.source) == (row.evidence, row.source)


@pytest.mark.parametrize("key", PASS_FAIL_KEYS)
def test_pass_fail_tests(key: str) -> None:
    failed, passed = _one(key, "fail"), _one(key, "pass")
    assert (failed.status, failed.value, failed.cutoff) == (SelfTestStatus.BELOW, "fail", None)
    assert (passed.status, passed.value, passed.unit) == (SelfTestStatus.OK, "pass", None)
    assert SELF_TESTS_BY_KEY[key].fail_meaning in failed.message


def test_failure_message_says_what_it_means() -> None:
    result = _one("side_bridge_right_s", 22)
    assert result.message.startswith(
        "Your side bridge (right) held 22 s; below 29 s suggests weaker trunk side muscles")
    above = _one("active_knee_extension_left_deg", 30, "male")
    assert above.status is SelfTestStatus.OK
    assert above.message.startswith("Your active knee extension (left) stayed 30° short of "
                                    "straight, which meets the cut-off (at most 33°).")


@pytest.mark.parametrize("row", SELF_TESTS, ids=lambda r: r.key)
def test_heuristic_cutoffs_are_labelled(row: sc.SelfTest) -> None:
    value: float | str = "fail" if row.cutoff is None else row.cutoff.female
    message = _one(row.key, value).message
    assert ("heuristic" in message) is row.evidence.is_heuristic


# --- sex ----------------------------------------------------------------------------------------


@pytest.mark.parametrize(("sex", "plank_cutoff", "ake_cutoff", "note"), [
    ({"sex": "female"}, 20.0, 23.4, False),
    ({"sex": "male"}, 52.0, 33.0, False),
    ({"sex": "unspecified"}, 20.0, 23.4, True),
    ({}, 20.0, 23.4, True),
])
def test_cutoffs_by_sex(sex: dict[str, str], plank_cutoff: float, ake_cutoff: float,
                        note: bool) -> None:
    result = _score(**sex, prone_plank_s=40, active_knee_extension_right_deg=30)
    by_key = {r.test: r for r in result.results}
    assert by_key["prone_plank_s"].cutoff == plank_cutoff
    assert by_key["active_knee_extension_right_deg"].cutoff == ake_cutoff
    assert (SEX_NOT_GIVEN_NOTE in result.notes) is note
    assert ("female cut-off was used" in by_key["prone_plank_s"].message) is note


def test_male_plank_of_forty_seconds_fails_where_a_female_one_passes() -> None:
    assert _one("prone_plank_s", 40, "male").status is SelfTestStatus.BELOW
    assert _one("prone_plank_s", 40, "female").status is SelfTestStatus.OK
    assert _one("prone_plank_s", 40, "unspecified").status is SelfTestStatus.OK


def test_sex_note_is_the_contract_text() -> None:
    assert SEX_NOT_GIVEN_NOTE == "Sex not given: the female cut-offs were used."
    assert _score().notes[0] == SEX_NOT_GIVEN_NOTE


# --- pain, not done, contributors ---------------------------------------------------------------


@pytest.mark.parametrize("key", CONTRACT_KEYS)
def test_stopped_pain_is_reported_without_a_contributor(key: str) -> None:
    result = _score(sex="male", **{key: "stopped_pain"})
    (found,) = [r for r in result.results if r.test == key]
    assert (found.status, found.value) == (SelfTestStatus.STOPPED_PAIN, "stopped_pain")
    assert "worth mentioning to a clinician" in found.message
    assert result.contributors == ()
    assert any(note.startswith("Pain stopped: ") for note in result.notes)


def test_pain_in_the_leg_raise_re_asks_the_leg_questions() -> None:
    notes = _score(active_slr_right_deg="stopped_pain").notes
    assert any("triage questions about leg symptoms" in note for note in notes)
    notes = _score(prone_plank_s="stopped_pain").notes
    assert not any("leg symptoms" in note for note in notes)


def test_absent_tests_are_not_done() -> None:
    result = _score(sex="female", prone_plank_s=45)
    statuses = {r.test: r.status for r in result.results}
    assert statuses.pop("prone_plank_s") is SelfTestStatus.OK
    assert set(statuses.values()) == {SelfTestStatus.NOT_DONE}
    missing = next(r for r in result.results if r.test == "side_bridge_left_s")
    assert (missing.value, missing.cutoff) == (None, 27.0)


def test_nothing_done_scores_nothing() -> None:
    result = _score(sex="male")
    assert [r.test for r in result.results] == list(CONTRACT_KEYS)
    assert {r.status for r in result.results} == {SelfTestStatus.NOT_DONE}
    assert result.contributors == () and result.asymmetries == ()
    assert result.notes == ("No self-tests were recorded: nothing was scored.",)


def test_contributors_are_sorted_unique_ids_of_failed_tests() -> None:
    result = _score(sex="female", prone_plank_s=10, side_bridge_left_s=10, thomas_test_left="fail",
                    active_slr_left_deg=60, active_knee_extension_left_deg=40,
                    sitting_hours_per_day=3, trendelenburg_right="pass",
                    active_slr_right_deg="stopped_pain")
    assert result.contributors == (Contributor.TIGHT_HAMSTRINGS, Contributor.TIGHT_HIP_FLEXORS,
                                   Contributor.WEAK_CORE)
    assert list(result.contributors) == ["tight_hamstrings", "tight_hip_flexors", "weak_core"]


# --- single-leg bridge bands --------------------------------------------------------------------


@pytest.mark.parametrize(("reps", "band"), [
    (0, "poor"), (19, "poor"), (20, "average"), (30, "average"), (31, "good"), (80, "good")])
def test_bridge_bands(reps: float, band: str) -> None:
    assert sc.bridge_band(reps) == band


def test_bridge_sides_in_different_bands_flag_weak_glutes() -> None:
    result = _score(single_leg_bridge_left_reps=31, single_leg_bridge_right_reps=25)
    assert {r.status for r in result.results if r.value is not None} == {SelfTestStatus.OK}
    (asym,) = result.asymmetries
    assert asym.bands == ("good", "average")
    assert asym.weaker == "single_leg_bridge_right_reps"
    assert asym.evidence is Evidence.DEFAULT
    assert result.contributors == (Contributor.WEAK_GLUTEUS_MEDIUS,)
    assert asym.message in result.notes and "heuristic" in asym.message


@pytest.mark.parametrize(("left", "right"), [(20, 30), (31, 50), (5, 19)])
def test_bridge_sides_in_one_band_are_no_asymmetry(left: int, right: int) -> None:
    result = _score(single_leg_bridge_left_reps=left, single_leg_bridge_right_reps=right)
    assert result.asymmetries == ()


def test_bridge_asymmetry_needs_both_sides_as_numbers() -> None:
    result = _score(single_leg_bridge_left_reps=10, single_leg_bridge_right_reps="stopped_pain")
    assert result.asymmetries == ()
    assert result.contributors == (Contributor.WEAK_GLUTEUS_MEDIUS,)  # the < 20 reps failure


# --- McGill ratios ------------------------------------------------------------------------------


def _ratios(**holds: object) -> dict[str, sc.McGillRatio]:
    return {r.ratio: r for r in _score(sex="male", **holds).ratios}


def test_mcgill_ratios_never_create_a_finding() -> None:
    # every hold passes its cut-off, every ratio is outside McGill's range
    result = _score(sex="male", trunk_flexor_hold_s=200, trunk_extensor_hold_s=60,
                    side_bridge_left_s=50, side_bridge_right_s=100)
    assert all(r.outside for r in result.ratios)
    assert result.contributors == ()
    assert {r.status for r in result.results if r.value is not None} == {SelfTestStatus.OK}
    assert all("never a finding on its own" in r.message for r in result.ratios)
    assert {r.evidence for r in result.ratios} == {Evidence.UNCONFIRMED}


@pytest.mark.parametrize(("flexor", "extensor", "outside"), [
    (99.0, 100.0, False), (100.0, 100.0, True), (150.0, 100.0, True)])
def test_flexion_extension_ratio(flexor: float, extensor: float, outside: bool) -> None:
    ratio = _ratios(trunk_flexor_hold_s=flexor, trunk_extensor_hold_s=extensor)
    assert ratio["flexion_extension"].value == pytest.approx(flexor / extensor)
    assert ratio["flexion_extension"].outside is outside


@pytest.mark.parametrize(("right", "left", "outside"), [
    (105.0, 100.0, False), (95.0, 100.0, False), (106.0, 100.0, True), (94.0, 100.0, True),
    (21.0, 20.0, False)])
def test_side_bridge_ratio_within_five_hundredths(right: float, left: float,
                                                  outside: bool) -> None:
    ratio = _ratios(side_bridge_right_s=right, side_bridge_left_s=left)["side_right_left"]
    assert ratio.outside is outside and ratio.healthy == "1 ± 0.05"


@pytest.mark.parametrize(("side", "outside"), [(74.0, False), (75.0, True)])
def test_side_extension_ratio(side: float, outside: bool) -> None:
    ratios = _ratios(side_bridge_left_s=side, side_bridge_right_s=side, trunk_extensor_hold_s=100)
    assert ratios["side_left_extension"].outside is outside
    assert ratios["side_right_extension"].outside is outside


@pytest.mark.parametrize("holds", [
    {}, {"trunk_flexor_hold_s": 100}, {"trunk_flexor_hold_s": 100, "trunk_extensor_hold_s": 0},
    {"trunk_flexor_hold_s": 100, "trunk_extensor_hold_s": "stopped_pain"}])
def test_ratio_without_both_holds_has_no_value(holds: dict[str, object]) -> None:
    ratio = _ratios(**holds)["flexion_extension"]
    assert (ratio.value, ratio.outside) == (None, None)
    assert "needs both holds" in ratio.message


# --- validation ---------------------------------------------------------------------------------


def _error(data: dict[str, object]) -> str:
    with pytest.raises(InputError) as caught:
        validate_selftests(data)
    return str(caught.value)


def test_unknown_key_is_named_with_the_valid_keys() -> None:
    message = _error({"schema": sc.SCHEMA, "plank_s": 30})
    assert "unknown self-test key 'plank_s'" in message
    assert "did you mean 'prone_plank_s'?" in message
    assert all(key in message for key in CONTRACT_KEYS)


@pytest.mark.parametrize(("key", "value", "expect"), [
    ("prone_plank_s", "45", 'prone_plank_s is "45": it must be a number (0–1800 s)'),
    ("prone_plank_s", True, "prone_plank_s is true: it must be a number"),
    ("prone_plank_s", None, "prone_plank_s is null: it must be a number"),
    ("single_leg_bridge_left_reps", [20], "single_leg_bridge_left_reps is [20]"),
    ("trendelenburg_left", 1, 'trendelenburg_left is 1: it must be "pass", "fail"'),
    ("thomas_test_right", "PASS", 'thomas_test_right is "PASS"'),
    ("prone_plank_s", "pass", 'prone_plank_s is "pass": it must be a number'),
])
def test_wrong_type_is_named(key: str, value: object, expect: str) -> None:
    message = _error({"schema": sc.SCHEMA, key: value})
    assert message.startswith(expect)


@pytest.mark.parametrize(("key", "value", "expect"), [
    ("side_bridge_left_s", -5, "side_bridge_left_s = -5 is outside the valid range 0–1800 s"),
    ("trunk_flexor_hold_s", 1800.5, "is outside the valid range 0–1800 s"),
    ("active_slr_left_deg", 400, "active_slr_left_deg = 400 is outside the valid range 0–180°"),
    ("active_knee_extension_right_deg", 91, "is outside the valid range 0–90°"),
    ("sitting_hours_per_day", 25, "is outside the valid range 0–24 h/day"),
    ("single_leg_bridge_right_reps", 501, "is outside the valid range 0–500 reps"),
    ("single_leg_bridge_right_reps", -1, "is outside the valid range 0–500 reps"),
    ("prone_plank_s", math.nan, "prone_plank_s = NaN is outside"),
    ("prone_plank_s", math.inf, "prone_plank_s = Infinity is outside"),
    ("single_leg_bridge_left_reps", 12.5, "single_leg_bridge_left_reps = 12.5 is not a whole"),
])
def test_absurd_values_are_refused_not_clamped(key: str, value: float, expect: str) -> None:
    assert expect in _error({"schema": sc.SCHEMA, key: value})


@pytest.mark.parametrize(("key", "value"), [
    ("side_bridge_left_s", 0), ("trunk_flexor_hold_s", 1800), ("active_slr_left_deg", 180),
    ("active_knee_extension_left_deg", 0), ("active_knee_extension_left_deg", 90),
    ("sitting_hours_per_day", 24), ("single_leg_bridge_left_reps", 20.0)])
def test_range_ends_are_accepted(key: str, value: float) -> None:
    tests = validate_selftests({"schema": sc.SCHEMA, key: value})
    assert tests.values[key] == float(value) and isinstance(tests.values[key], float)


@pytest.mark.parametrize(("data", "expect"), [
    ({"schema": sc.SCHEMA, "sex": "woman"},
     'sex is "woman": it must be one of female, male, unspecified'),
    ({"schema": sc.SCHEMA, "sex": None}, "sex is null"),
    ({"schema": "backstride.selftests/2"}, 'schema is "backstride.selftests/2"'),
    ({"prone_plank_s": 30}, "schema is missing"),
])
def test_bad_sex_and_schema(data: dict[str, object], expect: str) -> None:
    assert _error(data).startswith(expect)


def test_input_that_is_not_an_object_is_refused() -> None:
    with pytest.raises(InputError, match="must be a JSON object"):
        validate_selftests([1, 2])  # type: ignore[arg-type]


def test_validated_input_is_typed_and_read_only() -> None:
    tests = validate_selftests({"schema": sc.SCHEMA, "sex": "male", "prone_plank_s": 45,
                                "trendelenburg_left": "fail",
                                "active_slr_left_deg": "stopped_pain"})
    assert tests.sex is Sex.MALE
    assert dict(tests.values) == {"prone_plank_s": 45.0, "trendelenburg_left": Mark.FAIL,
                                  "active_slr_left_deg": Mark.STOPPED_PAIN}
    with pytest.raises(TypeError):
        tests.values["prone_plank_s"] = 1.0  # type: ignore[index]


def test_self_tests_built_in_code_are_checked_too() -> None:
    with pytest.raises(InputError, match="unknown self-test key 'plank'"):
        SelfTests(values={"plank": 1.0})
    with pytest.raises(InputError, match="prone_plank_s = -1"):
        SelfTests(values={"prone_plank_s": -1.0})
    built = SelfTests(values={"single_leg_bridge_left_reps": 31,
                              "single_leg_bridge_right_reps": 25})
    assert score_self_tests(built).asymmetries  # ints are stored as floats
