"""Home self-tests scored against published norms (DOMAIN.md §6).

``SELF_TESTS`` is the table: one row per input key of ``backstride.selftests/1``, with its
valid range, cut-off by sex, the contributor a failure points to, how well the cut-off is
supported (``Evidence``), the norm, the source and plain home instructions. A failed test is a
*possible contributor*, never a diagnosis; unconfirmed and default cut-offs say they are
heuristics. McGill's ratios are computed as context shown with the holds and never make a
finding on their own. Absurd inputs are refused with an ``InputError``, never clamped.
"""

from __future__ import annotations

import difflib
import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from types import MappingProxyType
from typing import ClassVar, Final

from backstride.core.types import Evidence
from backstride.errors import InputError

SCHEMA: Final = "backstride.selftests/1"
SEX_NOT_GIVEN_NOTE: Final = "Sex not given: the female cut-offs were used."
STOP_RULE: Final = "Stop if it hurts your back or leg, and record stopped_pain."


class Sex(StrEnum):
    FEMALE = "female"
    MALE = "male"
    UNSPECIFIED = "unspecified"


class SelfTestKind(StrEnum):
    NUMBER = "number"
    PASS_FAIL = "pass_fail"


class FailWhen(StrEnum):
    BELOW = "below"
    ABOVE = "above"


class Mark(StrEnum):
    """The non-numeric answers a test key may hold."""

    PASS = "pass"
    FAIL = "fail"
    STOPPED_PAIN = "stopped_pain"


class SelfTestStatus(StrEnum):
    OK = "ok"
    BELOW = "below"  # fails the cut-off (also an "above" failure and a pass/fail "fail")
    STOPPED_PAIN = "stopped_pain"
    NOT_DONE = "not_done"


class Contributor(StrEnum):
    """Contributor ids shared with the plan (DOMAIN.md §7)."""

    WEAK_CORE = "weak_core"
    WEAK_GLUTEUS_MEDIUS = "weak_gluteus_medius"
    TIGHT_HIP_FLEXORS = "tight_hip_flexors"
    TIGHT_HAMSTRINGS = "tight_hamstrings"
    LONG_SITTING = "long_sitting"


@dataclass(frozen=True, slots=True, kw_only=True)
class ValidRange:
    """Values outside are refused as typing errors; they are not clinical limits."""

    low: float
    high: float
    whole: bool = False  # counts must be whole numbers


@dataclass(frozen=True, slots=True, kw_only=True)
class Cutoff:
    female: float  # also used when sex is not given
    male: float
    fail_when: FailWhen  # strict: "< 20 s" fails 19.9 s and passes 20.0 s

    def for_sex(self, sex: Sex) -> float:
        return self.male if sex is Sex.MALE else self.female

    @property
    def by_sex(self) -> bool:
        return self.female != self.male

    def fails(self, value: float, sex: Sex) -> bool:
        limit = self.for_sex(sex)
        return value < limit if self.fail_when is FailWhen.BELOW else value > limit


@dataclass(frozen=True, slots=True, kw_only=True)
class SelfTest:
    key: str
    name: str  # lower case, used inside sentences: "side bridge (left)"
    unit: str | None  # "s", "reps", "deg", "h/day"; None for pass/fail
    kind: SelfTestKind
    valid: ValidRange | None  # None for pass/fail
    cutoff: Cutoff | None  # None for pass/fail
    contributor: Contributor
    evidence: Evidence
    caveat: str  # why the evidence tag is what it is; appended to scored messages
    norm: str
    source: str
    how: str  # home instructions, plain words
    record: str  # what to write down
    measured: str  # "held {q}": how a value reads in a sentence (numbers only)
    fail_meaning: str  # what a failure suggests


# --- sources (DOMAIN.md §6) -------------------------------------------------------------------

_STKATE: Final = ("Bjornaraa, core endurance norms, adults 18–55, n = 116 (St. Catherine "
                  "University DPT paper 32, https://sophia.stkate.edu/dpt_papers/32/)")
_LATIMER: Final = ("Latimer 1999, Spine: shorter holds in low back pain, ICC 0.77–0.88 "
                   "(https://pubmed.ncbi.nlm.nih.gov/10543003/)")
