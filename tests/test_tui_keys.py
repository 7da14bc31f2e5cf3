"""keys.toml, the catalogue of every key: each key's action exists on the node that offers it,
every key is offered by some node, and ids are unique (Textual's keymap addresses keys by id)."""

from __future__ import annotations

import importlib
import pkgutil
from collections import Counter

import pytest
from textual.actions import parse
from textual.binding import Binding
from textual.dom import DOMNode

import cttui.tui
from cttui.tui import keys


def nodes_with_keys() -> list[type[DOMNode]]:
    """Every class of cttui.tui that declares BINDINGS of its own."""
    for module in pkgutil.walk_packages(cttui.tui.__path__, "cttui.tui."):
        importlib.import_module(module.name)
    found: list[type[DOMNode]] = []
    stack: list[type[DOMNode]] = [DOMNode]
    while stack:
        cls = stack.pop()
        stack.extend(cls.__subclasses__())
        if cls.__module__.startswith("cttui.tui.") and "BINDINGS" in vars(cls):
            found.append(cls)
    return found


def test_every_key_runs_an_action_of_the_node_offering_it() -> None:
    offered: set[str] = set()
    for cls in nodes_with_keys():
        for binding in cls.BINDINGS:
            assert isinstance(binding, Binding)
            assert binding.id is not None, f"{cls.__name__}: {binding.key} has no id"
            _, name, _ = parse(binding.action)
            assert callable(getattr(cls, f"action_{name}", None)), (
                f"{cls.__name__}: {binding.id} runs {binding.action}, which it does not have"
            )
            offered.add(binding.id)
    listed = {key.id for node in keys.catalogue().values() for key in node}
    assert listed - offered == set(), "keys.toml lists keys that no screen or widget offers"


def test_ids_are_unique() -> None:
    ids = Counter(key.id for node in keys.catalogue().values() for key in node)
    assert [key for key, times in ids.items() if times > 1] == []


def test_a_key_gets_its_words_from_the_file() -> None:
    (save,) = [k for k in keys.catalogue()["credentials-screen"] if k.id == "save-profile"]
    binding = save.binding()
    assert (binding.key, binding.action, binding.description) == ("ctrl+s", "save", "Save")
    assert binding.tooltip == save.help
    assert keys.wording("save-profile") == ("Save profile", save.help)
    # Without a title of its own, the palette says the footer's word.
    assert keys.wording("calendar-today") == ("Today", "")
    assert keys.wording("not-a-key") is None


def test_a_misspelt_field_is_refused() -> None:
    with pytest.raises(ValueError, match=r"unknown \['shwo'\]"):
        keys._key({"id": "x", "keys": "x", "action": "x", "footer": "X", "shwo": False})
