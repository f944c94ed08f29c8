"""Triage, self-tests, the plan with its downloads, and clearances: the CLI's care commands in a
browser. Each handler reads a form, calls one workflow and shows the result; the questions, the
tests, the rules and the plan all come from the core tables through the workflows.

The plan of the last "make my plan" is kept on the app instance (one per runner), so the page,
the printable page and every download show the same plan; a new triage, self-test or clearance
drops it.
"""

from __future__ import annotations

import io
import math
import os
import re
import shutil
import tempfile
import zipfile
from collections.abc import Iterable
from datetime import UTC, date, datetime
from itertools import groupby
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any, Final

from fastapi import APIRouter, File, Form, HTTPException, Request, UploadFile
from fastapi.responses import (
    FileResponse,
    HTMLResponse,
    JSONResponse,
    RedirectResponse,
    Response,
)
from starlette.background import BackgroundTask
from starlette.datastructures import FormData

from backstride import workflows
from backstride.adapters.render import plan_html, plan_links
from backstride.adapters.render.selftest_json import cutoff_text
from backstride.adapters.render.triage_json import explained
from backstride.config import save_setting
from backstride.core.plan import WAITING_REASON
from backstride.core.screening import SCHEMA as SELFTESTS_SCHEMA
from backstride.core.screening import SELF_TESTS, Mark, SelfTest, SelfTestKind, quantity_text
from backstride.core.triage import (
    ANSWER_KEY,
    ANSWERS_SCHEMA,
    QUESTION_ORDER,
    STARTBACK_INTRO,
    STARTBACK_ITEMS,
    TRIAGE_DISCLAIMER,
    UNSURE,
    AnswerKey,
    AnswerKind,
    derived_answer,
    emergency_answered,
    unsure_answers,
)
from backstride.errors import BackstrideError, ConfigError, InputError
from backstride.web import security
from backstride.web.auth import runner_of, team_mode
from backstride.web.forms import NUMBER, in_words, short
from backstride.web.pages import cached_page, render, settings_of

if TYPE_CHECKING:
    from backstride.adapters.storage.records import TriageRecord

router = APIRouter()

BOOL_VALUES: Final = {"yes": True, "no": False, UNSURE: UNSURE}
INT_UNIT_WORDS: Final = {"_years": "years", "_days": "days", "_0_10": "from 0 to 10"}
TEST_UNIT_WORDS: Final = {"s": "seconds", "reps": "full repetitions", "deg": "degrees",
                          "h/day": "hours a day"}
STOPPED_PAIN: Final = Mark.STOPPED_PAIN.value
METRONOME_MINUTES: Final = 5.0  # as `backstride metronome`
MAX_METRONOME_MINUTES: Final = 10.0  # a download stays a sensible size (about 53 MB at most)
DEFAULT_METRONOME_SPM: Final = 170.0  # the demo's, when the plan has no cadence step
MAX_ANSWER_DIGITS: Final = 6  # as the terminal questionnaire
PHONE_NUMBER: Final = re.compile(r"\+?[0-9][0-9 ]{1,14}")


# --- triage -----------------------------------------------------------------------------------


def _text(form: FormData, name: str) -> str:
    value = form.get(name)
    return value.strip() if isinstance(value, str) else ""


def _whole(raw: str) -> object:
    """A typed whole number as an int; anything else (or a number too long to convert: int()
    raises past 4300 digits) passed on as text, for the validator to name."""
    return int(raw) if raw.isdecimal() and len(raw) <= MAX_ANSWER_DIGITS else raw


def _answer(key: AnswerKey, form: FormData) -> object | None:
    """One answer as answers/1 holds it; None when not answered. A value the form cannot have
    sent is passed on as typed, for the validator to name."""
    raw = _text(form, key.name)
    if key.kind is AnswerKind.INT:
        if _text(form, f"{key.name}_unsure") == UNSURE:
            return UNSURE
        return None if raw == "" else _whole(raw)
    if raw == "":
        return None
    return BOOL_VALUES.get(raw, raw) if key.kind is AnswerKind.BOOL else raw


