"""Which of the journal's jobs a read takes (see `Journal.load` and `Journal.older`): every
one, the unfinished ones with the newest finished ones, or a page of older finished ones; as
the SQL that picks them, and their attempts beside them."""

from __future__ import annotations

from dataclasses import dataclass

from cttui.records import JobState

FINISHED = tuple(state.value for state in JobState if state.finished)


@dataclass(frozen=True)
class Only:
    """Which jobs a load reads: every one (`finished` True), the unfinished ones and those of
    one req_id, with none of the other finished ones (False) or the newest that many (a
    number); or (`before`) only the newest `finished` finished ones older than job `before`."""

    finished: bool | int = True
    req_id: str | None = None
    before: int | None = None

    def tables(self) -> tuple[str, str, tuple[object, ...]]:
        """What follows FROM for the jobs and for their attempts, in order, and the values."""
        if self.finished is True and self.before is None:
            return "jobs ORDER BY id", "attempts ORDER BY job_id, rowid", ()
        marks = ", ".join("?" * len(FINISHED))
        newest = (
            f"SELECT id FROM jobs WHERE state IN ({marks}) AND id < ? "  # noqa: S608 - ours
            "ORDER BY id DESC LIMIT ?"
        )
        if self.before is not None:
            where = f"WHERE id IN ({newest})"
            values: tuple[object, ...] = (*FINISHED, self.before, int(self.finished))
        else:
            # A state that is not a finished one's, even NULL, is read (and a damaged one
            # refuses).
            where = f"WHERE state IS NULL OR state NOT IN ({marks}) OR req_id = ?"
            values = (*FINISHED, self.req_id)
            if self.finished is not False:
                where += f" OR id IN ({newest})"
                values += (*FINISHED, _NO_ID, int(self.finished))
        ids = f"SELECT id FROM jobs {where}"  # noqa: S608 - our own words, and ? for values
        return (
            f"jobs {where} ORDER BY id",
            f"attempts WHERE job_id IN ({ids}) ORDER BY job_id, rowid",
            values,
        )


# Beyond every job's id (SQLite's largest integer).
_NO_ID = 2**63 - 1
EVERY = Only()


def counted_sql(bodies: int) -> str:
    """The newest done job on an account for each of `bodies` queries as sent: id, body, count
    (see `Journal.counted`)."""
    marks = ", ".join("?" * bodies)
    return (
        "SELECT max(id) AS id, body, count FROM jobs "  # noqa: S608 - our words, ? for values
        f"WHERE state = 'done' AND count IS NOT NULL AND account_id = ? AND body IN ({marks}) "
        "GROUP BY body"
    )
