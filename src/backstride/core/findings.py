"""Findings and colour gauges from run metrics, with DOMAIN.md's thresholds and sources.

Findings are "possible contributors", never diagnoses. Each says how well its threshold is
supported (``Evidence``); unconfirmed and default thresholds are labelled heuristics. Cadence is
judged against DOMAIN.md §4's retraining rule and Garmin's bands; no height relation is applied.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal
from typing import Final

from backstride.core.running import Drift, MetricSummary
from backstride.core.types import Evidence, MetricStatus, Severity

GARMIN_GAUGES: Final = ("Garmin Forerunner 945 manual (Japanese edition), running dynamics "
                        "colour gauges: percentiles of Garmin users, not health norms")
GARMIN_BALANCE: Final = "Garmin Enduro 3 manual (Japanese edition), GCT balance gauge"
CADENCE_SOURCE: Final = (
    "backstride rule [D] (DOMAIN.md §4.2): offer retraining below 164 spm, Garmin orange/red; "
    "runners with low back pain 166 ± 10 vs 171 ± 9 spm (Drozda 2024, Gait Posture, "
    "https://doi.org/10.1016/j.gaitpost.2024.06.015); +5–10 % steps (Heiderscheit 2011)")
DRIFT_SOURCE: Final = ("backstride rule [D]: the two thirds' 95 % bootstrap intervals do not "
                       "overlap and the change is at least 2 %")
DRIFT_MIN_FRAC: Final = 0.02
CADENCE_RETRAIN_BELOW_SPM: Final = 164.0
WALKING_BELOW_SPM: Final = 140.0
COLOURS: Final = ("purple", "blue", "green", "orange", "red")


@dataclass(frozen=True, slots=True, kw_only=True)
class Band:
    colour: str
    low: float | None  # inclusive, in display units of the gauge
    high: float | None  # inclusive


@dataclass(frozen=True, slots=True, kw_only=True)
class GaugeSpec:
    metric: str  # SI series name
    display_factor: float  # SI -> gauge units (e.g. m -> cm)
    unit: str
    resolution: float
    bands: tuple[Band, ...]  # best first
    source: str


def _bands(edges: Sequence[tuple[float | None, float | None]],
           colours: Sequence[str] = COLOURS) -> tuple[Band, ...]:
    return tuple(Band(colour=c, low=lo, high=hi) for c, (lo, hi) in zip(colours, edges,
                                                                         strict=True))


GAUGES: Final[dict[str, GaugeSpec]] = {
    "cadence_spm": GaugeSpec(
        metric="cadence_spm", display_factor=1.0, unit="spm", resolution=1.0, source=GARMIN_GAUGES,
        bands=_bands([(184, None), (174, 183), (164, 173), (153, 163), (None, 152)])),
    "ground_contact_time_s": GaugeSpec(
        metric="ground_contact_time_s", display_factor=1000.0, unit="ms", resolution=1.0,
        source=GARMIN_GAUGES,
        bands=_bands([(None, 217), (218, 248), (249, 277), (278, 308), (309, None)])),
    "vertical_oscillation_m": GaugeSpec(
        metric="vertical_oscillation_m", display_factor=100.0, unit="cm", resolution=0.1,
        source=GARMIN_GAUGES + " (chest-strap column)",
        bands=_bands([(None, 6.3), (6.4, 8.1), (8.2, 9.7), (9.8, 11.5), (11.6, None)])),
    "vertical_ratio_frac": GaugeSpec(
        metric="vertical_ratio_frac", display_factor=100.0, unit="%", resolution=0.1,
        source=GARMIN_GAUGES + " (chest-strap column)",
        bands=_bands([(None, 6.0), (6.1, 7.4), (7.5, 8.6), (8.7, 10.1), (10.2, None)])),
    "gct_imbalance_frac": GaugeSpec(
        metric="gct_imbalance_frac", display_factor=100.0, unit="% from 50/50", resolution=0.1,
        source=GARMIN_BALANCE,
        bands=_bands([(None, 0.7), (0.8, 2.2), (2.3, None)], ("green", "orange", "red"))),
}
POD_BANDS: Final = {  # foot-pod columns of the same table
    "vertical_oscillation_m": _bands([(None, 6.7), (6.8, 8.9), (9.0, 10.9), (11.0, 13.0),
                                      (13.1, None)]),
    "vertical_ratio_frac": _bands([(None, 6.4), (6.5, 8.3), (8.4, 10.0), (10.1, 11.9),
                                   (12.0, None)]),
}


@dataclass(frozen=True, slots=True, kw_only=True)
class Gauge:
    metric: str
    value: float  # display units, rounded to the table's resolution
    unit: str
    colour: str
    bands: tuple[Band, ...]
    source: str


@dataclass(frozen=True, slots=True, kw_only=True)
class Finding:
    id: str
    severity: Severity
    evidence: Evidence
    metric: str  # SI series name
    value: float  # SI
    threshold: float | None  # SI
    message: str
    source: str


def rounded(value: float, resolution: float) -> float:
    """Half-up rounding to the table's resolution (band edges apply to rounded values)."""
    step = Decimal(str(resolution))
    return float((Decimal(repr(value)) / step).quantize(Decimal(1), ROUND_HALF_UP) * step)


