"""One figure of `make bench`: what was measured, against what, and whether its target holds.

Every module of benchmarks/ returns its figures as `Figure`s; `benchmarks.report` prints them as
the table (with the targets) and writes them as JSON.
"""

from __future__ import annotations

import statistics
from collections.abc import Sequence
from typing import NamedTuple


class Spread(NamedTuple):
    """The median of some runs and their least and greatest, in `unit`."""

    median: float
    least: float
    most: float
    runs: int

    @classmethod
    def of(cls, samples: Sequence[float]) -> Spread:
        if not samples:
            raise ValueError("no samples")
        return cls(statistics.median(samples), min(samples), max(samples), len(samples))


class Figure(NamedTuple):
    key: str  # stable, for the JSON: "startup", "keys_typing_500_pending", ...
    label: str  # the table's row
    unit: str  # "s", "ms", "%", "MB", "requests"
    measured: Spread
    # What it is compared with (None: an absolute figure), and its label.
    baseline: Spread | None
    baseline_label: str
    target: str  # as the issue words it: "<= 1.3x", "< 50 ms", "<= 1.5x and < 50 ms"
    holds: bool
    note: str = ""  # how it was measured, or why a target cannot hold

    @property
    def ratio(self) -> float | None:
        if self.baseline is None or self.baseline.median == 0:
            return None
        return self.measured.median / self.baseline.median
