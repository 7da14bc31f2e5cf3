"""The chart's plot: a favourite's counts over their ranges' end dates, one line per length of
range, one point highlighted. Drawn by plotext (through textual-plotext), which only the chart
screen imports, when it first opens: the app's start and the headless commands do without it."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime, time, timedelta
from typing import ClassVar

import plotext
from rich.color import Color
from textual.app import RenderResult
from textual_plotext import PlotextPlot

from cttui.records import FavoriteRun
from cttui.tui.widgets.chart_lines import SO_FAR_MARK, Line, y_axis

# As many colours as cttui.tcss gives the lines; a fifth length takes the first again.
LINE_STYLES = tuple(f"count-chart--line-{n}" for n in range(1, 5))
DATE_FORM = "Y-m-d"


def x_of(runs: Sequence[FavoriteRun]) -> list[str]:
    """Where counts sit on the x axis: their ranges' ends, as plotext reads dates."""
    moments = [datetime.combine(run.end, time()) for run in runs]
    # textual-plotext's stubs name it datetimes_to_string, which plotext 5 keeps as an alias.
    strings: list[str] = plotext.datetimes_to_strings(moments, output_form=DATE_FORM)
    return strings


class CountChart(PlotextPlot):
    # The lines' and the highlight's colours, from cttui.tcss (theme variables).
    COMPONENT_CLASSES: ClassVar[set[str]] = {*LINE_STYLES, "count-chart--highlight"}

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self._lines: Sequence[Line] = ()
        self._highlighted: FavoriteRun | None = None

    def show(self, lines: Sequence[Line], highlighted: FavoriteRun | None) -> None:
        self._lines, self._highlighted = lines, highlighted
        self.refresh()

    def _colour(self, component: str) -> tuple[int, int, int] | str:
        colour: Color | None = self.get_component_rich_style(component).color
        if colour is None:
            return "default"
        red, green, blue = colour.get_truecolor()
        return (red, green, blue)

    def render(self) -> RenderResult:
        # Drawn afresh each time from the lines held: the colours follow the theme as it is now.
        plt = self.plt
        plt.clear_data()
        plt.date_form(DATE_FORM)
        highest = 0
        ends: list[date] = []
        for n, line in enumerate(self._lines):
            dates = x_of(line.runs)
            counts = [run.count for run in line.runs]
            highest = max(highest, *counts, *(run.count for run in line.so_far))
            ends.extend(run.end for run in (*line.runs, *line.so_far))
            colour = self._colour(LINE_STYLES[n % len(LINE_STYLES)])
            plt.plot(dates, counts, label=line.label, color=colour, marker="braille")
            if len(counts) == 1:  # a line of one count would otherwise be a speck
                plt.scatter(dates, counts, color=colour, marker="•")
            if line.so_far:
                so_far = [run.count for run in line.so_far]
                plt.scatter(x_of(line.so_far), so_far, color=colour, marker=SO_FAR_MARK)
        if ends and min(ends) == max(ends):
            # One date alone: plotext would spread the axis over a century around it.
            (day,) = set(ends)
            left, right = (datetime.combine(day + timedelta(days=n), time()) for n in (-3, 3))
            plt.xlim(*plotext.datetimes_to_strings([left, right], output_form=DATE_FORM))
        run = self._highlighted
        if run is not None:
            # A line down to the highlighted count, so that it stands out on any line.
            (x,) = x_of([run])
            highlight = self._colour("count-chart--highlight")
            # plotext reads a date string here as in plot(); its stub says a float only.
            plt.vline(x, highlight)  # type: ignore[arg-type]
            plt.scatter([x], [run.count], color=highlight, marker="◆")
        ticks, labels = y_axis(highest)
        plt.ylim(0, ticks[-1])
        plt.yticks([float(tick) for tick in ticks], labels)
        return super().render()
