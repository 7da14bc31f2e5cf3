"""The environment variables that override a profile for one run, in a module of their own: a
command that only names one (`cttui credentials list`'s warning) need not load selection.py,
which applies them."""

from __future__ import annotations

ENV_ACCOUNT_ID = "CLEVERTAP_ACCOUNT_ID"
ENV_PASSCODE = "CLEVERTAP_PASSCODE"
ENV_REGION = "CLEVERTAP_REGION"
ENV_BASE_URL = "CTTUI_BASE_URL"
