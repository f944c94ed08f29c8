"""The layering rules of DESIGN.md §3, checked on the syntax tree of every module.

Imports are read with ``ast`` (absolute and relative, at module level and inside functions,
since a lazy import is still a dependency); core's I/O is found as calls, not substrings; and
docs/architecture.md must name every module, so that the picture stays true.
"""

from __future__ import annotations

import ast
import re
from pathlib import Path

SRC = Path(__file__).resolve().parents[1] / "src" / "backstride"
DOCS = Path(__file__).resolve().parents[1] / "docs" / "architecture.md"

IO_LIBRARIES = ("sqlalchemy", "alembic", "cv2", "mediapipe", "av", "fitdecode", "click",
                "fastapi", "starlette", "uvicorn", "ray", "pandas", "logging", "plotly", "jinja2",
                "pyfitparsernative", "defusedxml", "shutil", "tempfile", "subprocess", "socket",
                "urllib", "http", "sqlite3", "pickle", "zipfile", "gzip", "io", "glob", "os")
CORE_MAY_NOT = ("backstride.adapters", "backstride.workflows", "backstride.config",
                "backstride.cli", "backstride.web", "backstride.questionnaire", *IO_LIBRARIES)
ADAPTERS_MAY_NOT = ("backstride.workflows", "backstride.cli", "backstride.web",
                    "backstride.questionnaire")
WORKFLOWS_MAY_NOT = ("backstride.cli", "backstride.web", "backstride.questionnaire", "click",
                     "fastapi", "starlette")
# The web app talks to workflows; of the adapters it may use only the renderers.
WEB_MAY_NOT = ("backstride.cli", "backstride.questionnaire", "backstride.adapters.storage",
               "backstride.adapters.formats", "backstride.adapters.pose",
               "backstride.adapters.archives", "backstride.adapters.parallel", "sqlalchemy",
               "alembic", "click")
# The CLI likewise; `serve` starts the web app (imported inside that command only).
CLI_MAY_NOT = ("backstride.adapters.storage", "backstride.adapters.formats",
               "backstride.adapters.pose", "backstride.adapters.archives",
               "backstride.adapters.parallel", "backstride.adapters.audio", "sqlalchemy",
               "alembic", "fastapi", "starlette")
CLI_MAY_USE_IN_FUNCTIONS = ("backstride.web.app", "uvicorn")

# Calls that read or write files, print, or reach the network: none of them belong in core.
IO_CALLS = {"open", "print", "input", "exec", "eval", "__import__"}
IO_METHODS = {"read_text", "read_bytes", "write_text", "write_bytes", "open", "mkdir",
              "unlink", "rmdir", "rename", "touch", "iterdir", "glob", "rglob",
              "tofile", "savefig"}
NUMPY_IO = {"load", "save", "savez", "savez_compressed", "loadtxt", "savetxt", "genfromtxt",
            "fromfile", "memmap"}


