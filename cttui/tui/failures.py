"""The one catch-all for failed workers: a toast, and the app lives on.

Textual tells only the node that started a worker when it fails, so the app and every screen
take this mixin; a test checks that none is left out.
"""

from __future__ import annotations

from textual.worker import Worker, WorkerState


class ShowsFailedWorkers:
    """Turns a worker that raised into an error toast instead of a silent or fatal failure."""

    def on_worker_state_changed(self, event: Worker.StateChanged) -> None:
        if event.state is not WorkerState.ERROR:
            return
        worker = event.worker
        error = worker.error
        # Workers here are named for the user ("Saving the profile"); the description is code.
        what = worker.name or "A background task"
        # One line: a message may span several (a server's page, a chained error).
        said = " ".join(str(error).split()) if error is not None else ""
        detail = f"{type(error).__name__}: {said}" if error is not None else "no details"
        worker.node.app.log.error(f"worker {worker.description} failed", error)
        worker.node.app.notify(
            f"{what} failed ({detail}). The app carries on; please report this.",
            title="A bug in cttui",
            severity="error",
            timeout=10,
        )