def _startback(form: FormData) -> list[int | None] | None:
    """The 9 STarT Back items, or None when the section was skipped (all blank)."""
    raw = [_text(form, f"startback_{item.number}") for item in STARTBACK_ITEMS]
    if not any(raw):
        return None
    return [value if isinstance(value := _whole(text), int) else None for text in raw]


def read_triage_form(form: FormData) -> tuple[dict[str, object], list[str]]:
    """answers/1 content from the questionnaire, and the keys not answered (question order)."""
    asked: dict[str, object] = {"schema": ANSWERS_SCHEMA}
    missing = []
    for name in QUESTION_ORDER:
        value = _answer(ANSWER_KEY[name], form)
        if value is None:
            value = derived_answer(name, asked)  # "No" weakness: none that gets worse
        if value is None:
            missing.append(name)
        else:
            asked[name] = value
    startback = _startback(form)
    if startback is not None:
        asked["startback"] = startback
    return asked, missing


def _radio_answers(form: FormData) -> dict[str, object]:
    """The yes/no and choice answers given so far: what can make triage an emergency."""
    asked: dict[str, object] = {"schema": ANSWERS_SCHEMA}
    for key in ANSWER_KEY.values():
        value = _answer(key, form) if key.kind is not AnswerKind.INT else None
        if value is not None:
            asked[key.name] = value
    return asked


def _unsure_hint(key: AnswerKey) -> str:
    if key.kind is AnswerKind.INT:
        return "Not sure counts toward the more cautious answer."
    if key.kind is AnswerKind.BOOL:
        return f"Not sure counts as {'yes' if key.unsure_as else 'no'}."
    label = key.labels[key.choices.index(str(key.unsure_as))]
    return f"Not sure counts as “{label}”."


def _question(number: int, name: str) -> dict[str, Any]:
    key = ANSWER_KEY[name]
    unit = next((word for suffix, word in INT_UNIT_WORDS.items() if name.endswith(suffix)), "")
    options: list[tuple[str, str]] = (
        [("yes", "Yes"), ("no", "No")] if key.kind is AnswerKind.BOOL
        else list(zip(key.choices, key.labels, strict=True)))
    return {"number": number, "name": name, "key": key, "kind": key.kind.value,
            "options": [*options, (UNSURE, "Not sure")], "unit": unit,
            "hint": _unsure_hint(key)}


QUESTIONS: Final = tuple(_question(n, name) for n, name in enumerate(QUESTION_ORDER, start=1))


def _named(message: str, names: Iterable[str]) -> list[str]:
    """The keys a workflow's message names, so the page can point at those questions."""
    return [name for name in names if re.search(rf"\b{re.escape(name)}\b", message)]


def _triage_form(request: Request, *, values: FormData | None = None,
                 message: str | None = None, missing: Iterable[str] = (),
                 problems: list[tuple[str, str]] | None = None,
                 status_code: int = 200, form_post: bool = False) -> HTMLResponse:
    problems = problems or []
    flagged = (list(missing) or [key for key, _sentence in problems]
               or _named(message or "", QUESTION_ORDER))
    if message is not None and form_post:  # the form's own answers: questions, not keys
        for question in QUESTIONS:
            message = message.replace(f'"{question["name"]}"',
                                      f'to question {question["number"]} '
                                      f'({question["key"].topic})')
    return render(request, "triage.html.j2", status_code=status_code, questions=QUESTIONS,
                  emergency_number=settings_of(request).emergency_number,
                  startback_items=STARTBACK_ITEMS, startback_intro=STARTBACK_INTRO,
                  values=values or {}, message=message, missing=bool(missing),
                  problems=problems,
                  flagged=[q for q in QUESTIONS if q["name"] in flagged])


def _plans(request: Request) -> dict[str, workflows.Planned]:
    """The plans made in this server's lifetime, by runner (no module-level state)."""
    state = request.app.state
    found: dict[str, workflows.Planned] | None = getattr(state, "care_plans", None)
    if found is None:
        found = {}
        state.care_plans = found
    return found


def _drop_plan(request: Request) -> None:
    _plans(request).pop(runner_of(request), None)


@router.get("/triage", response_class=HTMLResponse)
def triage_page(request: Request) -> HTMLResponse:
    return _triage_form(request)


