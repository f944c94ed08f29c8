"""Red-flag triage of low back pain (DOMAIN.md §5; CONTRACT.md ``answers/1`` and ``triage/1``).

Three tables drive it: ``ANSWER_KEYS`` (what is asked, its type and range, and what "unsure"
stands for), ``RED_FLAGS`` (rule id, level, condition, reason, source) and ``STARTBACK_ITEMS``.
A rule's condition is data, small declarative predicates such as ``Is("fever", True)`` or
``Greater("pain_days", 28)``, evaluated by one function, :func:`condition_holds`, which also
applies "unsure counts toward the higher level" per key. Red flags mean a raised risk, not a
diagnosis. The level is the highest of every rule that fired; every rule that fired is reported;
triage never raises on validated answers. Answers that cannot be used raise ``InputError`` when
they are read, naming the key: a missing answer is never taken as "no", nothing is clamped.
"""

from __future__ import annotations

import json
import operator
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from enum import StrEnum
from types import MappingProxyType
from typing import Any, Final

from backstride.errors import InputError

ANSWERS_SCHEMA: Final = "backstride.answers/1"
UNSURE: Final = "unsure"
DEFAULT_EMERGENCY_NUMBER: Final = "your local emergency number"
TRIAGE_DISCLAIMER: Final = (
    "backstride gives information, not a diagnosis: a red flag means a raised risk for a "
    "clinician to check, not that something is wrong.")

AnswerValue = int | bool | str
"""A validated answer: an int, a bool, a choice, or ``"unsure"``."""


class Urgency(StrEnum):
    """Triage levels, lowest first. Ordering compares the rank, never the spelling."""

    SELF_CARE = "self_care"
    SEE_CLINICIAN = "see_clinician"
    URGENT = "urgent"
    EMERGENCY = "emergency"

    @property
    def rank(self) -> int:
        return tuple(Urgency).index(self)

    # As a str, "emergency" < "self_care"; these keep max(), sorted() and >= on the clinical order.
    def __lt__(self, other: str) -> bool:
        return self.rank < other.rank if isinstance(other, Urgency) else NotImplemented

    def __le__(self, other: str) -> bool:
        return self.rank <= other.rank if isinstance(other, Urgency) else NotImplemented

    def __gt__(self, other: str) -> bool:
        return self.rank > other.rank if isinstance(other, Urgency) else NotImplemented

    def __ge__(self, other: str) -> bool:
        return self.rank >= other.rank if isinstance(other, Urgency) else NotImplemented


def max_level(levels: Iterable[Urgency]) -> Urgency:
    """The highest level; ``self_care`` when nothing fired."""
    return max(levels, key=lambda level: level.rank, default=Urgency.SELF_CARE)


# --- answers/1: the keys ---------------------------------------------------------------------


class AnswerKind(StrEnum):
    INT = "int"
    BOOL = "bool"
    CHOICE = "choice"


@dataclass(frozen=True, slots=True, kw_only=True)
class AnswerKey:
    """One key of ``answers/1``: its type, allowed values and the question that asks it."""

    name: str
    kind: AnswerKind
    question: str  # plain language, for the interactive questionnaire
    topic: str = ""  # a few words for what it asks, for summaries ("night pain")
    choices: tuple[str, ...] = ()  # CHOICE: the allowed values
    labels: tuple[str, ...] = ()  # CHOICE: what to show for each value
    minimum: int | None = None  # INT: inclusive bounds
    maximum: int | None = None
    emergency: bool = False  # asked first: an answer can make triage an emergency
    # What "unsure" stands for (BOOL, CHOICE). None (INT): "unsure" meets every numeric
    # condition on the key, e.g. age counts as both over 50 and under 20.
    unsure_as: bool | str | None = None

    @property
    def allowed(self) -> str:
        """The allowed values in words, for error messages."""
        if self.kind is AnswerKind.BOOL:
            return 'true or false, or "unsure"'
        if self.kind is AnswerKind.CHOICE:
            return "one of " + ", ".join(f'"{c}"' for c in (*self.choices, UNSURE))
        upper = f"to {self.maximum}" if self.maximum is not None else "or more"
        return f'a whole number from {self.minimum} {upper}, or "unsure"'


_TWO_LEGS: Final = ("none", "one_leg", "both_legs")
_TRAUMA: Final = ("none", "minor", "major")
MAX_AGE_YEARS: Final = 120  # [D] refuses impossible ages; a lifetime in days bounds durations
MAX_DAYS: Final = 43_830  # 120 years


def _yes_no(name: str, question: str, *, emergency: bool = False,
            unsure_as: bool = True) -> AnswerKey:
    return AnswerKey(name=name, kind=AnswerKind.BOOL, question=question, emergency=emergency,
                     unsure_as=unsure_as, topic=TOPICS[name])


def _number(name: str, question: str, maximum: int) -> AnswerKey:
    return AnswerKey(name=name, kind=AnswerKind.INT, question=question, minimum=0,
                     maximum=maximum, topic=TOPICS[name])


