"""Triage output: ``backstride.triage/1`` and ``backstride.answers/1`` JSON (CONTRACT.md), and
the terminal text, which puts the level and the action first and alone."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from backstride.core.triage import (
    ANSWER_KEY,
    ANSWERS_SCHEMA,
    QUESTION_ORDER,
    RED_FLAG,
    TRIAGE_DISCLAIMER,
    UNSURE,
    Answers,
    RuleHit,
    StartBackScore,
    TriageResult,
    Urgency,
    condition_keys,
    not_asked_keys,
    plain_message,
)

SCHEMA = "backstride.triage/1"
JSON = dict[str, Any]

LEVEL_WORDS = {"emergency": "emergency", "urgent": "urgent",
               "see_clinician": "see a clinician", "self_care": "self-care"}
LEVEL_LABELS = {
    Urgency.EMERGENCY: "EMERGENCY",
    Urgency.URGENT: "URGENT",
    Urgency.SEE_CLINICIAN: "SEE A CLINICIAN",
    Urgency.SELF_CARE: "SELF-CARE",
}


def triage_json(result: TriageResult) -> JSON:
    return {
        "schema": SCHEMA,
        "level": result.level.value,
        "action": result.action,
        "reasons": [_reason(hit) for hit in result.reasons],
        "startback": _startback(result.startback) if result.startback is not None else None,
    }


def answers_json(answers: Answers) -> JSON:
    """The ``answers/1`` file content, values as given ("unsure" kept)."""
    out: JSON = {"schema": ANSWERS_SCHEMA, **answers.values}
    if answers.startback is not None:
        out["startback"] = list(answers.startback)
    return out


def _reason(hit: RuleHit) -> JSON:
    return {"rule": hit.rule, "level": hit.level.value, "message": hit.message,
            "source": hit.source}


def _startback(score: StartBackScore) -> JSON:
    return {"total": score.total, "psychosocial": score.psychosocial, "risk": score.risk.value}


def _joined(words: Sequence[str]) -> str:
    if len(words) > 4:
        return f"{len(words)} questions ({', '.join(words[:3])}, and others)"
    return words[0] if len(words) == 1 else f"{', '.join(words[:-1])} and {words[-1]}"


def unsure_summary(unsure: Sequence[str], not_asked: Sequence[str]) -> str | None:
    """One line for the answers that were "not sure" or never asked (docs/safety.md,
    "Reasons a frightened person can read"); None when every question was answered."""
    asked_unsure = [name for name in unsure if name not in not_asked]
    parts = []
    if asked_unsure:
        topics = _joined([ANSWER_KEY[name].topic for name in asked_unsure])
        parts.append(f'You answered "not sure" about {topics}; to be safe, "not sure" counts '
                     "as the more cautious answer.")
    if not_asked:
        count = len(not_asked)
        parts.append("We stopped at your first emergency answer; the other "
                     f"{count} question{'s were' if count != 1 else ' was'} not asked.")
    return " ".join(parts) or None


def explained(result: Mapping[str, Any], answers: Mapping[str, Any]
              ) -> tuple[list[dict[str, Any]], str | None]:
    """A stored triage/1 result for people: the reasons that fired on answers given (plain
    messages, no rule ids or keys), and the one line about "not sure" and unasked answers."""
    unsure = [name for name in QUESTION_ORDER if answers.get(name) == UNSURE]
    given = []
    for reason in result.get("reasons", []):
        flag = RED_FLAG.get(reason.get("rule", ""))
        keys = condition_keys(flag.condition) if flag is not None else ()
        if any(answers.get(key) == UNSURE for key in keys):
            continue
        given.append({"level": reason["level"], "level_words": LEVEL_WORDS.get(
            reason["level"], reason["level"]), "message": plain_message(reason["message"]),
            "source": reason["source"]})
    return given, unsure_summary(unsure, not_asked_keys(answers))


def triage_text(result: TriageResult) -> str:
    """Level and action first, on their own line; then the reasons that fired on answers
    given, in plain words; then one line for "not sure" and unasked answers; STarT Back."""
    lines = [f"{LEVEL_LABELS[result.level]} — {result.action}", ""]
    given = [hit for hit in result.reasons if not hit.unsure]
    summary = unsure_summary(result.unsure, result.not_asked)
    if given:
        lines.append("Why:")
        for hit in given:
            lines.append(f"  - {hit.plain or hit.message} ({LEVEL_WORDS[hit.level.value]})")
            lines.append(f"      source: {hit.source}")
    elif summary is None:
        lines.append("No red flags in your answers.")
    if summary is not None:
        lines.append(summary)
    if result.startback is not None:
        score = result.startback
        lines += ["", f"STarT Back: {score.risk.value} risk of the pain becoming long-lasting "
                      f"(total {score.total}/9, psychosocial {score.psychosocial}/5)."]
    lines += ["", TRIAGE_DISCLAIMER]
    return "\n".join(lines)
