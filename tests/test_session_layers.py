"""The session's place in the layers: below both faces, and the screens above it only."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

from tests.test_layers import PACKAGE, modules, reaches


@pytest.mark.parametrize("path", modules("session"), ids=lambda p: str(p.relative_to(PACKAGE)))
def test_the_session_imports_no_face(path: Path) -> None:
    assert reaches(path, "textual", "rich", "cttui.tui", "cttui.cli") == []


@pytest.mark.parametrize("path", modules("session"), ids=lambda p: str(p.relative_to(PACKAGE)))
def test_the_session_prints_nothing(path: Path) -> None:
    calls = [
        node.func.id
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8")))
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Name)
    ]
    assert "print" not in calls


@pytest.mark.parametrize(
    "path",
    modules("tui/screens") + modules("tui/widgets"),
    ids=lambda p: str(p.relative_to(PACKAGE)),
)
def test_screens_and_widgets_never_import_the_app(path: Path) -> None:
    assert reaches(path, "cttui.tui.app") == []
