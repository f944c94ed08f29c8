"""Self-test output: ``backstride.selftest_result/1`` JSON, terminal text, instructions, docs table.

The JSON holds the contract's keys (``schema``, ``results``, ``notes``) plus ``contributors``,
``ratios`` (McGill's, context only) and ``asymmetries`` (single-leg bridge sides in different
bands). Display text for the runner comes only from here.
"""

from __future__ import annotations

import textwrap
from itertools import groupby
from typing import Any, Final

from backstride.core.screening import (
    MCGILL_RATIOS,
    MCGILL_SOURCE,
    SELF_TESTS,
    SELF_TESTS_BY_KEY,
    STOP_RULE,
    Asymmetry,
    Cutoff,
    FailWhen,
    McGillRatio,
    ScreeningResult,
    SelfTest,
    SelfTestStatus,
    TestResult,
    quantity_text,
)

SCHEMA: Final = "backstride.selftest_result/1"
JSON = dict[str, Any]
_STATUS_TAG: Final = {SelfTestStatus.OK: "OK   ", SelfTestStatus.BELOW: "BELOW",
                      SelfTestStatus.STOPPED_PAIN: "PAIN "}
_SAFETY: Final = ("Skip every self-test while triage says urgent or emergency. Warm up with a few "
                  f"minutes of easy movement first. {STOP_RULE}")


def selftest_json(result: ScreeningResult) -> JSON:
    return {
        "schema": SCHEMA,
        "results": [_result(r) for r in result.results],
        "notes": list(result.notes),
        "contributors": [c.value for c in result.contributors],
        "ratios": [_ratio(r) for r in result.ratios],
        "asymmetries": [_asymmetry(a) for a in result.asymmetries],
    }


def _result(r: TestResult) -> JSON:
    return {"test": r.test, "value": r.value, "unit": r.unit, "cutoff": r.cutoff,
            "status": r.status.value, "contributor": r.contributor.value,
            "evidence": r.evidence.value, "message": r.message, "source": r.source}


def _ratio(r: McGillRatio) -> JSON:
    return {"ratio": r.ratio, "numerator": r.numerator, "denominator": r.denominator,
            "value": r.value, "healthy": r.healthy, "outside": r.outside,
            "evidence": r.evidence.value, "context_only": True, "message": r.message,
            "source": r.source}


def _asymmetry(a: Asymmetry) -> JSON:
    return {"tests": list(a.tests), "bands": list(a.bands), "weaker": a.weaker,
            "contributor": a.contributor.value, "evidence": a.evidence.value,
            "message": a.message, "source": a.source}


def _title(text: str) -> str:
    return text[:1].upper() + text[1:]


def _value_text(r: TestResult) -> str:
    if isinstance(r.value, float):
        return quantity_text(r.value, r.unit)
    return str(r.value)


def cutoff_text(cutoff: Cutoff | None, unit: str | None) -> str:
    """"< 29 s", "< 20 s women / < 52 s men", or "fail" for a pass/fail test."""
    if cutoff is None:
        return "fail"
    sign = "<" if cutoff.fail_when is FailWhen.BELOW else ">"
    if not cutoff.by_sex:
        return f"{sign} {quantity_text(cutoff.female, unit)}"
    decimals = 0 if cutoff.female.is_integer() and cutoff.male.is_integer() else 1
    return (f"{sign} {quantity_text(cutoff.female, unit, decimals=decimals)} women / "
            f"{sign} {quantity_text(cutoff.male, unit, decimals=decimals)} men")


def selftest_text(result: ScreeningResult) -> str:
    """The scored self-tests for the terminal: done tests first, then what was not done."""
    lines = ["Self-tests (possible contributors, not a diagnosis)"]
    for r in result.results:
        if r.status is SelfTestStatus.NOT_DONE:
            continue
        row = SELF_TESTS_BY_KEY[r.test]
        tag = " [heuristic]" if r.evidence.is_heuristic else ""
        limit = (f"  (fails {cutoff_text(row.cutoff, row.unit)})" if r.cutoff is not None
                 else "")
        lines.append(f"  {_STATUS_TAG[r.status]} {_title(row.name):<40} "
                     f"{_value_text(r):>10}{limit}{tag}")
        if r.status is not SelfTestStatus.OK:
            lines.append(_wrap(r.message, "         "))
    not_done = [r.test for r in result.results if r.status is SelfTestStatus.NOT_DONE]
    if not_done:
        lines.append(f"  not done: {', '.join(not_done)}")
    measured = [r for r in result.ratios if r.value is not None]
    if measured:
        lines.append("McGill ratios (context only, never a finding on their own)")
        for ratio in measured:
            where = "outside" if ratio.outside else "inside"
            lines.append(f"  {ratio.ratio:<22} {ratio.value:.2f}  healthy {ratio.healthy}, "
                         f"{where} [heuristic]")
    shown = ", ".join(c.value for c in result.contributors) or "none"
    lines.append(f"Possible contributors: {shown}")
    lines.extend(_wrap(note, "      ", first="note: ") for note in result.notes)
    return "\n".join(lines)


def _wrap(text: str, indent: str, *, first: str | None = None) -> str:
    return textwrap.fill(text, width=100, initial_indent=indent if first is None else first,
                         subsequent_indent=indent, break_on_hyphens=False)


def _family(row: SelfTest) -> str:
    """The test without its side: "side bridge (left)" -> "side bridge"."""
    return row.name.removesuffix(" (left)").removesuffix(" (right)")


def selftest_instructions_text() -> str:
    """How to do every self-test at home and what to write down, in table order."""
    lines = ["Home self-tests", _wrap(_SAFETY, ""), ""]
    for how, group in groupby(SELF_TESTS, key=lambda row: row.how):
        rows = list(group)
        lines.append(_title(_family(rows[0])))
        lines.append(_wrap(how, "       ", first="  How: "))
        for row in rows:
            unit = f" ({row.unit})" if row.unit else " (pass / fail)"
            lines.append(_wrap(row.record, "    ", first=f"  Record {row.key}{unit}: "))
        lines.append("")
    return "\n".join(lines).rstrip() + "\n"


def _valid_text(row: SelfTest) -> str:
    if row.valid is None:
        return "pass, fail"
    whole = " (whole)" if row.valid.whole else ""
    return f"{row.valid.low:g}–{quantity_text(row.valid.high, row.unit)}{whole}"


def _cell(text: str) -> str:
    return text.replace("|", "\\|")


def selftest_docs_table() -> str:
    """The Markdown tables of docs/self-tests.md, generated from SELF_TESTS and MCGILL_RATIOS."""
    lines = ["| key | test | how (home) | record | valid input | norm | fails when (by sex) "
             "| contributor | evidence | source |",
             "|---|---|---|---|---|---|---|---|---|---|"]
    for row in SELF_TESTS:
        cells = (f"`{row.key}`", row.name, row.how, row.record, _valid_text(row), row.norm,
                 cutoff_text(row.cutoff, row.unit), f"`{row.contributor.value}`",
                 row.evidence.value, row.source)
        lines.append("| " + " | ".join(_cell(c) for c in cells) + " |")
    lines += ["", "| McGill ratio | numerator / denominator | healthy | evidence |",
              "|---|---|---|---|"]
    for spec in MCGILL_RATIOS:
        lines.append(f"| `{spec.ratio}` | `{spec.numerator}` / `{spec.denominator}` | "
                     f"{spec.healthy} | unconfirmed (context only) |")
    lines += ["", f"Sources: {_cell(MCGILL_SOURCE)}."]
    return "\n".join(lines) + "\n"
