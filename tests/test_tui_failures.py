"""A worker that raises what nobody foresaw: a one-line toast, and the app lives on."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest
from textual.widgets import Input

import cttui
import cttui.tui
from cttui.store.favorites import Favorite
from cttui.store.favorites_store import FavoritesStore
from cttui.store.paths import favorites_file
from cttui.tui.screens.favorites import FavoritesScreen
from cttui.tui.screens.main import MainScreen
from cttui.tui.screens.name_prompt import NamePromptScreen
from cttui.tui.workers import start
from tests.apps import WORK, build_app, settle, until

SIZE = (120, 40)


async def test_an_unexpected_error_in_a_worker_is_a_one_line_toast_and_the_app_lives_on(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    FavoritesStore(favorites_file()).save(Favorite("Launches", "App Launched"))

    def rename(self: FavoritesStore, old: str, new: str) -> None:
        raise RuntimeError("disk on fire")

    monkeypatch.setattr(FavoritesStore, "rename", rename)
    app = build_app(profiles=(WORK,))
    async with app.run_test(size=SIZE, notifications=True) as pilot:
        await settle(pilot, MainScreen)
        await pilot.press("f3")
        await settle(
            pilot,
            FavoritesScreen,
            lambda: isinstance(app.screen, FavoritesScreen) and app.screen.table.row_count == 1,
        )
        await pilot.press("n")
        await settle(pilot, NamePromptScreen)
        app.screen.query_one(Input).value = "Renamed"
        await pilot.press("enter")
        await until(pilot, lambda: bool(app._notifications), "a toast")
        await pilot.press("escape")
        await settle(pilot, MainScreen)
        assert app.is_running
        assert app.return_code is None
        [toast] = list(app._notifications)
        assert toast.severity == "error"
        for text in (toast.title, toast.message):
            assert "\n" not in text
            assert "Traceback" not in text
            assert "unexpected error" not in text.casefold()
        assert "Renaming the favourite failed" in toast.message
        assert "RuntimeError: disk on fire" in toast.message
        assert "report" in toast.message


def _keywords(call: ast.Call) -> dict[str, ast.expr]:
    return {keyword.arg: keyword.value for keyword in call.keywords if keyword.arg}


def test_every_worker_keeps_the_app_alive_when_it_fails() -> None:
    """Textual's default, exit_on_error=True, quits the app on a worker's error before the
    catch-all in failures.py can show it."""
    left: list[str] = []
    for path in sorted(Path(cttui.tui.__file__).parent.rglob("*.py")):
        for node in ast.walk(ast.parse(path.read_text(), str(path))):
            if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
                # A bare @work takes every default.
                left += [
                    f"{path.name}:{node.lineno}"
                    for decorator in node.decorator_list
                    if isinstance(decorator, ast.Name) and decorator.id == "work"
                ]
            if not isinstance(node, ast.Call):
                continue
            function = node.func
            name = getattr(function, "attr", getattr(function, "id", ""))
            if name not in ("run_worker", "work"):
                continue
            keyword = _keywords(node).get("exit_on_error")
            if not (isinstance(keyword, ast.Constant) and keyword.value is False):
                left.append(f"{path.name}:{node.lineno}")
    assert left == []


def _name(node: ast.expr) -> str:
    return str(getattr(node, "attr", getattr(node, "id", "")))


def _worker_starts(tree: ast.AST) -> list[int]:
    """The lines that start a worker: a run_worker call, or a function under @work."""
    lines: list[int] = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Call) and _name(node.func) == "run_worker":
            lines.append(node.lineno)
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
            for decorator in node.decorator_list:
                target = decorator.func if isinstance(decorator, ast.Call) else decorator
                if _name(target) == "work":
                    lines.append(decorator.lineno)
    return lines


def test_every_worker_starts_through_the_one_helper() -> None:
    package = Path(cttui.__file__).parent
    outside: list[str] = []
    for path in sorted(package.rglob("*.py")):
        where = path.relative_to(package).as_posix()
        if where != "tui/workers.py":
            lines = _worker_starts(ast.parse(path.read_text(), str(path)))
            outside += [f"{where}:{line}" for line in lines]
    assert outside == [], "start these with cttui.tui.workers.start"


async def test_a_worker_started_by_the_helper_fails_as_a_toast_not_a_quit() -> None:
    def explode() -> None:
        raise RuntimeError("disk on fire")

    app = build_app(profiles=(WORK,))
    async with app.run_test(size=SIZE, notifications=True) as pilot:
        await settle(pilot, MainScreen)
        start(app.screen, explode, name="Exploding", thread=True)
        await until(pilot, lambda: bool(app._notifications), "a toast")
        assert app.is_running
        [toast] = list(app._notifications)
        assert "Exploding failed (RuntimeError: disk on fire)" in toast.message
