"""The plan as an iCalendar file (RFC 5545): one all-day event per planned run and one per
re-measurement, so the plan shows up in any calendar app."""

from __future__ import annotations

from datetime import date, timedelta

from backstride.core.plan import WAITING_REASON, Plan
from backstride.core.schedule import run_words

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
    """One all-day event per planned run (``plan.weeks``), and one per re-measurement;
    week 1 starts on ``start`` (the plan's start date)."""
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
    for week in plan.weeks:
        for run in week.runs:
            title, text = run_words(run)
            lines += _event(f"run-{run.day:%Y%m%d}-{start:%Y%m%d}", run.day,
                            f"backstride week {week.week}: {title}",
                            f"{text} Pre-run: glute bridges, plank, dead bug. Afterwards log "
                            "pain 0-10 (and again next morning).", stamp)
    for item in plan.remeasure:
        lines += _event(f"remeasure-{item.week}-{start:%Y%m%d}",
                        start + timedelta(weeks=item.week - 1, days=5),
                        f"backstride week {item.week}: re-measure", item.what, stamp)
    lines.append("END:VCALENDAR")
    return _CRLF.join(part for line in lines for part in _fold(line)) + _CRLF
