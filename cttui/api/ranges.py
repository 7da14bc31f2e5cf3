"""Relative date ranges ("last 30 days"), resolved against a given today.

The editor offers them as presets and favourites store them by name, so a saved query keeps
meaning "the last 30 days" whenever it runs. Every range includes today's date where it reaches
it, as CleverTap's `to` is inclusive.
"""

from __future__ import annotations

from datetime import date, timedelta
from enum import StrEnum

from cttui.api.models import DateRange


class RangePreset(StrEnum):
    TODAY = "today"
    YESTERDAY = "yesterday"
    LAST_7_DAYS = "last_7_days"
    LAST_30_DAYS = "last_30_days"
    THIS_MONTH = "this_month"
    LAST_MONTH = "last_month"

    @property
    def label(self) -> str:
        return self.value.replace("_", " ").capitalize()

    def resolve(self, today: date) -> DateRange:
        if self is RangePreset.TODAY:
            return DateRange(today, today)
        if self is RangePreset.YESTERDAY:
            yesterday = today - timedelta(days=1)
            return DateRange(yesterday, yesterday)
        if self is RangePreset.LAST_7_DAYS:
            return DateRange(today - timedelta(days=6), today)
        if self is RangePreset.LAST_30_DAYS:
            return DateRange(today - timedelta(days=29), today)
        first = today.replace(day=1)
        if self is RangePreset.THIS_MONTH:
            return DateRange(first, today)
        last_of_previous = first - timedelta(days=1)
        return DateRange(last_of_previous.replace(day=1), last_of_previous)


DEFAULT_PRESET = RangePreset.LAST_30_DAYS


def matching_preset(date_range: DateRange, today: date) -> RangePreset | None:
    """The preset that resolves to exactly `date_range` today, if any."""
    for preset in RangePreset:
        if preset.resolve(today) == date_range:
            return preset
    return None
