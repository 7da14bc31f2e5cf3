"""config.toml and favorites.toml are both written by the one atomic-write helper of files.py."""

from __future__ import annotations

from pathlib import Path

import pytest

from cttui.api.regions import get_region
from cttui.store import config, favorites_store, files
from cttui.store.config import Config, Profile, save_config
from cttui.store.favorites import Favorite
from cttui.store.favorites_store import FavoritesStore


@pytest.fixture
def written(monkeypatch: pytest.MonkeyPatch) -> list[Path]:
    """The paths write_atomically replaces, each written for real all the same."""
    paths: list[Path] = []

    def recording(path: Path, data: bytes) -> None:
        paths.append(path)
        files.write_atomically(path, data)

    for module in (config, favorites_store):
        monkeypatch.setattr(module, "write_atomically", recording)
    return paths


def test_config_and_favorites_go_through_write_atomically(
    tmp_path: Path, written: list[Path]
) -> None:
    config_path = tmp_path / "cttui" / "config.toml"
    favorites_path = tmp_path / "cttui" / "favorites.toml"
    save_config(Config((Profile("work", "ACC-1", get_region("eu1")),), "work"), config_path)
    FavoritesStore(favorites_path).save(Favorite("weekly", "Charged"))
    assert written == [config_path, favorites_path]
    assert not [path.name for path in config_path.parent.iterdir() if path.name.startswith(".")]
