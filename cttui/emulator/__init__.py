"""A CleverTap-compatible Get Profile Count server on loopback, over synthetic events.

Standard library only, and independent of ``cttui.api``: the client is tested against a server it
did not define.
"""

from __future__ import annotations

from cttui.emulator.config import EmulatorConfig
from cttui.emulator.server import Emulator, EmulatorError, serve
from cttui.emulator.state import RecordedRequest

__all__ = ["Emulator", "EmulatorConfig", "EmulatorError", "RecordedRequest", "serve"]