@router.post("/triage", response_model=None)
async def triage_submit(request: Request) -> HTMLResponse | RedirectResponse:
    form = await request.form()
    asked, missing = read_triage_form(form)
    try:
        # As the CLI: an emergency answer ends the questionnaire; the rest count as "unsure".
        answers = unsure_answers(asked) if missing and emergency_answered(asked) else asked
        outcome = workflows.assess_back(answers, settings=settings_of(request), save=False)
    except InputError as exc:
        numbers = [] if missing else triage_number_problems(form)
        if numbers:  # every typed number that cannot be read, at once (the rest is answered)
            return _triage_form(request, values=form, message=str(exc), problems=numbers,
                                status_code=422, form_post=True)
        return _triage_form(request, values=form, message=str(exc), missing=missing,
                            status_code=422, form_post=True)
    return _record_and_show(request, outcome)


def triage_number_problems(form: FormData) -> list[tuple[str, str]]:
    """The typed numbers (age, days of pain, …) that are not whole numbers in their range, as
    (key, sentence naming the question); the bounds are core.triage's, which the workflow
    checks too."""
    found = []
    for question in QUESTIONS:
        key: AnswerKey = question["key"]
        raw = _text(form, key.name)
        if (key.kind is not AnswerKind.INT or raw == ""
                or _text(form, f"{key.name}_unsure") == UNSURE):
            continue
        low, high = key.minimum, key.maximum
        bounds = f"{low} to {high}" if high is not None else f"{low} or more"
        where = f"Question {question['number']} ({key.topic})"
        value = int(raw) if raw.isdecimal() and len(raw) <= MAX_ANSWER_DIGITS else None
        if value is None:
            found.append((key.name, f"{where}: “{short(raw)}” is not a whole number; type it with "
                                    f"digits ({bounds}), or choose “Not sure”."))
        elif (low is not None and value < low) or (high is not None and value > high):
            found.append((key.name, f"{where}: {value} is outside {bounds}; check what you "
                                    "typed, or choose “Not sure”."))
    return found


def _record_and_show(request: Request, outcome: workflows.Triaged
                     ) -> HTMLResponse | RedirectResponse:
    """Save the triage, then show it; a save that fails still shows the result first, with
    the failure under it (docs/safety.md, "Result first")."""
    _drop_plan(request)
    try:
        workflows.record_triage(outcome, settings=settings_of(request),
                                runner=runner_of(request))
    except BackstrideError as exc:
        problem = (f"Your answers could not be saved ({exc}). The result above stands: follow "
                   "its advice. Download your answers below to keep them, and try again later.")
        return _triage_page(request, outcome.json(), outcome.answers_json(), status_code=503,
                            save_problem=problem)
    return RedirectResponse("/triage/result", status_code=303)


@router.post("/triage/check")
async def triage_check(request: Request) -> JSONResponse:
    """Whether the answers so far already make triage an emergency (triage.js asks)."""
    try:
        emergency = emergency_answered(_radio_answers(await request.form()))
    except InputError:
        emergency = False  # a tampered value: the full submit names it
    return JSONResponse({"emergency": emergency})


async def _uploaded_json(upload: UploadFile, what: str) -> dict[str, Any]:
    data = await security.read_upload(upload, limit=1024 * 1024)
    folder = Path(tempfile.mkdtemp(prefix="backstride-upload-"))
    try:
        path = folder / security.safe_file_name(upload.filename, "upload.json")
        path.write_bytes(data)
        return workflows.read_json_file(path, what)
    finally:
        shutil.rmtree(folder, ignore_errors=True)


@router.post("/triage/upload", response_model=None)
async def triage_upload(request: Request, file: Annotated[UploadFile, File()]
                        ) -> HTMLResponse | RedirectResponse:
    """`backstride triage --answers FILE`: a saved answers/1 file instead of the questions."""
    try:
        answers = await _uploaded_json(file, "triage answers")
        outcome = workflows.assess_back(answers, settings=settings_of(request), save=False)
    except InputError as exc:
        return _triage_form(request, message=str(exc), status_code=422)
    return _record_and_show(request, outcome)


def _emergency_call(number: str) -> str | None:
    """A tel: target when the emergency_number setting is a number, not words."""
    return number.replace(" ", "") if PHONE_NUMBER.fullmatch(number) else None


