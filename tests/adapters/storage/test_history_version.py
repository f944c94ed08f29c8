"""The history version (migration 0006): the database's own triggers bump it on every insert,
update and delete of the history, in the writing transaction, on SQLite and PostgreSQL;
sessions and jobs leave it alone. The web app's page cache is only as right as this."""

from __future__ import annotations

import importlib.util
from collections.abc import Callable, Iterator
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import text

from backstride.adapters.storage.schema import analyses as analyses_table
from backstride.adapters.storage.schema import metadata
from backstride.adapters.storage.store import MIGRATIONS, Store

NOT_HISTORY = {"web_sessions", "jobs", "history_version"}


def _tracked() -> tuple[str, ...]:
    spec = importlib.util.spec_from_file_location(
        "migration_0006", MIGRATIONS / "versions" / "0006_history_version.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    tracked: tuple[str, ...] = module.TRACKED
    return tracked


@pytest.fixture
def opened(database_url: str) -> Iterator[Store]:
    store = Store.open(database_url, auto_migrate=True)
    yield store
    store.close()


def test_every_history_table_is_tracked() -> None:
    # A table added later needs its triggers too (a new migration): this fails until then.
    assert set(_tracked()) == set(metadata.tables) - NOT_HISTORY


def _bumps(store: Store, write: Callable[[], object]) -> None:
    before = store.history_version()
    assert before is not None
    write()
    after = store.history_version()
    assert after is not None and after > before, write


def _sql(store: Store, statement: str) -> Callable[[], object]:
    def run() -> None:
        with store.engine.begin() as conn:
            assert conn.execute(text(statement)).rowcount > 0  # type: ignore[attr-defined]
    return run


def test_every_kind_of_history_write_bumps_the_version(opened: Store) -> None:
    store = opened
    assert store.history_version() is not None
    _bumps(store, lambda: store.runner_id("somebody"))  # a new runner
    _bumps(store, lambda: store.save_triage({"schema": "backstride.answers/1"},
                                            {"schema": "backstride.triage/1",
                                             "level": "self_care"}))
    _bumps(store, lambda: store.save_selftests({"plank_s": 40.0}, {"ok": True}))
    _bumps(store, lambda: store.save_clearance(cleared_by="Dr Rao", cleared_on=date(2026, 1, 2),
                                               note=None))
    _bumps(store, lambda: store.save_plan({"schema": "backstride.plan/1"}))
    shoe: list[int] = []
    _bumps(store, lambda: shoe.append(store.add_shoe(
        name="Pegasus", start_distance_m=0.0, added_on=date(2026, 1, 1), default_from=None,
        default_to=None)))
    _bumps(store, lambda: store.set_default_shoe(shoe[0], default_from=date(2026, 1, 1),
                                                 default_to=None))
    _bumps(store, lambda: store.retire_shoe(shoe[0], on=date(2026, 2, 1)))
    _bumps(store, lambda: store.add_pain({"recorded_on": date(2026, 1, 3), "kind": "other",
                                          "score": 2, "location": "hip"}))
    _bumps(store, _sql(store, "UPDATE pain_entries SET note = 'edited by hand'"))
    _bumps(store, _sql(store, "DELETE FROM pain_entries"))
    _bumps(store, lambda: store.add_user(username="coach", password_hash="x", role="coach",
                                         runner=None, sees=["somebody"]))
    _bumps(store, lambda: store.revoke("coach", "somebody"))
    _bumps(store, lambda: store.remove_user("coach"))


def test_sessions_jobs_and_undone_writes_leave_the_version(opened: Store) -> None:
    store = opened
    store.add_user(username="ann", password_hash="x", role="runner", runner="ann", sees=[])
    before = store.history_version()
    now = datetime.now(UTC)
    store.create_session(username="ann", token_sha256="a" * 64, now=now,
                         expires_utc=now + timedelta(hours=1), stale_before=now, runner="ann")
    store.set_session_runner("a" * 64, None)
    store.end_session("a" * 64)
    store.save_job("0" * 32, label="Analysing run.fit", owner=None, server="here:1",
                   upload_dir=None)
    store.set_job_state("0" * 32, "done", result_url="/runs/1")
    with pytest.raises(RuntimeError), store.engine.begin() as conn:  # rolled back
        conn.execute(text("DELETE FROM users"))
        raise RuntimeError
    assert store.history_version() == before


def test_trends_read_each_analysis_once_and_see_a_reanalysis(tmp_path: Path) -> None:
    """Store.runs_with_metrics keeps what it decoded by analysis row: the same values as the
    whole analyses, and a new analysis row (a re-analysis) is read, not the kept one."""
    from backstride import workflows
    from backstride.adapters.formats.fit_writer import simulated_run_messages, write_fit_bytes
    from backstride.config import Settings
    from backstride.core.simulate import RunPlan, simulate_run
    from backstride.workflows.history import open_store

    settings = Settings(data_dir=tmp_path / "data")
    for day in (1, 2, 3):
        plan = RunPlan(duration_s=600, pauses=(), walks=(),
                       start_utc=datetime(2024, 3, day, 7, tzinfo=UTC))
        path = tmp_path / f"run-{day}.fit"
        path.write_bytes(write_fit_bytes(simulated_run_messages(simulate_run(plan, seed=day))))
        workflows.import_paths([path], settings=settings, workers=1)
    with open_store(settings) as store:
        whole = store.runs_with_analyses()
        parts = store.runs_with_metrics()
        assert [row.id for row, _ in parts] == [row.id for row, _ in whole]
        for (_, analysis), (_, found) in zip(whole, parts, strict=True):
            assert found.metrics == {k: m["value"] for k, m in analysis["metrics"].items()
                                     if m["status"] == "ok" and m["value"] is not None}
            assert [d["metric"] for d in found.drift] == [d["metric"]
                                                          for d in analysis["drift"]]
        assert len(store._metric_parts) == 3
        run_id, analysis = whole[-1][0].id, whole[-1][1]
        analysis = {**analysis, "metrics": {**analysis["metrics"], "cadence_spm": {
            **analysis["metrics"]["cadence_spm"], "value": 199.5}}}  # a re-analysis: a new row
        with store.engine.begin() as conn:
            conn.execute(analyses_table.insert().values(
                activity_id=run_id, analyser_version="test", created_utc=datetime.now(UTC),
                analysis=analysis))
        found = dict((row.id, p) for row, p in store.runs_with_metrics())
        assert found[run_id].metrics["cadence_spm"] == 199.5
        assert len(store._metric_parts) == 4  # only the new row was read
    week = workflows.trends(settings=settings).weekly[-1]  # 1-3 March: one ISO week
    cadence = next(m for m in week.metrics if m.metric == "cadence_spm")
    before = [m["metrics"]["cadence_spm"]["value"] for _, m in whole]
    assert cadence.n_runs == 3  # the re-analysed 199.5 counts, not the first value
    assert cadence.mean == pytest.approx((sum(before[:2]) + 199.5) / 3)