_STRAND: Final = "Strand 2014, J Hum Kinet (https://doi.org/10.2478/hukin-2014-0011)"
_FRECKLETON: Final = "Freckleton 2014, Br J Sports Med (https://bjsm.bmj.com/content/48/8/713)"
_TRENDELENBURG: Final = ("Magee, Orthopedic Physical Assessment (secondary); validity weak "
                         "(https://chiromt.biomedcentral.com/articles/10.1186/s12998-020-00344-3)")
_CROSSLEY: Final = ("Crossley single-leg squat rating, good/poor "
                    "(http://www.hindawi.com/journals/rerp/2012/803637/tab1/); ratings ICC 0.71")
_THOMAS: Final = ("Modified Thomas test criteria (https://bmcsportsscimedrehabil.biomedcentral"
                  ".com/articles/10.1186/s13102-021-00242-y/tables/4); validity without pelvic "
                  "control: sensitivity 31.8 %, specificity 57.1 % "
                  "(https://pmc.ncbi.nlm.nih.gov/articles/PMC4991856)")
_AYALA: Final = ("Ayala 2013, Phys Ther Sport: passive straight-leg raise < 80° = limited "
                 "(https://doi.org/10.1016/j.ptsp.2012.03.013), used as a proxy")
_AKE: Final = ("Active knee extension norms, ages 18–24 "
               "(https://balkanmedicaljournal.org/text.php?lang=tr&id=2013)")
_SITTING: Final = ("> 7 h/day sitting with < 150 min/week activity: 6.1° less hip extension "
                   "than < 4 h/day and active (https://pubmed.ncbi.nlm.nih.gov/33188982/)")
MCGILL_SOURCE: Final = ("McGill ratios (https://www.matassessment.com/blog/mcgill-endurance-tests, "
                        "secondary); men's side bridge 65 % and women's 39 % of the extensor hold "
                        "(McGill 1999, https://pubmed.ncbi.nlm.nih.gov/10453772/)")

_MEAN_MINUS_SD: Final = "backstride's default: the norm's mean − 1 SD"
_HOLD: Final = ValidRange(low=0.0, high=1800.0)
_REPS: Final = ValidRange(low=0.0, high=500.0, whole=True)
_SIDES: Final = ("left", "right")


def _below(value: float) -> Cutoff:
    return Cutoff(female=value, male=value, fail_when=FailWhen.BELOW)


def _side_bridge(side: str, cutoff_s: float, norm: str) -> SelfTest:
    return SelfTest(
        key=f"side_bridge_{side}_s", name=f"side bridge ({side})", unit="s",
        kind=SelfTestKind.NUMBER, valid=_HOLD, cutoff=_below(cutoff_s),
        contributor=Contributor.WEAK_CORE, evidence=Evidence.DEFAULT, caveat=_MEAN_MINUS_SD,
        norm=norm, source=_STKATE,
        how=("Lie on one side propped on your elbow, elbow under the shoulder, legs straight and "
             "the top foot in front of the bottom foot. Lift your hips so your body makes a "
             "straight line from head to feet, and hold. Stop when your hips drop and you cannot "
             f"lift them back. {STOP_RULE}"),
        record=f"Seconds held lying on your {side} side ({side} elbow down).",
        measured="held {q}", fail_meaning="suggests weaker trunk side muscles (weak core)")


def _single_leg_bridge(side: str) -> SelfTest:
    return SelfTest(
        key=f"single_leg_bridge_{side}_reps", name=f"single-leg bridge ({side})", unit="reps",
        kind=SelfTestKind.NUMBER, valid=_REPS, cutoff=_below(20.0),
        contributor=Contributor.WEAK_GLUTEUS_MEDIUS, evidence=Evidence.SECONDARY,
        caveat="It measures endurance, not strength; the bands are partly from secondary sources.",
        norm="< 20 reps poor, 20–30 average (about 25), > 30 good",
        source=_FRECKLETON,
        how=("Lie on your back with one heel on a step or chair about 60 cm high, that knee "
             "slightly bent (about 20°), the other leg pointing up and arms crossed on your "
             "chest. Push down through the heel to lift your hips until your body is straight, "
             "then lower until your bottom touches the floor; repeat until you cannot lift "
             f"fully. {STOP_RULE}"),
        record=f"Full lifts with the {side} heel on the step.",
        measured="did {q}", fail_meaning="suggests weaker glutes on this side (weak glutes)")


