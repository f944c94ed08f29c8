"""Interactive questionnaires for the terminal (an interface module, beside cli.py).

Triage asks one plain question at a time, emergency questions first; after an answer that
makes triage an emergency it stops at once, fills the unasked keys with "unsure" and returns,
so the CLI can show the result first and alone.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import click

from backstride.core.screening import SELF_TESTS, SelfTestKind
from backstride.core.triage import (
    ANSWER_KEYS,
    ANSWERS_SCHEMA,
    QUESTION_ORDER,
    STARTBACK_ITEMS,
    UNSURE,
    AnswerKey,
    AnswerKind,
    derived_answer,
    emergency_answered,
    unsure_answers,
)
from backstride.errors import InputError

Ask = Callable[[str], str]
TRIAGE_INTRO = (
    "A few questions about your back pain, the most important first. Answer y (yes), n (no), "
    "a number, or u if you are not sure. \"Not sure\" counts as the more cautious answer "
    "(yes, for almost every question): a \"not sure\" to an emergency question gives the "
    "emergency advice at once, to be safe.")
_KEYS = {k.name: k for k in ANSWER_KEYS}
_YES = {"y", "yes", "true"}
_NO = {"n", "no", "false"}
MAX_ANSWER_DIGITS = 6  # no answer needs more; a pasted 5000-digit number is asked again


def _parse(key: AnswerKey, text: str) -> object:
    raw = text.strip().lower()
    if raw in ("u", "unsure", "?", "not sure"):
        return UNSURE
    if key.kind is AnswerKind.BOOL:
        if raw in _YES or raw in _NO:
            return raw in _YES
        raise click.BadParameter("answer y (yes), n (no) or u (not sure)")
    if key.kind is AnswerKind.CHOICE:
        if raw.isdecimal() and len(raw) <= MAX_ANSWER_DIGITS and 1 <= int(raw) <= len(
                key.choices):
            return key.choices[int(raw) - 1]
        raise click.BadParameter(f"answer a number from 1 to {len(key.choices)}, or u")
    if raw.isdecimal() and len(raw) <= MAX_ANSWER_DIGITS:  # int() of 4300+ digits raises
        value = int(raw)
        if (key.minimum is None or value >= key.minimum) and (
                key.maximum is None or value <= key.maximum):
            return value
    raise click.BadParameter(f"answer {key.allowed}")


def _key_parser(key: AnswerKey) -> Callable[[str], object]:
    return lambda text: _parse(key, text)


def _prompt(key: AnswerKey) -> str:
    if key.kind is AnswerKind.BOOL:
        return f"{key.question} [y/n/u=not sure]"
    if key.kind is AnswerKind.CHOICE:
        options = "  ".join(f"{i}) {label}" for i, label in enumerate(key.labels, start=1))
        return f"{key.question}\n  {options}  u) not sure\n  Your answer"
    return f"{key.question} [number or u=not sure]"


def ask_triage(ask: Ask | None = None, *, startback: bool = True) -> tuple[dict[str, Any], bool]:
    """Answers (answers/1 content) and whether it stopped early on an emergency answer."""
    ask = ask or _terminal(_TRIAGE_ENDED)
    asked: dict[str, Any] = {"schema": ANSWERS_SCHEMA}
    for name in QUESTION_ORDER:
        key = _KEYS[name]
        derived = derived_answer(name, asked)  # no weakness: none that gets worse
        asked[name] = derived if derived is not None else _ask_until_valid(
            ask, _prompt(key), _key_parser(key))
        if emergency_answered(asked):
            return unsure_answers(asked), True
    if startback and _parse_yes(ask("Answer the 9 STarT Back questions about the last 2 "
                                    "weeks (about 1 minute)? [y/n]")):
        asked["startback"] = [_ask_until_valid(ask, _startback_prompt(i), _item_parser(i))
                              for i in range(len(STARTBACK_ITEMS))]
    return asked, False


_TRIAGE_ENDED = ("The questions ended before they were all answered (end of input, or Ctrl-C): "
                 "nothing was assessed or saved. Run 'backstride triage' again to answer them "
                 "all, or give a saved answers file with --answers FILE.")
_SELFTESTS_ENDED = ("The self-tests ended before they were all asked (end of input, or Ctrl-C): "
                    "nothing was scored or saved. Run 'backstride selftest' again (press Enter "
                    "to skip a test), or give a results file with --results FILE.")


def _terminal(ended: str, **prompt_options: Any) -> Ask:
    """click.prompt, where end of input is an InputError that says what to do (click's own
    "Aborted!" would be the only thing printed)."""
    def ask(text: str) -> str:
        try:
            return str(click.prompt(text, type=str, show_default=False, **prompt_options))
        except click.Abort:
            click.echo("", err=True)  # end the prompt's line: the error gets its own
            raise InputError(ended) from None

    return ask


def _startback_prompt(index: int) -> str:
    item = STARTBACK_ITEMS[index]
    options = "  ".join(f"{n}) {label}" for n, label in enumerate(item.labels))
    return f"STarT Back {item.number}/9: {item.text}\n  {options}\n  Your answer"


def _item_parser(index: int) -> Callable[[str], object]:
    top = len(STARTBACK_ITEMS[index].labels) - 1

    def parse(text: str) -> object:
        raw = text.strip()
        if raw.isdecimal() and len(raw) <= MAX_ANSWER_DIGITS and 0 <= int(raw) <= top:
            return int(raw)
        raise click.BadParameter(f"answer a number from 0 to {top}")

    return parse


def _parse_yes(text: str) -> bool:
    return text.strip().lower() in _YES


def _ask_until_valid(ask: Ask, prompt: str, parse: Callable[[str], object]) -> Any:
    while True:
        try:
            return parse(ask(prompt))
        except click.BadParameter as exc:
            click.echo(f"  Please {exc.message}.", err=True)


def ask_selftests(ask: Ask | None = None) -> dict[str, Any]:
    """selftests/1 content: each test's instructions, then its value (Enter skips it)."""
    ask = ask or _terminal(_SELFTESTS_ENDED, default="")
    results: dict[str, Any] = {"schema": "backstride.selftests/1"}
    sex = ask("Sex, for the norms that differ (female/male, Enter to skip)").strip().lower()
    if sex in ("female", "male"):
        results["sex"] = sex
    for test in SELF_TESTS:
        prompt = f"\n{test.name.capitalize()}: {test.how}\n  Record: {test.record}\n  "
        if test.kind is SelfTestKind.PASS_FAIL:
            prompt += "Result [pass/fail/p = stopped by pain/Enter = not done]"
        else:
            prompt += f"Result in {test.unit} [number/p = stopped by pain/Enter = not done]"
        value = _ask_until_valid(ask, prompt, _test_parser(test.kind))
        if value is not None:
            results[test.key] = value
    return results


def _test_parser(kind: SelfTestKind) -> Callable[[str], object]:
    return lambda text: _parse_test(kind, text)


def _parse_test(kind: SelfTestKind, text: str) -> object:
    raw = text.strip().lower()
    if raw == "":
        return None
    if raw in ("p", "pain", "stopped_pain"):
        return "stopped_pain"
    if kind is SelfTestKind.PASS_FAIL:
        if raw in ("pass", "fail"):
            return raw
        raise click.BadParameter("answer pass or fail (or p if pain stopped the test)")
    try:
        return float(raw)
    except ValueError as exc:
        raise click.BadParameter("answer a number (or p if pain stopped the test)") from exc
