"""Where cttui keeps things on disk: platformdirs locations, resolved when asked (tests and users
move them with the XDG variables)."""

from __future__ import annotations

from pathlib import Path

from platformdirs import user_cache_path, user_config_path, user_state_path

APP_NAME = "cttui"


def config_dir() -> Path:
    return user_config_path(APP_NAME)


def config_file() -> Path:
    return config_dir() / "config.toml"


def favorites_file(*, demo: bool = False) -> Path:
    """Saved queries; the demo's are kept with its journal, apart from yours."""
    return demo_state_dir() / "favorites.toml" if demo else config_dir() / "favorites.toml"


def emulator_cache_dir() -> Path:
    """Generated emulator data is kept, so that only the first start pays for building it."""
    return user_cache_path(APP_NAME) / "emulator"


def state_dir() -> Path:
    return user_state_path(APP_NAME)


def journal_file(*, demo: bool = False) -> Path:
    """The job journal; the demo keeps its own, beside its emulator's pending requests."""
    return (demo_state_dir() if demo else state_dir()) / "journal.sqlite3"


def demo_state_dir() -> Path:
    return state_dir() / "demo"


def demo_config_file() -> Path:
    """The demo's own settings (the theme picked in it): never the user's config.toml."""
    return demo_state_dir() / "config.toml"