def _trendelenburg(side: str) -> SelfTest:
    return SelfTest(
        key=f"trendelenburg_{side}", name=f"Trendelenburg test ({side})", unit=None,
        kind=SelfTestKind.PASS_FAIL, valid=None, cutoff=None,
        contributor=Contributor.WEAK_GLUTEUS_MEDIUS, evidence=Evidence.SECONDARY,
        caveat="The test's validity is weak: take the result as a hint, not a measurement.",
        norm="fail if the pelvis on the lifted-leg side drops more than 2 cm",
        source=_TRENDELENBURG,
        how=("Stand on one leg for 30 s, hands on your hips and the other knee bent, with a chair "
             "nearby for balance, while someone films you from behind. In the video, it is a "
             "fail if the pelvis on the lifted-leg side drops (more than about 2 cm) or you "
             f"have to lean your trunk over to stay up. {STOP_RULE}"),
        record=f"Pass or fail, standing on the {side} leg.",
        measured="", fail_meaning=("suggests a weaker gluteus medius, the hip's side muscle "
                                   "that keeps the pelvis level"))


def _single_leg_squat(side: str) -> SelfTest:
    return SelfTest(
        key=f"single_leg_squat_{side}", name=f"single-leg squat ({side})", unit=None,
        kind=SelfTestKind.PASS_FAIL, valid=None, cutoff=None,
        contributor=Contributor.WEAK_GLUTEUS_MEDIUS, evidence=Evidence.CONFIRMED,
        caveat="The rating criteria are published; at home it is your own rating of a video.",
        norm="Crossley's good/poor rating: trunk, pelvis level, knee over foot, foot",
        source=_CROSSLEY,
        how=("Stand on one leg, arms crossed, with a chair nearby for balance, and do 5 slow "
             "shallow squats (knee bent to about 60°) while someone films you from the front. "
             "It is a fail (poor) if, on most squats, the trunk leans or twists, the pelvis tips "
             "or drops, the knee moves inside the line of the foot, or the foot rolls in. "
             f"{STOP_RULE}"),
        record=f"Pass or fail, squatting on the {side} leg.",
        measured="", fail_meaning="suggests weaker hip control by the gluteus medius")


def _thomas(side: str) -> SelfTest:
    return SelfTest(
        key=f"thomas_test_{side}", name=f"Thomas test ({side})", unit=None,
        kind=SelfTestKind.PASS_FAIL, valid=None, cutoff=None,
        contributor=Contributor.TIGHT_HIP_FLEXORS, evidence=Evidence.CONFIRMED,
        caveat=("The test often misses or over-calls tightness unless the pelvis is kept "
                "still: take the result as a hint."),
        norm=("thigh above horizontal (hip > 0°) = short one-joint hip flexors; knee bent "
              "< 67° = short two-joint hip flexors"),
        source=_THOMAS,
        how=("Sit at the very end of a sturdy table or bed, then lie back hugging one knee to your "
             "chest until your low back is flat. Let the other leg hang down relaxed while "
             "someone takes a photo from the side. It is a fail if the hanging thigh stays above "
             "horizontal or its shin points well forward instead of hanging nearly straight "
             f"down (knee bent less than about 67°). {STOP_RULE}"),
        record=f"Pass or fail, with the {side} leg hanging.",
        measured="", fail_meaning="suggests tight hip flexors")


def _active_slr(side: str) -> SelfTest:
    return SelfTest(
        key=f"active_slr_{side}_deg", name=f"active straight-leg raise ({side})", unit="deg",
        kind=SelfTestKind.NUMBER, valid=ValidRange(low=0.0, high=180.0), cutoff=_below(80.0),
        contributor=Contributor.TIGHT_HAMSTRINGS, evidence=Evidence.UNCONFIRMED,
        caveat="no active norm is published; the passive leg-raise norm is used as a proxy",
        norm="active norm unknown; passive raise < 80° = limited",
        source=_AYALA,
        how=("Lie on your back with both legs straight. Keeping the other leg flat and both knees "
             "straight, lift one leg as high as you can while someone takes a photo from the "
             "side. Measure the angle between the raised leg and the floor with a protractor or "
             "a phone angle app. Stop if it hurts your back or leg, or brings on tingling down "
             "the leg, and record stopped_pain."),
        record=f"Degrees between the raised {side} leg and the floor.",
        measured="reached {q}", fail_meaning="suggests tight hamstrings")


