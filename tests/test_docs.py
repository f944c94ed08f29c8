"""The docs keep up with the code: every command and every setting is documented."""

from __future__ import annotations

from pathlib import Path

import click

from backstride.cli import cli
from backstride.config import settings_help

REPO = Path(__file__).resolve().parents[1]


def _commands(group: click.Group, prefix: str = "") -> list[str]:
    names = []
    for name, command in group.commands.items():
        names.append(f"{prefix}{name}")
        if isinstance(command, click.Group):
            names.extend(_commands(command, f"{prefix}{name} "))
    return names


def test_every_command_is_in_the_readme() -> None:
    readme = (REPO / "README.md").read_text()
    missing = [name for name in _commands(cli) if f"backstride {name}" not in readme]
    assert not missing, f"README.md does not show: {missing}"


def test_every_setting_is_in_the_settings_page() -> None:
    page = (REPO / "docs" / "settings.md").read_text()
    for name, env, help_text in settings_help():
        assert f"| `{name}` | `{env}` | {help_text} |" in page, name


def test_readme_quick_start_has_exactly_two_commands() -> None:
    readme = (REPO / "README.md").read_text()
    quick = readme.split("## Quick start", 1)[1].split("\n## ", 1)[0]
    assert quick.count("```bash") == 2
    assert "backstride demo" in quick and "scripts/test.sh" in quick
