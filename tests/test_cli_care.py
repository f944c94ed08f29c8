"""Triage, self-tests, plan, clearance and metronome through the command line."""

from __future__ import annotations

import io
import json
import warnings
from datetime import UTC, datetime, timedelta
from pathlib import Path

import numpy as np
import pytest

from backstride.adapters.audio import read_wav
from backstride.core.simulate import demo_answers, demo_selftests
from tests.cli_run import run_cli as _run

START = datetime.now(UTC).date() + timedelta(days=3)


def _write(path: Path, data: dict[str, object]) -> Path:
    path.write_text(json.dumps(data))
    return path


def test_triage_from_a_file_is_self_care(home: Path) -> None:
    answers = _write(home / "a.json", demo_answers())
    code, out, _ = _run("triage", "--answers", str(answers), "--json", "-")
    data = json.loads(out)
    assert code == 0 and data["schema"] == "backstride.triage/1"
    assert data["level"] == "self_care" and data["startback"]["risk"] == "medium"


def test_emergency_answer_leads_the_output(home: Path) -> None:
    answers = _write(home / "a.json", {**demo_answers(), "bladder_change": True,
                                       "fever": True})
    code, out, _ = _run("triage", "--answers", str(answers))
    assert code == 0
    assert out.startswith("EMERGENCY")
    assert "your local emergency number" in out.splitlines()[0]


def test_bad_answer_names_the_key(home: Path) -> None:
    answers = _write(home / "a.json", {**demo_answers(), "age_years": 300})
    code, _out, err = _run("triage", "--answers", str(answers))
    assert code == 1 and "age_years" in err and err.startswith("backstride: error:")
    missing = demo_answers()
    del missing["fever"]
    code, _out, err = _run("triage", "--answers", str(_write(home / "b.json", missing)))
    assert code == 1 and "fever" in err


def test_interactive_triage_stops_at_the_first_emergency_answer(home: Path) -> None:
    code, out, _ = _run("triage", stdin="y\n")  # first question: new bladder trouble
    assert code == 0
    assert "EMERGENCY" in out
    saved = json.loads((home / "backstride-answers.json").read_text())
    assert saved["bladder_change"] is True
    assert saved["fever"] == "unsure" and saved["age_years"] == "unsure"


def test_interactive_triage_all_the_way(home: Path) -> None:
    from backstride.core.triage import ANSWER_KEYS, QUESTION_ORDER

    kinds = {k.name: k.kind.value for k in ANSWER_KEYS}
    typed = {"age_years": "40", "pain_days": "9", "pain_now_0_10": "3", "self_care_days": "2",
             "improving": "y"}
    lines = [typed.get(name, "1" if kinds[name] == "choice" else "n")
             for name in QUESTION_ORDER]
    code, out, _ = _run("triage", stdin="\n".join([*lines, "n"]) + "\n")
    assert code == 0 and out.splitlines()[-1] != ""
    assert "SELF-CARE" in out
    saved = json.loads((home / "backstride-answers.json").read_text())
    assert saved["age_years"] == 40 and "startback" not in saved


def test_selftest_from_a_file(home: Path) -> None:
    results = _write(home / "t.json", demo_selftests())
    code, _out, err = _run("selftest", "--results", str(results))
    assert code == 1 and "red-flag questions first" in err  # triage comes first
    assert _run("triage", "--answers", str(_write(home / "a.json", demo_answers())))[0] == 0
    code, out, _ = _run("selftest", "--results", str(results), "--json", "-")
    data = json.loads(out)
    assert code == 0 and data["schema"] == "backstride.selftest_result/1"
    assert "Sex not given: the female cut-offs were used." in data["notes"]
    bad = _write(home / "bad.json", {"schema": "backstride.selftests/1", "prone_plank_s": -5})
    code, _out, err = _run("selftest", "--results", str(bad))
    assert code == 1 and "prone_plank_s" in err


def test_plan_needs_triage_first(home: Path) -> None:
    code, _out, err = _run("plan")
    assert code == 1 and "backstride triage" in err