def _active_knee_extension(side: str) -> SelfTest:
    return SelfTest(
        key=f"active_knee_extension_{side}_deg", name=f"active knee extension ({side})",
        unit="deg", kind=SelfTestKind.NUMBER, valid=ValidRange(low=0.0, high=90.0),
        cutoff=Cutoff(female=23.4, male=33.0, fail_when=FailWhen.ABOVE),
        contributor=Contributor.TIGHT_HAMSTRINGS, evidence=Evidence.CONFIRMED,
        caveat=("The norm is from 18–24-year-olds, and this test and the leg raise agree "
                "poorly (r = −0.28)."),
        norm="short hamstrings if > 33.0° (men) or > 23.4° (women) short of straight, ages 18–24",
        source=_AKE,
        how=("Lie on your back, lift one thigh until it points straight up and hold it there "
             "with both hands behind the knee, the other leg flat. Slowly straighten the knee as "
             "far as you can without moving the thigh, while someone takes a photo from the "
             "side. Measure how many degrees the knee stays short of straight (0° = fully "
             f"straight). {STOP_RULE}"),
        record=f"Degrees the {side} knee stays short of straight.",
        measured="stayed {q} short of straight", fail_meaning="suggests tight hamstrings")


SELF_TESTS: Final[tuple[SelfTest, ...]] = (
    SelfTest(
        key="trunk_flexor_hold_s", name="trunk flexor hold", unit="s", kind=SelfTestKind.NUMBER,
        valid=_HOLD, cutoff=_below(58.0), contributor=Contributor.WEAK_CORE,
        evidence=Evidence.DEFAULT, caveat=_MEAN_MINUS_SD,
        norm="160 (SD 102) s, adults 18–55, n = 116", source=_STKATE,
        how=("Sit on the floor leaning back against a firm support (a wedge or stacked cushions) "
             "at about 60°, hips and knees bent to 90°, feet flat and held down, arms crossed on "
             "your chest. Have a helper move the support about 10 cm back and time how long you "
             "keep the same angle; stop when your back sinks toward the support. "
             f"{STOP_RULE}"),
        record="Seconds held before your back sank toward the support.",
        measured="lasted {q}",
        fail_meaning="suggests weaker front trunk (abdominal) muscles (weak core)"),
    SelfTest(
        key="trunk_extensor_hold_s", name="trunk extensor hold (Biering-Sørensen)", unit="s",
        kind=SelfTestKind.NUMBER, valid=_HOLD, cutoff=_below(50.0),
        contributor=Contributor.WEAK_CORE, evidence=Evidence.UNCONFIRMED,
        caveat="no published cut-off; backstride uses the norm's mean − 1 SD",
        norm="101 (SD 51) s, adults 18–55, n = 116; shorter in low back pain",
        source=f"{_STKATE}; {_LATIMER}",
        how=("Lie face down with your hips at the edge of a firm bench or bed and your upper body "
             "over the edge, legs held down by a helper or a strap, and a chair in front to rest "
             "your hands on. Cross your arms on your chest, lift your upper body level with the "
             "bench and hold it there; stop when you can no longer keep it level. "
             f"{STOP_RULE}"),
        record="Seconds held level.",
        measured="lasted {q}",
        fail_meaning=("suggests weaker back extensor muscles, which hold shorter in people with "
                      "low back pain (weak core)")),
    _side_bridge("left", 27.0, "left 55 (SD 28) s, adults 18–55, n = 116"),
    _side_bridge("right", 29.0, "right 54 (SD 25) s, adults 18–55, n = 116"),
    SelfTest(
        key="prone_plank_s", name="prone plank", unit="s", kind=SelfTestKind.NUMBER,
        valid=_HOLD, cutoff=Cutoff(female=20.0, male=52.0, fail_when=FailWhen.BELOW),
        contributor=Contributor.WEAK_CORE, evidence=Evidence.DEFAULT, caveat=_MEAN_MINUS_SD,
        norm="men 124 ± 72 s, women 83 ± 63 s, n = 471", source=_STRAND,
        how=("Lie face down, then lift onto your forearms and toes with your elbows under your "
             "shoulders. Keep a straight line from head to heels and hold; stop when your hips "
             f"sag or pike and you cannot correct it. {STOP_RULE}"),
        record="Seconds held in a straight line.",
        measured="held {q}", fail_meaning="suggests weaker trunk muscles (weak core)"),
    *(_single_leg_bridge(side) for side in _SIDES),
    *(_trendelenburg(side) for side in _SIDES),
    *(_single_leg_squat(side) for side in _SIDES),
    *(_thomas(side) for side in _SIDES),
    *(_active_slr(side) for side in _SIDES),
    *(_active_knee_extension(side) for side in _SIDES),
    SelfTest(
        key="sitting_hours_per_day", name="sitting time", unit="h/day", kind=SelfTestKind.NUMBER,
        valid=ValidRange(low=0.0, high=24.0),
        cutoff=Cutoff(female=7.0, male=7.0, fail_when=FailWhen.ABOVE),
        contributor=Contributor.LONG_SITTING, evidence=Evidence.DEFAULT,
        caveat=("the study's > 7 h/day group was also inactive; backstride applies the 7 h "
                "line to sitting alone"),
        norm="> 7 h/day with < 150 min/week activity: 6.1° less hip extension",
        source=_SITTING,
        how=("Add up the hours you sit on a usual day: work, travel, meals and screens. No "
             "movement is needed for this one."),
        record="Hours sitting on a usual day (0–24).",
        measured="is {q}",
        fail_meaning=("goes with less hip extension, so tight hip flexors are worth checking "
                      "(long sitting)")),
)
SELF_TESTS_BY_KEY: Final[Mapping[str, SelfTest]] = MappingProxyType(
    {row.key: row for row in SELF_TESTS})