@router.get("/triage/result", response_model=None)
def triage_result(request: Request) -> HTMLResponse | RedirectResponse:
    state = workflows.care_state(settings_of(request), runner=runner_of(request))
    record = state.latest
    if record is None:
        return RedirectResponse("/triage", status_code=303)
    earlier = state.holding if state.holding is not None and state.holding != record else None
    return _triage_page(request, record.result, record.answers, cleared=state.seen,
                        asked_at=record.created_utc, held_by=earlier)


def _triage_page(request: Request, result: dict[str, Any], answers: dict[str, Any], *,
                 cleared: bool = False, asked_at: datetime | None = None,
                 status_code: int = 200, save_problem: str | None = None,
                 held_by: TriageRecord | None = None) -> HTMLResponse:
    settings = settings_of(request)
    given, unsure_line = explained(result, answers)  # plain words: no rule ids, no keys
    if result["level"] == "emergency":
        return render(request, "triage_emergency.html.j2", status_code=status_code,
                      result=result, call=_emergency_call(settings.emergency_number),
                      number=settings.emergency_number, disclaimer=TRIAGE_DISCLAIMER,
                      save_problem=save_problem, answers_json=answers, given=given,
                      unsure_line=unsure_line)
    return render(request, "triage_result.html.j2", status_code=status_code, result=result,
                  cleared=cleared, held_by=held_by,
                  held=(result["level"] == "urgent" and not cleared) or held_by is not None,
                  asked_at=asked_at, triage_disclaimer=TRIAGE_DISCLAIMER,
                  save_problem=save_problem, answers_json=answers, given=given,
                  unsure_line=unsure_line)


def _json_download(data: Any, filename: str) -> JSONResponse:
    return JSONResponse(data, headers={
        "Content-Disposition": f'attachment; filename="{filename}"'})


def _stored_triage(request: Request) -> tuple[dict[str, Any], dict[str, Any]]:
    """The latest answers/1 and triage/1 on record."""
    record, _cleared = workflows.triage_state(settings_of(request), runner=runner_of(request))
    if record is None:
        raise HTTPException(status_code=404, detail=(
            "No triage on record yet: answer the red-flag questions first."))
    return record.answers, record.result


@router.get("/triage/answers.json")
def triage_answers_file(request: Request) -> JSONResponse:
    """The latest answers as a backstride.answers/1 file (`triage --answers` reads it)."""
    return _json_download(_stored_triage(request)[0], "backstride-answers.json")


@router.get("/triage/result.json")
def triage_result_file(request: Request) -> JSONResponse:
    """`triage --json`: the latest backstride.triage/1 result."""
    return _json_download(_stored_triage(request)[1], "backstride-triage.json")


# --- self-tests -------------------------------------------------------------------------------


def _number_value(raw: str) -> object:
    try:
        number = float(raw)
    except ValueError:
        return raw
    return int(number) if number.is_integer() else number


def read_selftest_form(form: FormData) -> dict[str, object]:
    """selftests/1 content: a blank test is a test not done, and is left out."""
    results: dict[str, object] = {"schema": SELFTESTS_SCHEMA,
                                  "sex": _text(form, "sex") or "unspecified"}
    for test in SELF_TESTS:
        raw = _text(form, test.key)
        if _text(form, f"{test.key}_pain") == STOPPED_PAIN:
            results[test.key] = STOPPED_PAIN
        elif raw in ("", "not_done"):
            continue
        else:
            results[test.key] = _number_value(raw) if test.kind is SelfTestKind.NUMBER else raw
    return results


def selftest_problems(form: FormData) -> list[tuple[str, str]]:
    """Every typed result that cannot be scored, as (test key, sentence in plain words): not
    a number, or outside what the test can measure (core.screening's valid range, the rule
    the workflow applies too), all at once."""
    found = []
    for test in SELF_TESTS:
        raw = _text(form, test.key)
        valid = test.valid
        if (test.kind is not SelfTestKind.NUMBER or valid is None or raw in ("", "not_done")
                or _text(form, f"{test.key}_pain") == STOPPED_PAIN):
            continue
        label = test.name[:1].upper() + test.name[1:]
        words = TEST_UNIT_WORDS.get(test.unit or "", test.unit or "")
        number = raw.replace(",", ".")
        if not NUMBER.fullmatch(number) or not math.isfinite(value := float(number)):
            found.append((test.key, f"{label}: “{short(raw)}” is not a number; type the "
                                    f"{words} you measured with digits, or leave it empty if "
                                    "you did not do the test."))
        elif not valid.low <= value <= valid.high:
            found.append((test.key, f"{label}: {value:g} {words} is outside what this test "
                                    f"can measure ({valid.low:g} to {valid.high:g} {words}); "
                                    "check what you typed."))
        elif valid.whole and not value.is_integer():
            found.append((test.key, f"{label}: {value:g} is not a whole number of {words}; "
                                    "count full repetitions only."))
    return found


