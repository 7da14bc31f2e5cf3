"""Where a run's credentials come from.

For now the environment only; stored profiles with passcodes in the OS keyring come next. The
environment overrides whatever is stored, for one run, and is never saved.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from cttui.api.client import Credentials
from cttui.api.errors import UsageError
from cttui.api.regions import DEFAULT_REGION, Region, check_base_url, get_region

ENV_ACCOUNT_ID = "CLEVERTAP_ACCOUNT_ID"
ENV_PASSCODE = "CLEVERTAP_PASSCODE"
ENV_REGION = "CLEVERTAP_REGION"
ENV_BASE_URL = "CTTUI_BASE_URL"


@dataclass(frozen=True)
class Connection:
    """Everything needed to talk to one account: who, and on which host."""

    credentials: Credentials
    region: Region
    base_url: str
    source: str


def from_environment(environ: Mapping[str, str]) -> Connection:
    account_id = environ.get(ENV_ACCOUNT_ID, "").strip()
    passcode = environ.get(ENV_PASSCODE, "")
    missing = [
        name
        for name, value in ((ENV_ACCOUNT_ID, account_id), (ENV_PASSCODE, passcode))
        if not value
    ]
    if missing:
        raise UsageError(
            f"no credentials: set {' and '.join(missing)} (and {ENV_REGION} if your account is "
            f"not in Europe)"
        )
    region_text = environ.get(ENV_REGION, "").strip()
    region = get_region(region_text) if region_text else DEFAULT_REGION
    base_url_text = environ.get(ENV_BASE_URL, "").strip()
    base_url = check_base_url(base_url_text) if base_url_text else region.base_url
    return Connection(Credentials(account_id, passcode), region, base_url, "environment")