INPUT_KEYS: Final[tuple[str, ...]] = ("schema", "sex", *SELF_TESTS_BY_KEY)


# --- input ------------------------------------------------------------------------------------

Value = float | Mark


@dataclass(frozen=True, slots=True, kw_only=True)
class SelfTests:
    """Checked self-test input: a number, ``pass``/``fail`` or ``stopped_pain`` per test done."""

    sex: Sex = Sex.UNSPECIFIED
    values: Mapping[str, Value] = field(default_factory=dict)

    def __post_init__(self) -> None:
        checked = {key: _parse_value(_row(key), value) for key, value in self.values.items()}
        object.__setattr__(self, "values", MappingProxyType(checked))


def validate_selftests(data: Mapping[str, object]) -> SelfTests:
    """Check ``backstride.selftests/1`` input; every problem is an InputError naming the key."""
    if not isinstance(data, Mapping):
        raise InputError(f"self-test results must be a JSON object with \"schema\": "
                         f"\"{SCHEMA}\", not {type(data).__name__}.")
    schema = data.get("schema")
    if schema != SCHEMA:
        found = "missing" if schema is None else _shown(schema)
        raise InputError(f"schema is {found}: self-test results must say \"schema\": "
                         f"\"{SCHEMA}\". Add or correct the schema key.")
    tests = [_row(key) for key in data if key not in ("schema", "sex")]
    sex = _parse_sex(data.get("sex", Sex.UNSPECIFIED.value))
    return SelfTests(sex=sex, values={row.key: _parse_value(row, data[row.key]) for row in tests})


def _row(key: object) -> SelfTest:
    row = SELF_TESTS_BY_KEY.get(key) if isinstance(key, str) else None
    if row is not None:
        return row
    close = difflib.get_close_matches(str(key), INPUT_KEYS, n=1)
    hint = f" (did you mean '{close[0]}'?)" if close else ""
    raise InputError(f"unknown self-test key '{key}'{hint}. Valid keys: {', '.join(INPUT_KEYS)}. "
                     "Fix the spelling or remove the key.")


def _parse_sex(raw: object) -> Sex:
    if isinstance(raw, str) and raw in {s.value for s in Sex}:
        return Sex(raw)
    raise InputError(f"sex is {_shown(raw)}: it must be one of {', '.join(s.value for s in Sex)}. "
                     "Leave it out (or use \"unspecified\") to get the female cut-offs.")


