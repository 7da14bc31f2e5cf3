"""The exit codes every command shares (the README documents them)."""

from __future__ import annotations

EXIT_OK = 0
EXIT_API = 1
EXIT_USAGE = 2
EXIT_PENDING = 3
# A count breached a limit of its favourite's alert (or of --alert-*), and nothing failed.
EXIT_ALERT = 4
EXIT_INTERRUPTED = 130