def _test_groups() -> list[dict[str, Any]]:
    """Tests that share instructions (left and right) under one heading, in table order."""
    groups = []
    for how, rows in groupby(SELF_TESTS, key=lambda row: row.how):
        tests = list(rows)
        title = tests[0].name.removesuffix(" (left)").removesuffix(" (right)")
        groups.append({"title": title[:1].upper() + title[1:], "how": how,
                       "tests": [_test_field(test) for test in tests]})
    return groups


def _test_field(test: SelfTest) -> dict[str, Any]:
    valid = test.valid
    return {"test": test, "label": test.name[:1].upper() + test.name[1:],
            "unit_words": TEST_UNIT_WORDS.get(test.unit or "", test.unit or ""),
            "min": None if valid is None else f"{valid.low:g}",
            "max": None if valid is None else f"{valid.high:g}",
            "step": "1" if valid is not None and valid.whole else "any"}


def _selftest_form(request: Request, *, values: FormData | None = None,
                   message: str | None = None, problems: list[tuple[str, str]] | None = None,
                   status_code: int = 200) -> HTMLResponse:
    groups = _test_groups()
    problems = problems or []
    named = ([key for key, _sentence in problems] if problems else
             _named(message or "", [test.key for test in SELF_TESTS]))
    return render(request, "selftests.html.j2", status_code=status_code, groups=groups,
                  values=values or {}, message=message,
                  problems=problems,
                  flagged=[f for g in groups for f in g["tests"] if f["test"].key in named])


def _refusal(request: Request, *, status_code: int = 200) -> HTMLResponse | None:
    """The page that says why self-tests must wait, or None when they may be done now."""
    runner = runner_of(request)
    try:
        workflows.check_selftests_allowed(settings_of(request), runner=runner)
    except InputError as exc:
        record, _cleared = workflows.triage_state(settings_of(request), runner=runner)
        return render(request, "selftests_refused.html.j2", status_code=status_code,
                      message=str(exc),
                      triaged=record is not None)
    return None


@router.get("/selftests", response_class=HTMLResponse)
def selftests_page(request: Request) -> HTMLResponse:
    return _refusal(request) or _selftest_form(request)


@router.post("/selftests", response_model=None)
async def selftests_submit(request: Request) -> HTMLResponse | RedirectResponse:
    refused = _refusal(request, status_code=409)
    if refused is not None:
        return refused
    form = await request.form()
    problems = selftest_problems(form)
    if problems:  # every one at once, in the form's words
        return _selftest_form(request, values=form, problems=problems, status_code=422)
    try:
        workflows.screen_body(read_selftest_form(form), settings=settings_of(request),
                              runner=runner_of(request))
    except InputError as exc:
        return _selftest_form(request, values=form, message=str(exc), status_code=422)
    _drop_plan(request)
    return RedirectResponse("/selftests/result", status_code=303)


@router.post("/selftests/upload", response_model=None)
async def selftests_upload(request: Request, file: Annotated[UploadFile, File()]
                           ) -> HTMLResponse | RedirectResponse:
    """`backstride selftest --results FILE`: a saved selftests/1 file."""
    refused = _refusal(request, status_code=409)
    if refused is not None:
        return refused
    try:
        results = await _uploaded_json(file, "self-test results")
        workflows.screen_body(results, settings=settings_of(request), runner=runner_of(request))
    except InputError as exc:
        return _selftest_form(request, message=str(exc), status_code=422)
    _drop_plan(request)
    return RedirectResponse("/selftests/result", status_code=303)


