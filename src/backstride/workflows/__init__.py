"""Use cases: the one layer the CLI, the web app and library callers share.

Each workflow takes settings, does its work through the core and the adapters, and returns
values; errors are ``BackstrideError`` subclasses, and a batch reports a failed input as a
:class:`Failed` value instead of stopping.
"""

from backstride.workflows._files import read_json_file, write_text_atomic
from backstride.workflows.analysis import (
    VIDEO_SUFFIXES,
    Analysed,
    Failed,
    Outcome,
    analyze_path,
    analyze_paths,
    render_html,
    report_paths,
)
from backstride.workflows.care import (
    Planned,
    Screened,
    Triaged,
    assess_back,
    check_selftests_allowed,
    make_plan,
    render_plan,
    screen_body,
    triage_state,
    write_calendar,
    write_metronome,
    write_workouts,
)
from backstride.workflows.demo import DemoResult, run_demo
from backstride.workflows.history import (
    PAIN_KINDS,
    SURFACES,
    add_pain,
    add_shoe,
    database_url,
    list_pain,
    list_runs,
    list_shoes,
    migrate_database,
    open_store,
    record_clearance,
    retire_shoe,
    run_analysis,
    set_default_shoe,
    set_surface,
    trends,
)
from backstride.workflows.imports import (
    ImportSummary,
    NotRun,
    decode_and_measure,
    import_paths,
    measure_activity,
)

__all__ = [
    "PAIN_KINDS", "SURFACES", "VIDEO_SUFFIXES", "Analysed", "DemoResult", "Failed",
    "ImportSummary", "NotRun", "Outcome", "Planned", "Screened", "Triaged", "add_pain",
    "add_shoe", "analyze_path", "analyze_paths", "assess_back", "check_selftests_allowed",
    "database_url", "decode_and_measure", "import_paths", "list_pain", "list_runs",
    "list_shoes", "make_plan", "measure_activity", "migrate_database", "open_store",
    "read_json_file", "record_clearance", "render_html", "render_plan", "report_paths",
    "retire_shoe", "run_analysis", "run_demo", "screen_body", "set_default_shoe",
    "set_surface", "trends", "triage_state", "write_calendar", "write_metronome",
    "write_text_atomic", "write_workouts",
]
