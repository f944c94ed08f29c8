"""The command line: parse, call one workflow, show the result. Errors are mapped here only:
``backstride: error: ...`` on stderr and exit 1 for bad input, 2 for wrong usage."""

from __future__ import annotations

import importlib
import json
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click

from backstride import __version__, workflows
from backstride.cli_common import AppContext, app_of, fail, global_options
from backstride.errors import BackstrideError, MissingDependencyError

if TYPE_CHECKING:
    from backstride.config import Settings

# Commands that live in other modules, imported only when that command runs (or when --help
# lists them), so that `backstride --version` or `backstride metronome` load nothing else.
LAZY_COMMANDS: dict[str, tuple[str, str]] = {
    "triage": ("backstride.cli_care", "triage_command"),
    "selftest": ("backstride.cli_care", "selftest_command"),
    "plan": ("backstride.cli_care", "plan_command"),
    "metronome": ("backstride.cli_metronome", "metronome_command"),
    "clearance": ("backstride.cli_care", "clearance_command"),
    "summary": ("backstride.cli_care", "summary_command"),
    "today": ("backstride.cli_care", "today_command"),
    "import": ("backstride.cli_history", "import_command"),
    "batch": ("backstride.cli_history", "batch_command"),
    "runs": ("backstride.cli_history", "runs_group"),
    "shoes": ("backstride.cli_history", "shoes_group"),
    "pain": ("backstride.cli_history", "pain_group"),
    "trends": ("backstride.cli_history", "trends_command"),
    "db": ("backstride.cli_history", "db_group"),
    "users": ("backstride.cli_users", "users_group"),
    "videos": ("backstride.cli_videos", "videos_group"),
}


class _Group(click.Group):
    """Loads the commands of LAZY_COMMANDS on first use, and maps every BackstrideError raised
    by a command to one error line and exit 1."""

    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted({*super().list_commands(ctx), *LAZY_COMMANDS})

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        if cmd_name in LAZY_COMMANDS and cmd_name not in self.commands:
            module_name, attribute = LAZY_COMMANDS[cmd_name]
            command = getattr(importlib.import_module(module_name), attribute)
            self.add_command(command, cmd_name)
        return super().get_command(ctx, cmd_name)

    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except BackstrideError as exc:
            fail([str(exc)])


@click.group(cls=_Group, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="backstride")
@global_options
@click.pass_context
def cli(ctx: click.Context) -> None:
    """backstride: what in your running and your body is loading your lower back.

    It gives information, not a diagnosis.
    """
    ctx.ensure_object(AppContext)



@cli.command("analyze")
@click.argument("paths", nargs=-1, required=True, type=click.Path(path_type=Path))
@click.option("--json", "json_out", metavar="FILE|-", help="Write backstride.analysis/1 JSON.")
@click.option("--report", "report_out", metavar="FILE.html|DIR", type=click.Path(path_type=Path),
              help="Write the HTML report (a directory with several inputs).")
@click.option("--annotate", metavar="FILE.mp4|DIR", type=click.Path(path_type=Path),
              help="Video only: write the annotated video.")
@click.option("--view", type=click.Choice(["side", "rear", "front"]),
              help="Video only: camera view.")
@click.option("--height-m", type=click.FloatRange(0.8, 2.5), help="Video only: runner height.")
@click.option("--capture-fps", type=click.FloatRange(1.0, 10000.0), metavar="N",
              help="Video only: the frame rate a slow-motion clip was recorded at (when the "
                   "phone did not write it into the file).")