def test_urgent_plan_is_held_until_clearance(home: Path) -> None:
    answers = _write(home / "a.json", {**demo_answers(), "fever": True})
    code, out, _ = _run("plan", "--answers", str(answers), "--json", "-")
    held = json.loads(out)
    assert code == 0 and list(held)[:4] == ["schema", "triage", "held", "hold_reason"]
    assert held["held"] and held["cadence_steps"] == [] and held["exercises"] == []
    assert held["triage"]["level"] == "urgent"
    assert _run("clearance", "--by", "Dr Rao", "--note", "fine to run")[0] == 0
    code, out, _ = _run("plan", "--answers", str(answers), "--json", "-")
    assert not json.loads(out)["held"]


def test_plan_from_an_analysis_with_workouts_and_calendar(home: Path) -> None:
    assert _run("demo", "--out", str(home / "demo"), "--quiet")[0] == 0
    answers = _write(home / "a.json", demo_answers())
    results = _write(home / "t.json", demo_selftests())
    code, out, _ = _run("plan", "--answers", str(answers), "--results", str(results),
                        "--analysis", str(home / "demo" / "demo-run.analysis.json"),
                        "--workout-dir", str(home / "wk"), "--ics", str(home / "plan.ics"),
                        "--report", str(home / "plan.html"), "--json", "-",
                        "--start", START.isoformat())
    plan = json.loads(out)
    assert code == 0
    assert plan["baseline"]["basis"].startswith("single run 2024-05-01")
    assert [s["target_spm"] for s in plan["cadence_steps"]] == [164.0, 172.0]
    assert {e["why"] for e in plan["exercises"]} >= {"weak_gluteus_medius",
                                                     "tight_hip_flexors"}
    runs = [(week, run) for week in plan["weeks"] for run in week["runs"]]
    assert plan["start_date"] == START.isoformat() and len(plan["weeks"]) == 6
    assert len(runs) == 18 and plan["decisions"][0]["action"] == "start"
    # Calendar, watch workouts, printable page and JSON: the same runs, run by run.
    workouts = sorted((home / "wk").iterdir())
    assert len(workouts) == len(runs)
    calendar = (home / "plan.ics").read_text().replace("\r\n ", "")
    page = (home / "plan.html").read_text()
    fitdecode = pytest.importorskip("fitdecode")
    for (week, run), path in zip(runs, workouts, strict=True):
        assert path.name.startswith(f"{run['date']}-week-{week['week']:02d}-")
        with warnings.catch_warnings(), fitdecode.FitReader(
                io.BytesIO(path.read_bytes()), check_crc=fitdecode.CrcCheck.RAISE) as reader:
            steps = [f for f in reader if isinstance(f, fitdecode.FitDataMessage)
                     and f.name == "workout_step"]
        total_s = sum(step.get_value("duration_time") for step in steps)
        assert total_s == pytest.approx(run["duration_s"], abs=1)
        low, high = run["range_spm"]
        assert (steps[0].get_value("custom_target_cadence_low"),
                steps[0].get_value("custom_target_cadence_high")) == (low, high)
        event = calendar[calendar.index(f"DTSTART;VALUE=DATE:{run['date'].replace('-', '')}"):]
        event = event[:event.index("END:VEVENT")]
        assert run["title"] in event and f"{low:.0f}-{high:.0f}" in event
        assert run["title"] in page
    assert calendar.startswith("BEGIN:VCALENDAR")
    assert calendar.count("BEGIN:VEVENT") == len(runs) + len(plan["remeasure"])
    assert "backstride gives information" in (home / "plan.html").read_text()