TOPICS: Final[Mapping[str, str]] = MappingProxyType({  # what each key asks, in a few words
    "age_years": "your age",
    "pain_days": "how long the pain has lasted",
    "pain_now_0_10": "how bad the pain is now",
    "constant_pain": "constant pain",
    "self_care_days": "days of rest or home treatment",
    "improving": "whether the pain is improving",
    "first_episode": "whether this is your first back pain",
    "bladder_change": "new bladder trouble",
    "bowel_incontinence": "loss of bowel control",
    "saddle_numbness": "numbness around the genitals, anus or buttocks",
    "sexual_dysfunction_new": "a new loss of sexual function",
    "leg_symptoms": "symptoms spreading into the legs",
    "pain_below_knee": "pain past the knee",
    "numbness_tingling": "numbness or tingling in a leg",
    "leg_weakness": "weakness in a leg or foot",
    "weakness_worsening": "weakness getting worse",
    "rest_pain": "pain at rest",
    "night_pain": "night pain",
    "fever": "fever, chills or sweats",
    "unexplained_weight_loss": "unexplained weight loss",
    "cancer_history": "a history of cancer",
    "immunosuppressed_or_ivdu": "weakened immunity or injected drugs",
    "osteoporosis_or_steroids": "osteoporosis or long-term steroids",
    "trauma": "a fall or accident",
    "chest_pain": "chest pain",
    "thoracic_pain": "pain between the shoulder blades",
})


ANSWER_KEYS: Final[tuple[AnswerKey, ...]] = (  # CONTRACT.md order
    _number("age_years", "How old are you, in whole years?", MAX_AGE_YEARS),
    _number("pain_days", "How many days has this episode of back pain lasted?", MAX_DAYS),
    _number("pain_now_0_10", "How bad is the pain right now, from 0 (none) to 10 (worst)?", 10),
    _yes_no("constant_pain", "Is the pain there all the time, not only when you run?"),
    _number("self_care_days",
            "For how many days have you tried rest or home treatment so far?", MAX_DAYS),
    _yes_no("improving", "Is the pain better than it was a few days ago?", unsure_as=False),
    _yes_no("first_episode", "Is this the first back pain of this kind you have ever had?"),
    _yes_no("bladder_change", "Since the back pain began, have you had new trouble starting or "
            "stopping urine, leaking urine, or not feeling when you pass urine?", emergency=True),
    _yes_no("bowel_incontinence", "Have you newly lost control of your bowels, or lost the "
            "feeling that your bowel is full?", emergency=True),
    _yes_no("saddle_numbness", "Do you have numbness or tingling around your genitals, anus, "
            "buttocks or inner thighs?", emergency=True),
    _yes_no("sexual_dysfunction_new", "Have you had a new loss of sexual function, such as new "
            "trouble getting or keeping an erection, or loss of feeling?", emergency=True),
    AnswerKey(name="leg_symptoms", kind=AnswerKind.CHOICE, emergency=True, unsure_as="both_legs",
              topic=TOPICS["leg_symptoms"],
              question="Does pain spread from your back into your leg(s), or do you have "
              "numbness, tingling or weakness there (not muscle soreness from running)?",
              choices=_TWO_LEGS, labels=("No", "Yes, in one leg", "Yes, in both legs")),
    _yes_no("pain_below_knee", "Does pain travel down a leg past the knee?"),
    _yes_no("numbness_tingling", "Do you have numbness or pins and needles in a leg or foot?"),
    # Asked with the emergency questions, just before weakness_worsening, which it gates: a
    # runner with no weakness is not asked whether it is getting worse (derived_answer).
    _yes_no("leg_weakness", "Do you have unusual weakness in a leg or foot, such as tripping "
            "or a foot that slaps down?", emergency=True),
    _yes_no("weakness_worsening", "Is that weakness in your leg or foot getting worse?",
            emergency=True),
    _yes_no("rest_pain", "Does the pain stay when you rest or lie down?"),
    _yes_no("night_pain", "Do you have pain at night that changing position does not ease?"),
    _yes_no("fever", "Do you have a fever, chills or sweats with the pain?"),
    _yes_no("unexplained_weight_loss", "Have you lost weight recently without trying?",
            emergency=True),
    _yes_no("cancer_history", "Have you ever had cancer?"),
    _yes_no("immunosuppressed_or_ivdu", "Is your immunity weakened (by medicines or an "
            "illness), or have you ever injected drugs?"),
    # Asked with the emergency questions: with a minor fall it makes triage an emergency.
    _yes_no("osteoporosis_or_steroids", "Do you have osteoporosis (thin bones), or have you "
            "taken steroid tablets for a long time?", emergency=True),
    AnswerKey(name="trauma", kind=AnswerKind.CHOICE, emergency=True, unsure_as="major",
              topic=TOPICS["trauma"],
              question="Did a fall or an accident happen before the pain began?",
              choices=_TRAUMA, labels=("No", "Yes, a minor one (a slip or a light fall)",
                                       "Yes, a serious one (a road accident or a fall "
                                       "from a height)")),
    _yes_no("chest_pain", "Do you have chest pain?", emergency=True),
    _yes_no("thoracic_pain", "Do you have pain between your shoulder blades?"),
)
ANSWER_KEY: Final[Mapping[str, AnswerKey]] = MappingProxyType({k.name: k for k in ANSWER_KEYS})
ANSWER_NAMES: Final = tuple(ANSWER_KEY)

