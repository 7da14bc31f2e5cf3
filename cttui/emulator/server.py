"""A CleverTap-compatible Get Profile Count server on loopback.

It answers ``/1/counts/profiles.json`` the way CleverTap does (see ``shared/reference``): the same
bodies, HTTP codes, ``partial`` answers with a ``req_id`` to poll, and a per-account limit on
requests in flight. With ``EmulatorConfig.state_file`` set, pending requests outlive the process
(see ``state_file``). Faults can be injected (5xx, 429, connection resets, latency, forgotten
``req_id``s; see ``EmulatorConfig``). Two unauthenticated, unlogged endpoints let tests that run
it as a subprocess look inside: ``GET /_emulator/requests`` and ``GET /_emulator/stats``.

This module starts and stops it; ``handler`` answers the requests, ``state`` holds what the
handler threads share, ``faults`` draws the injected faults.
"""

from __future__ import annotations

import contextlib
import pathlib
import shlex
import sqlite3
import tempfile
import threading
from typing import TextIO

from cttui.emulator.config import EmulatorConfig
from cttui.emulator.handler import CountServer
from cttui.emulator.query import parse_query
from cttui.emulator.state import RecordedRequest, ServerState, reason
from cttui.emulator.store import EventStore


class EmulatorError(Exception):
    """The emulator could not start; the message says what to change."""


class Emulator:
    """The emulator server, run in a daemon thread of this process.

    ``with Emulator(config) as emulator:`` starts it and stops it; ``emulator.base_url`` is where
    it listens.
    """

    def __init__(self, config: EmulatorConfig | None = None) -> None:
        self.config = config if config is not None else EmulatorConfig()
        self._state: ServerState | None = None
        self._server: CountServer | None = None
        self._thread: threading.Thread | None = None
        self._temporary: tempfile.TemporaryDirectory[str] | None = None
        self._stopped = False

    def start(self) -> Emulator:
        """Generate or open the store, bind, and serve in a daemon thread."""
        if self._state is not None:
            raise RuntimeError("an Emulator can be started only once")
        config = self.config
        if config.cache_dir is not None:
            cache_dir = config.cache_dir
        else:
            self._temporary = tempfile.TemporaryDirectory(prefix="cttui-emulator-")
            cache_dir = pathlib.Path(self._temporary.name)
        try:
            store = EventStore.open_or_generate(
                cache_dir, config.seed, config.profiles, config.events, config.resolved_today()
            )
        except (OSError, sqlite3.Error) as error:
            self._cleanup_temporary()
            raise EmulatorError(
                f"cannot build the emulator's data in {cache_dir} ({reason(error)}); "
                "check that the folder is writable and the disk has space"
            ) from error
        state = ServerState(config, store)
        try:
            state.restore()
            server = CountServer(state)
        except BaseException as error:
            state.close()
            store.close()
            self._cleanup_temporary()
            if isinstance(error, OSError):
                raise EmulatorError(
                    f"cannot listen on {config.host}:{config.port} ({reason(error)}); "
                    "pick another --host or --port (--port 0 picks a free one)"
                ) from error
            raise
        self._state, self._server = state, server
        # A short poll interval keeps stop() quick; the loop costs next to nothing.
        self._thread = threading.Thread(
            target=server.serve_forever,
            kwargs={"poll_interval": 0.05},
            name="cttui-emulator",
            daemon=True,
        )
        self._thread.start()
        return self

    def stop(self) -> None:
        """Stop serving and release the store; safe to call more than once."""
        if self._server is None or self._state is None or self._stopped:
            return
        self._stopped = True
        self._server.shutdown()
        self._state.close()
        self._server.server_close()
        if self._thread is not None:
            self._thread.join()
        self._state.store.close()
        self._cleanup_temporary()

    def __enter__(self) -> Emulator:
        return self.start()

    def __exit__(self, *exc_info: object) -> None:
        self.stop()

    @property
    def base_url(self) -> str:
        if self._server is None:
            raise RuntimeError("the Emulator is not started")
        host, port = self._server.server_address[:2]
        return f"http://{host!s}:{port}"

    @property
    def requests(self) -> list[RecordedRequest]:
        """A snapshot of the request log, oldest first."""
        return [] if self._state is None else self._state.requests

    @property
    def max_in_flight(self) -> int:
        """The most requests of one account in flight at once since start or reset_log()."""
        return 0 if self._state is None else self._state.max_in_flight

    def stats(self) -> dict[str, object]:
        """What ``GET /_emulator/stats`` answers: requests, in_flight (now), max_in_flight,
        max_offered (refused ones included), refused (429 above max_concurrent), and injected
        faults by kind."""
        return {} if self._state is None else self._state.stats()

    def reset_log(self) -> None:
        if self._state is not None:
            self._state.reset_log()

    def count(
        self,
        event_name: str,
        date_from: int,
        date_to: int,
        event_properties: list[dict[str, object]] | None = None,
    ) -> int:
        """The true count for a query, validated and counted exactly as the server does.

        Raises ``QueryError`` for what the server answers with 400 and ``UnknownEventError`` for
        an event the store does not have (both are ValueError).
        """
        if self._state is None:
            raise RuntimeError("the Emulator is not started")
        body: dict[str, object] = {
            "event_name": event_name,
            "from": date_from,
            "to": date_to,
            "event_properties": event_properties or [],
        }
        return self._state.store.count(parse_query(body))

    def _cleanup_temporary(self) -> None:
        if self._temporary is not None:
            self._temporary.cleanup()
            self._temporary = None


# cttui polls no faster than this, even for an emulator that answers at once.
SHORTEST_POLL_INTERVAL = 0.1


def poll_interval_text(compute_seconds: float) -> str:
    """The poll interval that asks for a partial count the moment it is ready: its compute
    time, as the shortest text that reads back as that number (5, 0.3), never under
    SHORTEST_POLL_INTERVAL."""
    return repr(max(compute_seconds, SHORTEST_POLL_INTERVAL)).removesuffix(".0")


def serve(config: EmulatorConfig, out: TextIO, stop: threading.Event | None = None) -> int:
    """Run an emulator until Ctrl-C (or until ``stop`` is set); returns the exit code, 0.

    Prints where it listens, then the shell line that points cttui at it, polling as soon as a
    partial count is ready.
    """
    stop = stop if stop is not None else threading.Event()
    # Ctrl-C stops it cleanly whenever it comes: while the data is made, between the lines
    # printed (a loaded machine can hold this thread there while the server answers), or while
    # waiting.
    with contextlib.suppress(KeyboardInterrupt), Emulator(config) as emulator:
        exports = {
            "CTTUI_BASE_URL": emulator.base_url,
            "CLEVERTAP_ACCOUNT_ID": config.account_id,
            "CLEVERTAP_PASSCODE": config.passcode,
            "CTTUI_POLL_INTERVAL": poll_interval_text(config.compute_seconds),
        }
        line = " ".join(f"{name}={shlex.quote(value)}" for name, value in exports.items())
        # One write: whoever reads where it listens can read the export line too.
        out.write(f"listening on {emulator.base_url}\nexport {line}\n")
        out.flush()
        stop.wait()
    return 0
