"""Team mode's workflows on real databases (SQLite and PostgreSQL): adding users, the
password rules, logins and sessions, and each runner's history kept apart."""

from __future__ import annotations

import re
import statistics
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import update

from backstride import workflows
from backstride.adapters.storage.schema import web_sessions
from backstride.adapters.storage.store import Store
from backstride.config import Settings
from backstride.errors import InputError, NotFoundError
from tests.conftest import fit_run

PASSWORD = "correct horse battery"


@pytest.fixture
def team(database_url: str, tmp_path: Path) -> Iterator[Settings]:
    """Settings on a migrated database with runners alice and bob and a coach who sees alice."""
    settings = Settings(data_dir=tmp_path / "data", db=database_url)
    workflows.migrate_database(settings)
    for name in ("alice", "bob"):
        workflows.add_user(settings=settings, username=name, password=PASSWORD, role="runner")
    workflows.add_user(settings=settings, username="coach", password=PASSWORD, role="coach",
                       sees=["alice"])
    yield settings


@pytest.mark.parametrize(("kwargs", "message"), [
    ({"password": "too short"}, "has 9 characters; use at least 10"),
    ({"password": "x" * 1025}, "longer than 1024"),
    ({"password": "carol-the-runner", "username": "carol-the-runner"}, "is the username"),
    ({"username": "carol smith"}, "not allowed"),
    ({"username": "../carol"}, "not allowed"),
    ({"role": "admin"}, "Unknown role 'admin'"),
    ({"role": "runner", "sees": ["alice"]}, "--sees is for coaches"),
    ({"role": "coach", "runner": "carol"}, "--runner is for runner users"),
    ({"username": "alice"}, "already a user named 'alice'"),
    ({"runner": "bob"}, "'bob' already has a login (bob)"),
    ({"role": "clinician", "sees": ["nobody"]}, "There is no runner 'nobody'"),
])
def test_bad_users_are_refused_with_what_to_do(team: Settings, kwargs: dict[str, object],
                                               message: str) -> None:
    values: dict[str, object] = {"username": "carol", "password": PASSWORD, "role": "runner",
                                 **kwargs}
    with pytest.raises(InputError, match=re.escape(message)) as caught:
        workflows.add_user(settings=team, **values)  # type: ignore[arg-type]
    assert PASSWORD not in str(caught.value) and "too short" not in str(caught.value)
    names = [u.username for u in workflows.list_users(settings=team)]
    assert names == ["alice", "bob", "coach"]


def test_passwords_are_stored_only_as_argon2id_hashes(team: Settings) -> None:
    with Store.open(workflows.database_url(team)) as store:
        found = store.user_credentials("alice")
    assert found is not None
    assert found[1].startswith("$argon2id$") and PASSWORD not in found[1]
    listed = str(workflows.list_users(settings=team))
    assert "argon2" not in listed and PASSWORD not in listed


def test_the_local_runner_me_can_become_a_runner_user(team: Settings) -> None:
    workflows.add_pain(settings=team, score=2, kind="during", location=None, onset_min=None,
                       onset_km=None, run_id=None, recorded_on=None, note=None)
    user = workflows.add_user(settings=team, username="maria", password=PASSWORD,
                              role="runner", runner="me")
    assert user.runners == ("me",)
    _token, session = workflows.log_in("maria", PASSWORD, settings=team)
    assert session.runner == "me"
    assert [p.score for p in workflows.list_pain(settings=team, runner="me")] == [2]


def test_login_gives_a_session_and_logout_ends_it(team: Settings) -> None:
    token, session = workflows.log_in("alice", PASSWORD, settings=team)
    assert len(token) >= 43 and session.user.username == "alice" and session.runner == "alice"
    opened = workflows.open_session(token, settings=team)
    assert opened is not None and opened.user.username == "alice"
    workflows.log_out(token, settings=team)
    assert workflows.open_session(token, settings=team) is None
    assert workflows.open_session(None, settings=team) is None
    assert workflows.open_session("x" * 500, settings=team) is None


def test_each_login_makes_a_new_session_and_ends_the_one_it_replaces(team: Settings) -> None:
    first, _ = workflows.log_in("alice", PASSWORD, settings=team)
    second, _ = workflows.log_in("alice", PASSWORD, settings=team, replaces=first)
    assert second != first
    assert workflows.open_session(first, settings=team) is None
    assert workflows.open_session(second, settings=team) is not None


@pytest.mark.parametrize(("username", "password"), [
    ("alice", "wrong password here"), ("nobody", PASSWORD), ("ALICE", PASSWORD),
    ("alice", ""), ("bad name", PASSWORD), ("alice", PASSWORD + "x" * 2000)])
def test_wrong_logins_all_fail_alike(team: Settings, username: str, password: str) -> None:
    with pytest.raises(InputError) as caught:
        workflows.log_in(username, password, settings=team)
    assert str(caught.value) == workflows.team.WRONG_LOGIN


def test_an_unknown_username_takes_as_long_as_a_wrong_password(team: Settings) -> None:
    """The dummy verify: timing does not tell which usernames exist."""
    def took(username: str) -> float:
        start = time.perf_counter()
        with pytest.raises(InputError):
            workflows.log_in(username, "not the password", settings=team)
        return time.perf_counter() - start

    took("nobody")  # warm-up
    unknown = statistics.median(took("nobody") for _ in range(3))
    known = statistics.median(took("alice") for _ in range(3))
    assert 0.5 < unknown / known < 2.0


