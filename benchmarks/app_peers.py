"""Other Textual apps' start, for scale: posting and harlequin, each in a venv of its own under
/tmp/cttui-bench-peers (kept between runs), against the same bare Textual app."""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import NamedTuple

from benchmarks.app_measure import BARE, Bare, started
from benchmarks.app_tmux import Server, Unmeasured
from benchmarks.result import Figure, Spread

CACHE = Path("/tmp/cttui-bench-peers")  # noqa: S108 - the brief's place, shared between runs


class Peer(NamedTuple):
    key: str
    package: str
    argv: tuple[str, ...]  # after the venv's bin/
    # A line of its first screen, as a regex from a line's start (or anywhere).
    marker: str
    # Installed with it, pinned: what its own requirements let through but breaks it.
    pins: tuple[str, ...] = ()


PEERS = (
    # tree-sitter 0.26 (posting asks for any) segfaults in Textual 6.1's TextArea, at start.
    Peer(
        "peer_posting_startup",
        "posting",
        ("posting",),
        r"(Collection|Send|posting)",
        ("tree-sitter==0.25.2",),
    ),
    Peer("peer_harlequin_startup", "harlequin", ("harlequin", ":memory:"), r"(Query|Harlequin)"),
)


def installed(peer: Peer) -> Path:
    """The peer's venv, made and installed into on first use; Unmeasured when pip fails."""
    venv = CACHE / peer.package
    # Named for what went in: a changed pin installs afresh.
    done = venv / f".installed-{'-'.join(peer.pins) or 'as-is'}"
    if done.exists():
        return venv
    CACHE.mkdir(parents=True, exist_ok=True)
    wanted = (peer.package, *peer.pins)
    steps = (
        [sys.executable, "-m", "venv", "--clear", str(venv)],
        [str(venv / "bin" / "python"), "-m", "pip", "install", "--quiet", *wanted],
    )
    for step in steps:
        result = subprocess.run(step, capture_output=True, text=True, check=False, timeout=900)
        if result.returncode != 0:
            tail = (result.stderr or result.stdout).strip().splitlines()[-1:]
            raise Unmeasured(f"pip install {peer.package} failed: {' '.join(tail)}")
    done.touch()
    return venv


def peer_figures(server: Server, bare: Bare, runs: int) -> list[Figure]:
    figures = []
    for peer in PEERS:
        try:
            venv = installed(peer)
            with tempfile.TemporaryDirectory(prefix="cttui-bench-peer-home-") as home:
                env = {
                    "PATH": f"{venv / 'bin'}{os.pathsep}{os.environ.get('PATH', '/usr/bin')}",
                    "LANG": os.environ.get("LANG", "C.UTF-8"),
                    "HOME": home,
                    "XDG_CONFIG_HOME": str(Path(home) / "config"),
                    "XDG_DATA_HOME": str(Path(home) / "data"),
                    "XDG_STATE_HOME": str(Path(home) / "state"),
                    "XDG_CACHE_HOME": str(Path(home) / "cache"),
                }
                argv = [str(venv / "bin" / peer.argv[0]), *peer.argv[1:]]

                def theirs(
                    argv: list[str] = argv, env: dict[str, str] = env, marker: str = peer.marker
                ) -> float:
                    return started(server, argv, env, marker)

                def ours(env: dict[str, str] = env) -> float:
                    return started(server, bare.argv(), env, BARE)

                arms: list[Callable[[], float]] = [theirs, ours]
                for arm in arms:
                    arm()  # the warm-up: byte-code written, caches filled
                samples: tuple[list[float], list[float]] = ([], [])
                for round_ in range(runs):
                    order = [0, 1] if round_ % 2 == 0 else [1, 0]
                    for index in order:
                        samples[index].append(arms[index]())
            peer_spread, bare_spread = Spread.of(samples[0]), Spread.of(samples[1])
            figures.append(
                Figure(
                    peer.key,
                    f"{peer.package} start to its first screen",
                    "s",
                    peer_spread,
                    bare_spread,
                    "bare Textual app, one Static",
                    "",
                    True,
                    f"{' '.join(peer.argv)}, in its own venv ({venv}); first capture matching "
                    f"{peer.marker!r}",
                )
            )
        except (Unmeasured, OSError, subprocess.SubprocessError) as error:
            nothing = Spread(0.0, 0.0, 0.0, 0)
            figures.append(
                Figure(
                    peer.key,
                    f"{peer.package} start",
                    "s",
                    nothing,
                    None,
                    "",
                    "",
                    True,
                    f"skipped: {error}",
                )
            )
    return figures
