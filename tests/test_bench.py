"""`python -m benchmarks --short` runs every headless figure, and the app's start and keys, and
writes them as JSON; no test asserts a duration (the machine's load would decide it)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

from benchmarks.app import KEYS as APP_KEYS
from benchmarks.headless import KEYS
from benchmarks.report import markdown
from tests.conftest import require

ROOT = Path(__file__).resolve().parent.parent


def short_bench(tmp_path: Path, *arguments: str) -> tuple[dict[str, Any], str]:
    """The JSON `python -m benchmarks --short ARGUMENTS` wrote, and the table it printed."""
    written = tmp_path / "figures.json"
    done = subprocess.run(
        [sys.executable, "-m", "benchmarks", "--short", *arguments, "--json", str(written)],
        cwd=ROOT,
        env=os.environ | {"HOME": str(tmp_path)},
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    return json.loads(written.read_text()), done.stdout


def test_short_bench_writes_every_headless_figure(tmp_path: Path) -> None:
    document, table = short_bench(tmp_path, "--no-app")
    figures = {figure["key"]: figure for figure in document["figures"]}
    assert set(figures) == set(KEYS)
    for figure in figures.values():
        assert isinstance(figure["holds"], bool)
        assert isinstance(figure["target"], str)
        assert figure["target"]
        for spread in (figure["measured"], figure["baseline"]):
            assert all(isinstance(spread[name], float | int) for name in ("median", "least"))
            assert spread["runs"] >= 1
        assert isinstance(figure["ratio"], float)
    assert {"cpu", "cores", "python", "textual", "os", "date"} <= set(document["machine"])
    # The table names every figure, and so does the README's, made from the JSON.
    readme = markdown(document)
    for figure in figures.values():
        assert figure["label"] in table
        assert f"| {figure['label']} |" in readme


def test_short_bench_measures_the_apps_start_and_keys_in_tmux(tmp_path: Path) -> None:
    """The app's figures drive the real cttui in tmux: the start and the key figures (the most
    machinery: a seeded journal, the emulator, keys sent and the screen polled) must measure,
    whatever they come to."""
    require("tmux", "CTTUI_REQUIRE_TMUX")
    document, _ = short_bench(tmp_path, "--only", "startup,keys")
    figures = {figure["key"]: figure for figure in document["figures"]}
    assert set(figures) == {"startup", *APP_KEYS["keys"]}
    for figure in figures.values():
        # An unmeasured figure says why in its note, with no runs.
        assert figure["measured"]["runs"] >= 1, figure["note"]
        assert figure["measured"]["median"] > 0
        assert figure["baseline"]["median"] > 0


def test_the_readme_shows_the_latest_figures() -> None:
    """The README's table is benchmarks/latest.json, as `python -m benchmarks.report` prints
    it: a `make bench` whose figures change the README's says so in the same change."""
    latest = json.loads((ROOT / "benchmarks" / "latest.json").read_text())
    keys = {figure["key"] for figure in latest["figures"]}
    assert {*KEYS, *(key for group in APP_KEYS.values() for key in group)} == keys
    assert markdown(latest) in (ROOT / "README.md").read_text(), (
        "the README's Performance table is not benchmarks/latest.json: put in what "
        "`python -m benchmarks.report` prints"
    )
