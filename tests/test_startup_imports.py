"""The hot commands import what they use and nothing else (issue 16): each runs in a fresh
interpreter, then the test reads which modules it loaded. benchmarks/bench_startup.py times
them; this pins the import set so that a stray top-level import cannot creep back."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

# Heavy or unrelated packages, and the parts of backstride a command must not pay for.
WEB = ("fastapi", "starlette", "uvicorn", "backstride.web")
VIDEO = ("mediapipe", "cv2", "av", "backstride.adapters.pose", "backstride.core.gait",
         "backstride.core.form", "backstride.workflows.video")
SCIPY = ("scipy",)
STORAGE = ("sqlalchemy", "alembic", "backstride.adapters.storage.store")
RENDER = ("jinja2", "plotly", "backstride.adapters.render.html")

_PROBE = """
import json, sys
from backstride.cli import main
try:
    main(sys.argv[1:])
except SystemExit as exc:
    code = exc.code
else:
    code = 0
print("\\n" + json.dumps({"code": code, "modules": sorted(sys.modules)}))
"""


def loaded_modules(args: list[str], tmp_path: Path) -> set[str]:
    env_data = tmp_path / "data"
    result = subprocess.run([sys.executable, "-c", _PROBE, *args], capture_output=True,
                            text=True, timeout=120,
                            env={"BACKSTRIDE_DATA_DIR": str(env_data), "PATH": "/usr/bin:/bin",
                                 "HOME": str(tmp_path)}, check=False)
    report = json.loads(result.stdout.strip().splitlines()[-1])
    assert report["code"] in (0, None), result.stderr
    return set(report["modules"])


def offenders(modules: set[str], banned: tuple[str, ...]) -> list[str]:
    return sorted(m for m in modules if any(m == b or m.startswith(b + ".") for b in banned))


def test_version_loads_click_and_nothing_heavy(tmp_path: Path) -> None:
    modules = loaded_modules(["--version"], tmp_path)
    assert offenders(modules, ("numpy", *SCIPY, *STORAGE, *RENDER, *WEB, *VIDEO,
                               "backstride.core", "backstride.adapters")) == []


def test_triage_from_a_file_loads_no_arrays_video_web_or_render(tmp_path: Path) -> None:
    from backstride.core.simulate import demo_answers

    answers = tmp_path / "answers.json"
    answers.write_text(json.dumps(demo_answers()), encoding="utf-8")
    modules = loaded_modules(["triage", "--answers", str(answers), "--json", "-"], tmp_path)
    # The first triage creates the history through the Store (SQLAlchemy); once the database
    # is at the code's revision and knows the runner, the triage is recorded with sqlite3
    # alone (adapters/storage/direct.py), and nothing heavy loads.
    assert "sqlalchemy" in modules
    modules = loaded_modules(["triage", "--answers", str(answers), "--json", "-"], tmp_path)
    assert "backstride.adapters.storage.direct" in modules
    assert offenders(modules, ("numpy", *STORAGE, *SCIPY, *RENDER, *WEB, *VIDEO)) == []


def test_metronome_loads_no_storage_scipy_render_or_web(tmp_path: Path) -> None:
    modules = loaded_modules(["metronome", "--spm", "170", "--minutes", "0.1", "--out",
                              str(tmp_path / "click.wav")], tmp_path)
    assert (tmp_path / "click.wav").stat().st_size > 0
    assert offenders(modules, (*SCIPY, *STORAGE, *RENDER, *WEB, *VIDEO)) == []


@pytest.mark.slow
def test_analyze_fit_to_json_loads_no_scipy_storage_render_web_or_video(tmp_path: Path) -> None:
    from backstride.adapters.formats.fit_writer import simulated_run_messages, write_fit_bytes
    from backstride.core.simulate import RunPlan, simulate_run

    fit = tmp_path / "run.fit"
    fit.write_bytes(write_fit_bytes(simulated_run_messages(simulate_run(
        RunPlan(duration_s=600)))))
    modules = loaded_modules(["analyze", str(fit), "--json", str(tmp_path / "run.json")],
                             tmp_path)
    assert json.loads((tmp_path / "run.json").read_text())["schema"] == "backstride.analysis/1"
    assert offenders(modules, (*SCIPY, *STORAGE, *RENDER, *WEB, *VIDEO)) == []
