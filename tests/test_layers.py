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
    [
        p
        for p in sorted(PACKAGE.rglob("*.py"))
        if p.relative_to(PACKAGE).parts[0] not in ("tui", "cli", "__main__.py")
    ],
    ids=lambda p: str(p.relative_to(PACKAGE)),
)
def test_nothing_below_the_tui_imports_textual(path: Path) -> None:
    assert (
        reaches(path, "textual", "rich", "textual_plotext", "plotext", "cttui.tui", "cttui.cli")
        == []
    )


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


PARSER = {"cttui.cli.options", "cttui.cli.parser_groups"}


@pytest.mark.parametrize("name", ["parser.py", "parser_groups.py", "options.py"])
def test_the_parser_imports_only_the_standard_library(name: str) -> None:
    # Its own building blocks aside, which are held to the same rule.
    outside = {
        module
        for module in imported(PACKAGE / "cli" / name)
        if module.split(".")[0] not in sys.stdlib_module_names and module not in PARSER
    }
    assert outside == set()


def test_no_module_is_over_400_lines() -> None:
    """A module that long holds several jobs: split it where they part."""
    long = {
        str(path.relative_to(PACKAGE)): lines
        for path in sorted(PACKAGE.rglob("*.py"))
        if (lines := len(path.read_text(encoding="utf-8").splitlines())) > 400
    }
    assert long == {}


# The layers of docs/ARCHITECTURE.md, lowest first: a module may import its own layer's modules
# and those of lower layers, never a higher one. The two faces share a rank and never import
# each other, except that the CLI launches the app (checked below).
LAYERS: dict[str, int] = {
    "console": 0,
    "atomic": 0,
    "api": 1,
    "emulator": 1,
    "records": 2,
    "trends": 2,
    "store": 3,
    "pacing": 4,
    "recording": 4,
    "gate": 4,
    "sending": 4,
    "jobs": 4,
    "report": 5,
    "exports": 5,
    "session": 6,
    "tui": 7,
    "cli": 7,
    "__main__": 8,
}


FACES = ("tui", "cli")


def layer_of(module: str) -> str:
    """`cttui.store.journal` -> "store"; `cttui.jobs` -> "jobs"."""
    return module.split(".")[1]


def module_name(path: Path) -> str:
    parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


ALL_MODULES = sorted(PACKAGE.rglob("*.py"))


def test_every_module_has_a_layer() -> None:
    assert {
        layer_of(module_name(p)) for p in ALL_MODULES if p.parent != PACKAGE or p.stem != "__init__"
    } <= set(LAYERS)


@pytest.mark.parametrize("path", ALL_MODULES, ids=lambda p: str(p.relative_to(PACKAGE)))
def test_imports_point_down_the_layers(path: Path) -> None:
    here = module_name(path)
    if here == "cttui":
        return
    upward = []
    for name in imported(path):
        if not name.startswith("cttui.") or layer_of(name) == layer_of(here):
            continue
        if here == "cttui.cli.launch" and layer_of(name) == "tui":
            continue
        rank, own = LAYERS[layer_of(name)], LAYERS[layer_of(here)]
        # The job runner's modules share a layer; the faces share one but are apart.
        if rank > own or (rank == own and layer_of(here) in FACES):
            upward.append(name)
    assert upward == []


def import_graph() -> dict[str, set[str]]:
    """cttui's own modules and what each imports, at any depth of the file: a circle through
    a lazy import is still a circle of the design."""
    names = {module_name(path) for path in ALL_MODULES}
    graph: dict[str, set[str]] = {}
    for path in ALL_MODULES:
        module = module_name(path)
        targets: set[str] = set()
        for name in imported(path):
            # `from cttui.store import journal` names the package; the edge is to the module.
            target = name
            while target and target not in names:
                target = target.rpartition(".")[0]
            # A package's __init__ runs before any of its modules: not an edge of the design.
            if target and target != module and not module.startswith(target + "."):
                targets.add(target)
        graph[module] = targets
    return graph


def test_no_import_circle() -> None:
    graph = import_graph()
    circles: list[list[str]] = []
    state: dict[str, str] = {}
    path: list[str] = []

    def visit(module: str) -> None:
        state[module] = "open"
        path.append(module)
        for target in sorted(graph[module]):
            if state.get(target) == "open":
                circles.append([*path[path.index(target) :], target])
            elif target not in state:
                visit(target)
        path.pop()
        state[module] = "done"

    for module in sorted(graph):
        if module not in state:
            visit(module)
    assert circles == []


@pytest.mark.parametrize(
    "path",
    modules("tui/screens") + modules("tui/widgets"),
    ids=lambda p: str(p.relative_to(PACKAGE)),
)
def test_screens_and_widgets_never_import_the_app(path: Path) -> None:
    assert reaches(path, "cttui.tui.app") == []


@pytest.mark.parametrize("path", modules("tui/widgets"), ids=lambda p: str(p.relative_to(PACKAGE)))
def test_widgets_never_import_a_screen(path: Path) -> None:
    assert reaches(path, "cttui.tui.screens") == []


@pytest.mark.parametrize("path", modules("session"), ids=lambda p: str(p.relative_to(PACKAGE)))
def test_the_session_prints_nothing(path: Path) -> None:
    calls = [
        node.func.id
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8")))
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Name)
    ]
    assert "print" not in calls
