"""The import rules of DESIGN.md §3, checked with ast on every module."""

from __future__ import annotations

import ast
from pathlib import Path

SRC = Path(__file__).resolve().parents[1] / "src" / "backstride"

CORE_MAY_NOT = ("backstride.adapters", "backstride.workflows", "backstride.config",
                "backstride.cli", "backstride.web", "sqlalchemy", "cv2", "mediapipe",
                "fitdecode", "click", "fastapi", "ray", "pandas", "logging", "plotly",
                "jinja2", "pyfitparsernative", "defusedxml")
ADAPTERS_MAY_NOT = ("backstride.workflows", "backstride.cli", "backstride.web")
WORKFLOWS_MAY_NOT = ("backstride.cli", "backstride.web")


def imported_modules(path: Path) -> list[str]:
    names: list[str] = []
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            names.extend(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.append(node.module)
    return names


def _check(folder: Path, forbidden: tuple[str, ...]) -> None:
    for path in folder.rglob("*.py") if folder.is_dir() else [folder]:
        bad = [m for m in imported_modules(path) if m.startswith(forbidden)]
        assert not bad, f"{path.relative_to(SRC)} imports {bad}"


def test_core_is_pure() -> None:
    _check(SRC / "core", CORE_MAY_NOT)


def test_adapters_do_not_reach_up() -> None:
    _check(SRC / "adapters", ADAPTERS_MAY_NOT)


def test_workflows_do_not_import_interfaces() -> None:
    _check(SRC / "workflows", WORKFLOWS_MAY_NOT)


def test_cli_uses_workflows_not_adapters() -> None:
    for path in [*SRC.glob("cli*.py"), SRC / "questionnaire.py"]:
        bad = [m for m in imported_modules(path) if m.startswith("backstride.adapters")
               and not m.startswith("backstride.adapters.render")]
        assert not bad, f"{path.name} imports {bad}"


def test_core_does_no_io() -> None:
    for path in (SRC / "core").rglob("*.py"):
        text = path.read_text()
        for call in ("open(", "print(", ".read_bytes(", ".write_text(", ".write_bytes("):
            assert call not in text, f"{path.name} calls {call}"
