"""backstride: what in your running and your body is loading your lower back.

Public API::

    activity = backstride.read_activity("run.fit")   # every record as numpy columns
    activity.records["vertical_oscillation"]          # FIT profile units (mm)
    report = backstride.analyze("run.fit")            # metrics, drift, findings
    backstride.analysis_json(report)                  # backstride.analysis/1

backstride gives information, not a diagnosis.

Importing the package is cheap: the decoder and the analysis load when first used, so
``backstride --version`` and the other quick commands start in a blink.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

from backstride.errors import BackstrideError

if TYPE_CHECKING:
    from backstride.adapters.formats import read_activity
    from backstride.core.report import WatchReport

__version__ = "0.1.0"
__all__ = ["BackstrideError", "WatchReport", "__version__", "analysis_json", "analyze",
           "read_activity"]

_LAZY = {"read_activity": "backstride.adapters.formats", "WatchReport": "backstride.core.report"}


def analyze(path: str | Path) -> WatchReport:
    """Decode and measure one watch file."""
    from backstride.adapters.formats import read_activity
    from backstride.core.report import build_watch_report

    path = Path(path)
    return build_watch_report(read_activity(path), source_name=path.name)


def analysis_json(report: WatchReport) -> dict[str, Any]:
    """The ``backstride.analysis/1`` JSON object of a report."""
    from backstride.adapters.render.analysis_json import analysis_json as render

    return render(report)


if not TYPE_CHECKING:

    def __getattr__(name: str) -> Any:
        """``backstride.read_activity`` and ``backstride.WatchReport``, loaded when first used."""
        if name not in _LAZY:
            raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
        import importlib

        value = getattr(importlib.import_module(_LAZY[name]), name)
        globals()[name] = value
        return value