def _latest_selftests(request: Request) -> dict[str, Any] | None:
    return workflows.latest_selftests(settings=settings_of(request), runner=runner_of(request))


def _result_rows(screened: workflows.Screened) -> list[dict[str, Any]]:
    rows = []
    for result, test in zip(screened.result.results, SELF_TESTS, strict=True):
        value = result.value
        rows.append({
            "result": result, "name": test.name[:1].upper() + test.name[1:],
            "value": (quantity_text(value, result.unit) if isinstance(value, float)
                      else str(value or "").replace("_", " ")),
            "fails": "–" if test.cutoff is None else cutoff_text(test.cutoff, test.unit),
            "heuristic": result.evidence.is_heuristic})
    return rows


@router.get("/selftests/result", response_model=None)
def selftests_result(request: Request) -> HTMLResponse | RedirectResponse:
    latest = _latest_selftests(request)
    if latest is None:
        return RedirectResponse("/selftests", status_code=303)
    screened = workflows.screen_body(latest, settings=settings_of(request), save=False)
    rows = _result_rows(screened)
    return render(request, "selftests_result.html.j2", screened=screened.result,
                  done=[r for r in rows if r["result"].status.value != "not_done"],
                  not_done=[r["name"] for r in rows if r["result"].status.value == "not_done"])


@router.get("/selftests/results.json")
def selftests_results_file(request: Request) -> JSONResponse:
    """The latest results as a backstride.selftests/1 file (`selftest --results` reads it)."""
    latest = _latest_selftests(request)
    if latest is None:
        raise HTTPException(status_code=404, detail="No self-test results on record yet.")
    return _json_download(latest, "backstride-selftests.json")


# --- plan -------------------------------------------------------------------------------------


def _planned(request: Request) -> workflows.Planned | None:
    return _plans(request).get(runner_of(request))


def planned_of(request: Request) -> workflows.Planned | None:
    """The plan the plan page shows (made in this server's lifetime); None when there is none
    yet: links to the plan then open the page to make one."""
    return _planned(request)


def plan_json_of(request: Request) -> dict[str, Any] | None:
    """:func:`planned_of` as its JSON."""
    planned = _planned(request)
    return None if planned is None else planned.json()


