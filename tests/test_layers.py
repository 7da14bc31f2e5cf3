"""The layers of DESIGN.md, read from the source: imports point down only."""

from __future__ import annotations

import ast
import sys
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parent.parent / "cttui"


def imported(path: Path) -> set[str]:
    """Every module `path` imports, at any depth of the file (lazy imports count too)."""
    names: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module:
            names.add(node.module)
    return names


def modules(under: str) -> list[Path]:
    return sorted((PACKAGE / under).rglob("*.py")) if under else sorted(PACKAGE.glob("*.py"))


def reaches(path: Path, *prefixes: str) -> list[str]:
    return sorted(
        name
        for name in imported(path)
        if any(name == prefix or name.startswith(prefix + ".") for prefix in prefixes)
    )


@pytest.mark.parametrize(
    "path",
    [p for under in ("api", "store", "emulator") for p in modules(under)]
    + [
        PACKAGE / name for name in ("jobs.py", "gate.py", "pacing.py", "recording.py", "sending.py")
    ],
    ids=lambda p: str(p.relative_to(PACKAGE)),
)
def test_nothing_below_the_tui_imports_textual(path: Path) -> None:
    assert reaches(path, "textual", "rich", "cttui.tui", "cttui.cli") == []


@pytest.mark.parametrize("path", modules("api"), ids=lambda p: str(p.relative_to(PACKAGE)))
def test_the_protocol_touches_no_files_keyring_or_jobs(path: Path) -> None:
    assert reaches(path, "cttui.store", "cttui.jobs", "keyring", "sqlite3", "tomllib") == []


@pytest.mark.parametrize("path", modules("emulator"), ids=lambda p: str(p.relative_to(PACKAGE)))
def test_the_emulator_is_independent_of_the_client(path: Path) -> None:
    assert reaches(path, "cttui.api", "cttui.jobs", "cttui.store", "httpx") == []


def top_level_imports(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    return {
        node.module for node in tree.body if isinstance(node, ast.ImportFrom) and node.module
    } | {alias.name for node in tree.body if isinstance(node, ast.Import) for alias in node.names}


@pytest.mark.parametrize("path", modules("cli"), ids=lambda p: str(p.relative_to(PACKAGE)))
def test_the_cli_imports_the_tui_only_to_launch_it(path: Path) -> None:
    assert not any(name.startswith(("cttui.tui", "textual")) for name in top_level_imports(path))
    if path.name != "launch.py":
        assert reaches(path, "cttui.tui", "textual", "rich") == []


@pytest.mark.parametrize("name", ["parser.py", "options.py"])
def test_the_parser_imports_only_the_standard_library(name: str) -> None:
    # Its own building blocks aside: options.py is held to the same rule.
    outside = {
        module
        for module in imported(PACKAGE / "cli" / name)
        if module.split(".")[0] not in sys.stdlib_module_names and module != "cttui.cli.options"
    }
    assert outside == set()
