"""backstride.workflows loads its modules on first use: its three lists of names (the imports
mypy reads, __all__, and the name-to-module map used at run time) must agree, and every name
must resolve to the object its module defines."""

from __future__ import annotations

import ast
import importlib
import subprocess
import sys
from pathlib import Path

import backstride.workflows as workflows

SOURCE = Path(workflows.__file__)


def _type_checking_imports() -> dict[str, str]:
    tree = ast.parse(SOURCE.read_text(encoding="utf-8"))
    found: dict[str, str] = {}
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and (node.module or "").startswith("backstride"):
            for alias in node.names:
                found[alias.name] = str(node.module)
    return found


def test_imports_all_and_map_agree() -> None:
    imported = _type_checking_imports()
    assert set(imported) == set(workflows.__all__) == set(workflows._HOME)
    assert imported == workflows._HOME


def test_every_name_resolves_to_its_module_object() -> None:
    for name, module in workflows._HOME.items():
        assert getattr(workflows, name) is getattr(importlib.import_module(module), name)


def test_unknown_name_is_an_attribute_error() -> None:
    try:
        workflows.no_such_workflow  # type: ignore[attr-defined]  # noqa: B018
    except AttributeError as exc:
        assert "no_such_workflow" in str(exc)
    else:
        raise AssertionError("an unknown name resolved")


def test_importing_the_package_loads_no_workflow() -> None:
    code = ("import sys, backstride.workflows; "
            "print(sorted(m for m in sys.modules if m.startswith('backstride.')))")
    loaded = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                            check=True).stdout
    assert "backstride.workflows." not in loaded
    assert "backstride.adapters" not in loaded
