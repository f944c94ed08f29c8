"""backstride: what in your running and your body is loading your lower back.

Public API::

    activity = backstride.read_activity("run.fit")   # every record as numpy columns
    activity.records["vertical_oscillation"]          # FIT profile units (mm)
    report = backstride.analyze("run.fit")            # metrics, drift, findings
    backstride.analysis_json(report)                  # backstride.analysis/1

backstride gives information, not a diagnosis.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from backstride.adapters.formats import read_activity
from backstride.core.report import WatchReport
from backstride.errors import BackstrideError

__version__ = "0.1.0"
__all__ = ["BackstrideError", "WatchReport", "__version__", "analysis_json", "analyze",
           "read_activity"]


def analyze(path: str | Path) -> WatchReport:
    """Decode and measure one watch file."""
    from backstride.core.report import build_watch_report

    path = Path(path)
    return build_watch_report(read_activity(path), source_name=path.name)


def analysis_json(report: WatchReport) -> dict[str, Any]:
    """The ``backstride.analysis/1`` JSON object of a report."""
    from backstride.adapters.render.analysis_json import analysis_json as render

    return render(report)
