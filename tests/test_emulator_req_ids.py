"""The emulator's req_ids: unpredictable from one start to the next, as CleverTap's are, unless a
renderer asks for a fixed sequence."""

from __future__ import annotations

from pathlib import Path

from cttui.emulator import Emulator, EmulatorConfig
from tests.test_emulator import VALID, post


def test_req_ids_differ_from_one_start_to_the_next(tmp_path: Path) -> None:
    """As CleverTap's do: a req_id from before a restart never names a new query."""
    config = EmulatorConfig(
        seed=3, profiles=200, events=2_000, partial_after_days=0, cache_dir=tmp_path
    )
    firsts = []
    for _ in range(2):
        with Emulator(config) as started:
            firsts.append([post(started.base_url, VALID).body["req_id"] for _ in range(3)])
    assert set(firsts[0]).isdisjoint(firsts[1])


def test_a_req_id_seed_repeats_the_req_ids_for_renderers(tmp_path: Path) -> None:
    config = EmulatorConfig(
        seed=3, profiles=200, events=2_000, partial_after_days=0, cache_dir=tmp_path, req_id_seed=9
    )
    firsts = []
    for _ in range(2):
        with Emulator(config) as started:
            firsts.append([post(started.base_url, VALID).body["req_id"] for _ in range(3)])
    assert firsts[0] == firsts[1]
