"""`backstride users`: adding, listing, removing and granting team mode's users."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from backstride import workflows
from backstride.cli import cli
from backstride.config import Settings

PASSWORD = "correct horse battery"


@pytest.fixture
def home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Settings:
    monkeypatch.setenv("BACKSTRIDE_DATA_DIR", str(tmp_path / "data"))
    return Settings(data_dir=tmp_path / "data")


def _run(*args: str, stdin: str | None = None) -> tuple[int, str, str]:
    result = CliRunner().invoke(cli, list(args), input=stdin)
    assert result.exception is None or isinstance(result.exception, SystemExit), result.exception
    return result.exit_code, result.stdout, result.stderr


def _add(*args: str, password: str = PASSWORD) -> tuple[int, str, str]:
    return _run("users", "add", *args, "--password-stdin", stdin=password + "\n")


def test_add_list_and_json(home: Settings) -> None:
    assert _add("alice", "--role", "runner")[0] == 0
    assert _add("bob", "--role", "runner", "--runner", "robert")[0] == 0
    code, out, _ = _add("dr-rao", "--role", "clinician", "--sees", "alice,robert")
    assert code == 0 and "clinician, sees alice, robert" in out
    code, out, _ = _run("users", "list")
    assert code == 0
    assert out.splitlines() == [
        "alice                    runner     runner alice",
        "bob                      runner     runner robert",
        "dr-rao                   clinician  sees alice, robert"]
    code, out, _ = _run("users", "list", "--json")
    data = json.loads(out)
    assert data["schema"] == "backstride.users/1"
    assert [(u["username"], u["role"], u["runner"], u["sees"]) for u in data["users"]] == [
        ("alice", "runner", "alice", []), ("bob", "runner", "robert", []),
        ("dr-rao", "clinician", None, ["alice", "robert"])]
    assert "argon2" not in out and PASSWORD not in out


def test_list_json_to_a_file(home: Settings, tmp_path: Path) -> None:
    _add("alice", "--role", "runner")
    code, out, _ = _run("users", "list", "--json", str(tmp_path / "users.json"))
    assert code == 0 and out.startswith("alice")  # the list is still shown, as runs --json FILE
    assert json.loads((tmp_path / "users.json").read_text())["users"][0]["username"] == "alice"


def test_password_is_asked_twice_without_echo(home: Settings) -> None:
    code, out, err = _run("users", "add", "alice", "--role", "runner",
                          stdin=f"{PASSWORD}\n{PASSWORD}\n")
    assert code == 0 and "user alice added" in out
    assert PASSWORD not in out + err
    workflows.log_in("alice", PASSWORD, settings=home)  # the password works


def test_mismatched_passwords_are_asked_again(home: Settings) -> None:
    code, _out, err = _run("users", "add", "alice", "--role", "runner",
                           stdin=f"{PASSWORD}\nsomething else!\n{PASSWORD}\n{PASSWORD}\n")
    assert code == 0 and "do not match" in err


@pytest.mark.parametrize(("args", "password", "message"), [
    (("alice", "--role", "runner"), "short", "The password has 5 characters; use at least 10"),
    (("alice", "--role", "runner"), "", "The password has 0 characters"),
    (("al ice", "--role", "runner"), PASSWORD, "The username 'al ice' is not allowed"),
    (("coach", "--role", "coach", "--sees", "nobody"), PASSWORD, "There is no runner 'nobody'"),
    (("coach", "--role", "coach", "--runner", "x"), PASSWORD, "--runner is for runner users"),
])
def test_bad_adds_are_one_error_line_and_exit_1(home: Settings, args: tuple[str, ...],
                                                password: str, message: str) -> None:
    code, out, err = _add(*args, password=password)
    assert code == 1 and out == ""
    assert err.count("\n") == 1 and err.startswith(f"backstride: error: {message}")
    assert _run("users", "list", "--json")[1].count('"username"') == 0


def test_wrong_usage_exits_2(home: Settings) -> None:
    assert _add("alice", "--role", "admin")[0] == 2
    assert _add("alice")[0] == 2  # no --role
    assert _run("users", "add", "--role", "runner")[0] == 2  # no name


def test_remove_ends_sessions_and_keeps_the_history(home: Settings) -> None:
    _add("alice", "--role", "runner")
    workflows.add_pain(settings=home, runner="alice", score=4, kind="during", location=None,
                       onset_min=None, onset_km=None, run_id=None, recorded_on=None, note=None)
    token, _ = workflows.log_in("alice", PASSWORD, settings=home)
    code, out, _ = _run("users", "remove", "alice")
    assert code == 0 and "sessions have ended" in out
    assert workflows.open_session(token, settings=home) is None
    assert [e.score for e in workflows.list_pain(settings=home, runner="alice")] \
        == [4]
    code, _out, err = _run("users", "remove", "alice")
    assert code == 1 and err == ("backstride: error: There is no user 'alice'. See 'backstride "
                                 "users list'.\n")


def test_grant_and_revoke(home: Settings) -> None:
    _add("alice", "--role", "runner")
    _add("coach", "--role", "coach")
    assert "coach                    coach      sees nobody yet" in _run("users", "list")[1]
    assert _run("users", "grant", "coach", "alice")[1] == "coach now sees alice\n"
    assert _run("users", "grant", "coach", "alice")[1] == "coach already saw alice\n"
    assert "sees alice" in _run("users", "list")[1]
    assert _run("users", "revoke", "coach", "alice")[1] == "coach no longer sees alice\n"
    code, _out, err = _run("users", "revoke", "coach", "alice")
    assert code == 1 and "coach does not see 'alice'" in err
    code, _out, err = _run("users", "grant", "alice", "coach")
    assert code == 1 and "alice is a runner" in err


def test_empty_list_says_how_to_start(home: Settings) -> None:
    assert _run("users", "list")[1] == (
        "No users yet: backstride users add NAME --role runner|coach|clinician\n")
