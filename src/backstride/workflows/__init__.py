"""Use cases: the one layer the CLI, the web app and library callers share.

Each workflow takes settings, does its work through the core and the adapters, and returns
values; errors are ``BackstrideError`` subclasses, and a batch reports a failed input as a
:class:`Failed` value instead of stopping.

The names below load their module on first use (PEP 562), so a command pays only for the
workflows it calls: ``backstride triage`` never imports the pose model, scipy or the web layer.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:  # mypy reads these; at run time each name loads its module on first use
    from backstride.adapters.formats import (
        VIDEO_SUFFIXES,
        looks_like_video,
    )
    from backstride.adapters.storage.records import (
        DEFAULT_RUNNER,
    )
    from backstride.workflows._files import (
        read_json_file,
        write_text_atomic,
    )
    from backstride.workflows.analysis import (
        Analysed,
        Failed,
        Outcome,
        analyze_path,
        analyze_paths,
        render_html,
        report_paths,
    )
    from backstride.workflows.care import (
        CareState,
        Planned,
        Screened,
        Triaged,
        assess_back,
        care_state,
        check_selftests_allowed,
        latest_selftests,
        make_plan,
        record_triage,
        render_plan,
        screen_body,
        triage_state,
        write_calendar,
        write_workouts,
    )
    from backstride.workflows.demo import (
        DemoResult,
        run_demo,
    )
    from backstride.workflows.history import (
        PAIN_KINDS,
        SURFACES,
        ShoeList,
        add_pain,
        add_shoe,
        count_runs,
        database_url,
        history_version,
        list_pain,
        list_runs,
        list_shoes,
        migrate_database,
        open_store,
        record_clearance,
        retire_shoe,
        run_analysis,
        run_id_for_sha256,
        run_report_html,
        set_default_shoe,
        set_surface,
        trends,
        trends_with_series,
    )
    from backstride.workflows.imports import (
        ImportSummary,
        NotRun,
        content_sha256,
        decode_and_measure,
        import_paths,
        measure_activity,
    )
    from backstride.workflows.metronome import (
        write_metronome,
    )
    from backstride.workflows.team import (
        ROLES,
        SESSION_IDLE_S,
        SESSION_MAX_S,
        Session,
        User,
        add_user,
        check_team_ready,
        choose_runner,
        grant_runner,
        list_users,
        log_in,
        log_out,
        open_session,
        remove_user,
        revoke_runner,
    )
    from backstride.workflows.today import (
        TodayCard,
        today_card,
    )
    from backstride.workflows.video import (
        analyze_video,
        list_videos,
        measure_video,
        save_video_report,
        stored_video,
        stored_video_report,
        write_annotated,
    )

__all__ = [
    "DEFAULT_RUNNER",
    "PAIN_KINDS",
    "ROLES",
    "SESSION_IDLE_S",
    "SESSION_MAX_S",
    "SURFACES",
    "VIDEO_SUFFIXES",
    "Analysed",
    "CareState",
    "DemoResult",
    "Failed",
    "ImportSummary",
    "NotRun",
    "Outcome",
    "Planned",
    "Screened",
    "Session",
    "ShoeList",
    "TodayCard",
    "Triaged",
    "User",
    "add_pain",
    "add_shoe",
    "add_user",
    "analyze_path",
    "analyze_paths",
    "analyze_video",
    "assess_back",
    "care_state",
    "check_selftests_allowed",
    "check_team_ready",
    "choose_runner",
    "content_sha256",
    "count_runs",
    "database_url",
    "decode_and_measure",
    "grant_runner",
    "history_version",
    "import_paths",
    "latest_selftests",
    "list_pain",
    "list_runs",
    "list_shoes",
    "list_users",
    "list_videos",
    "log_in",
    "log_out",
    "looks_like_video",
    "make_plan",
    "measure_activity",
    "measure_video",
    "migrate_database",
    "open_session",
    "open_store",
    "read_json_file",
    "record_clearance",
    "record_triage",
    "remove_user",
    "render_html",
    "render_plan",
    "report_paths",
    "retire_shoe",
    "revoke_runner",
    "run_analysis",
    "run_demo",
    "run_id_for_sha256",
    "run_report_html",
    "save_video_report",
    "screen_body",
    "set_default_shoe",
    "set_surface",
    "stored_video",
    "stored_video_report",
    "today_card",
    "trends",
    "trends_with_series",
    "triage_state",
    "write_annotated",
    "write_calendar",
    "write_metronome",
    "write_text_atomic",
    "write_workouts",
]

# Which module holds each public name (tests/workflows/test_lazy_exports.py keeps it equal
# to the imports above and to __all__).
_MODULES: dict[str, tuple[str, ...]] = {
    "backstride.adapters.formats": (
        "VIDEO_SUFFIXES", "looks_like_video",
    ),
    "backstride.adapters.storage.records": (
        "DEFAULT_RUNNER",
    ),
    "backstride.workflows._files": (
        "read_json_file", "write_text_atomic",
    ),
    "backstride.workflows.analysis": (
        "Analysed", "Failed", "Outcome", "analyze_path", "analyze_paths", "render_html",
        "report_paths",
    ),
    "backstride.workflows.care": (
        "CareState", "Planned", "Screened", "Triaged", "assess_back", "care_state",
        "check_selftests_allowed", "latest_selftests", "make_plan", "record_triage",
        "render_plan", "screen_body", "triage_state", "write_calendar", "write_workouts",
    ),
    "backstride.workflows.demo": (
        "DemoResult", "run_demo",
    ),
    "backstride.workflows.history": (
        "PAIN_KINDS", "SURFACES", "ShoeList", "add_pain", "add_shoe", "count_runs", "database_url",
        "history_version", "list_pain", "list_runs", "list_shoes", "migrate_database",
        "open_store", "record_clearance", "retire_shoe", "run_analysis", "run_id_for_sha256",
        "run_report_html", "set_default_shoe", "set_surface", "trends",
        "trends_with_series",
    ),
    "backstride.workflows.imports": (
        "ImportSummary", "NotRun", "content_sha256", "decode_and_measure", "import_paths",
        "measure_activity",
    ),
    "backstride.workflows.metronome": (
        "write_metronome",
    ),
    "backstride.workflows.team": (
        "ROLES", "SESSION_IDLE_S", "SESSION_MAX_S", "Session", "User", "add_user",
        "check_team_ready", "choose_runner", "grant_runner", "list_users", "log_in", "log_out",
        "open_session", "remove_user", "revoke_runner",
    ),
    "backstride.workflows.today": (
        "TodayCard", "today_card",
    ),
    "backstride.workflows.video": (
        "analyze_video", "list_videos", "measure_video", "save_video_report", "stored_video",
        "stored_video_report", "write_annotated",
    ),
}
_HOME = {name: module for module, names in _MODULES.items() for name in names}


if not TYPE_CHECKING:  # a module __getattr__ would make mypy accept any misspelt name

    def __getattr__(name: str) -> Any:
        """Import the module that holds ``name`` the first time it is asked for."""
        module = _HOME.get(name)
        if module is None:
            raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
        value = getattr(importlib.import_module(module), name)
        globals()[name] = value  # later lookups skip this function
        return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(_HOME))