QUESTION_ORDER: Final[tuple[str, ...]] = (
    # Emergency questions first (DOMAIN.md §5.3): cauda equina, then fracture, chest, weight.
    "bladder_change", "bowel_incontinence", "saddle_numbness", "sexual_dysfunction_new",
    "leg_symptoms", "leg_weakness", "weakness_worsening", "trauma", "osteoporosis_or_steroids",
    "chest_pain", "unexplained_weight_loss",
    # Urgent flags, then see-a-clinician flags, then the episode.
    "fever", "cancer_history", "immunosuppressed_or_ivdu", "night_pain", "thoracic_pain",
    "numbness_tingling", "age_years", "first_episode",
    "pain_below_knee", "rest_pain", "pain_days", "constant_pain", "self_care_days", "improving",
    "pain_now_0_10",
)


def _shown(value: object) -> str:
    """A value as the user wrote it in JSON (true, "left", 300)."""
    try:
        return json.dumps(value)
    except (TypeError, ValueError):
        return repr(value)


def _accepts_int(key: AnswerKey, value: AnswerValue) -> bool:
    return (isinstance(value, int) and not isinstance(value, bool)  # bool is not int
            and (key.minimum is None or value >= key.minimum)
            and (key.maximum is None or value <= key.maximum))


_ACCEPTS: Final[Mapping[AnswerKind, Callable[[AnswerKey, AnswerValue], bool]]] = {
    AnswerKind.INT: _accepts_int,
    AnswerKind.BOOL: lambda key, value: isinstance(value, bool),
    AnswerKind.CHOICE: lambda key, value: isinstance(value, str) and value in key.choices,
}


def _checked(key: AnswerKey, value: object) -> AnswerValue:
    if isinstance(value, str) and value == UNSURE:
        return value
    if isinstance(value, bool | int | str) and _ACCEPTS[key.kind](key, value):
        return value
    raise InputError(f'Triage answer "{key.name}" is {_shown(value)}, which is not allowed: it '
                     f"must be {key.allowed}. Correct that answer and try again.")


def _check_keys(given: Iterable[object], *, allowed: Sequence[str],
                required: Sequence[str]) -> None:
    present = {str(name) for name in given}
    unknown = sorted(present - set(allowed))
    if unknown:
        raise InputError(f"Unknown triage answer key(s): {', '.join(unknown)}. Expected keys: "
                         f"{', '.join(allowed)}. Check the spelling; nothing was assessed.")
    missing = [name for name in required if name not in present]
    if missing:
        raise InputError(f"Triage answers are missing {', '.join(missing)}: every key is "
                         'required. Answer "unsure" for anything you do not know; a missing '
                         'answer is never taken as "no".')


@dataclass(frozen=True, slots=True, kw_only=True)
class Answers:
    """Validated ``answers/1``: every key, with its value as given ("unsure" kept)."""

    values: Mapping[str, AnswerValue]  # in ANSWER_KEYS order
    startback: tuple[int, ...] | None = None  # 9 items, or None when not answered

    def __post_init__(self) -> None:
        _check_keys(self.values, allowed=ANSWER_NAMES, required=ANSWER_NAMES)
        values = {k.name: _checked(k, self.values[k.name]) for k in ANSWER_KEYS}
        object.__setattr__(self, "values", MappingProxyType(values))
        if self.startback is not None:
            object.__setattr__(self, "startback", _checked_startback(self.startback))

    def __getitem__(self, name: str) -> AnswerValue:
        return self.values[name]

    @property
    def unsure(self) -> tuple[str, ...]:
        """The keys answered "unsure"."""
        return tuple(name for name, value in self.values.items() if value == UNSURE)


def validate_answers(data: Mapping[str, object]) -> Answers:
    """Check ``answers/1`` content and return it as :class:`Answers`; refuse, never clamp."""
    if not isinstance(data, Mapping):
        raise InputError(f"Triage answers must be a JSON object of key: value pairs, not "
                         f'{type(data).__name__}, such as {{"schema": "{ANSWERS_SCHEMA}", '
                         '"age_years": 35, ...}; docs/safety.md lists every key.')
    if data.get("schema") != ANSWERS_SCHEMA:
        got = _shown(data["schema"]) if "schema" in data else "missing"
        raise InputError(f'Triage answers "schema" is {got}; it must be "{ANSWERS_SCHEMA}". '
                         "Add or correct that key and try again.")
    _check_keys(data, allowed=("schema", *ANSWER_NAMES, "startback"), required=ANSWER_NAMES)
    raw_startback = data.get("startback")
    return Answers(values={k.name: _checked(k, data[k.name]) for k in ANSWER_KEYS},
                   startback=None if raw_startback is None else _checked_startback(raw_startback))


def derived_answer(name: str, asked: Mapping[str, object]) -> AnswerValue | None:
    """An answer that earlier answers already give, so it is not asked: with no leg weakness
    ("No" to ``leg_weakness``) there is no weakness to get worse. None: ask it."""
    if name == "weakness_worsening" and asked.get("leg_weakness") is False:
        return False
    return None


