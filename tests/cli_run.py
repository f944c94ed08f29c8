"""Running the CLI in-process for the command tests: the exit code, stdout and stderr of one
command (never a traceback, never "Aborted!"). The ``home`` fixture (tests/conftest.py) gives
a fresh data folder and working folder."""

from __future__ import annotations

from click.testing import CliRunner

from backstride.cli import cli


def run_cli(*args: str, stdin: str | None = None) -> tuple[int, str, str]:
    result = CliRunner().invoke(cli, list(args), input=stdin)
    assert result.exception is None or isinstance(result.exception, SystemExit), result.exception
    assert "Traceback" not in result.output and "Aborted!" not in result.output
    return result.exit_code, result.stdout, result.stderr