def _parse_value(row: SelfTest, raw: object) -> Value:
    """A checked value: never clamped; wrong types and absurd values name the key."""
    if isinstance(raw, str) and raw == Mark.STOPPED_PAIN.value:
        return Mark.STOPPED_PAIN
    if row.valid is None:  # pass/fail
        if isinstance(raw, str) and raw in (Mark.PASS.value, Mark.FAIL.value):
            return Mark(raw)
        raise InputError(f"{row.key} is {_shown(raw)}: it must be \"pass\", \"fail\" or "
                         "\"stopped_pain\". Leave the key out if you did not do the test.")
    if isinstance(raw, bool) or not isinstance(raw, int | float):
        raise InputError(f"{row.key} is {_shown(raw)}: it must be a number ({_range_text(row)}) or "
                         "\"stopped_pain\". Leave the key out if you did not do the test.")
    value = float(raw)
    if not row.valid.low <= value <= row.valid.high:
        raise InputError(f"{row.key} = {_shown(raw)} is outside the valid range "
                         f"{_range_text(row)}. Enter what you measured, or \"stopped_pain\" if "
                         "pain stopped the test; nothing was scored.")
    if row.valid.whole and not value.is_integer():
        raise InputError(f"{row.key} = {_shown(raw)} is not a whole number of {row.unit}. "
                         "Count only full repetitions.")
    return value


def _shown(raw: object) -> str:
    """A value as it looks in the JSON file (true, null, "yes"), for error messages."""
    try:
        return json.dumps(raw, ensure_ascii=False)
    except (TypeError, ValueError):
        return repr(raw)


def _range_text(row: SelfTest) -> str:
    assert row.valid is not None  # numbers only
    return f"{row.valid.low:g}–{quantity_text(row.valid.high, row.unit)}"


# --- scoring ----------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True, kw_only=True)
class TestResult:
    __test__: ClassVar[bool] = False  # a result, not a pytest test class

    test: str  # the input key
    value: float | str | None  # a number, "pass"/"fail", "stopped_pain", or None (not done)
    unit: str | None
    cutoff: float | None  # the cut-off used for this runner's sex; None for pass/fail
    status: SelfTestStatus
    contributor: Contributor
    evidence: Evidence
    message: str
    source: str


@dataclass(frozen=True, slots=True, kw_only=True)
class McGillRatio:
    """One of McGill's endurance ratios: context shown with the holds, never a finding."""

    ratio: str  # "flexion_extension", "side_right_left", ...
    numerator: str  # input key
    denominator: str  # input key
    value: float | None  # None unless both holds are numbers and the denominator > 0
    healthy: str  # "< 1.0"
    outside: bool | None  # outside McGill's healthy range; None without a value
    evidence: Evidence
    message: str
    source: str


@dataclass(frozen=True, slots=True, kw_only=True)
class Asymmetry:
    """Single-leg bridge sides in different bands (< 20 poor, 20–30 average, > 30 good)."""

    tests: tuple[str, str]  # left key, right key
    bands: tuple[str, str]  # left band, right band
    weaker: str  # key of the side with fewer reps
    contributor: Contributor
    evidence: Evidence
    message: str
    source: str


@dataclass(frozen=True, slots=True, kw_only=True)
class ScreeningResult:
    results: tuple[TestResult, ...]  # one per SELF_TESTS row, in table order
    notes: tuple[str, ...]
    contributors: tuple[Contributor, ...]  # sorted, unique: failed tests and asymmetries
    ratios: tuple[McGillRatio, ...]  # context only
    asymmetries: tuple[Asymmetry, ...]


def score_self_tests(tests: SelfTests) -> ScreeningResult:
    """Score each test against its cut-off for the runner's sex (female when not given)."""
    results = tuple(_score(row, tests.values.get(row.key), tests.sex) for row in SELF_TESTS)
    asymmetries = _bridge_asymmetry(tests)
    failed = {r.contributor for r in results if r.status is SelfTestStatus.BELOW}
    contributors = tuple(sorted(failed | {a.contributor for a in asymmetries}))
    return ScreeningResult(results=results, notes=_notes(tests, results, asymmetries),
                           contributors=contributors, ratios=compute_mcgill_ratios(tests),
                           asymmetries=asymmetries)