def not_asked_keys(values: Mapping[str, object]) -> tuple[str, ...]:
    """The keys a questionnaire that stopped at its first emergency answer did not ask.

    They are the keys after the first point in ``QUESTION_ORDER`` where the answers so far make
    triage an emergency, when every one of them is "unsure" (as :func:`unsure_answers` fills
    them); otherwise none. Files saved after an emergency stop are recognised the same way."""
    asked: dict[str, object] = {}
    for index, name in enumerate(QUESTION_ORDER):
        if name not in values:
            return ()
        asked[name] = values[name]
        try:
            stopped = emergency_answered(asked)
        except InputError:
            return ()
        if stopped:
            rest = QUESTION_ORDER[index + 1:]
            return rest if all(values.get(key) == UNSURE for key in rest) else ()
    return ()


def unsure_answers(asked: Mapping[str, object]) -> dict[str, object]:
    """``answers/1`` content with every key not yet asked set to "unsure" (DOMAIN.md §5.3).

    For a questionnaire that stops after an emergency answer; anything else in ``asked``
    (``startback``, a misspelt key) is kept for :func:`validate_answers` to judge.
    """
    filled: dict[str, object] = {"schema": ANSWERS_SCHEMA}
    filled.update({name: asked.get(name, UNSURE) for name in ANSWER_NAMES})
    filled.update({name: value for name, value in asked.items() if name not in filled})
    return filled


# --- Keele STarT Back (DOMAIN.md §5.4) ---------------------------------------------------------


class StartBackRisk(StrEnum):
    LOW = "low"
    MEDIUM = "medium"
    HIGH = "high"


@dataclass(frozen=True, slots=True, kw_only=True)
class StartBackItem:
    number: int  # 1-9
    text: str
    labels: tuple[str, ...]  # the answer stored is the index of the label chosen


@dataclass(frozen=True, slots=True, kw_only=True)
class StartBackScore:
    total: int  # 0-9
    psychosocial: int  # 0-5, items 5-9
    risk: StartBackRisk


STARTBACK_INTRO: Final = "Thinking about the last 2 weeks, do you agree or disagree?"
_AGREE: Final = ("Disagree", "Agree")
_BOTHERSOME: Final = ("Not at all", "Slightly", "Moderately", "Very much", "Extremely")  # [U]
_STARTBACK_TEXTS: Final = (
    "My back pain has spread down my leg(s) at some time in the last 2 weeks.",
    "I have had pain in the shoulder or neck at some time in the last 2 weeks.",
    "I have only walked short distances because of my back pain.",
    "In the last 2 weeks, I have dressed more slowly than usual because of back pain.",
    "It's not really safe for a person with a condition like mine to be physically active.",
    "Worrying thoughts have been going through my mind a lot of the time.",
    "I feel that my back pain is terrible and it's never going to get any better.",
    "In general I have not enjoyed all the things I used to enjoy.",
    "Overall, how bothersome has your back pain been in the last 2 weeks?",
)
STARTBACK_ITEMS: Final[tuple[StartBackItem, ...]] = tuple(
    StartBackItem(number=n, text=text, labels=_BOTHERSOME if n == 9 else _AGREE)
    for n, text in enumerate(_STARTBACK_TEXTS, start=1))
PSYCHOSOCIAL_ITEMS: Final = (5, 6, 7, 8, 9)  # fear, anxiety, catastrophising, mood, bother
ITEM9_COUNTS_FROM: Final = 3  # "Very much" or "Extremely" scores 1
HIGH_PSYCHOSOCIAL_MIN: Final = 4
MEDIUM_TOTAL_MIN: Final = 4


def _checked_startback(items: object) -> tuple[int, ...]:
    if not isinstance(items, list | tuple) or len(items) != len(STARTBACK_ITEMS):
        raise InputError(f'Triage answer "startback" is {_shown(items)}: it must be a list of '
                         "9 whole numbers, items 1-8 as 0 (disagree) or 1 (agree) and item 9 "
                         "from 0 (not at all) to 4 (extremely). Correct it, or leave it out.")
    for item, value in zip(STARTBACK_ITEMS, items, strict=True):
        whole = isinstance(value, int) and not isinstance(value, bool)
        if not whole or not 0 <= value < len(item.labels):
            raise InputError(f'Triage answer "startback" item {item.number} is {_shown(value)}: '
                             f"it must be a whole number from 0 to {len(item.labels) - 1} "
                             f"({' / '.join(item.labels)}). Correct it, or leave STarT Back out.")
    return tuple(items)


def score_startback(items: Sequence[int]) -> StartBackScore:
    """Keele STarT Back: total 0-9, psychosocial subscale 0-5 (items 5-9), and the risk group."""
    answers = _checked_startback(items)
    points = (*answers[:8], int(answers[8] >= ITEM9_COUNTS_FROM))
    total = sum(points)
    psychosocial = sum(points[n - 1] for n in PSYCHOSOCIAL_ITEMS)
    if psychosocial >= HIGH_PSYCHOSOCIAL_MIN:
        risk = StartBackRisk.HIGH
    elif total >= MEDIUM_TOTAL_MIN:
        risk = StartBackRisk.MEDIUM
    else:
        risk = StartBackRisk.LOW
    return StartBackScore(total=total, psychosocial=psychosocial, risk=risk)