def _module_name(path: Path) -> str:
    parts = path.relative_to(SRC.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def imports(path: Path, *, top_level_only: bool = False) -> list[str]:
    """Every module ``path`` imports, relative imports made absolute."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    package = _module_name(path).split(".")
    if path.name != "__init__.py":
        package = package[:-1]
    nodes = tree.body if top_level_only else _runtime_nodes(tree)
    names: list[str] = []
    for node in nodes:
        if isinstance(node, ast.Import):
            names.extend(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = package[:len(package) - node.level + 1] if node.level else []
            module = ".".join([*base, node.module] if node.module else base)
            names.append(module)
            # `from backstride import workflows` imports the submodule backstride.workflows
            names.extend(f"{module}.{alias.name}" for alias in node.names)
    return names


def _runtime_nodes(tree: ast.Module) -> list[ast.AST]:
    """Every node but those under ``if TYPE_CHECKING:`` (annotations only: no dependency at
    run time, and no import cost)."""
    found: list[ast.AST] = []
    stack: list[ast.AST] = [tree]
    while stack:
        node = stack.pop()
        if isinstance(node, ast.If) and isinstance(node.test, ast.Name) \
                and node.test.id == "TYPE_CHECKING":
            stack.extend(node.orelse)
            continue
        found.append(node)
        stack.extend(ast.iter_child_nodes(node))
    return found


def _violations(paths: list[Path], forbidden: tuple[str, ...],
                allowed: tuple[str, ...] = ()) -> list[str]:
    found = []
    for path in paths:
        for name in imports(path):
            hit = any(name == f or name.startswith(f + ".") for f in forbidden)
            if hit and not any(name == a or name.startswith(a + ".") for a in allowed):
                found.append(f"{path.relative_to(SRC)} imports {name}")
    return found


def _files(folder: str) -> list[Path]:
    return sorted((SRC / folder).rglob("*.py"))


def test_imports_are_read_including_relative_and_lazy_ones(tmp_path: Path) -> None:
    sample = SRC / "core" / "_architecture_probe.py"
    try:
        sample.write_text("from . import plan\nfrom ..adapters import audio\n"
                          "def f():\n    import sqlalchemy\n", encoding="utf-8")
        found = imports(sample)
    finally:
        sample.unlink()
    assert {"backstride.core.plan", "backstride.adapters.audio", "sqlalchemy"} <= set(found)


def test_core_is_pure() -> None:
    assert _violations(_files("core"), CORE_MAY_NOT) == []


def test_adapters_do_not_reach_up() -> None:
    assert _violations(_files("adapters"), ADAPTERS_MAY_NOT) == []


def test_workflows_do_not_import_interfaces() -> None:
    assert _violations(_files("workflows"), WORKFLOWS_MAY_NOT) == []


def test_web_uses_workflows_and_renderers_only() -> None:
    assert _violations(_files("web"), WEB_MAY_NOT) == []


def test_cli_uses_workflows_and_renderers_only() -> None:
    cli = [*SRC.glob("cli*.py"), SRC / "questionnaire.py"]
    assert _violations(cli, (*CLI_MAY_NOT, "backstride.web", "uvicorn"),
                       allowed=CLI_MAY_USE_IN_FUNCTIONS) == []
    for path in cli:  # and the web app never at module level: other commands must not pay
        top = imports(path, top_level_only=True)
        assert not [m for m in top if m.startswith(("backstride.web", "uvicorn"))], path.name


def _io_calls(path: Path) -> list[str]:
    found = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if not isinstance(node, ast.Call):
            continue
        func = node.func
        if isinstance(func, ast.Name) and func.id in IO_CALLS:
            found.append(f"{path.name}:{node.lineno} {func.id}()")
        elif isinstance(func, ast.Attribute):
            owner = func.value.id if isinstance(func.value, ast.Name) else ""
            if func.attr in IO_METHODS or (owner in ("np", "numpy") and func.attr in NUMPY_IO):
                found.append(f"{path.name}:{node.lineno} .{func.attr}()")
    return found


def test_core_does_no_io() -> None:
    assert [call for path in _files("core") for call in _io_calls(path)] == []


def test_the_io_check_finds_io(tmp_path: Path) -> None:
    probe = tmp_path / "probe.py"
    probe.write_text("import numpy as np\nfrom pathlib import Path\n"
                     "def f(p):\n    np.load(p)\n    Path(p).read_text()\n    open(p)\n",
                     encoding="utf-8")
    assert len(_io_calls(probe)) == 3


def test_docs_name_every_module() -> None:
    """docs/architecture.md shows every module by name (migrations aside)."""
    text = DOCS.read_text(encoding="utf-8")
    words = set(re.findall(r"[A-Za-z_][A-Za-z0-9_]*", text))
    missing = sorted(
        _module_name(path) for path in SRC.rglob("*.py")
        if path.stem not in ("__init__", "__main__") and "migrations" not in path.parts
        and path.stem not in words)
    assert missing == [], f"docs/architecture.md does not mention {missing}"
