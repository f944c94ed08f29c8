"""Safety on every CLI path (docs/safety.md, "Safety on every path"): the result is printed
before anything is saved, a failed save is reported after it, and end of input mid-way is one
error line."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from backstride.core.simulate import demo_answers
from tests.cli_run import run_cli as _run

EMERGENCY = {**demo_answers(), "bladder_change": True}
BAD_DB = "sqlite:////proc/no-such-dir/history.db"  # its folder can never be created




def _errors(stderr: str) -> list[str]:
    return [line for line in stderr.splitlines() if line.startswith("backstride: error: ")]


def _write(path: Path, data: dict[str, object]) -> Path:
    path.write_text(json.dumps(data))
    return path


def test_unwritable_save_reports_after_the_emergency_advice(home: Path) -> None:
    (home / "a-file").write_text("")
    code, out, err = _run("triage", "--save", "a-file/answers.json", stdin="y\n")
    assert code == 1
    result = out[out.index("EMERGENCY"):]
    assert result.startswith("EMERGENCY — Go to an emergency department now")
    [line] = _errors(err)
    assert "could not save your answers to a-file/answers.json" in line
    assert "The result above stands" in line
    # the history still got it: the hold is on
    code, out, _ = _run("plan")
    assert code == 0 and out.startswith("EMERGENCY")


@pytest.mark.parametrize("interactive", [True, False])
def test_a_database_that_cannot_be_opened_still_shows_the_result_first(home: Path,
                                                                       interactive: bool) -> None:
    args = ["--db", BAD_DB, "triage"]
    if not interactive:
        args += ["--answers", str(_write(home / "e.json", EMERGENCY))]
    code, out, err = _run(*args, stdin="y\n" if interactive else None)
    assert code == 1
    assert "EMERGENCY — Go to an emergency department now" in out
    [line] = _errors(err)
    assert line.startswith("backstride: error: could not save this triage in your history")
    if interactive:  # the answers file was still written, after the result
        assert json.loads((home / "backstride-answers.json").read_text())["bladder_change"]


def test_json_to_stdout_comes_before_a_failed_save(home: Path) -> None:
    answers = _write(home / "e.json", EMERGENCY)
    code, out, err = _run("--db", BAD_DB, "triage", "--answers", str(answers), "--json", "-")
    assert code == 1 and json.loads(out)["level"] == "emergency"
    assert len(_errors(err)) == 1


def test_end_of_input_mid_questionnaire_is_one_error_line(home: Path) -> None:
    code, _out, err = _run("triage", stdin="n\nn\n")
    assert code == 1
    [line] = _errors(err)
    assert "The questions ended before they were all answered" in line
    assert "nothing was assessed or saved" in line
    assert not (home / "backstride-answers.json").exists()


def test_end_of_input_in_the_self_tests_is_one_error_line(home: Path) -> None:
    assert _run("triage", "--answers", str(_write(home / "a.json", demo_answers())))[0] == 0
    code, _out, err = _run("selftest", stdin="female\n30\n")
    assert code == 1
    [line] = _errors(err)
    assert "The self-tests ended before they were all asked" in line


def test_a_5000_digit_age_typed_is_asked_again(home: Path) -> None:
    # every question "no" up to the age (legs "none", no weakness: worsening is not asked)
    answers = ["n", "n", "n", "n", "1", "n", "1", "n", "n", "n", "n", "n", "n", "n", "n", "n"]
    stdin = "\n".join(answers) + "\n" + "9" * 5000 + "\n"
    code, _out, err = _run("triage", stdin=stdin)
    assert code == 1  # then the input ends: one error line, no traceback
    assert err.count("Please answer a whole number from 0 to 120") == 1
    assert len(_errors(err)) == 1


def test_not_sure_is_explained_before_the_first_question(home: Path) -> None:
    code, out, _ = _run("triage", stdin="u\n")
    assert code == 0
    intro, first_question = out.index('"Not sure" counts as'), out.index("Since the back pain")
    assert intro < first_question
    assert out.count('"Not sure" counts as') == 1


# --- reasons a frightened person can read ---------------------------------------------------


def _no_keys_or_rule_ids(text: str) -> None:
    from backstride.core.triage import ANSWER_NAMES, RED_FLAGS

    # ids with an underscore ("fever" is also a plain word)
    names = {name for name in (*ANSWER_NAMES, *(rule.id for rule in RED_FLAGS)) if "_" in name}
    assert not [name for name in names if re.search(rf"\b{name}\b", text)], text


def test_one_emergency_yes_gives_one_reason_and_one_line_for_the_rest(home: Path) -> None:
    code, out, _ = _run("triage", stdin="y\n")
    assert code == 0
    result = out[out.index("EMERGENCY — "):]
    assert result.count("\n  - ") == 1 and "New bladder trouble with back pain" in result
    assert ("We stopped at your first emergency answer; the other 25 questions were not asked."
            in result)
    assert "Not answered" not in result and '"unsure"' not in result
    _no_keys_or_rule_ids(result)
    # the JSON keeps the rule ids and the keys
    code, out, _ = _run("triage", "--answers", "backstride-answers.json", "--json", "-")
    data = json.loads(out)
    assert data["reasons"][0]["rule"] == "bladder_change" and len(data["reasons"]) > 20
    # the saved file is recognised as a stopped questionnaire too
    code, out, _ = _run("triage", "--answers", "backstride-answers.json")
    assert "the other 25 questions were not asked" in out and out.count("\n  - ") == 1


def test_not_sure_to_an_emergency_question_says_so_in_one_line(home: Path) -> None:
    _code, out, _ = _run("triage", stdin="u\n")
    result = out[out.index("EMERGENCY — "):]
    assert "Why:" not in result
    assert ('You answered "not sure" about new bladder trouble; to be safe, "not sure" counts '
            "as the more cautious answer. We stopped at your first emergency answer; the other "
            "25 questions were not asked.") in result
    _no_keys_or_rule_ids(result)


def test_not_sure_answers_in_a_file_are_one_line_after_the_reasons_given(home: Path) -> None:
    answers = _write(home / "a.json", {**demo_answers(), "rest_pain": True, "fever": "unsure",
                                       "night_pain": "unsure"})
    code, out, _ = _run("triage", "--answers", str(answers))
    assert code == 0 and out.startswith("URGENT — ")
    why = out[out.index("Why:"):]
    assert why.count("\n  - ") == 1 and "Pain that stays at rest" in why
    assert ('You answered "not sure" about fever, chills or sweats and night pain; to be safe'
            in why)
    assert "stopped" not in why
    _no_keys_or_rule_ids(out)


def test_no_weakness_means_worsening_is_not_asked(home: Path) -> None:
    from backstride.core.triage import ANSWER_KEY
    from backstride.questionnaire import ask_triage

    asked: list[str] = []
    replies = {"leg_symptoms": "1", "trauma": "1", "age_years": "40", "pain_days": "3",
               "self_care_days": "2", "pain_now_0_10": "2"}
    by_question = {key.question: name for name, key in ANSWER_KEY.items()}

    def ask(prompt: str) -> str:
        name = next((n for q, n in by_question.items() if prompt.startswith(q)), "startback")
        asked.append(name)
        return replies.get(name, "n")

    answers, stopped = ask_triage(ask)
    assert not stopped and answers["weakness_worsening"] is False
    assert "weakness_worsening" not in asked
    assert asked.index("leg_weakness") < asked.index("trauma")
    # with weakness, whether it gets worse is asked next
    asked.clear()
    replies["leg_weakness"] = "y"
    answers, _ = ask_triage(ask)
    assert asked[asked.index("leg_weakness") + 1] == "weakness_worsening"


# --- holds that hold --------------------------------------------------------------------------

ANALYSIS = {"schema": "backstride.analysis/1",
            "activity": {"start_utc": "2024-05-01T06:30:00Z"},
            "metrics": {"cadence_spm": {"status": "ok", "value": 156.2}}, "findings": []}


def _plan(home: Path, *extra: str) -> dict[str, object]:
    analysis = _write(home / "run.json", ANALYSIS)
    code, out, _ = _run("plan", "--analysis", str(analysis), "--json", "-", *extra)
    assert code == 0
    data: dict[str, object] = json.loads(out)
    return data


def test_a_later_lower_triage_does_not_lift_an_emergency_hold(home: Path) -> None:
    assert _run("triage", "--answers", str(_write(home / "e.json", EMERGENCY)))[0] == 0
    code, out, err = _run("triage", "--answers", str(_write(home / "ok.json", demo_answers())))
    assert code == 0 and out.startswith("SELF-CARE")  # the later answers are kept and shown
    assert "Your plan stays on hold: your emergency triage of" in err
    plan = _plan(home)
    assert plan["held"] and plan["triage"]["level"] == "emergency"  # type: ignore[index]
    assert "only a clinician's clearance does" in str(plan["hold_reason"])
    code, _out, err = _run("selftest", "--results", str(_write(home / "t.json", {
        "schema": "backstride.selftests/1"})))
    assert code == 1 and "still holds" in err
    code, text, _ = _run("plan", "--analysis", str(home / "run.json"))
    assert text.startswith("EMERGENCY: Go to an emergency department now")
    assert "PLAN HELD" in text
    # a held plan carries no running advice at all
    assert "Cadence baseline" not in text and "spm" not in text and "note:" not in text
    assert plan["baseline"] is None and plan["surfaces"] == "" and plan["shoes"] == []
    # only a clearance lifts it, and the cleared plan opens with the clearance
    assert _run("clearance", "--by", "Dr Rao", "--note", "fine to run")[0] == 0
    code, text, _ = _run("plan", "--analysis", str(home / "run.json"))
    first = text.splitlines()[0]
    assert first.startswith("CLEARED: Cleared by Dr Rao on ")
    assert "Go to an emergency department" not in text


def test_the_clearance_lifts_the_hold_of_the_triage_it_follows_only(home: Path) -> None:
    assert _run("triage", "--answers", str(_write(home / "u.json", {
        **demo_answers(), "fever": True})))[0] == 0
    assert _run("clearance", "--by", "Dr Rao")[0] == 0
    assert not _plan(home)["held"]
    assert _run("triage", "--answers", str(home / "u.json"))[0] == 0  # same answers: same
    assert not _plan(home)["held"]
    assert _run("triage", "--answers", str(_write(home / "e.json", EMERGENCY)))[0] == 0
    assert _plan(home)["held"]


def test_see_clinician_plan_calendar_and_workouts_wait_for_the_visit(home: Path) -> None:
    answers = _write(home / "s.json", {**demo_answers(), "rest_pain": True})
    assert _run("triage", "--answers", str(answers))[0] == 0
    code, text, err = _run("plan", "--analysis", str(_write(home / "run.json", ANALYSIS)),
                           "--workout-dir", str(home / "wk"), "--ics", str(home / "p.ics"))
    assert code == 0
    assert text.splitlines()[1].startswith("WAITING FOR YOUR VISIT:")
    steps = [line for line in text.splitlines() if "spm (watch alert" in line]
    assert steps and all(line.startswith("  after your visit, weeks") for line in steps)
    assert "No watch workouts: they wait until you record that you were seen" in err
    assert not (home / "wk").exists() or not list((home / "wk").iterdir())
    calendar = (home / "p.ics").read_text()
    assert calendar.count("BEGIN:VEVENT") == 1
    assert "SUMMARY:backstride: Book a doctor or physiotherapist" in calendar
    assert "easy run" not in calendar and "run-walk" not in calendar
    plan = _plan(home)
    assert plan["waiting_for_clinician"] is True and plan["cadence_steps"]
    # recording the visit starts the plan
    code, out, _ = _run("clearance", "--by", "Dr Lee")
    assert out.startswith("Recorded: seen by Dr Lee")
    code, text, err = _run("plan", "--analysis", str(home / "run.json"),
                           "--workout-dir", str(home / "wk"), "--ics", str(home / "p.ics"))
    assert text.startswith("CLEARED: Seen by Dr Lee on ")
    assert "18 watch workouts" in err and (home / "p.ics").read_text().count("UID:run-") == 18
    decided = [d["action"] for d in _plan(home)["decisions"]]
    assert decided == ["waiting_for_clinician", "start"]


def test_calendar_entries_use_the_levels_own_action_words(home: Path) -> None:
    assert _run("triage", "--answers", str(_write(home / "e.json", EMERGENCY)))[0] == 0
    _run("plan", "--ics", str(home / "e.ics"))
    calendar = (home / "e.ics").read_bytes().decode().replace("\r\n ", "")
    assert "SUMMARY:backstride: Go to an emergency department now or call your local " \
           "emergency number" in calendar
    assert "see a clinician first" not in calendar


def test_plan_answers_that_cannot_be_saved_still_lead_with_the_emergency(home: Path) -> None:
    answers = _write(home / "e.json", EMERGENCY)
    code, _out, err = _run("--db", BAD_DB, "plan", "--answers", str(answers))
    assert code == 1
    [line] = _errors(err)
    assert line.startswith("backstride: error: EMERGENCY: Go to an emergency department now")
    assert "could not be saved, so no plan was made" in line


def test_the_python_api_returns_the_result_before_saving(home: Path) -> None:
    from backstride import workflows
    from backstride.config import Settings
    from backstride.errors import StorageError

    settings = Settings(data_dir=home / "data", db=BAD_DB)
    outcome = workflows.assess_back(EMERGENCY, settings=settings, save=False)
    assert outcome.json()["level"] == "emergency"  # returned, nothing touched yet
    with pytest.raises(StorageError):
        workflows.record_triage(outcome, settings=settings)


def test_a_clearance_dated_before_the_emergency_does_not_lift_it(home: Path) -> None:
    assert _run("triage", "--answers", str(_write(home / "e.json", EMERGENCY)))[0] == 0
    assert _run("triage", "--answers", str(_write(home / "ok.json", demo_answers())))[0] == 0
    # the latest triage is self-care, but a visit before the emergency cannot be about it
    code, _out, err = _run("clearance", "--by", "Dr Rao", "--date", "2020-01-01")
    assert code == 1 and "is before your last emergency triage" in err
    assert _plan(home)["held"]


def test_plan_text_gives_exercise_reasons_in_words(home: Path) -> None:
    assert _run("triage", "--answers", str(_write(home / "a.json", demo_answers())))[0] == 0
    code, text, _ = _run("plan", "--analysis", str(_write(home / "run.json", ANALYSIS)))
    assert code == 0 and "(why: pre-run activation (reference text advice))" in text
    assert "pre_run_activation" not in text
