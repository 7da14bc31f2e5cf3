"""What a query will send: the JSON body, and a curl command for the same request."""

from __future__ import annotations

from collections.abc import Sequence

from textual.app import ComposeResult
from textual.containers import Vertical

from cttui.api.curl import curl_command
from cttui.api.errors import QueryError
from cttui.api.models import Query
from cttui.tui.widgets.live_text import LiveText


class QueryPreview(Vertical):
    """Shows the body and curl for a valid query, or what stands in the way of sending one."""

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self.body: str | None = None
        self.curl: str | None = None

    def compose(self) -> ComposeResult:
        yield LiveText(id="preview-body")
        yield LiveText(id="preview-curl")

    def on_mount(self) -> None:
        self.query_one("#preview-body").border_title = "Body, exactly as sent"
        self.query_one("#preview-curl").border_title = "curl (passcode from $CLEVERTAP_PASSCODE)"

    def show(
        self, query: Query | None, problems: Sequence[QueryError], base_url: str, account_id: str
    ) -> None:
        body = self.query_one("#preview-body", LiveText)
        curl = self.query_one("#preview-curl", LiveText)
        if query is None:
            self.body = self.curl = None
            lines = [f"• {problem.message}" for problem in problems]
            body.show("Nothing to send yet:\n" + "\n".join(lines))
            body.set_class(True, "-waiting")
            curl.display = False
            return
        # Pygments, a tenth of the start, waits for the first query there is to show.
        from textual.highlight import highlight

        self.body = query.to_json()
        self.curl = curl_command(query, base_url, account_id)
        body.show(self.body, highlight(self.body, language="json"))
        body.set_class(False, "-waiting")
        curl.show(self.curl, highlight(self.curl, language="bash"))
        curl.display = True
