"""Triage output: ``backstride.triage/1`` and ``backstride.answers/1`` JSON (CONTRACT.md), and
the terminal text, which puts the level and the action first and alone."""

from __future__ import annotations

from typing import Any

from backstride.core.triage import (
    ANSWERS_SCHEMA,
    TRIAGE_DISCLAIMER,
    Answers,
    RuleHit,
    StartBackScore,
    TriageResult,
    Urgency,
)

SCHEMA = "backstride.triage/1"
JSON = dict[str, Any]

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


def triage_text(result: TriageResult) -> str:
    """Level and action first, on their own line; then the reasons, then STarT Back."""
    lines = [f"{LEVEL_LABELS[result.level]} — {result.action}", ""]
    if result.reasons:
        lines.append("Why:")
        for hit in result.reasons:
            lines.append(f"  [{hit.level.value}] {hit.rule}: {hit.message}")
            lines.append(f"      source: {hit.source}")
    else:
        lines.append("No red flags in your answers.")
    if result.startback is not None:
        score = result.startback
        lines += ["", f"STarT Back: {score.risk.value} risk of the pain becoming long-lasting "
                      f"(total {score.total}/9, psychosocial {score.psychosocial}/5)."]
    lines += ["", TRIAGE_DISCLAIMER]
    return "\n".join(lines)