# --- conditions: data, one evaluator -----------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Is:
    """A yes/no answer is ``target``."""

    key: str
    target: bool


@dataclass(frozen=True, slots=True)
class Equals:
    """A choice answer is ``target``."""

    key: str
    target: str


@dataclass(frozen=True, slots=True)
class AtLeast:
    key: str
    target: int


@dataclass(frozen=True, slots=True)
class Greater:
    key: str
    target: int


@dataclass(frozen=True, slots=True)
class Less:
    key: str
    target: int


@dataclass(frozen=True, slots=True)
class StartBackIs:
    risk: StartBackRisk


@dataclass(frozen=True, slots=True, init=False)
class AllOf:
    parts: tuple[Condition, ...]

    def __init__(self, *parts: Condition) -> None:
        object.__setattr__(self, "parts", parts)


Atomic = Is | Equals | AtLeast | Greater | Less
Condition = Atomic | StartBackIs | AllOf

_COMPARE: Final[Mapping[type[Atomic], Callable[[Any, Any], Any]]] = {
    Is: operator.eq, Equals: operator.eq, AtLeast: operator.ge, Greater: operator.gt,
    Less: operator.lt,
}
_SYMBOL: Final[Mapping[type[Atomic], str]] = {
    Equals: "=", AtLeast: "≥", Greater: ">", Less: "<",
}


def _unsure_meets(condition: Atomic) -> bool:
    stands_for = ANSWER_KEY[condition.key].unsure_as
    if stands_for is None:  # a number: every numeric rule raises the level, so it is met
        return True
    return bool(_COMPARE[type(condition)](stands_for, condition.target))


def condition_holds(condition: Condition, values: Mapping[str, AnswerValue],
                    startback: StartBackScore | None = None) -> bool:
    """Whether ``condition`` holds; "unsure" counts toward the higher level (CONTRACT.md)."""
    if isinstance(condition, AllOf):
        return all(condition_holds(part, values, startback) for part in condition.parts)
    if isinstance(condition, StartBackIs):
        return startback is not None and startback.risk is condition.risk
    value = values[condition.key]
    if value == UNSURE:
        return _unsure_meets(condition)
    return bool(_COMPARE[type(condition)](value, condition.target))


def atomic_conditions(condition: Condition) -> Iterator[Atomic]:
    """The answer comparisons inside ``condition``."""
    if isinstance(condition, AllOf):
        for part in condition.parts:
            yield from atomic_conditions(part)
    elif not isinstance(condition, StartBackIs):
        yield condition


def condition_keys(condition: Condition) -> tuple[str, ...]:
    """The answer keys ``condition`` reads (``startback`` for STarT Back)."""
    if isinstance(condition, StartBackIs):
        return ("startback",)
    if isinstance(condition, AllOf):
        return tuple(key for part in condition.parts for key in condition_keys(part))
    return (condition.key,)


def describe_condition(condition: Condition) -> str:
    """The condition in words, e.g. ``first_episode and age_years > 50``."""
    if isinstance(condition, AllOf):
        return " and ".join(describe_condition(part) for part in condition.parts)
    if isinstance(condition, StartBackIs):
        return f"STarT Back risk is {condition.risk}"
    if isinstance(condition, Is):
        return condition.key if condition.target else f"not {condition.key}"
    return f"{condition.key} {_SYMBOL[type(condition)]} {condition.target}"


# --- the rules ---------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True, kw_only=True)
class RedFlag:
    """One rule of DOMAIN.md §5.2. It fires on its own condition alone."""

    id: str
    level: Urgency
    condition: Condition
    message: str  # the reason, for the runner: what it may mean
    why: str  # short clause closing the action sentence
    source: str


_LOTHIAN: Final = (
    "NHS Lothian, serious lumbar spine conditions (red flags), "
    "https://apps.nhslothian.scot/refhelp/guidelines/musculoskeletalphysiotherapy/lumbarspine/serious-lumbar-spine-conditions-red-flags")
_NHS: Final = "NHS red flag symptoms, back pain, https://redflagsymptoms.co.uk/back-pain"
_NT: Final = (
    "Northern Health and Social Care Trust physiotherapy, low back pain, "
    "https://www.northerntrust.hscni.net/services/physiotherapy-services/physiotherapy-service-outpatient-service/low-back-pain/")
_CKS: Final = "CKS back pain red flags, https://g-care.glos.nhs.uk/pathway/71/resource/3"
_BMJ: Final = ("BMJ Best Practice, low back pain, "
               "https://bestpractice.bmj.com/topics/en-gb/3000164/diagnosis-approach")
_VERHAGEN: Final = ("Verhagen 2016, "
                    "https://link.springer.com/article/10.1007/s00586-016-4684-0")
_REFERENCE: Final = "backstride reference text (Lower back pain in runners)"
_CES: Final = "cauda equina syndrome"
_NERVES: Final = f"pressure on the nerves at the base of the spine ({_CES})"
_CES_CARE: Final = "needs hospital care now"  # the action says "now": so do the reasons
_PROMPT: Final = (f'{_REFERENCE}: numbness, tingling or unusual weakness in the legs or feet '
                  '"requires prompt medical attention"')
