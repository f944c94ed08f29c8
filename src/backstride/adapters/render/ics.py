"""The plan as an iCalendar file (RFC 5545): one all-day event per week's key run and one per
re-measurement, so the plan shows up in any calendar app."""

from __future__ import annotations

from datetime import date, timedelta

from backstride.core.plan import WAITING_REASON, Plan

_CRLF = "\r\n"


def _escape(text: str) -> str:
    return (text.replace("\\", "\\\\").replace(";", "\\;").replace(",", "\\,")
            .replace("\n", "\\n"))


def _fold(line: str) -> list[str]:
    """Lines longer than 75 octets continue on the next line after a space (RFC 5545 3.1)."""
    out, current = [], ""
    for char in line:
        if len((current + char).encode("utf-8")) > 75:
            out.append(current)
            current = " " + char
        else:
            current += char
    out.append(current)
    return out


def _event(uid: str, day: date, summary: str, description: str, stamp: str) -> list[str]:
    return ["BEGIN:VEVENT", f"UID:{uid}@backstride", f"DTSTAMP:{stamp}",
            f"DTSTART;VALUE=DATE:{day.strftime('%Y%m%d')}",
            f"DTEND;VALUE=DATE:{(day + timedelta(days=1)).strftime('%Y%m%d')}",
            f"SUMMARY:{_escape(summary)}", f"DESCRIPTION:{_escape(description)}", "END:VEVENT"]


def plan_ics(plan: Plan, *, start: date) -> str:
    """Week 1 starts on ``start``; each week's key run is on its second day."""
    stamp = start.strftime("%Y%m%dT000000Z")
    lines = ["BEGIN:VCALENDAR", "VERSION:2.0", "PRODID:-//backstride//plan//EN",
             "CALSCALE:GREGORIAN"]
    # The level's own action words: "Go to an emergency department now or call 112", "See a
    # doctor within 1–2 days, or today if it gets worse", "Book a doctor or physiotherapist..."
    what = plan.triage_action.split(": ", 1)[0]
    if plan.held:
        lines += _event(f"hold-{start:%Y%m%d}", start, f"backstride: {what}",
                        f"{plan.triage_action} {plan.hold_reason or ''}", stamp)
    if plan.held or plan.waiting_for_clinician:  # no run is scheduled before the visit
        if plan.waiting_for_clinician:
            lines += _event(f"visit-{start:%Y%m%d}", start, f"backstride: {what}",
                            f"{plan.triage_action} {WAITING_REASON}", stamp)
        lines.append("END:VCALENDAR")
        return _CRLF.join(part for line in lines for part in _fold(line)) + _CRLF
    for step in plan.cadence_steps:
        for offset in range(step.weeks):
            week = step.week + offset
            low, high = step.range_spm
            lines += _event(
                f"week-{week}-{start:%Y%m%d}", start + timedelta(weeks=week - 1, days=1),
                f"backstride week {week}: key run at {step.target_spm:.0f} spm",
                f"Easy run with the cadence target {step.target_spm:.0f} spm (watch alert "
                f"{low:.0f}-{high:.0f}). {step.metronome} Pre-run: glute bridges, plank, "
                "dead bug.", stamp)
    for item in plan.remeasure:
        lines += _event(f"remeasure-{item.week}-{start:%Y%m%d}",
                        start + timedelta(weeks=item.week - 1, days=5),
                        f"backstride week {item.week}: re-measure", item.what, stamp)
    lines.append("END:VCALENDAR")
    return _CRLF.join(part for line in lines for part in _fold(line)) + _CRLF
