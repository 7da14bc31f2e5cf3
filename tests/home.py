"""A private HOME: the XDG dirs under one folder. No Textual or cttui imports here, since the
screenshot script must set these before Textual reads its environment."""

from __future__ import annotations

from pathlib import Path

_DIRS = (
    ("HOME", ""),
    ("XDG_CONFIG_HOME", ".config"),
    ("XDG_STATE_HOME", ".local/state"),
    ("XDG_CACHE_HOME", ".cache"),
    ("XDG_DATA_HOME", ".local/share"),
)


def home_variables(home: Path) -> dict[str, str]:
    """HOME and the XDG variables pointing under `home`, with the folders made."""
    variables = {}
    for name, sub in _DIRS:
        path = home / sub
        path.mkdir(parents=True, exist_ok=True)
        variables[name] = str(path)
    return variables