def _score(row: SelfTest, value: Value | None, sex: Sex) -> TestResult:
    cutoff = row.cutoff.for_sex(sex) if row.cutoff is not None else None
    shown: float | str | None
    if value is None:
        status, shown, message = SelfTestStatus.NOT_DONE, None, f"The {row.name} was not done."
    elif value is Mark.STOPPED_PAIN:
        status, shown = SelfTestStatus.STOPPED_PAIN, Mark.STOPPED_PAIN.value
        message = (f"You stopped the {row.name} because of back or leg pain, so it was not "
                   "scored. Pain during a test is worth mentioning to a clinician; do not repeat "
                   "a test that hurts.")
    elif isinstance(value, Mark):
        status = SelfTestStatus.BELOW if value is Mark.FAIL else SelfTestStatus.OK
        shown, message = value.value, _pass_fail_message(row, value)
    else:
        assert row.cutoff is not None and cutoff is not None  # numeric rows have a cut-off
        failed = row.cutoff.fails(value, sex)
        status = SelfTestStatus.BELOW if failed else SelfTestStatus.OK
        shown, message = value, _number_message(row, value, cutoff, failed, sex)
    return TestResult(test=row.key, value=shown, unit=row.unit, cutoff=cutoff, status=status,
                      contributor=row.contributor, evidence=row.evidence, message=message,
                      source=row.source)


def quantity_text(value: float, unit: str | None, *, decimals: int | None = None) -> str:
    """A value with its unit as a person writes it: "22 s", "23.4°", "15 reps"."""
    number = f"{value:g}" if decimals is None else f"{value:.{decimals}f}"
    if unit is None:
        return number
    return f"{number}°" if unit == "deg" else f"{number} {unit}"


def _number_message(row: SelfTest, value: float, cutoff: float, failed: bool, sex: Sex) -> str:
    assert row.cutoff is not None
    measured = row.measured.format(q=quantity_text(value, row.unit))
    limit = quantity_text(cutoff, row.unit)
    if failed:
        side = "below" if row.cutoff.fail_when is FailWhen.BELOW else "above"
        text = f"Your {row.name} {measured}; {side} {limit} {row.fail_meaning}."
    else:
        bound = "at least" if row.cutoff.fail_when is FailWhen.BELOW else "at most"
        text = f"Your {row.name} {measured}, which meets the cut-off ({bound} {limit})."
    if row.cutoff.by_sex and sex is Sex.UNSPECIFIED:
        text += " The female cut-off was used because sex was not given."
    return text + _evidence_text(row)


def _pass_fail_message(row: SelfTest, value: Mark) -> str:
    if value is Mark.FAIL:
        text = f"Your {row.name}: fail. A fail {row.fail_meaning}."
    else:
        text = f"Your {row.name}: pass. No sign of a problem in this test."
    return text + _evidence_text(row)


def _evidence_text(row: SelfTest) -> str:
    if row.evidence.is_heuristic:
        return f" This cut-off is a heuristic ({row.caveat}), not a clinical norm."
    return f" {row.caveat}"


# --- single-leg bridge asymmetry --------------------------------------------------------------

BRIDGE_BANDS: Final = (("poor", 20.0), ("average", 30.0))  # below 20 poor, up to 30 average
BRIDGE_ASYMMETRY_SOURCE: Final = (f"{_FRECKLETON} bands; comparing the sides is a backstride "
                                  "rule [D]")


def bridge_band(reps: float) -> str:
    """Freckleton's single-leg bridge band: < 20 poor, 20–30 average, > 30 good."""
    if reps < BRIDGE_BANDS[0][1]:
        return "poor"
    return "average" if reps <= BRIDGE_BANDS[1][1] else "good"


def _bridge_asymmetry(tests: SelfTests) -> tuple[Asymmetry, ...]:
    keys = ("single_leg_bridge_left_reps", "single_leg_bridge_right_reps")
    left, right = (tests.values.get(key) for key in keys)
    if not isinstance(left, float) or not isinstance(right, float):
        return ()
    bands = (bridge_band(left), bridge_band(right))
    if bands[0] == bands[1]:
        return ()
    weaker_side = "left" if left < right else "right"
    message = (f"Your single-leg bridge sides are in different bands (left {left:g} reps: "
               f"{bands[0]}, right {right:g} reps: {bands[1]}). The {weaker_side} side's glutes "
               "may be weaker (weak glutes). Comparing sides is a heuristic (backstride's "
               "default), not a clinical norm.")
    return (Asymmetry(tests=keys, bands=bands, weaker=keys[_SIDES.index(weaker_side)],
                      contributor=Contributor.WEAK_GLUTEUS_MEDIUS, evidence=Evidence.DEFAULT,
                      message=message, source=BRIDGE_ASYMMETRY_SOURCE),)


