"""Batches give identical results in-process, on a local pool and on a local Ray cluster."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from backstride.adapters.formats.fit_writer import simulated_run_messages, write_fit_bytes
from backstride.adapters.render.history_json import runs_json
from backstride.config import Settings
from backstride.core.simulate import RunPlan, simulate_run
from backstride.workflows import import_paths, list_runs


def _folder(folder: Path, n: int) -> Path:
    folder.mkdir()
    for i in range(n):
        plan = RunPlan(duration_s=600, pauses=(), walks=(),
                       start_utc=datetime(2024, 2, 1, 7, tzinfo=UTC) + timedelta(days=i))
        (folder / f"r{i}.fit").write_bytes(write_fit_bytes(simulated_run_messages(
            simulate_run(plan, seed=40 + i))))
    (folder / "broken.fit").write_bytes(b"\x0e\x10junk")
    return folder


def _analyses(settings: Settings) -> list[dict[str, object]]:
    runs = list_runs(settings=settings)
    return [{k: v for k, v in runs_json([run])["runs"][0].items() if k != "id"} for run in runs]


@pytest.mark.ray
@pytest.mark.slow
def test_serial_pool_and_ray_give_identical_results(tmp_path: Path) -> None:
    pytest.importorskip("ray")
    folder = _folder(tmp_path / "runs", 6)
    outcomes = {}
    for label, kwargs in (("serial", {"workers": 1}), ("pool", {"workers": 2}),
                          ("ray", {"ray_address": "local"})):
        settings = Settings(data_dir=tmp_path / label)
        summary = import_paths([folder], settings=settings, **kwargs)  # type: ignore[arg-type]
        assert summary.imported == 6
        assert [name.endswith("broken.fit") for name, _ in summary.skipped] == [True]
        outcomes[label] = _analyses(settings)
    assert outcomes["serial"] == outcomes["pool"] == outcomes["ray"]


@pytest.mark.ray
@pytest.mark.slow
@pytest.mark.video
@pytest.mark.fixtures
def test_videos_batch_identically_on_every_path(tmp_path: Path) -> None:
    """A folder of a clip and watch files: the clip's stored analysis is the same JSON
    whichever path analysed it (the pose model runs in the worker)."""
    pytest.importorskip("ray")
    pytest.importorskip("mediapipe")
    from backstride.adapters.render.history_json import video_json_entry
    from backstride.workflows import list_videos
    from tests.conftest import fixture_file

    folder = _folder(tmp_path / "mixed", 2)
    (folder / "side.mp4").write_bytes(fixture_file("video", "treadmill-side-30fps.mp4")
                                      .read_bytes())
    outcomes = {}
    for label, kwargs in (("serial", {"workers": 1}), ("pool", {"workers": 2}),
                          ("ray", {"ray_address": "local"})):
        settings = Settings(data_dir=tmp_path / label)
        summary = import_paths([folder], settings=settings, **kwargs)  # type: ignore[arg-type]
        assert (summary.imported, summary.videos) == (3, 1)
        videos = [{**video_json_entry(video), "id": None, "imported_utc": None}
                  for video in list_videos(settings=settings)]
        outcomes[label] = (_analyses(settings), videos)
    assert outcomes["serial"] == outcomes["pool"] == outcomes["ray"]
    assert outcomes["serial"][1][0]["name"].endswith("side.mp4")