def finding_plan_of(request: Request, findings: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """A report's findings with what the plan does about each, linked to the plan page."""
    from backstride.adapters.render.plan_links import findings_with_plan

    return findings_with_plan(findings, plan_json_of(request), "/plan")


def _require_plan(request: Request) -> workflows.Planned:
    planned = _planned(request)
    if planned is None:
        raise HTTPException(status_code=404, detail=(
            "No plan made yet in this session: open the Plan page and make your plan."))
    return planned


def _plan_view(planned: workflows.Planned) -> dict[str, Any]:
    """The printable page's own week rows and exercise cards (adapters.render.plan_html), so
    the page and its printout never disagree."""
    plan, shown = planned.plan, planned.json()
    weeks, groups = plan_html.page_parts(shown)
    steps = plan.cadence_steps
    # the JSON's baseline is kept to 0.1 spm: the page rounds what the JSON says
    first = (steps[0].target_spm if steps else
             round(plan.baseline.cadence_spm, 1) if plan.baseline is not None else
             DEFAULT_METRONOME_SPM)
    return {"plan": shown, "weeks": weeks, "groups": groups,
            "answers": plan_links.plan_answers(shown), "metronome_spm": round(first),
            "targets": sorted({round(step.target_spm) for step in steps})}


def _plan_page(request: Request, *, problem: str | None = None, date_problem: bool = False,
               status_code: int = 200) -> HTMLResponse:
    state = workflows.care_state(settings_of(request), runner=runner_of(request))
    record = state.holding or state.latest  # a later, lower triage does not lift a hold
    planned = _planned(request)
    banner = (planned.triage_json() if planned is not None
              else None if record is None else record.result)
    return render(request, "plan_page.html.j2", status_code=status_code, planned=planned,
                  view=None if planned is None else _plan_view(planned), banner=banner,
                  triaged=record is not None, cleared=state.seen and not state.held,
                  problem=problem, date_problem=date_problem, waiting_reason=WAITING_REASON,
                  today=datetime.now(UTC).date().isoformat(), hold_rule=plan_html.HOLD_RULE,
                  minutes=f"{METRONOME_MINUTES:g}")


@router.get("/plan", response_class=HTMLResponse)
def plan_page(request: Request) -> HTMLResponse:
    # The plan made in this server (kept in memory) is part of the page: kept per plan.
    return cached_page(request, lambda: _plan_page(request), memory=_planned(request))


@router.post("/plan/make", response_model=None)
def plan_make(request: Request, start: Annotated[str, Form()] = ""
              ) -> HTMLResponse | RedirectResponse:
    """`backstride plan [--start DATE]`: from the triage, self-tests, runs and shoes on
    record; the first day is kept once set."""
    try:
        first_day = _start_day(start)
    except InputError as exc:  # the date field: the plan on show stays as it was
        return _plan_page(request, problem=str(exc), date_problem=True, status_code=422)
    try:
        runner = runner_of(request)
        _plans(request)[runner] = workflows.make_plan(settings=settings_of(request),
                                                      runner=runner, start=first_day)
    except InputError as exc:
        message = str(exc)
        if message.startswith("--start "):  # a first day in the past: the form's words
            return _plan_page(request, problem=in_words(message, START_LABELS),
                              date_problem=True, status_code=422)
        _drop_plan(request)
        return _plan_page(request, problem=message, status_code=422)
    return RedirectResponse("/plan", status_code=303)


START_LABELS: Final = {"--start": "The first day", "Leave --start out": "Leave the date empty"}


def _start_day(text: str) -> date | None:
    if not text.strip():
        return None
    try:
        return date.fromisoformat(text.strip())
    except ValueError:
        raise InputError(f"The first day {text.strip()!r} is not a date: pick one in the date "
                         "field (year-month-day), or leave it empty for today.") from None


@router.get("/plan/report", response_class=HTMLResponse)
def plan_report(request: Request) -> HTMLResponse:
    """The printable plan page (`plan --report`), shown in a sandboxed frame."""
    return HTMLResponse(workflows.render_plan(_require_plan(request),
                                              settings=settings_of(request)))


@router.get("/plan/plan.json")
def plan_json_file(request: Request) -> JSONResponse:
    return _json_download(_require_plan(request).json(), "backstride-plan.json")


def _attachment(filename: str) -> dict[str, str]:
    return {"Content-Disposition": f'attachment; filename="{filename}"'}


@router.get("/plan/workouts.zip")
def plan_workouts(request: Request) -> Response:
    """`plan --workout-dir`: each planned run as a FIT workout, zipped."""
    planned = _require_plan(request)
    folder = Path(tempfile.mkdtemp(prefix="backstride-workouts-"))
    try:
        written = workflows.write_workouts(planned.plan, folder)
        if not written:
            raise HTTPException(status_code=404, detail=(
                "No watch workouts: the plan has no dated runs."))
        buffer = io.BytesIO()
        with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_DEFLATED) as archive:
            for path in written:
                archive.write(path, arcname=path.name)
    finally:
        shutil.rmtree(folder, ignore_errors=True)
    return Response(buffer.getvalue(), media_type="application/zip",
                    headers=_attachment("backstride-workouts.zip"))


@router.get("/plan/plan.ics")
def plan_calendar(request: Request) -> Response:
    """`plan --ics`: the plan as calendar events, one per planned run from its start date."""
    planned = _require_plan(request)
    folder = Path(tempfile.mkdtemp(prefix="backstride-ics-"))
    try:
        data = workflows.write_calendar(planned.plan, folder / "plan.ics").read_bytes()
    finally:
        shutil.rmtree(folder, ignore_errors=True)
    return Response(data, media_type="text/calendar; charset=utf-8",
                    headers=_attachment("backstride-plan.ics"))


@router.get("/plan/metronome-{spm:float}.wav")
def plan_metronome(spm: float, minutes: float = METRONOME_MINUTES,
                   accent: int | None = None) -> FileResponse:
    """`backstride metronome`: a click track at ``spm`` as a WAV file."""
    if not 0 < minutes <= MAX_METRONOME_MINUTES:
        raise InputError(f"A metronome download lasts from a few seconds up to "
                         f"{MAX_METRONOME_MINUTES:g} min, not {minutes:g} min.")
    folder = Path(tempfile.mkdtemp(prefix="backstride-metronome-"))
    name = f"metronome-{spm:g}spm.wav"
    try:
        path = workflows.write_metronome(cadence_spm=spm, minutes=minutes, accent_every=accent,
                                         out=folder / name)
    except BaseException:
        shutil.rmtree(folder, ignore_errors=True)
        raise
    return FileResponse(path, media_type="audio/wav", filename=name,
                        background=BackgroundTask(shutil.rmtree, folder, ignore_errors=True))


