"""`backstride videos` on a real database: empty, listed, shown, missing ids."""

from __future__ import annotations

import json
from pathlib import Path

from click.testing import CliRunner

from backstride.adapters.storage.store import Store, sqlite_url
from backstride.cli import cli
from backstride.core.simulate_pose import RunnerSpec
from tests.workflows.test_video_history import _measured


def _cli(db: str, *args: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(cli, ["--db", db, *args])
    return result.exit_code, result.stdout, result.stderr


def test_videos_list_show_and_errors(tmp_path: Path) -> None:
    db = sqlite_url(tmp_path / "h.db")
    code, out, _ = _cli(db, "videos")
    assert code == 0 and "No videos yet" in out
    with Store.open(db, auto_migrate=True) as store:
        store.save_video(_measured(RunnerSpec(), "9" * 64, name="side.mp4"))
    code, out, _ = _cli(db, "videos", "--json", "-")
    [video] = json.loads(out)["videos"]
    assert video["name"] == "side.mp4" and video["view"] == "side"
    code, out, _ = _cli(db, "videos")
    assert code == 0 and "side.mp4" in out and "170 spm" in out
    code, out, _ = _cli(db, "videos", "show", str(video["id"]), "--height-m", "1.7",
                        "--json", "-")
    assert code == 0 and json.loads(out)["metrics"]["vertical_oscillation_mm"]["status"] == "ok"
    code, _, err = _cli(db, "videos", "show", "999")
    assert code == 1 and err.startswith("backstride: error: There is no video 999")
    code, _, err = _cli(db, "videos", "show", str(video["id"]), "--height-m", "9")
    assert code == 2