@global_options
@click.pass_context
def analyze_command(ctx: click.Context, paths: tuple[Path, ...], json_out: str | None,
                    report_out: Path | None, annotate: Path | None, view: str | None,
                    height_m: float | None, capture_fps: float | None) -> None:
    """Analyse watch files (FIT, TCX, GPX; the format is read from the content) and running
    videos (side or rear view; see 'backstride guide filming')."""
    from backstride.adapters.render.text import text_summary
    from backstride.core.report import DISCLAIMER

    app = app_of(ctx)
    settings = app.settings
    videos = [p for p in paths if workflows.looks_like_video(p)]
    if annotate is not None and not videos:
        fail(["--annotate is for videos; watch files have no video to annotate."])
    if (view is not None or height_m is not None or capture_fps is not None) \
            and len(videos) < len(paths) and not app.quiet:
        click.echo("note: --view, --height-m and --capture-fps apply to videos; watch files "
                   "ignore them.", err=True)
    with app.progress("Analysing", total=len(paths)) as progress:
        outcomes = workflows.analyze_paths(list(paths), progress=progress,
                                           view=view,  # type: ignore[arg-type]
                                           height_m=height_m, capture_fps=capture_fps)
    if json_out is not None:
        _write_json(outcomes, json_out)
    if report_out is not None:
        _write_reports(outcomes, report_out, settings, app)
    if annotate is not None:
        _write_annotated(outcomes, annotate, app)
    if json_out != "-":
        for outcome in outcomes:
            if isinstance(outcome, workflows.Analysed):
                app.say(text_summary(outcome.json(), units=settings.units))
        if any(isinstance(o, workflows.Analysed) for o in outcomes):
            app.say(DISCLAIMER)
    _exit_for(outcomes)


def _write_json(outcomes: Sequence[workflows.Outcome], target: str) -> None:
    entries = [o.json() if isinstance(o, workflows.Analysed) else
               {"schema": "backstride.error/1", "path": str(o.path), "error": o.error}
               for o in outcomes]
    payload = entries[0] if len(entries) == 1 else entries
    text = json.dumps(payload, indent=2, ensure_ascii=False) + "\n"
    if target == "-":
        click.echo(text, nl=False)
    else:
        workflows.write_text_atomic(Path(target), text)


def _write_reports(outcomes: Sequence[workflows.Outcome], target: Path, settings: Settings,
                   app: AppContext) -> None:
    for outcome in outcomes:
        if isinstance(outcome, workflows.Analysed):
            path = workflows.report_paths(outcomes, target)[outcome.path]
            workflows.write_text_atomic(path, workflows.render_html(outcome, settings=settings))
            app.note(f"report: {path}")


def _write_annotated(outcomes: Sequence[workflows.Outcome], target: Path,
                     app: AppContext) -> None:
    videos = [o for o in outcomes if isinstance(o, workflows.Analysed) and o.is_video]
    single = len(outcomes) == 1 and target.suffix.lower() == ".mp4" and not target.is_dir()
    if not single:
        target.mkdir(parents=True, exist_ok=True)
    for outcome in videos:
        path = target if single else target / f"{outcome.path.stem}.annotated.mp4"
        workflows.write_annotated(outcome.report, outcome.path, path)  # type: ignore[arg-type]
        app.note(f"annotated video: {path}")


def _exit_for(outcomes: Sequence[workflows.Outcome]) -> None:
    failed = [o for o in outcomes if isinstance(o, workflows.Failed)]
    if failed:
        fail([o.error for o in failed])



@cli.command("demo")
@click.option("--out", "out_dir", type=click.Path(path_type=Path, file_okay=False),
              default=Path("backstride-demo"), show_default=True, help="Folder for the demo files.")
@global_options
@click.pass_context
def demo_command(ctx: click.Context, out_dir: Path) -> None:
    """Simulate a run with fatigue drift, analyse it and write an HTML report."""
    from backstride.adapters.render.plan_text import plan_text
    from backstride.adapters.render.text import text_summary
    from backstride.adapters.render.triage_json import triage_text

    app = app_of(ctx)
    settings = app.settings
    result = workflows.run_demo(out_dir, settings=settings)
    app.say(triage_text(result.triage.result))
    app.say(text_summary(result.outcome.json(), units=settings.units))
    app.say(plan_text(result.planned.plan))
    app.say("Files: " + ", ".join(str(p) for p in (
        result.fit_path, result.json_path, result.plan_path, *result.other_paths)))
    click.echo(str(result.report_path))