def _age_session(settings: Settings, token: str, **values: datetime) -> None:
    import hashlib

    with Store.open(workflows.database_url(settings)) as store, store.engine.begin() as conn:
        conn.execute(update(web_sessions).where(
            web_sessions.c.token_sha256 == hashlib.sha256(token.encode()).hexdigest())
            .values(**values))


def test_idle_and_old_sessions_are_refused(team: Settings) -> None:
    now = datetime.now(UTC)
    idle, _ = workflows.log_in("alice", PASSWORD, settings=team)
    _age_session(team, idle, last_seen_utc=now - timedelta(seconds=workflows.SESSION_IDLE_S + 5))
    assert workflows.open_session(idle, settings=team) is None
    old, _ = workflows.log_in("alice", PASSWORD, settings=team)
    _age_session(team, old, expires_utc=now - timedelta(seconds=1))
    assert workflows.open_session(old, settings=team) is None


def test_removing_a_user_ends_their_sessions(team: Settings) -> None:
    token, _ = workflows.log_in("bob", PASSWORD, settings=team)
    workflows.remove_user("bob", settings=team)
    assert workflows.open_session(token, settings=team) is None
    with pytest.raises(InputError, match=workflows.team.WRONG_LOGIN):
        workflows.log_in("bob", PASSWORD, settings=team)
    with pytest.raises(NotFoundError, match="no user 'bob'"):
        workflows.remove_user("bob", settings=team)


def test_a_coach_chooses_only_granted_runners(team: Settings) -> None:
    token, session = workflows.log_in("coach", PASSWORD, settings=team)
    assert session.runner == "alice"  # one runner: no need to choose
    with pytest.raises(NotFoundError, match="no runner 'bob'"):
        workflows.choose_runner(token, session, "bob", settings=team)
    with pytest.raises(NotFoundError, match="no runner 'nobody'"):  # the same words
        workflows.choose_runner(token, session, "nobody", settings=team)
    assert workflows.grant_runner("coach", "bob", settings=team) is True
    assert workflows.grant_runner("coach", "bob", settings=team) is False
    session = workflows.open_session(token, settings=team)  # type: ignore[assignment]
    assert session is not None and session.user.runners == ("alice", "bob")
    session = workflows.choose_runner(token, session, "bob", settings=team)
    reopened = workflows.open_session(token, settings=team)
    assert reopened is not None and reopened.runner == "bob"
    workflows.revoke_runner("coach", "bob", settings=team)
    reopened = workflows.open_session(token, settings=team)
    assert reopened is not None and reopened.runner is None  # taken away at once


def test_grants_are_for_coaches_and_clinicians_only(team: Settings) -> None:
    with pytest.raises(InputError, match="alice is a runner"):
        workflows.grant_runner("alice", "bob", settings=team)
    with pytest.raises(NotFoundError, match="no user 'zed'"):
        workflows.grant_runner("zed", "bob", settings=team)
    with pytest.raises(NotFoundError, match="does not see 'bob'"):
        workflows.revoke_runner("coach", "bob", settings=team)


def test_team_mode_needs_a_user(tmp_path: Path) -> None:
    empty = Settings(data_dir=tmp_path / "empty")
    with pytest.raises(InputError, match="Team mode needs at least one user"):
        workflows.check_team_ready(settings=empty)


def test_each_runners_history_is_their_own(team: Settings, tmp_path: Path) -> None:
    workflows.import_paths([fit_run(tmp_path, 1)], settings=team, workers=1, runner="alice")
    workflows.import_paths([fit_run(tmp_path, 2)], settings=team, workers=1, runner="bob")
    (alice_run,) = workflows.list_runs(settings=team, runner="alice")
    (bob_run,) = workflows.list_runs(settings=team, runner="bob")
    assert alice_run.start_utc.isoformat().startswith("2024-03-01")
    assert bob_run.start_utc.isoformat().startswith("2024-03-02")
    assert workflows.list_runs(settings=team) == ()  # the local runner has none
    with pytest.raises(NotFoundError, match=f"There is no run {bob_run.id}"):
        workflows.run_analysis(bob_run.id, settings=team, runner="alice")
    with pytest.raises(NotFoundError):
        workflows.run_report_html(bob_run.id, settings=team, runner="alice")
    with pytest.raises(NotFoundError):
        workflows.set_surface(bob_run.id, "trail", settings=team, runner="alice")
    with pytest.raises(NotFoundError, match="There is no run"):
        workflows.add_pain(settings=team, runner="alice", score=3, kind="during",
                           location=None, onset_min=None, onset_km=None, run_id=bob_run.id,
                           recorded_on=None, note=None)
    shoe = workflows.add_shoe(settings=team, runner="bob", name="Bob's", start_distance_m=0,
                              default_from=None, default_to=None)
    with pytest.raises(NotFoundError):
        workflows.retire_shoe(shoe, settings=team, on=None, runner="alice")
    assert workflows.list_shoes(settings=team, runner="alice").shoes == ()
    assert workflows.trends(settings=team, runner="alice").weekly[0].n_runs == 1
