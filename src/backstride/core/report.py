"""One input's full result: a watch file's activity, metrics, gauges and findings, or a
video's form analysis and findings."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from backstride.core.activity import Activity
from backstride.core.findings import Finding, Gauge, build_findings, build_gauges
from backstride.core.running import RunAnalysis, process_activity
from backstride.core.types import Issue

if TYPE_CHECKING:  # the video side (scipy.signal) loads only when a video is analysed
    from backstride.core.form import FormAnalysis
    from backstride.core.gait import View
    from backstride.core.pose import PoseSequence

DISCLAIMER = ("backstride gives information, not a diagnosis: form findings are possible "
              "contributors to back pain, not causes. See a clinician for pain that worries you.")


@dataclass(frozen=True, slots=True, kw_only=True)
class WatchReport:
    source_name: str
    activity: Activity
    run: RunAnalysis
    gauges: tuple[Gauge, ...]
    findings: tuple[Finding, ...]


def build_watch_report(activity: Activity, *, source_name: str) -> WatchReport:
    run = process_activity(activity)
    # A foot pod (Stryd writes Form Power) reads bounce differently from a chest strap.
    pod = activity.has("form_power_w") or (activity.device or "").startswith("Stryd")
    gauges = build_gauges(run.metrics, pod=pod)
    return WatchReport(source_name=source_name, activity=activity, run=run, gauges=gauges,
                       findings=build_findings(run.metrics, run.drift, gauges))


@dataclass(frozen=True, slots=True, kw_only=True)
class VideoReport:
    """One clip's result: what the camera saw, the form metrics and their findings."""

    source_name: str
    sha256: str
    poses: PoseSequence
    form: FormAnalysis
    findings: tuple[Finding, ...]
    issues: tuple[Issue, ...]  # decoding problems and gate warnings, in that order


def build_video_report(poses: PoseSequence, *, source_name: str, sha256: str,
                       view: View | None = None, height_m: float | None = None,
                       decode_issues: tuple[Issue, ...] = ()) -> VideoReport:
    from backstride.core.form import analyze_form
    from backstride.core.form_findings import build_form_findings

    form = analyze_form(poses, sha256=sha256, view=view, height_m=height_m)
    return VideoReport(source_name=source_name, sha256=sha256, poses=poses, form=form,
                       findings=build_form_findings(form.metrics),
                       issues=(*decode_issues, *form.issues))
