from __future__ import annotations

import pytest

from backstride.core.findings import GAUGES, POD_BANDS, build_findings, build_gauges, classify
from backstride.core.running import Drift, MetricSummary
from backstride.core.types import Evidence, MetricStatus, Severity


def _metric(name: str, value: float) -> MetricSummary:
    return MetricSummary(name=name, value=value, median=value, sd=1.0, n=100,
                         ci95=(value - 1, value + 1), status=MetricStatus.OK)


@pytest.mark.parametrize(("spm", "colour"), [
    (183.6, "purple"), (183.4, "blue"), (174.0, "blue"), (173.5, "blue"), (173.4, "green"),
    (164.0, "green"), (163.9, "green"), (163.4, "orange"), (153.0, "orange"), (152.5, "orange"),
    (152.4, "red"),
])
def test_cadence_band_edges_apply_to_rounded_values(spm: float, colour: str) -> None:
    assert classify(spm, GAUGES["cadence_spm"]).colour == colour


@pytest.mark.parametrize(("vo_m", "strap", "pod"), [
    (0.0634, "purple", "purple"), (0.0636, "blue", "purple"), (0.0975, "orange", "green"),
    (0.1151, "orange", "orange"), (0.1160, "red", "orange"), (0.1304, "red", "orange"),
    (0.1306, "red", "red"),
])
def test_vertical_oscillation_bands_by_sensor(vo_m: float, strap: str, pod: str) -> None:
    spec = GAUGES["vertical_oscillation_m"]
    assert classify(vo_m, spec).colour == strap
    assert classify(vo_m, spec, POD_BANDS["vertical_oscillation_m"]).colour == pod


@pytest.mark.parametrize(("imbalance", "colour"), [
    (0.0070, "green"), (0.0074, "green"), (0.0075, "orange"), (0.0220, "orange"),
    (0.0225, "red"),
])
def test_balance_bands(imbalance: float, colour: str) -> None:
    assert classify(imbalance, GAUGES["gct_imbalance_frac"]).colour == colour


def test_low_cadence_is_act_with_default_evidence() -> None:
    metrics = {"cadence_spm": _metric("cadence_spm", 158.0)}
    (finding,) = build_findings(metrics, (), build_gauges(metrics))
    assert (finding.id, finding.severity, finding.evidence) == (
        "low_cadence", Severity.ACT, Evidence.DEFAULT)
    assert finding.threshold == 164.0 and finding.evidence.is_heuristic
    assert "not straight to 180" in finding.message


def test_cadence_in_green_band_gives_no_finding() -> None:
    metrics = {"cadence_spm": _metric("cadence_spm", 168.0)}
    assert build_findings(metrics, (), build_gauges(metrics)) == ()


def test_orange_gct_is_watch_and_red_is_act() -> None:
    for value, severity in ((0.290, Severity.WATCH), (0.320, Severity.ACT)):
        metrics = {"ground_contact_time_s": _metric("ground_contact_time_s", value)}
        (finding,) = build_findings(metrics, (), build_gauges(metrics))
        assert finding.id == "long_ground_contact" and finding.severity is severity


def test_imbalance_finding_is_unconfirmed() -> None:
    metrics = {"gct_imbalance_frac": _metric("gct_imbalance_frac", 0.03)}
    (finding,) = build_findings(metrics, (), build_gauges(metrics))
    assert finding.evidence is Evidence.UNCONFIRMED and finding.severity is Severity.ACT


def test_drift_finding_only_when_significant_and_worse() -> None:
    worse = Drift(name="cadence_spm", early=170, late=164, change_frac=-6 / 170, onset_s=1500,
                  onset_m=4200, significant=True)
    better = Drift(name="cadence_spm", early=164, late=170, change_frac=6 / 164, onset_s=1500,
                   onset_m=4200, significant=True)
    unsure = Drift(name="cadence_spm", early=170, late=164, change_frac=-6 / 170, onset_s=None,
                   onset_m=None, significant=False)
    (finding,) = build_findings({}, (worse,), ())
    assert finding.id == "drift_cadence_spm" and "25 min (4.2 km)" in finding.message
    assert build_findings({}, (better, unsure), ()) == ()
