"""The exercise catalogue (DOMAIN.md §7) as data: dose, days per week, progression, source.

Which exercises a plan holds is decided in ``plan.py`` from the findings; here each exercise
says what it is, how much, and why that dose. ACSM doses: stretch holds 10–30 s on at least
2–3 days a week (daily best); strength 2–3 non-consecutive days, 8–12 or 15–20 reps.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Final

from backstride.core.types import Evidence


@dataclass(frozen=True, slots=True, kw_only=True)
class Exercise:
    id: str
    name: str
    when: str  # "pre-run", "strength day", "daily"
    dose: str
    days_per_week: int
    how: str
    progression: str
    evidence: Evidence
    source: str


REFERENCE: Final = "backstride reference text (Lower back pain in runners)"
ACSM_STRETCH: Final = ("ACSM 2021 stretching guidelines, https://www.acsm.org/all-blog-posts/"
                       "certification-blog/acsm-certified-blog/2021/03/18/"
                       "stretching-and-flexibility-guidelines-update")
HIP_ABDUCTOR: Final = ("Ferber 2011 hip abductor programme (3 weeks) [S]; 3 × 10, 5/week "
                       "(BMC Musculoskelet Disord 2022) [C]; frequency backstride default")

CATALOGUE: Final[dict[str, Exercise]] = {e.id: e for e in (
    Exercise(
        id="glute_bridge", name="Glute bridge", when="pre-run", dose="2 × 10, 3 s hold at the top",
        days_per_week=3, evidence=Evidence.UNCONFIRMED, source=REFERENCE + "; no outcome study",
        how="On your back, knees bent, feet flat. Squeeze your glutes and lift your hips until "
            "knees, hips and shoulders line up; hold, lower slowly.",
        progression="When easy, march in the top position or move to single-leg bridges."),
    Exercise(
        id="front_plank", name="Front plank", when="pre-run", dose="2 × 20–30 s",
        days_per_week=3, evidence=Evidence.UNCONFIRMED, source=REFERENCE + "; no outcome study",
        how="Forearms and toes, body in one straight line; breathe normally; stop before your "
            "back sags.",
        progression="Add 5 s a week up to 45 s; then lift one foot for a few seconds."),
    Exercise(
        id="dead_bug", name="Dead bug (lower-abdominal activation)", when="pre-run",
        dose="2 × 10 slow reps", days_per_week=3, evidence=Evidence.UNCONFIRMED,
        source=REFERENCE + " (lower abdominals control pelvic tilt); no outcome study",
        how="On your back, arms up, hips and knees at 90°. Keep your low back gently pressed "
            "down while you lower the opposite arm and leg, then switch.",
        progression="Slow the lowering to 3 s; hold a light weight in the hands."),
    Exercise(
        id="side_lying_hip_abduction", name="Side-lying hip abduction", when="strength day",
        dose="3 × 10 per side", days_per_week=4, evidence=Evidence.DEFAULT, source=HIP_ABDUCTOR,
        how="Lie on your side, bottom knee bent, top leg straight and slightly behind you; lift "
            "it with the toes pointing forward, lower in 2 s.",
        progression="After 3 weeks add an ankle weight or band; keep 3 × 10."),
    Exercise(
        id="clamshell", name="Clamshell", when="strength day", dose="3 × 10 per side",
        days_per_week=4, evidence=Evidence.DEFAULT, source=HIP_ABDUCTOR,
        how="Side-lying, hips and knees bent, feet together; open the top knee without rolling "
            "the pelvis back, close slowly.",
        progression="Add a band above the knees; then a stronger band."),
    Exercise(
        id="banded_side_step", name="Banded side steps", when="strength day",
        dose="3 × 10 steps each way", days_per_week=4, evidence=Evidence.DEFAULT,
        source=HIP_ABDUCTOR,
        how="Band around the ankles, knees soft, hips level; step sideways without letting the "
            "knees fall in.",
        progression="Move the band to the forefoot or use a stronger band."),
    Exercise(
        id="single_leg_bridge", name="Single-leg bridge", when="strength day",
        dose="2–3 × 10–15 per side, one extra set on the weaker side", days_per_week=3,
        evidence=Evidence.SECONDARY, source="ACSM position stand (Garber 2011) [S]; extra set [D]",
        how="Bridge on one foot, the other knee pulled up; keep the pelvis level.",
        progression="Heel on a ~60 cm step as in the test; re-test the reps every 4–6 weeks."),
    Exercise(
        id="curl_up", name="McGill curl-up", when="strength day",
        dose="5 × 10 s holds, repeated toward the norm", days_per_week=3,
        evidence=Evidence.SECONDARY, source="McGill core holds (harrisonclinic) [S]; "
        "frequency backstride default",
        how="On your back, one knee bent, hands under the low back; lift head and shoulders a "
            "little without flattening the back; hold.",
        progression="Add one hold a week; then longer holds (up to 15 s)."),
    Exercise(
        id="side_bridge", name="Side bridge", when="strength day",
        dose="5 × 10 s holds per side", days_per_week=3, evidence=Evidence.SECONDARY,
        source="McGill core holds [S]; frequency backstride default",
        how="On your elbow and knees (easier) or feet, body straight; hold, switch sides.",
        progression="From knees to feet; then longer holds toward the test norm."),
    Exercise(
        id="bird_dog", name="Bird dog", when="strength day",
        dose="5 × 10 s holds per side", days_per_week=3, evidence=Evidence.SECONDARY,
        source="https://harrisonclinic.co.uk/aiovg_videos/the-bird-dog/ [S]",
        how="On hands and knees, back flat; reach one arm and the opposite leg long; hold "
            "without twisting.",
        progression="Draw a small square with hand and foot; add holds."),
    Exercise(
        id="kneeling_hip_flexor_stretch", name="Kneeling hip-flexor stretch", when="daily",
        dose="2–3 × 30 s per side", days_per_week=7, evidence=Evidence.CONFIRMED,
        source=ACSM_STRETCH,
        how="Half-kneeling, tuck the pelvis under (back flat, glute of the back leg squeezed), "
            "shift forward until the front of the hip stretches.",
        progression="Raise the arm on the stretched side; keep 30 s holds."),
    Exercise(
        id="hamstring_stretch", name="Hamstring stretch", when="daily",
        dose="30 s per leg", days_per_week=5, evidence=Evidence.SECONDARY,
        source="Bandy 1997: no gain beyond 30 s [S]; 3×/week keeps gains (Reid & Kim 2014, "
        "https://nzjp.org.nz/nzjp/article/view/73) [C]",
        how="Heel on a low step, knee straight, hinge forward from the hips with a long back "
            "until the back of the thigh stretches.",
        progression="5 days a week for 6 weeks, then at least 3 days a week to keep the gain."),
    Exercise(
        id="sitting_breaks", name="Break up sitting", when="daily",
        dose="stand and move 2–3 min every 30–60 min of sitting", days_per_week=7,
        evidence=Evidence.CONFIRMED,
        source="> 7 h/day sitting: 6.1° less hip extension (https://pubmed.ncbi.nlm.nih.gov/"
        "33188982/) [C]; interval backstride default",
        how="Set a timer; stand, walk, or do 5 hip-flexor stretches.",
        progression="Aim for under 7 h of sitting a day."),
)}