_E, _U, _C = Urgency.EMERGENCY, Urgency.URGENT, Urgency.SEE_CLINICIAN
WEIGHT_LOSS_NOTE: Final = (
    "backstride's reference text treats back pain with unexplained weight loss as a medical "
    "emergency, and backstride follows it; some clinical guidance says a same-day or urgent "
    "appointment is enough instead.")

RED_FLAGS: Final[tuple[RedFlag, ...]] = (
    RedFlag(id="bladder_change", level=_E, condition=Is("bladder_change", True),
            message=f"New bladder trouble with back pain can be a sign of {_NERVES}, which "
            f"{_CES_CARE}.",
            why=f"new bladder trouble with back pain can mean {_NERVES}",
            source=f'Cauda equina syndrome: {_LOTHIAN}; {_BMJ} (hospital "within a few hours")'),
    RedFlag(id="bowel_incontinence", level=_E, condition=Is("bowel_incontinence", True),
            message=f"New loss of bowel control, or of feeling that the bowel is full, can be a "
            f"sign of {_CES}, which {_CES_CARE}. Constipation alone is not this warning sign.",
            why=f"new loss of bowel control can mean {_NERVES}",
            source=f"Cauda equina syndrome: {_LOTHIAN}; constipation alone is not a trigger: "
            "York cauda equina syndrome pathway, "
            "https://hnyppr.org.uk/en-US/web/york/w/back-pain-cauda-equina-syndrome-pathway"),
    RedFlag(id="saddle_numbness", level=_E, condition=Is("saddle_numbness", True),
            message="Numbness or tingling around the genitals, anus, buttocks or inner thighs "
            f"can be a sign of {_CES}, which {_CES_CARE}.",
            why=f"numbness around the genitals, anus or buttocks can mean {_NERVES}",
            source=f"Cauda equina syndrome: {_LOTHIAN}; {_NHS}"),
    RedFlag(id="sexual_dysfunction_new", level=_E, condition=Is("sexual_dysfunction_new", True),
            message=f"A new loss of sexual function with back pain can be a sign of {_CES}, "
            f"which {_CES_CARE}.",
            why=f"a new loss of sexual function can mean {_NERVES}",
            source=f'{_NHS} ("new inability to get or keep an erection": call 999)'),
    RedFlag(id="leg_symptoms_both_legs", level=_E,
            condition=Equals("leg_symptoms", "both_legs"),
            message="Pain, numbness, tingling or weakness spreading into both legs can be a "
            f"sign of {_CES}, which {_CES_CARE}.",
            why=f"symptoms in both legs can mean {_NERVES}",
            source=f"Sciatica in both legs is a cauda equina syndrome warning sign: {_NHS}"),
    RedFlag(id="weakness_worsening", level=_E, condition=Is("weakness_worsening", True),
            message="Leg or foot weakness that is getting worse can mean a nerve is under "
            "increasing pressure, and needs checking now.",
            why="leg weakness that is getting worse can mean a nerve is under increasing "
            "pressure",
            source=f"Progressive neurological deficit: {_LOTHIAN}"),
    RedFlag(id="trauma_major", level=_E, condition=Equals("trauma", "major"),
            message="Back pain after a serious accident or fall needs checking for a broken "
            "bone in the spine.",
            why="back pain after a serious accident needs checking for a broken bone",
            source=f'{_NHS} ("pain after a serious accident")'),
    RedFlag(id="trauma_minor_osteoporosis", level=_E,
            condition=AllOf(Equals("trauma", "minor"), Is("osteoporosis_or_steroids", True)),
            message="With osteoporosis or long-term steroid use even a minor fall can break a "
            "bone in the spine, so this needs checking now.",
            why="with weak bones even a minor fall can break a bone in the spine",
            source=_NT),
    RedFlag(id="chest_pain", level=_E, condition=Is("chest_pain", True),
            message="Chest pain with back pain needs checking straight away: it may not be "
            "coming from the back.",
            why="chest pain with back pain needs checking straight away",
            source=_NHS),
    RedFlag(id="unexplained_weight_loss", level=_E,
            condition=Is("unexplained_weight_loss", True),
            message="Weight loss you cannot explain, together with back pain, needs a doctor to "
            f"look for its cause. {WEIGHT_LOSS_NOTE}",
            why="backstride's reference text treats back pain with unexplained weight loss as a "
            "medical emergency",
            source=f'{_REFERENCE}: back pain "accompanied by unexplained weight loss" is "a '
            "medical emergency\"; NHS and CKS treat it as urgent (NICE NG12, "
            "https://www.nice.org.uk/guidance/ng12); backstride follows the more cautious call "
            "(docs/safety.md)"),
    RedFlag(id="fever", level=_U, condition=Is("fever", True),
            message="Fever, chills or sweats with back pain can mean an infection in or near "
            "the spine.",
            why="fever with back pain can mean an infection",
            source=f"Infection: {_CKS}"),
    RedFlag(id="cancer_history", level=_U, condition=Is("cancer_history", True),
            message="Back pain in someone who has had cancer needs checking for spread to the "
            "spine.",
            why="back pain after cancer needs checking for spread to the spine",
            source=f"Malignancy: {_CKS}"),
    RedFlag(id="immunosuppressed_or_ivdu", level=_U,
            condition=Is("immunosuppressed_or_ivdu", True),
            message="Weakened immunity, or injecting drugs, raises the risk of an infection in "
            "the spine.",
            why="weakened immunity or injecting drugs raises the risk of a spinal infection",
            source=f"Infection: {_CKS}"),
    RedFlag(id="osteoporosis_or_steroids", level=_U,
            condition=Is("osteoporosis_or_steroids", True),
            message="Osteoporosis or long-term steroid use raises the risk of a fracture or an "
            "infection in the spine, even without a fall.",
            why="osteoporosis or long-term steroids raise the risk of a spinal fracture",
            source=f"Fracture and infection flag: {_CKS}; {_VERHAGEN}; the level is "
            "backstride's default"),
    RedFlag(id="first_episode_over_50", level=_U,
            condition=AllOf(Is("first_episode", True), Greater("age_years", 50)),
            message="A first episode of back pain after the age of 50 needs checking for a "
            "cause other than strain.",
            why="a first episode of back pain after 50 needs checking for other causes",
            source=f'{_CKS} ("over 55 in some guidelines")'),
    RedFlag(id="night_pain", level=_U, condition=Is("night_pain", True),
            message="Pain at night that changing position does not ease can point to a cause "
            "other than strain.",
            why="night pain that changing position does not ease needs checking",
            source=f"{_CKS}; lying-down pain that disturbs sleep: see a GP as soon as possible, "
            f"{_NT}"),
    RedFlag(id="thoracic_pain", level=_U, condition=Is("thoracic_pain", True),
            message="Pain between the shoulder blades with back pain needs a prompt check.",
            why="pain between the shoulder blades needs a prompt check",
            source=f"{_NHS} (urgent GP appointment or NHS 111)"),
    RedFlag(id="leg_weakness", level=_U, condition=Is("leg_weakness", True),
            message="Unusual weakness in a leg or foot, such as tripping or a foot that slaps "
            "down, suggests a pressed nerve and needs prompt medical attention.",
            why="weakness in a leg or foot suggests a pressed nerve",
            source=f"{_PROMPT}; foot drop needs urgent referral: {_LOTHIAN}"),
    RedFlag(id="numbness_tingling", level=_U, condition=Is("numbness_tingling", True),
            message="Numbness or pins and needles in a leg or foot suggests a pressed nerve and "
            "needs prompt medical attention.",
            why="numbness or tingling in a leg suggests a pressed nerve",
            source=_PROMPT),
    RedFlag(id="leg_symptoms_one_leg", level=_C, condition=Equals("leg_symptoms", "one_leg"),
            message="Pain or other symptoms spreading from the back into one leg may mean an "
            "irritated nerve, such as sciatica; a doctor or physiotherapist should check it.",
            why="symptoms spreading into a leg may mean an irritated nerve",
            source=f'{_REFERENCE}: "Any pain that radiates down the leg, especially past the '
            'knee, may suggest nerve involvement"'),
    RedFlag(id="pain_below_knee", level=_C, condition=Is("pain_below_knee", True),
            message="Pain travelling down a leg past the knee suggests nerve involvement such "
            "as sciatica, which usually gets better within 4 to 6 weeks; have it checked.",
            why="pain past the knee suggests nerve involvement",
            source=f"{_REFERENCE}; sciatica usually better in 4-6 weeks: "
            "https://www.windsorhousegrouppractice.co.uk/conditions/sciatica/"),
    RedFlag(id="rest_pain", level=_C, condition=Is("rest_pain", True),
            message="Pain that stays at rest or when lying down may have a cause beyond a simple "
            "muscle strain.",
            why="pain at rest may have a cause beyond muscle strain",
            source=f'{_REFERENCE}: pain "that persists even when lying down or during periods '
            'of rest may indicate an underlying issue"'),
    RedFlag(id="constant_pain_7d_not_improving", level=_C,
            condition=AllOf(Is("constant_pain", True), AtLeast("self_care_days", 7),
                            Is("improving", False)),
            message="Constant pain that has not improved after a week of rest or home treatment "
            "should be assessed by a doctor or physiotherapist.",
            why="constant pain has not improved after a week of rest or home treatment",
            source=f'{_REFERENCE}: pain that is "constant, and does not improve after a week of '
            'rest or home treatment, it should be assessed by a healthcare provider"'),
    RedFlag(id="pain_over_28d_not_improving", level=_C,
            condition=AllOf(Greater("pain_days", 28), Is("improving", False)),
            message="Back pain that has lasted more than four weeks without getting better "
            "should be assessed.",
            why="the pain has lasted more than four weeks without getting better",
            source=f'{_CKS} ("failure to improve after one month")'),
    RedFlag(id="age_under_20", level=_C, condition=Less("age_years", 20),
            message="Back pain that starts before the age of 20 is less often a simple strain "
            "and is worth a check.",
            why="back pain before the age of 20 is worth a check",
            source=f"{_CKS} (onset under 20 is a flag); the level is backstride's default"),
    RedFlag(id="startback_high", level=_C, condition=StartBackIs(StartBackRisk.HIGH),
            message="Your STarT Back answers show a high risk of the pain becoming long-lasting "
            "and disabling; a physiotherapist can help early.",
            why="your STarT Back answers show a high risk of long-lasting pain",
            source="Keele STarT Back Screening Tool, scoring: "
            "https://physio-pedia.com/STarT_Back_Screening_Tool; risk stratification: NICE "
            "QS155, https://nice.org.uk/guidance/qs155/chapter/quality-statement-1-risk-stratification"),
)
RED_FLAG: Final[Mapping[str, RedFlag]] = MappingProxyType({r.id: r for r in RED_FLAGS})


