"""What a session runs on: where profiles, passcodes, jobs and favourites live, and the demo."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING

from cttui.api.regions import DEFAULT_REGION
from cttui.store.config import Config, Profile, saved_theme
from cttui.store.credentials import CredentialStore, SessionPasscodes
from cttui.store.paths import demo_config_file, favorites_file
from cttui.store.selection import DEMO_PROFILE, ENV_BASE_URL

if TYPE_CHECKING:
    import httpx

    from cttui.emulator import EmulatorConfig
    from cttui.pacing import Clock


@dataclass(frozen=True)
class Demo:
    """The built-in emulator a demo run talks to: its host (a new port at each start), its
    fixed today, the names it knows, and its passcode, held in memory only."""

    base_url: str
    account_id: str
    today: Callable[[], date]
    events: tuple[str, ...]
    properties: tuple[str, ...]
    passcodes: SessionPasscodes = field(repr=False, compare=False)

    @classmethod
    def of(cls, config: EmulatorConfig, base_url: str) -> Demo:
        from cttui.emulator.dataset import EVENT_SCHEMA

        passcodes = SessionPasscodes()
        passcodes.set(config.account_id, config.passcode)
        properties = dict.fromkeys(name for schema in EVENT_SCHEMA.values() for name in schema)
        return cls(
            base_url,
            config.account_id,
            config.resolved_today,
            tuple(EVENT_SCHEMA),
            tuple(properties),
            passcodes,
        )


@dataclass(frozen=True)
class SessionSetup:
    """`journal` None keeps jobs in memory only (tests, snapshots); `demo` None is a run on
    the stored profiles."""

    store: CredentialStore
    environ: Mapping[str, str]
    profile: str | None = None
    poll_interval: float = 30.0
    demo: Demo | None = None
    today: Callable[[], date] = field(default=date.today)
    journal: Path | None = None
    clock: Clock | None = None
    favorites: Path = field(default_factory=favorites_file)
    # Where every client's requests go instead of the network (tests' httpx.MockTransport).
    transport: httpx.AsyncBaseTransport | None = None
    # Warnings for a person, found while setting up (the app shows them once it starts).
    notices: tuple[str, ...] = ()

    @classmethod
    def for_demo(
        cls,
        config: EmulatorConfig,
        base_url: str,
        poll_interval: float,
        journal: Path | None = None,
        favorites: Path | None = None,
    ) -> SessionSetup:
        """A demo profile held in memory only: nothing reaches the keyring or config.toml. The
        theme picked in the demo is kept in the demo's own state (demo/config.toml)."""
        demo = Demo.of(config, base_url)
        profile = Profile(DEMO_PROFILE, demo.account_id, DEFAULT_REGION)
        settings = demo_config_file()
        theme, problem = saved_theme(settings)
        store = CredentialStore(
            None, demo.passcodes, Config((profile,), DEMO_PROFILE, theme), theme_path=settings
        )
        notices = (f"{problem}; the demo starts in the default theme",) if problem else ()
        return cls(
            store,
            {ENV_BASE_URL: base_url},
            None,
            poll_interval,
            demo=demo,
            today=demo.today,
            journal=journal,
            favorites=favorites or favorites_file(demo=True),
            notices=notices,
        )