# --- clearance --------------------------------------------------------------------------------


def _clearance_page(request: Request, *, values: FormData | None = None,
                    message: str | None = None, status_code: int = 200) -> HTMLResponse:
    state = workflows.care_state(settings_of(request), runner=runner_of(request))
    record = state.holding or state.latest  # the triage that holds, when one does
    return render(request, "clearance.html.j2", status_code=status_code, record=record,
                  cleared=state.seen and not state.held, values=values or {}, message=message,
                  today=datetime.now(UTC).date().isoformat())


@router.get("/summary", response_class=HTMLResponse)
def summary_page(request: Request) -> HTMLResponse:
    """`backstride summary`: one printable page for the clinician."""
    from backstride.adapters.render.summary import summary_html
    from backstride.workflows.summary import gather_summary

    data = gather_summary(settings=settings_of(request), runner=runner_of(request))
    return HTMLResponse(summary_html(data))


@router.get("/summary.pdf")
def summary_pdf_file(request: Request) -> Response:
    """`backstride summary --out FILE.pdf`."""
    from backstride.adapters.render.summary import summary_pdf
    from backstride.workflows.summary import gather_summary

    data = gather_summary(settings=settings_of(request), runner=runner_of(request))
    return Response(summary_pdf(data), media_type="application/pdf",
                    headers=_attachment("backstride-summary.pdf"))


def _settings_page(request: Request, *, value: str | None = None, message: str | None = None,
                   saved: bool = False, status_code: int = 200) -> HTMLResponse:
    number = settings_of(request).emergency_number
    return render(request, "settings.html.j2", status_code=status_code, number=number,
                  value=number if value is None else value, message=message, saved=saved,
                  team_server=team_mode(request),
                  from_environment=bool(os.environ.get("BACKSTRIDE_EMERGENCY_NUMBER")))


@router.get("/settings", response_class=HTMLResponse)
def settings_page(request: Request) -> HTMLResponse:
    """The emergency number that emergency results name (docs/safety.md)."""
    return _settings_page(request)


@router.post("/settings", response_model=None)
async def settings_submit(request: Request) -> HTMLResponse:
    if team_mode(request):
        return _settings_page(request, status_code=403, message=(
            "In team mode the emergency number is set by the administrator when the server "
            "starts (BACKSTRIDE_EMERGENCY_NUMBER)."))
    value = _text(await request.form(), "emergency_number")
    try:
        request.app.state.settings = save_setting(settings_of(request), "emergency_number",
                                                  value)
    except ConfigError as exc:
        return _settings_page(request, value=value, message=str(exc), status_code=422)
    _plans(request).clear()  # plans name the number in their action
    return _settings_page(request, saved=True)


@router.get("/clearance", response_class=HTMLResponse)
def clearance_page(request: Request) -> HTMLResponse:
    return _clearance_page(request)


def _day(raw: str) -> date | None:
    if raw == "":
        return None
    try:
        return date.fromisoformat(raw)
    except ValueError as exc:
        raise InputError(f"The date {raw!r} is not a date: give it as YYYY-MM-DD.") from exc


@router.post("/clearance", response_model=None)
async def clearance_submit(request: Request) -> HTMLResponse | RedirectResponse:
    """`backstride clearance`: a clinician has seen you; the plan hold lifts."""
    form = await request.form()
    try:
        workflows.record_clearance(settings=settings_of(request), runner=runner_of(request),
                                   cleared_by=_text(form, "by"),
                                   cleared_on=_day(_text(form, "date")),
                                   note=_text(form, "note") or None)
    except InputError as exc:
        return _clearance_page(request, values=form, message=str(exc), status_code=422)
    _drop_plan(request)
    return RedirectResponse("/plan", status_code=303)