def unsure_meaning(name: str) -> str:
    """How "unsure" counts for one key, in words (docs and questionnaire)."""
    key = ANSWER_KEY[name]
    if key.unsure_as is True:
        return "counts as yes"
    if key.unsure_as is False:
        return "counts as no"
    if key.unsure_as is not None:
        return f'counts as "{key.unsure_as}"'
    met = dict.fromkeys(describe_condition(c) for rule in RED_FLAGS
                        for c in atomic_conditions(rule.condition) if c.key == name)
    return "meets every rule on it: " + ", ".join(met) if met else "feeds no rule"


# --- assessment --------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True, kw_only=True)
class RuleHit:
    rule: str
    level: Urgency
    message: str  # the rule's message, and which keys were "unsure" (for the JSON)
    source: str
    plain: str = ""  # the rule's message alone, for people: no key names
    unsure: tuple[str, ...] = ()  # the keys of this rule answered (or left) "unsure"


@dataclass(frozen=True, slots=True, kw_only=True)
class TriageResult:
    level: Urgency  # EMERGENCY > URGENT > SEE_CLINICIAN > SELF_CARE
    action: str  # one sentence: what to do and how soon
    reasons: tuple[RuleHit, ...]  # highest level first, then table order
    startback: StartBackScore | None  # None without STarT Back answers
    unsure: tuple[str, ...] = ()  # keys answered "unsure" or not asked, question order
    not_asked: tuple[str, ...] = ()  # keys not asked after an emergency stop (not_asked_keys)


