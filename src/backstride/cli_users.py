"""Team mode's users: who may log in to ``backstride serve --team``, and whose data they see.

Passwords come from a prompt (typed twice, not echoed) or, for scripts, one line on stdin
(``--password-stdin``); they are never an option's value, which would land in the shell's
history and in the process list.
"""


from __future__ import annotations

import sys

import click

from backstride import workflows
from backstride.cli_common import app_of, emit_json, global_options


@click.group("users")
def users_group() -> None:
    """Team mode: who may log in to 'backstride serve --team' and whose data they see."""


def _read_password(from_stdin: bool) -> str:
    if from_stdin:
        line: str = sys.stdin.readline()
        return line.removesuffix("\n").removesuffix("\r")
    return str(click.prompt("Password", hide_input=True, confirmation_prompt=True,
                            err=True))


def _names(values: tuple[str, ...]) -> list[str]:
    """Runner names from repeated options, each possibly a comma-separated list."""
    return [name.strip() for value in values for name in value.split(",") if name.strip()]


@users_group.command("add")
@click.argument("username")
@click.option("--role", type=click.Choice(workflows.ROLES), required=True,
              help="runner: their own data; coach, clinician: the runners they are given.")
@click.option("--runner", "runner", metavar="RUNNER", default=None,
              help="Runner users: the runner they are (default: the username; 'me' is the "
                   "local app's runner).")
@click.option("--sees", multiple=True, metavar="RUNNER[,RUNNER…]",
              help="Coaches and clinicians: a runner they see (repeat it for more).")
@click.option("--password-stdin", is_flag=True,
              help="Read the password from one line of stdin instead of asking twice.")
@global_options
@click.pass_context
def users_add(ctx: click.Context, username: str, role: str, runner: str | None,
              sees: tuple[str, ...], password_stdin: bool) -> None:
    """Add a user (passwords: at least 10 characters, stored only as an argon2id hash)."""
    app = app_of(ctx)
    password = _read_password(password_stdin)
    user = workflows.add_user(settings=app.settings, username=username, password=password,
                              role=role, runner=runner, sees=_names(sees))
    app.say(f"user {user.username} added: {_what_they_see(user)}")


def _what_they_see(user: workflows.User) -> str:
    if user.role == "runner":
        return f"runner, sees their own data (runner {user.runner})"
    seen = ", ".join(user.sees) or "no runners yet (backstride users grant)"
    return f"{user.role}, sees {seen}"


@users_group.command("list")
@click.option("--json", "json_out", metavar="FILE|-", is_flag=False, flag_value="-",
              default=None, help="Write backstride.users/1 JSON (to stdout with no FILE).")
@global_options
@click.pass_context
def users_list(ctx: click.Context, json_out: str | None) -> None:
    """List users, their roles and the runners each sees (never a password hash)."""
    from backstride.adapters.render.history_json import users_json

    app = app_of(ctx)
    users = workflows.list_users(settings=app.settings)
    if json_out is not None:
        emit_json(users_json(users), json_out)
    if json_out == "-":
        return
    if not users:
        app.say("No users yet: backstride users add NAME --role runner|coach|clinician")
    for user in users:
        seen = (f"runner {user.runner}" if user.role == "runner"
                else "sees " + (", ".join(user.sees) or "nobody yet"))
        app.say(f"{user.username:<24} {user.role:<10} {seen}")


@users_group.command("remove")
@click.argument("username")
@global_options
@click.pass_context
def users_remove(ctx: click.Context, username: str) -> None:
    """Remove a user: their sessions end at once; a runner's history stays."""
    app = app_of(ctx)
    workflows.remove_user(username, settings=app.settings)
    app.say(f"user {username} removed; their sessions have ended (any runner history stays)")


@users_group.command("grant")
@click.argument("username")
@click.argument("runner")
@global_options
@click.pass_context
def users_grant(ctx: click.Context, username: str, runner: str) -> None:
    """Let a coach or clinician see a runner."""
    app = app_of(ctx)
    added = workflows.grant_runner(username, runner, settings=app.settings)
    app.say(f"{username} {'now sees' if added else 'already saw'} {runner}")


@users_group.command("revoke")
@click.argument("username")
@click.argument("runner")
@global_options
@click.pass_context
def users_revoke(ctx: click.Context, username: str, runner: str) -> None:
    """Stop a coach or clinician seeing a runner (at once, in open sessions too)."""
    app = app_of(ctx)
    workflows.revoke_runner(username, runner, settings=app.settings)
    app.say(f"{username} no longer sees {runner}")
