"""Safety on every CLI path (docs/safety.md, "Safety on every path"): the result is printed
before anything is saved, a failed save is reported after it, and end of input mid-way is one
error line."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from backstride.cli import cli
from backstride.core.simulate import demo_answers

EMERGENCY = {**demo_answers(), "bladder_change": True}
BAD_DB = "sqlite:////proc/no-such-dir/history.db"  # its folder can never be created


@pytest.fixture
def home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("BACKSTRIDE_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.chdir(tmp_path)
    return tmp_path


def _run(*args: str, stdin: str | None = None) -> tuple[int, str, str]:
    result = CliRunner().invoke(cli, list(args), input=stdin)
    assert result.exception is None or isinstance(result.exception, SystemExit), result.exception
    assert "Traceback" not in result.output and "Aborted!" not in result.output
    return result.exit_code, result.stdout, result.stderr


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
    answers = ["n", "n", "n", "n", "1", "n", "1", "n", "n", "n", "n", "n", "n", "n", "n",
               "n", "n"]
    stdin = "\n".join(answers) + "\n" + "9" * 5000 + "\n"
    code, _out, err = _run("triage", stdin=stdin)
    assert code == 1  # then the input ends: one error line, no traceback
    assert "Please answer a whole number from 0 to 120" in err
    assert len(_errors(err)) == 1


def test_not_sure_is_explained_before_the_first_question(home: Path) -> None:
    code, out, _ = _run("triage", stdin="u\n")
    assert code == 0
    intro, first_question = out.index('"Not sure" counts as'), out.index("Since the back pain")
    assert intro < first_question
    assert out.count('"Not sure" counts as') == 1
