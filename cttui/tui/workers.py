"""The one way a worker starts: with exit_on_error=False, always.

Textual's default quits the app on a worker's error before the catch-all in failures.py can
show it as a toast; starting every worker here makes that default unreachable.
"""

from __future__ import annotations

from typing import TypeVar

from textual.dom import DOMNode
from textual.worker import Worker, WorkType

ResultType = TypeVar("ResultType")


def start(
    node: DOMNode,
    work: WorkType[ResultType],
    *,
    name: str,
    group: str = "default",
    thread: bool = False,
    exclusive: bool = False,
) -> Worker[ResultType]:
    """Run `work` in a worker of `node`, named for the user: a failure's toast says the name."""
    return node.run_worker(
        work, name=name, group=group, thread=thread, exclusive=exclusive, exit_on_error=False
    )
