"""`python -m benchmarks --short` runs every headless figure through and writes them as JSON;
no test asserts a duration (the machine's load would decide it)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from benchmarks.headless import KEYS

ROOT = Path(__file__).resolve().parent.parent


def test_short_bench_writes_every_headless_figure(tmp_path: Path) -> None:
    written = tmp_path / "figures.json"
    done = subprocess.run(
        [sys.executable, "-m", "benchmarks", "--short", "--no-app", "--json", str(written)],
        cwd=ROOT,
        env=os.environ | {"HOME": str(tmp_path)},
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    document = json.loads(written.read_text())
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
    # The table names every figure.
    for figure in figures.values():
        assert figure["label"] in done.stdout