def test_metronome_writes_a_click_track(home: Path) -> None:
    code, _out, _ = _run("metronome", "--spm", "170", "--minutes", "0.5", "--out", "m.wav")
    samples, rate = read_wav(home / "m.wav")
    assert code == 0 and rate == 44100
    loud = np.abs(samples.astype(np.int32)) > 1000
    onsets = np.flatnonzero(loud[1:] & ~loud[:-1])
    onsets = onsets[np.concatenate(([True], np.diff(onsets) > rate * 0.1))]
    assert len(onsets) == 86  # 0.5 min at 170 spm: 85 intervals
    tempo = 60.0 * (len(onsets) - 1) / ((onsets[-1] - onsets[0]) / rate)
    assert tempo == pytest.approx(170.0, abs=0.05)
    assert _run("metronome", "--spm", "400")[0] == 1


def test_demo_includes_triage_plan_and_workouts(home: Path) -> None:
    code, out, _ = _run("demo", "--out", str(home / "demo"))
    assert code == 0
    assert out.startswith("SELF-CARE")
    names = {p.name for p in (home / "demo").iterdir()}
    assert {"demo-plan.html", "demo-plan.json", "demo-plan.ics", "demo-answers.json",
            "demo-selftests.json", "workouts", "metronome-164spm.wav"} <= names


def test_selftests_wait_for_clearance_after_urgent_triage(home: Path) -> None:
    answers = _write(home / "a.json", {**demo_answers(), "night_pain": True})
    assert _run("triage", "--answers", str(answers))[0] == 0
    results = _write(home / "t.json", demo_selftests())
    code, _out, err = _run("selftest", "--results", str(results))
    assert code == 1 and "clinician" in err
    assert _run("clearance", "--by", "Physio Lee")[0] == 0
    assert _run("selftest", "--results", str(results))[0] == 0


def test_interactive_selftest_saves_what_was_done(home: Path) -> None:
    from backstride.core.screening import SELF_TESTS

    assert _run("triage", "--answers", str(_write(home / "a.json", demo_answers())))[0] == 0
    given = {"prone_plank_s": "35", "thomas_test_left": "fail", "active_slr_left_deg": "p"}
    lines = ["male", *[given.get(t.key, "") for t in SELF_TESTS]]
    code, out, _ = _run("selftest", stdin="\n".join(lines) + "\n")
    assert code == 0
    saved = json.loads((home / "backstride-selftests.json").read_text())
    assert saved == {"schema": "backstride.selftests/1", "sex": "male", "prone_plank_s": 35.0,
                     "thomas_test_left": "fail", "active_slr_left_deg": "stopped_pain"}
    assert "Prone plank" in out


def test_a_new_urgent_triage_after_clearance_is_held_again(home: Path) -> None:
    first = _write(home / "a.json", {**demo_answers(), "fever": True})
    assert _run("plan", "--answers", str(first), "--json", "-")[0] == 0
    assert _run("clearance", "--by", "Dr Rao")[0] == 0
    assert not json.loads(_run("plan", "--answers", str(first), "--json", "-")[1])["held"]
    worse = _write(home / "b.json", {**demo_answers(), "fever": True, "chest_pain": True})
    plan = json.loads(_run("plan", "--answers", str(worse), "--json", "-")[1])
    assert plan["held"] and plan["triage"]["level"] == "emergency"


def test_a_clearance_from_before_the_triage_does_not_count(home: Path) -> None:
    answers = _write(home / "a.json", {**demo_answers(), "fever": True})
    assert _run("triage", "--answers", str(answers))[0] == 0
    code, _out, err = _run("clearance", "--by", "Dr Old", "--date", "2020-01-01")
    assert code == 1 and "before your last urgent triage" in err
    assert json.loads(_run("plan", "--json", "-")[1])["held"]


