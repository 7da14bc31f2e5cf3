"""How a job reads to a person, in the words both faces use: the job panel and `cttui jobs`."""

from __future__ import annotations

import json
from collections.abc import Sequence
from datetime import datetime
from typing import TYPE_CHECKING

from cttui.api.curl import curl_command
from cttui.api.ranges import RangePreset
from cttui.console import clip
from cttui.records import JobState

if TYPE_CHECKING:
    # Listings read jobs without loading the job runner (and asyncio): the runner's Job is one.
    from cttui.api.models import DateRange, PropertyFilter, Query
    from cttui.records import JobRecord, ListedJob

SPARKS = "▁▂▃▄▅▆▇█"


def dates_text(dates: DateRange) -> str:
    start, end = dates.start, dates.end
    if start == end:
        return start.isoformat()
    if start.year == end.year:
        return f"{start.isoformat()} → {end:%m-%d}"
    return f"{start.isoformat()} → {end.isoformat()}"


def range_text(dates: DateRange | RangePreset) -> str:
    """A favourite's range as saved: "Last 7 days" (resolved on the day it runs), or fixed."""
    return dates.label if isinstance(dates, RangePreset) else dates_text(dates)


def sparkline(values: list[int]) -> str:
    """One block a value, from the lowest to the highest of them (all equal: mid-height)."""
    if not values:
        return ""
    low, high = min(values), max(values)
    if low == high:
        return SPARKS[3] * len(values)
    top = len(SPARKS) - 1
    return "".join(SPARKS[round((value - low) * top / (high - low))] for value in values)


def compact_count(count: int) -> str:
    """999, 1.2k, 34k, 1M, 3.4B: a count in four cells or so, for an axis or a label."""
    if count < 1_000:
        return str(count)
    for size, unit in ((1_000, "k"), (1_000_000, "M")):
        text = _scaled(count / size)
        # 999,600 is 1M, not 1000k.
        if float(text) < 1_000:
            return text + unit
    return _scaled(count / 1_000_000_000) + "B"


def _scaled(value: float) -> str:
    return (f"{value:.1f}" if value < 9.95 else f"{value:.0f}").removesuffix(".0")


def labelled_sparkline(values: list[int], width: int) -> str:
    """`▁▃▇ 1.2k–3.4k`: the newest of `values` that fit in `width` cells beside the lowest and
    highest of them."""
    for shown in range(min(len(values), width - 2), 0, -1):
        newest = values[-shown:]
        low, high = compact_count(min(newest)), compact_count(max(newest))
        label = low if low == high else f"{low}–{high}"
        if shown + 1 + len(label) <= width:
            return f"{sparkline(newest)} {label}"
    return sparkline(values[-width:]) if width > 0 else ""


def when_text(epoch: float, now: float) -> str:
    """When something happened, as briefly as is clear: 14:05 today, Nov 20 this year, else
    the date."""
    then, today = datetime.fromtimestamp(epoch), datetime.fromtimestamp(now)
    if then.date() == today.date():
        return then.strftime("%H:%M")
    if then.year == today.year:
        return then.strftime("%b %d").replace(" 0", " ")
    return then.date().isoformat()


def duration_text(seconds: float) -> str:
    """A short duration: 9s, 2m05s, 1h02m, 3d04h."""
    whole = int(seconds)
    if whole < 60:
        return f"{whole}s"
    minutes, secs = divmod(whole, 60)
    if minutes < 60:
        return f"{minutes}m{secs:02d}s"
    hours, minutes = divmod(minutes, 60)
    if hours < 24:
        return f"{hours}h{minutes:02d}m"
    days, hours = divmod(hours, 24)
    return f"{days}d{hours:02d}h"


def clock_text(epoch: float) -> str:
    return datetime.fromtimestamp(epoch).strftime("%Y-%m-%d %H:%M:%S")


def filter_text(item: PropertyFilter) -> str:
    body = item.to_payload()
    if "value" not in body:
        return f"{item.name} {item.operator}"
    return f"{item.name} {item.operator} {json.dumps(body['value'], ensure_ascii=False)}"


def event_text(job: ListedJob) -> str:
    if job.query is None:
        return f"req_id {job.req_id}"
    filters = len(job.query.filters)
    more = f" (+{filters} filter{'s' if filters > 1 else ''})" if filters else ""
    return job.query.event_name + more


def summary_text(query: Query | None, width: int) -> str:
    """The event with a short filter summary, cut to `width` terminal cells: `Charged ·
    amount > 100 +1`."""
    if query is None:
        return ""
    text = query.event_name
    if query.filters:
        first = filter_text(query.filters[0])
        more = f" +{len(query.filters) - 1}" if len(query.filters) > 1 else ""
        text = f"{text} · {first}{more}"
    return clip(text, width)


def count_text(job: ListedJob) -> str:
    return f"{job.count:,}" if job.count is not None else ""


def state_text(job: ListedJob) -> str:
    if job.elsewhere:
        return f"{job.state} (another cttui)"
    if job.error and not job.state.finished and job.retries:
        return f"{job.state}, retry {job.retries}"
    return str(job.state)


def outcome_text(job: ListedJob) -> str:
    """How the job ended, or why it waits."""
    if job.state is JobState.DONE and job.count is not None:
        return f"{job.count:,} profiles"
    if job.error:
        # CleverTap refuses many queries with HTTP 200 and a "fail" body; that code says nothing.
        status = f" (HTTP {job.http_status})" if job.http_status not in (None, 200) else ""
        return f"{state_text(job)}: {job.error}{status}"
    if job.state is JobState.INTERRUPTED:
        return "interrupted before the server answered; resubmit to send it again"
    if job.req_id:
        polls = f", {job.polls} poll{'s' if job.polls != 1 else ''}" if job.polls else ""
        return f"{state_text(job)} as req_id {job.req_id}{polls}"
    return state_text(job)