@cli.command("serve")
@click.option("--host", default="127.0.0.1", show_default=True,
              help="Address to listen on; the default keeps the app on this computer.")
@click.option("--port", type=click.IntRange(1, 65535), default=8765, show_default=True)
@click.option("--team", is_flag=True,
              help="Logins: each user sees only their runners (users: 'backstride users').")
@click.option("--ssl-certfile", type=click.Path(path_type=Path, dir_okay=False), default=None,
              help="TLS certificate (PEM) to serve HTTPS; with --ssl-keyfile.")
@click.option("--ssl-keyfile", type=click.Path(path_type=Path, dir_okay=False), default=None,
              help="The certificate's private key (PEM).")
@global_options
@click.pass_context
def serve_command(ctx: click.Context, host: str, port: int, team: bool,
                  ssl_certfile: Path | None, ssl_keyfile: Path | None) -> None:
    """The local web app in your browser."""
    app = app_of(ctx)
    if (ssl_certfile is None) != (ssl_keyfile is None):
        fail(["Give --ssl-certfile and --ssl-keyfile together (the certificate and its key)."])
    for path in (ssl_certfile, ssl_keyfile):
        if path is not None and not path.is_file():
            fail([f"{path} does not exist or is not a file; give the PEM file's path."])
    try:
        import uvicorn

        from backstride.web.app import create_app, tune_gc_for_serving
    except ImportError as exc:
        raise MissingDependencyError("The web app", "web") from exc
    users = workflows.check_team_ready(settings=app.settings) if team else 0
    tls = ssl_certfile is not None
    for line in serve_notes(host, port, team=team, tls=tls, users=users):
        click.echo(line, err=True)
    tune_gc_for_serving()
    uvicorn.run(create_app(app.settings, hosts=_host_names(host), team=team), host=host,
                port=port, log_level="warning",
                ssl_certfile=None if ssl_certfile is None else str(ssl_certfile),
                ssl_keyfile=None if ssl_keyfile is None else str(ssl_keyfile))


def serve_notes(host: str, port: int, *, team: bool, tls: bool, users: int) -> list[str]:
    """What serve says on stderr as it starts: where, who can reach it, and the warnings."""
    loopback = host in ("127.0.0.1", "localhost", "::1")
    where = "only this computer can reach it" if loopback \
        else "other computers on your network can reach it: it holds health data"
    notes = [f"backstride web app on {'https' if tls else 'http'}://{host}:{port} ({where}). "
             "Ctrl+C stops it."]
    if team:
        notes.append(f"Team mode: {users} user{'s' if users != 1 else ''}; everyone logs in "
                     "and sees only their own runners.")
        if not loopback and not tls:
            notes.append("warning: no TLS: passwords and session cookies cross the network in "
                         "clear text, readable by anyone on it. Give --ssl-certfile and "
                         "--ssl-keyfile, or put an HTTPS proxy in front (docs/team.md).")
    return notes


def _host_names(host: str) -> tuple[str, ...]:
    """Names a browser may use to reach the server: the --host itself, and for a wildcard
    address this machine's name and addresses (other Host headers are refused)."""
    if host not in ("0.0.0.0", "::"):
        return (host,)
    import socket

    name = socket.gethostname()
    try:
        addresses = socket.gethostbyname_ex(name)[2]
    except OSError:
        addresses = []
    return (host, name, socket.getfqdn(), *addresses)


@cli.group("guide")
def guide_group() -> None:
    """How-to guides."""


@guide_group.command("filming")
def guide_filming() -> None:
    """The capture protocol: how to film your running so it can be measured."""
    from backstride.core.filming import filming_guide_text

    click.echo(filming_guide_text())


def main(argv: Sequence[str] | None = None) -> None:
    """Entry point: errors exit 1 with one line (see ``_Group``); usage errors exit 2."""
    cli.main(args=list(argv) if argv is not None else None, prog_name="backstride")


if __name__ == "__main__":
    main()