# --- McGill ratios: context only --------------------------------------------------------------


@dataclass(frozen=True, slots=True, kw_only=True)
class RatioSpec:
    ratio: str
    numerator: str
    denominator: str
    label: str
    max_ratio: float | None = None  # healthy below this
    max_gap_from_1: float | None = None  # healthy within this of 1.0

    @property
    def healthy(self) -> str:
        if self.max_ratio is not None:
            return f"< {self.max_ratio}"
        return f"1 ± {self.max_gap_from_1:g}"

    def outside(self, value: float) -> bool:
        if self.max_ratio is not None:
            return value >= self.max_ratio
        assert self.max_gap_from_1 is not None
        return round(abs(value - 1.0), 9) > self.max_gap_from_1  # 1.05 is inside 1 ± 0.05


MCGILL_RATIOS: Final[tuple[RatioSpec, ...]] = (
    RatioSpec(ratio="flexion_extension", numerator="trunk_flexor_hold_s",
              denominator="trunk_extensor_hold_s", label="flexor/extensor hold",
              max_ratio=1.0),
    RatioSpec(ratio="side_right_left", numerator="side_bridge_right_s",
              denominator="side_bridge_left_s", label="side bridge right/left",
              max_gap_from_1=0.05),
    RatioSpec(ratio="side_right_extension", numerator="side_bridge_right_s",
              denominator="trunk_extensor_hold_s", label="side bridge (right)/extensor hold",
              max_ratio=0.75),
    RatioSpec(ratio="side_left_extension", numerator="side_bridge_left_s",
              denominator="trunk_extensor_hold_s", label="side bridge (left)/extensor hold",
              max_ratio=0.75),
)
_RATIO_CONTEXT: Final = ("McGill's rule of thumb, unconfirmed as a rule; context shown with the "
                         "holds, never a finding on its own.")


def compute_mcgill_ratios(tests: SelfTests) -> tuple[McGillRatio, ...]:
    """McGill's endurance ratios where both holds were measured (context only)."""
    return tuple(_ratio(spec, tests) for spec in MCGILL_RATIOS)


def _ratio(spec: RatioSpec, tests: SelfTests) -> McGillRatio:
    top, bottom = tests.values.get(spec.numerator), tests.values.get(spec.denominator)
    value: float | None = None
    outside: bool | None = None
    if isinstance(top, float) and isinstance(bottom, float) and bottom > 0:
        value = round(top / bottom, 3)
        outside = spec.outside(value)
        where = "outside" if outside else "inside"
        message = (f"Your {spec.label} ratio is {value:.2f}, {where} the healthy range "
                   f"({spec.healthy}). {_RATIO_CONTEXT}")
    else:
        message = (f"The {spec.label} ratio needs both holds as numbers "
                   f"({spec.numerator}, {spec.denominator} > 0).")
    return McGillRatio(ratio=spec.ratio, numerator=spec.numerator, denominator=spec.denominator,
                       value=value, healthy=spec.healthy, outside=outside,
                       evidence=Evidence.UNCONFIRMED, message=message, source=MCGILL_SOURCE)


# --- notes ------------------------------------------------------------------------------------


def _notes(tests: SelfTests, results: tuple[TestResult, ...],
           asymmetries: tuple[Asymmetry, ...]) -> tuple[str, ...]:
    notes: list[str] = []
    if tests.sex is Sex.UNSPECIFIED:
        notes.append(SEX_NOT_GIVEN_NOTE)
    if all(r.status is SelfTestStatus.NOT_DONE for r in results):
        notes.append("No self-tests were recorded: nothing was scored.")
    stopped = [r.test for r in results if r.status is SelfTestStatus.STOPPED_PAIN]
    if stopped:
        names = ", ".join(SELF_TESTS_BY_KEY[key].name for key in stopped)
        notes.append(f"Pain stopped: {names}. Pain during a test is worth mentioning to a "
                     "clinician; do not repeat a test that hurts.")
    if any(key.startswith("active_slr_") for key in stopped):
        notes.append("If the leg raise brought on pain, numbness or tingling down the leg, "
                     "answer the triage questions about leg symptoms again (backstride triage).")
    notes.extend(a.message for a in asymmetries)
    return tuple(notes)
