"""Videos in history: stored once per runner with their keypoints (never the clip), listed,
shown, re-analysed from the keypoints without the model, kept apart per runner, and their
findings reaching the plan. Real databases (SQLite and PostgreSQL)."""

from __future__ import annotations

from pathlib import Path

import pytest

from backstride import workflows
from backstride.adapters.render.history_json import videos_json
from backstride.adapters.storage.records import ImportOutcome, MeasuredVideo
from backstride.adapters.storage.store import Store
from backstride.config import Settings
from backstride.core.report import build_video_report
from backstride.core.simulate_pose import RunnerSpec, simulate_pose
from backstride.errors import NotFoundError
from backstride.workflows.video import latest_video_findings, measured_from_report
from tests.conftest import fixture_file


def _measured(spec: RunnerSpec, sha: str, name: str = "clip.mp4") -> MeasuredVideo:
    report = build_video_report(simulate_pose(spec), source_name=name, sha256=sha)
    return measured_from_report(report, name=name)


@pytest.fixture
def settings(database_url: str, tmp_path: Path) -> Settings:
    settings = Settings(data_dir=tmp_path / "data", db=database_url)
    workflows.migrate_database(settings)
    return settings


def _save(settings: Settings, item: MeasuredVideo, runner: str = "me") -> ImportOutcome:
    with Store.open(settings.db or "", auto_migrate=False) as store:
        return store.save_video(item, runner=runner)


def test_stored_once_listed_and_shown(settings: Settings) -> None:
    item = _measured(RunnerSpec(), "a" * 64)
    assert _save(settings, item) is ImportOutcome.IMPORTED
    assert _save(settings, item) is ImportOutcome.ALREADY_IMPORTED
    listed = videos_json(workflows.list_videos(settings=settings))
    assert listed["schema"] == "backstride.videos/1"
    [video] = listed["videos"]
    assert video["view"] == "side" and video["cadence_spm"] == pytest.approx(170, abs=1)
    assert video["metrics"] == item.analysis["metrics"]
    assert video["source_sha256"] == "a" * 64 and video["imported_utc"].endswith("Z")
    assert workflows.stored_video(video["id"], settings=settings) == item.analysis


def test_reanalysis_from_keypoints_matches_and_takes_a_height(settings: Settings) -> None:
    item = _measured(RunnerSpec(noise_px=1.0), "b" * 64)
    _save(settings, item)
    video_id = workflows.list_videos(settings=settings)[0].id
    again = workflows.stored_video(video_id, settings=settings, reanalyze=True)
    assert again["metrics"] == item.analysis["metrics"]  # same keypoints, same numbers
    scaled = workflows.stored_video(video_id, settings=settings, height_m=1.8)
    assert scaled["metrics"]["overstride_m"]["status"] == "ok"
    assert "overstride_m" not in item.analysis["metrics"]
    as_rear = workflows.stored_video(video_id, settings=settings, view="rear")
    assert as_rear["metrics"]["pelvic_drop_deg"]["status"] == "not_available"


def test_other_runners_videos_are_not_found(settings: Settings) -> None:
    _save(settings, _measured(RunnerSpec(), "c" * 64), runner="alice")
    [video] = workflows.list_videos(settings=settings, runner="alice")
    assert workflows.list_videos(settings=settings, runner="bob") == []
    with pytest.raises(NotFoundError):
        workflows.stored_video(video.id, settings=settings, runner="bob")
    # The same clip may belong to two runners (a coach films both with one phone).
    assert _save(settings, _measured(RunnerSpec(), "c" * 64), runner="bob") is \
        ImportOutcome.IMPORTED


def test_newest_clip_of_each_view_feeds_the_plan(settings: Settings) -> None:
    _save(settings, _measured(RunnerSpec(trunk_lean_deg=3.0), "d" * 64))
    _save(settings, _measured(RunnerSpec(trunk_lean_deg=14.0), "e" * 64))  # newer side clip
    _save(settings, _measured(RunnerSpec(view="rear", pelvic_drop_deg=9.0, standing_s=2.0,
                                         duration_s=14.0), "f" * 64))
    found = latest_video_findings(settings=settings)
    assert "trunk_lean_forward" in found and "pelvic_drop" in found


@pytest.mark.slow
@pytest.mark.video
@pytest.mark.fixtures
@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
def test_import_a_real_clip_then_skip_it(settings: Settings) -> None:
    clip = fixture_file("video", "treadmill-side-30fps.mp4")
    summary = workflows.import_paths([clip], settings=settings, workers=1)
    assert (summary.imported, summary.videos, summary.skipped) == (1, 1, ())
    again = workflows.import_paths([clip], settings=settings, workers=1)
    assert (again.imported, again.already_imported) == (0, 1)
    [video] = workflows.list_videos(settings=settings)
    assert video.cadence_spm is not None and abs(video.cadence_spm - 168.9) <= 1.0
    stored = workflows.stored_video(video.id, settings=settings)
    assert workflows.stored_video(video.id, settings=settings, reanalyze=True)[
        "metrics"] == stored["metrics"]