def classify(value_si: float, spec: GaugeSpec, bands: tuple[Band, ...] | None = None) -> Gauge:
    value = rounded(value_si * spec.display_factor, spec.resolution)
    use = bands or spec.bands
    colour = next(b.colour for b in use
                  if (b.low is None or value >= b.low) and (b.high is None or value <= b.high))
    return Gauge(metric=spec.metric, value=value, unit=spec.unit, colour=colour, bands=use,
                 source=spec.source)


def build_gauges(metrics: Mapping[str, MetricSummary], *, pod: bool = False) -> tuple[Gauge, ...]:
    out = []
    for name, spec in GAUGES.items():
        summary = metrics.get(name)
        if summary is None or summary.status is not MetricStatus.OK or summary.value is None:
            continue
        out.append(classify(summary.value, spec, POD_BANDS.get(name) if pod else None))
    return tuple(out)


def build_findings(metrics: Mapping[str, MetricSummary], drift: Sequence[Drift],
                   gauges: Sequence[Gauge]) -> tuple[Finding, ...]:
    findings: list[Finding] = []
    cadence = metrics.get("cadence_spm")
    if cadence is not None and cadence.value is not None:
        findings.extend(_cadence_findings(cadence.value))
    by_metric = {g.metric: g for g in gauges}
    for name, finding_id, what in (
        ("ground_contact_time_s", "long_ground_contact", "ground contact time"),
        ("vertical_oscillation_m", "high_vertical_oscillation", "vertical oscillation (bounce)"),
        ("vertical_ratio_frac", "high_vertical_ratio", "vertical ratio"),
    ):
        gauge, summary = by_metric.get(name), metrics.get(name)
        if gauge is not None and summary is not None and summary.value is not None:
            found = _band_finding(finding_id, what, gauge, summary.value)
            if found is not None:
                findings.append(found)
    imbalance = by_metric.get("gct_imbalance_frac")
    summary = metrics.get("gct_imbalance_frac")
    if imbalance is not None and summary is not None and summary.value is not None:
        found = _imbalance_finding(imbalance, summary.value)
        if found is not None:
            findings.append(found)
    findings.extend(_drift_findings(drift))
    return tuple(findings)