def test_plan_names_todays_emergency_number(home: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    answers = _write(home / "a.json", {**demo_answers(), "saddle_numbness": True})
    monkeypatch.setenv("BACKSTRIDE_EMERGENCY_NUMBER", "999")
    assert _run("triage", "--answers", str(answers))[0] == 0
    monkeypatch.setenv("BACKSTRIDE_EMERGENCY_NUMBER", "112")
    plan = json.loads(_run("plan", "--answers", str(answers), "--json", "-")[1])
    assert "112" in plan["triage"]["action"] and plan["held"]


def test_unicode_digits_in_the_questionnaire_are_asked_again(home: Path) -> None:
    # Four "no", then a superscript two for the leg question: refused and asked again;
    # "3" (both legs) is an emergency answer.
    code, out, err = _run("triage", stdin="n\nn\nn\nn\n\u00b2\n3\n")
    assert code == 0 and "Traceback" not in err
    assert "answer a number from 1 to 3" in err and "EMERGENCY" in out


def test_plan_start_is_kept_once_set_and_a_past_start_is_refused(home: Path) -> None:
    answers = _write(home / "a.json", demo_answers())
    code, out, _ = _run("plan", "--answers", str(answers), "--json", "-",
                        "--start", START.isoformat())
    assert code == 0 and json.loads(out)["start_date"] == START.isoformat()
    code, out, _ = _run("plan", "--json", "-")  # kept once set
    again = json.loads(out)
    assert code == 0 and again["start_date"] == START.isoformat()
    assert again["weeks"][0]["start"] == START.isoformat()
    assert [d["action"] for d in again["decisions"]] == ["start"]  # the same state: no new one
    past = datetime.now(UTC).date() - timedelta(days=2)
    code, out, err = _run("plan", "--start", past.isoformat())
    assert code == 1 and out == ""
    assert err.splitlines() == [
        f"backstride: error: --start {past.isoformat()} is in the past (today is "
        f"{datetime.now(UTC).date().isoformat()}): a plan starts today or later, so its first "
        f"runs are still ahead. Give today or a later date. Leave --start out to keep your "
        f"plan's start, {START.isoformat()}."]
    assert json.loads(_run("plan", "--json", "-")[1])["start_date"] == START.isoformat()
    assert _run("plan", "--start", "08/12/2026")[0] == 2  # not a date: usage error


def test_pain_onset_shapes_the_runs_and_one_past_the_run_end_is_refused(home: Path) -> None:
    assert _run("demo", "--out", str(home / "demo"), "--quiet")[0] == 0
    assert _run("import", str(home / "demo" / "demo-run.fit"))[0] == 0
    runs = json.loads(_run("runs", "--json", "-")[1])["runs"]
    run_id, minutes = runs[0]["id"], runs[0]["duration_s"] / 60.0
    code, _out, err = _run("pain", "add", "5", "--run", str(run_id), "--minute",
                           f"{minutes + 1:.0f}")
    assert code == 1 and err.startswith(f"backstride: error: --minute {minutes + 1:.0f} is past "
                                        f"the end of run {run_id}, which lasted {minutes:.1f} min")
    assert json.loads(_run("pain", "--json", "-")[1])["entries"] == []  # nothing stored
    assert _run("pain", "add", "5", "--run", str(run_id), "--minute", "12")[0] == 0
    answers = _write(home / "a.json", demo_answers())  # new pain: triage again first
    code, out, _ = _run("plan", "--answers", str(answers), "--json", "-",
                        "--start", START.isoformat(), "--workout-dir", str(home / "wk"))
    plan = json.loads(out)
    assert code == 0 and "began at 12 min" in plan["runs_basis"]
    fitdecode = pytest.importorskip("fitdecode")
    first_file = sorted((home / "wk").iterdir())[0]
    with warnings.catch_warnings(), fitdecode.FitReader(
            io.BytesIO(first_file.read_bytes()), check_crc=fitdecode.CrcCheck.RAISE) as reader:
        steps = [f for f in reader if isinstance(f, fitdecode.FitDataMessage)
                 and f.name == "workout_step"]
    # run-walk on the watch: 5 x (4 min run with the alert range, 1 min walk)
    assert [s.get_value("duration_time") for s in steps] == [240.0, 60.0] * 5
    assert [s.get_value("intensity") for s in steps[:2]] == ["active", "rest"]
    first = plan["weeks"][0]["runs"]
    assert len(first) == 2 and first[0]["kind"] == "run_walk"  # onset under 20 min
    assert first[0]["run_walk"] == {"run_s": 240, "walk_s": 60, "repeats": 5}
    assert first[0]["title"].startswith("run-walk 5 x (4 min run / 1 min walk), 25 min")


def _card(*args: str) -> dict[str, object]:
    code, out, err = _run("today", "--json", "-", *args)
    assert code == 0, err
    data: dict[str, object] = json.loads(out)
    return data


def test_today_says_the_run_the_exercises_and_what_to_log(home: Path) -> None:
    answers = _write(home / "a.json", demo_answers())
    code, _out, err = _run("today")
    assert code == 1 and err.startswith("backstride: error: No triage on record")
    assert _run("triage", "--answers", str(answers))[0] == 0
    code, _out, err = _run("today")
    assert code == 1 and "No dated plan on record: make one with 'backstride plan'" in err
    plan = json.loads(_run("plan", "--json", "-", "--start", START.isoformat())[1])
    week = plan["weeks"][0]
    run_day = week["runs"][0]["date"]
    card = _card("--date", run_day)
    assert card["schema"] == "backstride.today/1" and card["date"] == run_day
    assert list(card)[:6] == ["schema", "date", "triage", "held", "hold_reason",
                              "waiting_for_clinician"]
    assert card["held"] is False and card["run"] == week["runs"][0]
    assert {e["when"] for e in card["exercises"]} == {"pre-run"}  # type: ignore[attr-defined]
    assert "pain 0-10 after the run and next morning" in card["log"][0]  # type: ignore[index]
    assert card["week"]["runs"] == week["runs"]  # type: ignore[index]
    rest = _card("--date", week["start"])  # the week's first day is a rest day
    assert rest["run"] is None and rest["next_run"] == week["runs"][0]
    assert all(e["when"] != "pre-run" for e in rest["exercises"])  # type: ignore[attr-defined]
    before = _card("--date", (START - timedelta(days=1)).isoformat())
    assert before["run"] is None and f"Your plan starts {START.isoformat()}" in before["message"]
    after = _card("--date", (START + timedelta(weeks=7)).isoformat())
    assert after["run"] is None and "Your plan ended" in after["message"]
    code, text, _ = _run("today", "--date", run_day)
    assert code == 0 and text.splitlines()[0] == f"TODAY {run_day}"
    assert week["runs"][0]["text"] in text and "This week" in text
    assert _run("today", "--date", "tomorrow")[0] == 2


def test_today_shows_the_hold_first_and_no_run(home: Path) -> None:
    assert _run("plan", "--answers", str(_write(home / "a.json", demo_answers())),
                "--start", START.isoformat())[0] == 0
    run_day = (START + timedelta(days=1)).isoformat()
    urgent = _write(home / "u.json", {**demo_answers(), "night_pain": True})
    assert _run("triage", "--answers", str(urgent))[0] == 0
    card = _card("--date", run_day)
    assert card["held"] is True and card["run"] is None and card["exercises"] == []
    assert card["triage"]["level"] == "urgent"  # type: ignore[index]
    assert "holds the plan" in str(card["hold_reason"])
    code, text, _ = _run("today", "--date", run_day)
    assert code == 0
    lines = text.splitlines()
    assert lines[1].startswith("URGENT: ") and lines[2].startswith("PLAN HELD: ")
    assert "spm" not in text
    assert _run("clearance", "--by", "Dr Lee")[0] == 0
    card = _card("--date", run_day)  # today makes the cleared plan first: its start kept
    assert card["run"] is not None and card["run"]["date"] == run_day  # type: ignore[index]
    assert card["decision"]["action"] == "start"  # type: ignore[index]


def test_today_waits_for_the_visit_after_see_clinician(home: Path) -> None:
    answers = _write(home / "s.json", {**demo_answers(), "rest_pain": True})
    assert _run("plan", "--answers", str(answers), "--start", START.isoformat())[0] == 0
    card = _card("--date", (START + timedelta(days=1)).isoformat())
    assert card["waiting_for_clinician"] is True and card["run"] is None
    assert "clearance --by NAME" in str(card["message"])
