"""Findings from a video's form metrics (DOMAIN.md §3.6–3.7, §7), in the watch findings' shape.

Every threshold here is a labelled heuristic (OSS values and Souza's review are [U] or
practice), so none is ``act`` unless the value clears it by more than one band of 2D
measurement noise (§3.7: knee angle at foot strike varies 3–8° within a day). Trunk lean
variability is never graded as bad: runners with back pain had *less* of it (Seay 2011).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Final

from backstride.core.findings import Finding, build_findings
from backstride.core.running import MetricSummary
from backstride.core.types import Evidence, Severity

ANGLE_NOISE_DEG: Final = 8.0  # upper 2D within-day prediction interval (Damsted 2015) [C]


@dataclass(frozen=True, slots=True)
class _Rule:
    finding_id: str
    metric: str
    above: bool  # True: a finding when the value is above the threshold
    threshold: float
    act_margin: float | None  # clears the threshold by this much -> act; None: never act
    evidence: Evidence
    message: str  # {value} and {threshold} are filled in
    source: str


RULES: Final = (
    _Rule("high_shank_angle", "shank_angle_at_contact_deg", True, 10.0, ANGLE_NOISE_DEG,
          Evidence.UNCONFIRMED,
          "Your shin is {value:.0f}° past vertical when the foot lands (above {threshold:.0f}°): "
          "the foot lands well ahead of the knee, a sign of overstriding. A slightly higher "
          "cadence and the cue 'land under your hips' bring it back.",
          "OSS: 0–5° good, > 10° poor [U]; 'relatively vertical tibia' (Lieberman 2015) [C]"),
    _Rule("overstride", "overstride_frac_leg", True, 0.08, None, Evidence.UNCONFIRMED,
          "Your heel lands {value:.2f} leg lengths ahead of your hips (above {threshold:.2f}). "
          "Heel-to-hip distance from one camera is not very reproducible (Souza), so read it "
          "with the shin angle.",
          "OSS < 0.08 leg lengths [U]; single-camera heel-to-CoM reproducibility is poor "
          "(Souza, https://doi.org/10.1016/j.pmr.2015.08.006) [C]"),
    _Rule("trunk_lean_forward", "trunk_lean_deg", True, 10.0, ANGLE_NOISE_DEG,
          Evidence.UNCONFIRMED,
          "Your trunk leans {value:.0f}° forward at midstance (above {threshold:.0f}°). A "
          "strong forward lean goes with weaker hip extensors; glute bridges help.",
          "groups 3.6 ± 2.8° vs 10.8 ± 2.2° (Teng & Powers 2015, "
          "https://doi.org/10.1249/MSS.0000000000000436) [C]; 10° cut-off backstride's [D]"),
    _Rule("trunk_lean_backward", "trunk_lean_deg", False, -2.0, None, Evidence.UNCONFIRMED,
          "Your trunk leans back ({value:.0f}°) at midstance. Self-selected lean ranges from "
          "−2° to 25°; a backward lean is unusual.",
          "self-selected −2° to 25° [C]; backward-lean limit unconfirmed [U]"),
    _Rule("low_hip_extension", "hip_extension_deg", False, 10.0, None, Evidence.UNCONFIRMED,
          "Your thigh reaches {value:.0f}° behind vertical at push-off (below {threshold:.0f}°). "
          "Tight hip flexors limit it; the kneeling hip-flexor stretch and the Thomas test "
          "say more (pelvic tilt cannot be seen on video).",
          "~10° needs no intervention, optimum 'elusive' (Souza) [C]; 20–25° [U]"),
    _Rule("low_knee_flexion", "knee_flexion_midstance_deg", False, 38.0, None,
          Evidence.UNCONFIRMED,
          "Your knee bends {value:.0f}° at midstance (below {threshold:.0f}°): a stiffer landing. "
          "This is context only: no intervention has evidence for it, and a higher cadence "
          "lowers it further.",
          "'considerably less than 45°' may reduce shock absorption (Souza) [C]; OSS 38–50° [U]"),
    _Rule("high_vertical_oscillation", "vertical_oscillation_frac_leg", True, 0.12, None,
          Evidence.UNCONFIRMED,
          "Your hips rise and fall {value:.2f} leg lengths each step (above {threshold:.2f}). A "
          "higher cadence usually reduces bounce.",
          "OSS < 0.12 leg lengths [U]; cadence +10 % reduces vertical displacement (Souza) [C]"),
    _Rule("pelvic_drop", "pelvic_drop_deg", True, 6.0, None, Evidence.UNCONFIRMED,
          "Your pelvis drops {value:.1f}° on the swing side at midstance (above "
          "{threshold:.0f}°). Hip abductor strengthening (side-lying abduction, clamshells) is "
          "the usual fix.",
          "OSS < 6° [U]; +1° = +80 % odds of being classed injured (Bramah 2018) [C]; 2D vs 3D "
          "ICC 0.90–0.99 (Dingenen 2018) [C]"),
)


def build_form_findings(metrics: Mapping[str, MetricSummary]) -> tuple[Finding, ...]:
    """Cadence through the watch rules, then the video rules. Only measured metrics count."""
    cadence = {k: v for k, v in metrics.items() if k == "cadence_spm"}
    findings = list(build_findings(cadence, (), ()))
    for rule in RULES:
        summary = metrics.get(rule.metric)
        if summary is None or summary.value is None:
            continue
        value = summary.value
        beyond = value - rule.threshold if rule.above else rule.threshold - value
        if beyond <= 0:
            continue
        act = rule.act_margin is not None and beyond > rule.act_margin
        findings.append(Finding(
            id=rule.finding_id, severity=Severity.ACT if act else Severity.WATCH,
            evidence=rule.evidence, metric=rule.metric, value=value, threshold=rule.threshold,
            message=rule.message.format(value=value, threshold=rule.threshold),
            source=rule.source))
    return tuple(findings)
