"""The terminal summary of a video analysis (issue 13): ground contact time as an upper bound
in words, last; a clip where nothing was measured says so on its second line."""

from __future__ import annotations

from backstride.adapters.render.text import text_summary
from backstride.adapters.render.video_json import video_json
from backstride.core.report import build_video_report
from backstride.core.simulate_pose import RunnerSpec, simulate_pose

SHA = "3c" * 32


def _summary(spec: RunnerSpec) -> tuple[dict, list[str]]:  # type: ignore[type-arg]
    analysis = video_json(build_video_report(simulate_pose(spec), source_name="x.mp4",
                                             sha256=SHA))
    return analysis, text_summary(analysis).splitlines()


def test_ground_contact_time_is_an_upper_bound_and_comes_last() -> None:
    analysis, lines = _summary(RunnerSpec())
    gct = analysis["metrics"]["ground_contact_time_ms"]
    assert gct["status"] == "ok"
    metric_lines = [line for line in lines if line.startswith("  ") and "(n=" in line]
    assert metric_lines[-1].lstrip().startswith("Ground contact time")
    assert f"at most {gct['value']:.0f} ms (an upper bound from video" in metric_lines[-1]
    assert not any("NOTHING WAS MEASURED" in line for line in lines)


def test_nothing_measured_is_said_at_the_top() -> None:
    _, lines = _summary(RunnerSpec(frame_rate_hz=10.0))
    assert lines[1].startswith("  NOTHING WAS MEASURED from this clip: the frame rate is 10 fps")
