"""What every HTML renderer shares (the watch report, the video report, the plan, the web
pages): the Jinja2 environment of the report templates, plotly.js inline, the chart font and
configuration, metric labels, number formatting and the findings list."""

from __future__ import annotations

from functools import lru_cache
from typing import Any, Final, NamedTuple

from jinja2 import Environment, PackageLoader, select_autoescape
from plotly.offline import get_plotlyjs

from backstride.adapters.render.units import METRIC_UNITS

JSON = dict[str, Any]


class MetricDisplay(NamedTuple):
    label: str
    decimals: int  # value shown on cards
    ci_decimals: int  # 95 % interval and device comparison
    colour: str  # chart line


METRIC_DISPLAY: Final[dict[str, MetricDisplay]] = {
    "cadence_spm": MetricDisplay("Cadence", 0, 1, "#1f6fb2"),
    "ground_contact_time_ms": MetricDisplay("Ground contact time", 0, 1, "#8a4baf"),
    "gct_balance_left_pct": MetricDisplay("GCT balance, left", 1, 2, "#b5651d"),
    "gct_imbalance_pct": MetricDisplay("GCT imbalance from 50/50", 1, 2, "#c0392b"),
    "vertical_oscillation_mm": MetricDisplay("Vertical oscillation", 1, 1, "#16826b"),
    "vertical_ratio_pct": MetricDisplay("Vertical ratio", 2, 2, "#2c7a7b"),
    "step_length_m": MetricDisplay("Step length", 2, 3, "#5b6abf"),
    "speed_mps": MetricDisplay("Pace", 2, 2, "#2f855a"),
    "power_w": MetricDisplay("Power", 0, 1, "#b7791f"),
    "heart_rate_bpm": MetricDisplay("Heart rate", 0, 1, "#c53030"),
    "form_power_w": MetricDisplay("Form power (Stryd)", 0, 1, "#975a16"),
    "air_power_w": MetricDisplay("Air power (Stryd)", 0, 1, "#744210"),
    "leg_spring_stiffness_kn_m": MetricDisplay("Leg spring stiffness (Stryd)", 1, 2, "#4a5568"),
}
SEVERITY_ORDER: Final = {"act": 0, "watch": 1, "info": 2}
SEVERITY_TEXT: Final = {"act": "act", "watch": "watch", "info": "info"}
HEURISTIC_TEXT: Final = {
    "default": "Heuristic: this threshold is backstride's own default, not a validated cut-off.",
    "unconfirmed": "Heuristic: the source for this threshold is unconfirmed.",
}
FONT: Final = ("-apple-system, BlinkMacSystemFont, 'Segoe UI', Roboto, 'Helvetica Neue', "
                "Arial, sans-serif")
PLOT_CONFIG: Final = {"responsive": True, "displaylogo": False, "displayModeBar": "hover",
                       "modeBarButtonsToRemove": ["select2d", "lasso2d", "autoScale2d", "pan2d",
                                                  "zoomIn2d", "zoomOut2d"]}


@lru_cache(maxsize=1)
def html_environment() -> Environment:
    return Environment(loader=PackageLoader("backstride.adapters.render", "templates"),
                       autoescape=select_autoescape(["html", "j2"]),
                       trim_blocks=True, lstrip_blocks=True)


@lru_cache(maxsize=1)
def inline_plotlyjs() -> Any:
    from markupsafe import Markup

    js = get_plotlyjs()
    if "</script" in js.lower():  # would end the script element early
        raise RuntimeError("the bundled plotly.js contains '</script'")
    return Markup(js)


def metric_label(key: str) -> str:
    if key in METRIC_DISPLAY:
        return METRIC_DISPLAY[key].label
    for unit in METRIC_UNITS.values():
        if unit.key == key:
            return unit.label
    return key.replace("_", " ").capitalize()


def number_text(value: float, decimals: int) -> str:
    text = f"{value:,.{decimals}f}"
    return text.replace("-", "\u2212") if text.startswith("-") else text


def file_title(path: str | None) -> str:
    if not path:
        return "Run analysis"
    return path.replace("\\", "/").rsplit("/", 1)[-1]


def findings_view(findings: list[JSON], *, plan: JSON | None = None,
                  plan_href: str | None = None) -> list[JSON]:
    """Findings, most serious first, each with its heuristic note and what the plan does
    about it (``plan``: the plan JSON, None when there is none; ``plan_href``: the plan page
    the links go to, None for a report that has none: then the words name the command)."""
    from backstride.adapters.render.plan_links import finding_plan

    out = []
    for f in sorted(findings, key=lambda f: SEVERITY_ORDER.get(f.get("severity") or "", 3)):
        severity = f.get("severity") or "info"
        heuristic = bool(f.get("heuristic"))
        note = None
        if heuristic:
            note = HEURISTIC_TEXT.get(f.get("evidence") or "",
                                       "Heuristic: this threshold is not validated.")
        out.append({"severity": severity if severity in SEVERITY_TEXT else "info",
                    "message": f.get("message") or "", "heuristic": heuristic,
                    "heuristic_note": note, "source": f.get("source") or "",
                    "metric": metric_label(f.get("metric") or "") if f.get("metric") else "",
                    "plan": finding_plan(str(f.get("id") or ""), plan, plan_href)})
    return out
