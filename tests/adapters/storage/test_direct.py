"""The standard-library path for a triage (adapters/storage/direct.py) writes and reads what
the Store writes and reads, on a real SQLite file; anything it cannot do is
DirectUnavailable, with nothing stored, and the workflow then goes through the Store."""

from __future__ import annotations

import sqlite3
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest

from backstride import workflows
from backstride.adapters.storage.direct import DirectHistory, DirectUnavailable, sqlite_file
from backstride.adapters.storage.records import sqlite_url
from backstride.adapters.storage.store import Store
from backstride.config import Settings
from backstride.core.simulate import demo_answers

EMERGENCY = {**demo_answers(), "saddle_numbness": True}


@pytest.fixture
def url(tmp_path: Path) -> str:
    address = sqlite_url(tmp_path / "backstride.db")
    with Store.open(address, auto_migrate=True) as store:
        store.runner_id("me")  # the runner exists: the direct path may write for it
    return address


def _store(url: str) -> Store:
    return Store.open(url, auto_migrate=True)


def test_what_it_writes_the_store_reads_and_the_reverse(url: str) -> None:
    with _store(url) as store:
        store.save_triage({"schema": "backstride.answers/1", "fever": False},
                          {"schema": "backstride.triage/1", "level": "self_care", "n": 1.5})
        version = store.history_version()
    with DirectHistory(url, "me") as history:
        [first] = history.triages()
        history.save_triage({"schema": "backstride.answers/1", "fever": "unsure", "é": "ü"},
                            {"schema": "backstride.triage/1", "level": "urgent", "x": [1, None]})
    with _store(url) as store:
        assert store.history_version() != version  # the database's triggers saw the write
        every = store.triages_since(None)
        assert every[0] == first  # the Store's own row, read the same way by both
        assert [r.level for r in every] == ["self_care", "urgent"]
        assert every[1].answers == {"schema": "backstride.answers/1", "fever": "unsure",
                                    "é": "ü"}
        assert every[1].result["x"] == [1, None]
        assert store.latest_triage() == every[1]
        assert datetime.now(UTC) - every[1].created_utc < timedelta(minutes=1)
        store.save_clearance(cleared_by="Dr Rao", cleared_on=date(2026, 1, 2), note="ok")
        clearance = store.latest_clearance()
        before_pain = datetime.now(UTC)
        store.add_pain({"score": 2, "kind": "during", "location": None, "onset_min": None,
                        "onset_km": None, "activity_id": None, "recorded_on": date(2026, 1, 3),
                        "note": None})
    with DirectHistory(url, "me") as history:
        assert history.triages() == every
        assert history.latest_clearance() == clearance
        assert history.pain_logged_after(every[1].created_utc)
        assert history.pain_logged_after(before_pain - timedelta(seconds=1))
        assert not history.pain_logged_after(datetime.now(UTC) + timedelta(seconds=1))


def test_it_refuses_what_only_the_store_can_do_and_stores_nothing(tmp_path: Path,
                                                                  url: str) -> None:
    assert sqlite_file("sqlite://") is None and sqlite_file("sqlite:///:memory:") is None
    assert sqlite_file("postgresql+psycopg://u@h/db") is None
    assert sqlite_file("sqlite:///x.db?mode=ro") is None
    with pytest.raises(DirectUnavailable):  # no database yet: the Store makes it
        DirectHistory(sqlite_url(tmp_path / "none.db"), "me")
    with pytest.raises(DirectUnavailable), DirectHistory(url, "new runner"):
        pass  # a runner the history does not know: the Store adds it
    raw = sqlite3.connect(url.removeprefix("sqlite:///"))
    raw.execute("UPDATE alembic_version SET version_num = '0005'")
    raw.commit()
    with pytest.raises(DirectUnavailable), DirectHistory(url, "me"):
        pass  # an older schema: the Store migrates it first
    raw.execute("UPDATE alembic_version SET version_num = (SELECT '0006')")
    raw.commit()
    with pytest.raises(DirectUnavailable), DirectHistory(url, "me") as history:
        history.save_triage({"a": 1}, {"level": "self_care"})
        history._conn.execute("INSERT INTO no_such_table VALUES (1)")  # fails mid-way
    assert raw.execute("SELECT COUNT(*) FROM triage_records").fetchone() == (0,)
    raw.close()


def test_a_history_locked_by_another_writer_waits_then_goes_to_the_store(
        url: str, monkeypatch: pytest.MonkeyPatch) -> None:
    import backstride.adapters.storage.direct as direct

    monkeypatch.setattr(direct, "WAIT_S", 0.2)
    other = sqlite3.connect(url.removeprefix("sqlite:///"), isolation_level=None)
    other.execute("BEGIN IMMEDIATE")
    try:
        with pytest.raises(DirectUnavailable), DirectHistory(url, "me"):
            pass
    finally:
        other.execute("ROLLBACK")
        other.close()


@pytest.mark.parametrize("direct", [True, False])
def test_record_triage_gives_the_same_state_either_way(tmp_path: Path, direct: bool) -> None:
    settings = Settings(data_dir=tmp_path / "data")
    workflows.assess_back(demo_answers(), settings=settings)  # creates the history
    urgent = workflows.assess_back(EMERGENCY, settings=settings, save=False)
    state = workflows.record_triage(urgent, settings=settings, direct=direct)
    assert state == workflows.care_state(settings)
    assert state.holding is not None and state.holding.level == "emergency"
    # A later, lower triage does not lift the hold, whichever path recorded it.
    calm = workflows.assess_back(demo_answers(), settings=settings, save=False)
    state = workflows.record_triage(calm, settings=settings, direct=direct)
    assert state == workflows.care_state(settings)
    assert state.latest is not None and state.latest.level == "self_care"
    assert state.holding is not None and state.holding.level == "emergency"
    # The same answers again are the same triage: not stored twice.
    again = workflows.record_triage(calm, settings=settings, direct=direct)
    assert again == state
    with workflows.open_store(settings) as store:
        assert len(store.triages_since(None)) == 3
