"""Team mode's tables on a real SQLite file and a real PostgreSQL database: users, who sees
whom, web sessions (only a token's SHA-256 is stored), and an upgrade that keeps the history."""

from __future__ import annotations

import hashlib
from datetime import UTC, date, datetime, timedelta

import pytest
from alembic import command
from sqlalchemy import select, update

from backstride.adapters.storage.schema import runners, web_sessions
from backstride.adapters.storage.store import Store, _alembic_config, head_revision
from backstride.errors import StorageError

HASH = "$argon2id$v=19$m=65536,t=3,p=4$c2FsdHNhbHQ$aGFzaGhhc2hoYXNoaGFzaA"  # shape only
NOW = datetime(2026, 11, 25, 12, 0, tzinfo=UTC)


def _sha(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def _team(store: Store) -> None:
    store.add_user(username="alice", password_hash=HASH, role="runner", runner="alice", sees=())
    store.add_user(username="bob", password_hash=HASH, role="runner", runner="bob", sees=())
    store.add_user(username="coach", password_hash=HASH, role="coach", runner=None,
                   sees=("bob", "alice"))


def _session(store: Store, token: str, *, at: datetime = NOW) -> object:
    return store.session(_sha(token), now=at, stale_before=at - timedelta(minutes=30),
                         touch_before=at - timedelta(minutes=1))


def _open_session(store: Store, token: str, username: str = "alice",
                  runner: str | None = "alice") -> None:
    store.create_session(username=username, token_sha256=_sha(token), now=NOW,
                         expires_utc=NOW + timedelta(hours=12), runner=runner,
                         stale_before=NOW - timedelta(minutes=30))


def test_users_their_runners_and_grants_round_trip(store: Store) -> None:
    _team(store)
    alice = store.user("alice")
    assert alice is not None and (alice.role, alice.runner, alice.runners) == (
        "runner", "alice", ("alice",))
    coach = store.user("coach")
    assert coach is not None and coach.runner is None
    assert coach.sees == ("alice", "bob") and coach.runners == ("alice", "bob")
    assert [u.username for u in store.list_users()] == ["alice", "bob", "coach"]
    assert store.runner_exists("alice") and not store.runner_exists("carol")
    found = store.user_credentials("alice")
    assert found is not None and found[1] == HASH
    assert store.user("nobody") is None and store.user_credentials("nobody") is None


def test_duplicate_usernames_and_unknown_runners_are_refused(store: Store) -> None:
    _team(store)
    with pytest.raises(StorageError, match="already a user named 'alice'"):
        store.add_user(username="alice", password_hash=HASH, role="coach", runner=None, sees=())
    with pytest.raises(StorageError, match="no runner 'carol'"):
        store.add_user(username="dr", password_hash=HASH, role="clinician", runner=None,
                       sees=("carol",))
    assert store.user("dr") is None  # one transaction: nothing of it stayed
    with pytest.raises(StorageError, match="no runner 'carol'"):
        store.grant("coach", "carol")


def test_grant_and_revoke(store: Store) -> None:
    _team(store)
    store.add_user(username="dr", password_hash=HASH, role="clinician", runner=None, sees=())
    assert store.grant("dr", "bob") is True
    assert store.grant("dr", "bob") is False  # already
    dr = store.user("dr")
    assert dr is not None and dr.sees == ("bob",)
    _open_session(store, "dr-token", "dr", "bob")
    assert store.revoke("dr", "bob") is True and store.revoke("dr", "bob") is False
    dr = store.user("dr")
    assert dr is not None and dr.sees == ()
    found = _session(store, "dr-token")
    assert found is not None and found == (dr, None)  # the session looks at no one now


def test_sessions_keep_only_the_token_hash_and_expire(store: Store) -> None:
    _team(store)
    _open_session(store, "secret-token")
    with store.engine.connect() as conn:
        stored = conn.execute(select(web_sessions.c.token_sha256)).scalars().all()
    assert stored == [_sha("secret-token")]
    found = _session(store, "secret-token")
    assert found is not None and found[0].username == "alice" and found[1] == "alice"
    assert _session(store, "another-token") is None
    # idle: last seen more than 30 minutes ago
    assert _session(store, "secret-token", at=NOW + timedelta(minutes=31)) is None
    assert _session(store, "secret-token") is None  # and it was ended, not only refused


def test_a_session_is_touched_at_most_once_a_minute_and_ends_at_its_absolute_limit(
        store: Store) -> None:
    _team(store)
    _open_session(store, "t")
    at = NOW
    for _ in range(25):  # a request every 29 minutes keeps it alive ...
        at += timedelta(minutes=29)
        if at >= NOW + timedelta(hours=12):
            break
        assert _session(store, "t", at=at) is not None
    assert _session(store, "t", at=NOW + timedelta(hours=12)) is None  # ... until 12 h
    _open_session(store, "u")
    _session(store, "u", at=NOW + timedelta(seconds=30))  # within a minute: no write
    with store.engine.connect() as conn:
        seen = conn.scalar(select(web_sessions.c.last_seen_utc).where(
            web_sessions.c.token_sha256 == _sha("u")))
    assert seen is not None and seen.replace(tzinfo=UTC) == NOW


def test_a_new_session_ends_the_one_it_replaces_and_stale_ones(store: Store) -> None:
    _team(store)
    _open_session(store, "old")
    with store.engine.begin() as conn:  # another, long idle
        _open_session(store, "stale", "bob", "bob")
        conn.execute(update(web_sessions).where(web_sessions.c.token_sha256 == _sha("stale"))
                     .values(last_seen_utc=NOW - timedelta(hours=2)))
    store.create_session(username="alice", token_sha256=_sha("new"), now=NOW,
                         expires_utc=NOW + timedelta(hours=12), runner="alice",
                         stale_before=NOW - timedelta(minutes=30), replaces=_sha("old"))
    with store.engine.connect() as conn:
        left = set(conn.execute(select(web_sessions.c.token_sha256)).scalars())
    assert left == {_sha("new")}
    assert store.end_session(_sha("new")) is True and store.end_session(_sha("new")) is False


def test_removing_a_user_ends_their_sessions_and_keeps_the_runners_history(
        store: Store) -> None:
    _team(store)
    store.add_pain({"score": 3, "kind": "during", "location": None, "onset_min": None,
                    "onset_km": None, "activity_id": None, "recorded_on": date(2026, 11, 1),
                    "note": None}, runner="alice")
    _open_session(store, "a1")
    _open_session(store, "a2")
    assert store.count_sessions("alice") == 2
    assert store.remove_user("alice") is True and store.remove_user("alice") is False
    assert store.user("alice") is None and _session(store, "a1") is None
    assert store.count_sessions("alice") == 0
    assert [p.score for p in store.list_pain(runner="alice")] == [3]
    coach = store.user("coach")
    assert coach is not None and "alice" in coach.sees  # the coach still sees the history


def test_a_database_with_history_upgrades_to_team_tables(database_url: str) -> None:
    """A 0002 database (the single local runner, with data) gains the team tables, keeps its
    data, and its runner "me" can become a runner user."""
    store = Store.open(database_url, auto_migrate=True)
    store.save_clearance(cleared_by="Dr Rao", cleared_on=date(2026, 1, 2), note=None)
    config = _alembic_config()
    with store.engine.begin() as conn:
        config.attributes["connection"] = conn
        command.downgrade(config, "0002")
    store.close()
    with pytest.raises(StorageError, match="backstride db migrate"):
        Store.open(database_url, auto_migrate=False)
    upgraded = Store.open(database_url, auto_migrate=True)
    try:
        upgraded.add_user(username="me-login", password_hash=HASH, role="runner", runner="me",
                          sees=())
        user = upgraded.user("me-login")
        assert user is not None and user.runner == "me"
        with upgraded.engine.connect() as conn:
            assert list(conn.execute(select(runners.c.name)).scalars()) == ["me"]
        clearance = upgraded.latest_clearance(runner="me")
        assert clearance is not None and clearance.cleared_by == "Dr Rao"
    finally:
        upgraded.close()
    assert head_revision() == "0006"
