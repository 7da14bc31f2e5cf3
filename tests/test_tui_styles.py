"""Styles live in the TCSS: no style written as a string in the TUI's Python."""

from __future__ import annotations

import ast
from pathlib import Path

import cttui.tui


def test_no_style_strings_in_the_tuis_python() -> None:
    found: list[str] = []
    for path in sorted(Path(cttui.tui.__file__).parent.rglob("*.py")):
        for node in ast.walk(ast.parse(path.read_text(), str(path))):
            if not isinstance(node, ast.Call):
                continue
            styles = [keyword.value for keyword in node.keywords if keyword.arg == "style"]
            if isinstance(node.func, ast.Attribute) and node.func.attr == "stylize":
                styles += node.args[:1]
            if isinstance(node.func, ast.Attribute) and node.func.attr == "assemble":
                # Text.assemble((text, style), ...)
                styles += [part.elts[1] for part in node.args if isinstance(part, ast.Tuple)]
            found += [
                f"{path.name}:{node.lineno}"
                for style in styles
                if isinstance(style, ast.Constant | ast.JoinedStr)
            ]
    assert found == [], "style these with a component class in cttui.tcss"
