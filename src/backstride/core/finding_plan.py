"""From finding to action: which part of the plan answers each finding (DOMAIN.md §7, §4).

Every finding the watch rules (``core.findings``) and the video rules (``core.form_findings``)
can give has an entry: the cadence steps, one or more exercises, the run lengths (DOMAIN.md
§4.3: runs end before the pain, or the form drift, begins) or, where no intervention has
evidence, re-measuring. The plan's pages link each finding to that part by a stable anchor, and
each plan item names the findings it answers. Pure data and functions: no I/O.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from enum import StrEnum
from typing import Final


class PlanPart(StrEnum):
    CADENCE = "cadence"  # the cadence steps (DOMAIN.md §4)
    EXERCISE = "exercise"  # exercises of §7
    RUNS = "runs"  # the run lengths, week by week (§4.3)
    REMEASURE = "remeasure"  # no intervention with evidence: re-measure (§4.2 rule 7, §7)


@dataclass(frozen=True, slots=True, kw_only=True)
class PlanAnswer:
    finding: str
    title: str  # the finding in words, with where it comes from
    parts: tuple[PlanPart, ...]  # first the main answer
    exercises: tuple[str, ...] = ()  # exercise ids (core.exercises) for PlanPart.EXERCISE
    words: str  # what the plan does about it, one phrase


_CADENCE_WORDS: Final = "the cadence steps: +5–10 % with a metronome, then the watch"
_RUNS_WORDS: Final = ("the run lengths: runs end before the point where form or pain used to "
                      "change, and grow by at most 10 % a week")
_HIP_ABDUCTORS: Final = ("side_lying_hip_abduction", "clamshell", "banded_side_step")

FINDING_ANSWERS: Final[Mapping[str, PlanAnswer]] = {a.finding: a for a in (
    # watch (core.findings)
    PlanAnswer(finding="low_cadence", title="low cadence (watch or video)",
               parts=(PlanPart.CADENCE,), words=_CADENCE_WORDS),
    PlanAnswer(finding="cadence_walking_range",
               title="cadence in the walking range (watch or video)",
               parts=(PlanPart.REMEASURE,),
               words="re-measure cadence on a steady easy run before any cadence step"),
    PlanAnswer(finding="long_ground_contact", title="long ground contact time (watch)",
               parts=(PlanPart.CADENCE,),
               words="the cadence steps: a higher cadence usually shortens ground contact"),
    PlanAnswer(finding="high_vertical_oscillation", title="high vertical oscillation",
               parts=(PlanPart.CADENCE,),
               words="the cadence steps: +10 % cadence reduces bounce (§7)"),
    PlanAnswer(finding="high_vertical_ratio", title="high vertical ratio (watch)",
               parts=(PlanPart.CADENCE,),
               words="the cadence steps: +10 % cadence reduces bounce (§7)"),
    PlanAnswer(finding="gct_imbalance", title="uneven ground contact, left vs right (watch)",
               parts=(PlanPart.EXERCISE,), exercises=("single_leg_bridge",),
               words="single-leg bridges, an extra set on the weaker side"),
    PlanAnswer(finding="drift_cadence_spm", title="cadence falling during the run (watch)",
               parts=(PlanPart.RUNS,), words=_RUNS_WORDS),
    PlanAnswer(finding="drift_ground_contact_time_s",
               title="ground contact getting longer during the run (watch)",
               parts=(PlanPart.RUNS,), words=_RUNS_WORDS),
    PlanAnswer(finding="drift_vertical_oscillation_m",
               title="bounce growing during the run (watch)",
               parts=(PlanPart.RUNS, PlanPart.CADENCE), words=_RUNS_WORDS),
    PlanAnswer(finding="drift_vertical_ratio_frac",
               title="vertical ratio growing during the run (watch)",
               parts=(PlanPart.RUNS, PlanPart.CADENCE), words=_RUNS_WORDS),
    PlanAnswer(finding="drift_gct_imbalance_frac",
               title="left/right imbalance growing during the run (watch)",
               parts=(PlanPart.RUNS,), words=_RUNS_WORDS),
    # video (core.form_findings)
    PlanAnswer(finding="high_shank_angle", title="steep shin angle at landing (video)",
               parts=(PlanPart.CADENCE,),
               words="the cadence steps, with the cue 'land under your hips'"),
    PlanAnswer(finding="overstride", title="overstride (video)", parts=(PlanPart.CADENCE,),
               words="the cadence steps, with the cue 'land under your hips'"),
    PlanAnswer(finding="trunk_lean_forward", title="forward trunk lean (video)",
               parts=(PlanPart.EXERCISE,), exercises=("glute_bridge",),
               words="glute bridges (weaker hip extensors go with more lean)"),
    PlanAnswer(finding="trunk_lean_backward", title="backward trunk lean (video)",
               parts=(PlanPart.REMEASURE,),
               words="no exercise has evidence for it: film again at the re-test"),
    PlanAnswer(finding="low_hip_extension", title="little hip extension (video)",
               parts=(PlanPart.EXERCISE,), exercises=("kneeling_hip_flexor_stretch",),
               words="the kneeling hip-flexor stretch"),
    PlanAnswer(finding="low_knee_flexion", title="little knee bend at midstance (video)",
               parts=(PlanPart.REMEASURE,),
               words="context only: no intervention has evidence, and a higher cadence "
                     "lowers it further, so the plan re-measures it"),
    PlanAnswer(finding="pelvic_drop", title="pelvic drop (video)",
               parts=(PlanPart.EXERCISE, PlanPart.CADENCE), exercises=_HIP_ABDUCTORS,
               words="hip abductor strengthening (side-lying abduction, clamshells, banded "
                     "side steps), and the cadence steps"),
)}
"""Every finding id the watch and video rules give (tests check each has one)."""


def answer_of(finding_id: str) -> PlanAnswer:
    """The plan's answer to a finding; an id of no known rule is re-measured."""
    found = FINDING_ANSWERS.get(finding_id)
    if found is not None:
        return found
    return PlanAnswer(finding=finding_id, title=finding_id.replace("_", " "),
                      parts=(PlanPart.REMEASURE,), words="re-measure at the next re-test")


def answered_by(findings: Iterable[str], part: PlanPart) -> tuple[str, ...]:
    """The findings (in their order, once each) that ``part`` of the plan answers."""
    return tuple(dict.fromkeys(f for f in findings if part in answer_of(f).parts))


def cadence_answers(findings: Iterable[str], baseline_spm: float | None,
                    offer_below_spm: float) -> tuple[str, ...]:
    """What the plan's cadence steps answer: a cadence baseline below the offer line is low
    cadence (§4.2 rule 2) whether or not the latest run carried the finding."""
    found = answered_by(findings, PlanPart.CADENCE)
    if baseline_spm is not None and baseline_spm < offer_below_spm and "low_cadence" not in found:
        found = ("low_cadence", *found)
    return found
