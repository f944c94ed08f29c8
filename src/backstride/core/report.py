"""One watch file's full result: the activity, its running metrics, gauges and findings."""

from __future__ import annotations

from dataclasses import dataclass

from backstride.core.activity import Activity
from backstride.core.findings import Finding, Gauge, build_findings, build_gauges
from backstride.core.running import RunAnalysis, process_activity

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
