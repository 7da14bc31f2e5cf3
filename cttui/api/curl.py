"""The curl command that sends a query, for a person to paste into a shell.

The passcode is written as `$CLEVERTAP_PASSCODE` inside double quotes, so the shell fills it in
from the environment: a copied command never holds the secret.
"""

from __future__ import annotations

from shlex import quote

from cttui.api.models import Query
from cttui.api.regions import COUNT_PATH

PASSCODE_VARIABLE = "CLEVERTAP_PASSCODE"


def curl_command(query: Query, base_url: str, account_id: str) -> str:
    """A multi-line curl command for `query`; validates it first, as sending would."""
    body = query.to_json()
    lines = [
        f"curl -X POST {quote(base_url.rstrip('/') + COUNT_PATH)}",
        f"  -H {quote('X-CleverTap-Account-Id: ' + account_id)}",
        f'  -H "X-CleverTap-Passcode: ${PASSCODE_VARIABLE}"',
        f"  -H {quote('Content-Type: application/json')}",
        f"  --data-raw {quote(body)}",
    ]
    return " \\\n".join(lines)