def detail_text(job: ListedJob) -> str:
    """One line on the job: what it asked, and how it ended or why it waits."""
    dates = f", {dates_text(job.query.date_range)}" if job.query else ""
    return f"Job {job.id}, {event_text(job)}{dates}: {outcome_text(job)}"


def _numbers(jobs: Sequence[ListedJob], shown: int = 3) -> str:
    """The jobs' numbers, lowest first: "1, 2 and 3", or "1, 2, 3 and 9 more"."""
    ids = sorted(job.id for job in jobs)
    if len(ids) <= shown + 1:
        head = ", ".join(map(str, ids[:-1]))
        return f"{head} and {ids[-1]}" if head else str(ids[-1])
    return f"{', '.join(map(str, ids[:shown]))} and {len(ids) - shown:,} more"


def ended_text(jobs: Sequence[ListedJob]) -> tuple[str, str]:
    """The title and message of one toast for jobs that ended (done or failed) close together:
    a job alone as its detail line, several counted, with a failure alone named."""
    if len(jobs) == 1:
        (job,) = jobs
        return f"Job {job.id} {job.state}", detail_text(job)
    failed = [job for job in jobs if job.state is JobState.FAILED]
    done = len(jobs) - len(failed)
    if not failed:
        return f"{done:,} jobs done", f"Jobs {_numbers(jobs)}: their counts are in the job list"
    counted = f"{done:,} done, {len(failed):,} failed" if done else f"{len(failed):,} failed"
    why = detail_text(failed[0]) if len(failed) == 1 else f"jobs {_numbers(failed)}"
    return f"{len(jobs):,} jobs ended", f"{counted}: {why}"


def job_curl(job: ListedJob) -> str | None:
    if job.query is None:
        return None
    return curl_command(job.query, job.origin.base_url, job.origin.account_id)


def job_fields(job: ListedJob, now: float) -> list[tuple[str, str]]:
    """Everything about a job as label and value, for a details view."""
    query = job.query
    fields = [("state", outcome_text(job))]
    if job.favorite is not None:
        fields.append(("favourite", job.favorite))
    if query is not None:
        fields.append(("event", query.event_name))
        fields.extend(("filter", filter_text(item)) for item in query.filters)
        days = query.date_range.days
        fields.append(
            (
                "dates",
                f"{query.date_range.start} to {query.date_range.end} "
                f"({days} day{'s' if days != 1 else ''})",
            )
        )
    origin = job.origin
    if origin.label == origin.account_id:
        # No profile sent it (the environment did): the account once, not beside itself.
        fields.append(("account", f"{origin.account_id} on {origin.base_url}"))
    else:
        fields.append(("account", f"{origin.label} ({origin.account_id} on {origin.base_url})"))
    none = "none: answered at once" if job.state.finished else "none yet"
    fields.append(("req_id", job.req_id or none))
    posts = posts_text(job)
    if posts is not None:
        fields.append(("POSTs", posts))
    countdown = job.countdown(now)
    next_poll = f", next in {duration_text(countdown)}" if countdown is not None else ""
    fields.append(("polls", f"{job.polls}{next_poll}"))
    if job.retries:
        fields.append(("retries", str(job.retries)))
    if job.error:
        fields.append(("error", job.error))
    if job.http_status is not None:
        fields.append(("HTTP", str(job.http_status)))
    fields.append(("started", clock_text(job.created)))
    ended = f", finished {clock_text(job.finished)}" if job.finished is not None else ""
    fields.append(("elapsed", f"{duration_text(job.elapsed(now))}{ended}"))
    if query is not None:
        fields.append(("body", query.to_json()))
    return fields


RESUBMISSION = "a second POST of this query"


def attempt_lines(job: ListedJob) -> list[str]:
    return [
        f"{clock_text(attempt.at)}  {attempt.kind:<6}  {attempt.answer}  ({attempt.seconds:.2f} s)"
        + (f"  [{RESUBMISSION}]" if attempt.resubmission else "")
        for attempt in job.attempts
    ]


def posts_text(job: ListedJob) -> str | None:
    """How often the query was sent, when that was more than once (the server forgot its
    req_id, or it was resubmitted): a second POST is never hidden."""
    again = sum(attempt.resubmission for attempt in job.attempts)
    if not again:
        return None
    return f"sent {again + 1} times: the server's count is the last POST's"


def _iso_second(moment: float) -> str:
    """Local time to the second, the fraction dropped (as SQLite's strftime, for
    `Journal.export`)."""
    return datetime.fromtimestamp(int(moment)).isoformat()


def job_json(job: JobRecord) -> dict[str, object]:
    """A job for scripts: stable keys, times as ISO 8601 local time."""
    query = job.query
    return {
        "id": job.id,
        "state": job.state.value,
        "count": job.count,
        "req_id": job.req_id,
        "error": job.error,
        "http_status": job.http_status,
        "polls": job.polls,
        "retries": job.retries,
        "favorite": job.favorite,
        "profile": job.origin.profile,
        "account_id": job.origin.account_id,
        "base_url": job.origin.base_url,
        "body": query.to_payload() if query is not None else None,
        "created": _iso_second(job.created),
        "finished": _iso_second(job.finished) if job.finished is not None else None,
        "attempts": [
            {
                "at": _iso_second(attempt.at),
                "kind": attempt.kind,
                "answer": attempt.answer,
                "http_status": attempt.http_status,
                "seconds": round(attempt.seconds, 3),
                "resubmission": attempt.resubmission,
            }
            for attempt in job.attempts
        ],
    }
