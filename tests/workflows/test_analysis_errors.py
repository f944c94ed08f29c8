"""Only input errors become a failed file: a fault in the analysis itself is a bug and
surfaces as one (CONTRACT.md: "a crash with a traceback is a bug whatever the input")."""

from __future__ import annotations

from pathlib import Path

import pytest

from backstride.adapters.formats.fit_writer import simulated_run_messages, write_fit_bytes
from backstride.core.simulate import RunPlan, simulate_run
from backstride.workflows import analysis


def _fit(tmp_path: Path) -> Path:
    path = tmp_path / "run.fit"
    path.write_bytes(write_fit_bytes(simulated_run_messages(simulate_run(
        RunPlan(duration_s=300)))))
    return path


def test_a_decoder_error_is_a_failed_input(tmp_path: Path,
                                           monkeypatch: pytest.MonkeyPatch) -> None:
    def broken_decoder(path: Path) -> None:
        raise ValueError("an odd field")

    monkeypatch.setattr(analysis, "read_activity", broken_decoder)
    [outcome] = analysis.analyze_paths([_fit(tmp_path)])
    assert isinstance(outcome, analysis.Failed)
    assert "run.fit could not be analysed (ValueError: an odd field)" in outcome.error


def test_a_fault_in_the_analysis_is_not_called_a_bad_file(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    def broken_analysis(*_args: object, **_kwargs: object) -> None:
        raise ValueError("core contract violated")

    monkeypatch.setattr(analysis, "build_watch_report", broken_analysis)
    with pytest.raises(ValueError, match="core contract violated"):
        analysis.analyze_paths([_fit(tmp_path)])


def test_a_good_file_still_analyses(tmp_path: Path) -> None:
    [outcome] = analysis.analyze_paths([_fit(tmp_path)])
    assert isinstance(outcome, analysis.Analysed)


@pytest.mark.video
def test_a_video_readers_error_is_a_failed_input_and_an_analysis_fault_is_not(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    pytest.importorskip("mediapipe")
    from backstride.adapters.pose import pipeline
    from backstride.workflows import video

    clip = tmp_path / "clip.mp4"
    clip.write_bytes(b"\x00\x00\x00\x18ftypmp42" + bytes(64))

    def broken_reader(*_args: object, **_kwargs: object) -> None:
        raise ValueError("odd stream")

    monkeypatch.setattr(pipeline, "estimate_poses", broken_reader)
    [outcome] = analysis.analyze_paths([clip])
    assert isinstance(outcome, analysis.Failed)
    assert "clip.mp4 could not be analysed (ValueError: odd stream)" in outcome.error

    from backstride.core.simulate_pose import RunnerSpec, simulate_pose

    monkeypatch.setattr(pipeline, "estimate_poses",
                        lambda *_a, **_k: simulate_pose(RunnerSpec()))

    def broken_analysis(*_args: object, **_kwargs: object) -> None:
        raise ValueError("core contract violated")

    monkeypatch.setattr(video, "build_video_report", broken_analysis)
    with pytest.raises(ValueError, match="core contract violated"):
        analysis.analyze_paths([clip])
