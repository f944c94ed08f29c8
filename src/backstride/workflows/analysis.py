"""Analysing watch files: one or many, a failed input is a value, not an exception."""


from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from backstride.adapters.formats import looks_like_video, read_activity
from backstride.adapters.render.analysis_json import analysis_json
from backstride.core.report import VideoReport, WatchReport, build_watch_report
from backstride.errors import BackstrideError, UnreadableFileError

if TYPE_CHECKING:
    from backstride.config import Settings
    from backstride.core.gait import View
    from backstride.core.types import Progress

# A watch file never loads the video side (the pose model, scipy.signal) nor the HTML
# renderer (jinja2, plotly): those are imported where a video or a report is asked for.


@dataclass(frozen=True, slots=True, kw_only=True)
class Failed:
    path: Path
    error: str


@dataclass(frozen=True, slots=True, kw_only=True)
class Analysed:
    path: Path
    report: WatchReport | VideoReport

    def json(self) -> dict[str, Any]:
        if isinstance(self.report, VideoReport):
            from backstride.adapters.render.video_json import video_json

            return video_json(self.report)
        return analysis_json(self.report)

    @property
    def is_video(self) -> bool:
        return isinstance(self.report, VideoReport)


Outcome = Analysed | Failed


def analyze_path(path: Path, *, view: View | None = None, height_m: float | None = None,
                 capture_fps: float | None = None) -> Analysed:
    """Analyse one watch file or video; raises a ``BackstrideError`` saying what is wrong.
    ``view``, ``height_m`` and ``capture_fps`` apply to videos only."""
    if looks_like_video(path):
        from backstride.workflows.video import analyze_video

        # analyze_video tells its readers' errors (decoder, pose model) from the analysis's
        return Analysed(path=path, report=analyze_video(
            path, view=view, height_m=height_m, capture_fps=capture_fps))
    try:
        activity = read_activity(path)
    except (OSError, ValueError, MemoryError) as exc:  # the decoder met something it cannot read
        raise UnreadableFileError(path, exc) from exc
    # Beyond this point the input decoded: an exception from the analysis is a bug in
    # backstride, and is left to surface as one (CONTRACT.md), never called a bad file.
    return Analysed(path=path, report=build_watch_report(activity, source_name=path.name))


def analyze_paths(paths: Sequence[Path], *, progress: Progress | None = None,
                  view: View | None = None, height_m: float | None = None,
                  capture_fps: float | None = None) -> list[Outcome]:
    """Every input is processed; a bad one becomes a :class:`Failed` and the rest go on."""
    outcomes: list[Outcome] = []
    for done, path in enumerate(paths, start=1):
        try:
            outcomes.append(analyze_path(path, view=view, height_m=height_m,
                                         capture_fps=capture_fps))
        except BackstrideError as exc:
            message = str(exc)  # with several inputs, each error line names its file
            outcomes.append(Failed(path=path, error=message if path.name in message
                                   else f"{path.name}: {message}"))
        if progress is not None:
            progress(done, len(paths))
    return outcomes


def render_html(outcome: Analysed, *, settings: Settings, plan: dict[str, Any] | None = None,
                plan_href: str | None = None) -> str:
    """The outcome's HTML report; a watch report's findings link to the parts of ``plan`` on
    the ``plan_href`` page when one is given (the demo's printable plan)."""
    from backstride.adapters.render.html import render_analysis_html
    from backstride.adapters.render.plot_data import plot_series

    if isinstance(outcome.report, VideoReport):
        from backstride.adapters.render.video_html import render_video_html
        from backstride.workflows.video import key_frames

        return render_video_html(outcome.json(), outcome.report,
                                 key_frames=key_frames(outcome.report, outcome.path))
    return render_analysis_html(outcome.json(), plot_series(outcome.report),
                                units=settings.units, plan=plan, plan_href=plan_href)


def report_paths(outcomes: Sequence[Outcome], target: Path) -> dict[Path, Path]:
    """Where each input's HTML report goes: FILE.html for one input, else one per input in
    the directory ``target``."""
    if len(outcomes) == 1 and target.suffix.lower() in (".html", ".htm") and not target.is_dir():
        return {outcomes[0].path: target}
    return {o.path: target / f"{o.path.stem}.html" for o in outcomes}