def _cadence_findings(value_spm: float) -> list[Finding]:
    if value_spm < WALKING_BELOW_SPM:
        return [Finding(
            id="cadence_walking_range", severity=Severity.INFO, evidence=Evidence.DEFAULT,
            metric="cadence_spm", value=value_spm, threshold=WALKING_BELOW_SPM,
            message=(f"Average cadence {value_spm:.0f} spm is below 140: was this partly a walk? "
                     "Cadence findings need a steady easy run."),
            source="backstride range check [D] (DOMAIN.md §2)")]
    if value_spm < CADENCE_RETRAIN_BELOW_SPM:
        return [Finding(
            id="low_cadence", severity=Severity.ACT, evidence=Evidence.DEFAULT,
            metric="cadence_spm", value=value_spm, threshold=CADENCE_RETRAIN_BELOW_SPM,
            message=(f"Your cadence ({value_spm:.0f} spm) is below 164 spm. A lower step rate "
                     "goes with longer steps and higher impact; runners with low back pain step "
                     "a little slower on average. Raising it in steps of 5–10 % (not straight "
                     "to 180) is the usual fix. No trial has tested this in runners with back "
                     "pain."),
            source=CADENCE_SOURCE)]
    return []


def _band_finding(finding_id: str, what: str, gauge: Gauge, value_si: float) -> Finding | None:
    if gauge.colour not in ("orange", "red"):
        return None
    severity = Severity.ACT if gauge.colour == "red" else Severity.WATCH
    green = next(b for b in gauge.bands if b.colour == "green")
    threshold_display = green.high if green.high is not None else green.low
    factor = GAUGES[gauge.metric].display_factor
    return Finding(
        id=finding_id, severity=severity, evidence=Evidence.DEFAULT, metric=gauge.metric,
        value=value_si,
        threshold=threshold_display / factor if threshold_display is not None else None,
        message=(f"Your {what} ({gauge.value:g} {gauge.unit}) is in Garmin's {gauge.colour} "
                 f"band, higher than most runners'. It is a possible contributor to load on the "
                 "back, not a diagnosis; a higher cadence usually lowers it."),
        source=gauge.source + "; used as a finding threshold by backstride [D]")


def _imbalance_finding(gauge: Gauge, value_si: float) -> Finding | None:
    if gauge.colour == "green":
        return None
    return Finding(
        id="gct_imbalance", severity=Severity.ACT if gauge.colour == "red" else Severity.WATCH,
        evidence=Evidence.UNCONFIRMED, metric="gct_imbalance_frac", value=value_si,
        threshold=0.007,
        message=(f"Your left/right ground-contact balance is {gauge.value:g} % away from 50/50 "
                 f"({gauge.colour}). Which side is longer is not verified for your device. "
                 "Single-leg tests (bridge, squat) can show a weaker side."),
        source=gauge.source + " [U]")


_BAD_DIRECTION: Final = {
    "cadence_spm": -1, "ground_contact_time_s": 1, "vertical_oscillation_m": 1,
    "vertical_ratio_frac": 1, "gct_imbalance_frac": 1,
}
_DRIFT_WORDS: Final = {
    "cadence_spm": "cadence fell", "ground_contact_time_s": "ground contact got longer",
    "vertical_oscillation_m": "bounce (vertical oscillation) grew",
    "vertical_ratio_frac": "vertical ratio grew", "gct_imbalance_frac": "left/right imbalance grew",
}


def _drift_findings(drift: Sequence[Drift]) -> list[Finding]:
    out = []
    for d in drift:
        sign = _BAD_DIRECTION.get(d.name)
        if sign is None or not d.significant or sign * d.change_frac < DRIFT_MIN_FRAC:
            continue
        when = ""
        if d.onset_s is not None:
            when = f", from about {d.onset_s / 60:.0f} min"
            if d.onset_m is not None:
                when += f" ({d.onset_m / 1000:.1f} km)"
        out.append(Finding(
            id=f"drift_{d.name}", severity=Severity.WATCH, evidence=Evidence.DEFAULT,
            metric=d.name, value=d.late, threshold=d.early,
            message=(f"Your {_DRIFT_WORDS[d.name]} by {abs(d.change_frac) * 100:.1f} % between "
                     f"the first and last third of the run{when}. Form that fades as you tire "
                     "matches back pain that starts after a few miles."),
            source=DRIFT_SOURCE))
    return out