ACTIONS: Final[Mapping[Urgency, str]] = MappingProxyType({
    Urgency.EMERGENCY: "Go to an emergency department now or call {emergency_number}: {why}.",
    Urgency.URGENT: "See a doctor within 1–2 days, or today if it gets worse: {why}.",
    Urgency.SEE_CLINICIAN: "Book a doctor or physiotherapist to see you within about a week: "
                           "{why}.",
    Urgency.SELF_CARE: "Stay active and keep moving within comfort: most back pain improves a "
                       "lot within a couple of weeks, so see a doctor or physiotherapist if it "
                       "does not, or if new symptoms appear.",
})


UNSURE_NOTE: Final = ' Not answered, or answered "unsure": '


def plain_message(message: str) -> str:
    """A stored reason's message without the note that names "unsure" keys (for pages)."""
    return message.split(UNSURE_NOTE, 1)[0]


def _hit(rule: RedFlag, answers: Answers) -> RuleHit:
    unsure = [key for key in dict.fromkeys(condition_keys(rule.condition))
              if key in answers.values and answers[key] == UNSURE]
    note = (f'{UNSURE_NOTE}{", ".join(unsure)}; not knowing counts toward the more cautious '
            "answer." if unsure else "")
    return RuleHit(rule=rule.id, level=rule.level, message=rule.message + note,
                   source=rule.source, plain=rule.message, unsure=tuple(unsure))


def fired_rules(answers: Answers) -> tuple[RedFlag, ...]:
    """Every rule that fires, highest level first, then in table order."""
    startback = None if answers.startback is None else score_startback(answers.startback)
    fired = [r for r in RED_FLAGS if condition_holds(r.condition, answers.values, startback)]
    return tuple(sorted(fired, key=lambda rule: -rule.level.rank))  # stable: table order kept


def assess(answers: Answers, *,
           emergency_number: str = DEFAULT_EMERGENCY_NUMBER) -> TriageResult:
    """Triage: the highest level of every rule that fired, one action sentence, every reason."""
    fired = fired_rules(answers)
    level = max_level(rule.level for rule in fired)
    why = fired[0].why if fired else ""
    return TriageResult(
        level=level,
        action=ACTIONS[level].format(emergency_number=emergency_number, why=why),
        reasons=tuple(_hit(rule, answers) for rule in fired),
        startback=None if answers.startback is None else score_startback(answers.startback),
        unsure=tuple(name for name in QUESTION_ORDER if answers[name] == UNSURE),
        not_asked=not_asked_keys(answers.values))


def emergency_answered(asked: Mapping[str, object]) -> bool:
    """Whether the answers given so far already make triage an emergency.

    Only rules whose keys have all been answered count, so an interactive questionnaire can
    stop at once, save :func:`unsure_answers` and show the result (DOMAIN.md §5.3).
    """
    _check_keys(asked, allowed=("schema", *ANSWER_NAMES, "startback"), required=())
    values = {k.name: _checked(k, asked[k.name]) for k in ANSWER_KEYS if k.name in asked}
    return any(rule.level is Urgency.EMERGENCY
               and set(condition_keys(rule.condition)) <= values.keys()
               and condition_holds(rule.condition, values)
               for rule in RED_FLAGS)
