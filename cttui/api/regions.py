"""CleverTap's regions, their API hosts, and where a base URL may point."""

from __future__ import annotations

import ipaddress
from typing import NamedTuple
from urllib.parse import SplitResult, urlsplit

from cttui.api.errors import UsageError
from cttui.console import printable

COUNT_PATH = "/1/counts/profiles.json"


# NamedTuples here and in the stores that every command reads: `dataclasses` imports `inspect`
# (and `ast`), about a sixth of what `cttui credentials list` costs.
class Region(NamedTuple):
    code: str
    name: str
    host: str

    @property
    def base_url(self) -> str:
        return f"https://{self.host}"


REGIONS: tuple[Region, ...] = (
    Region("eu1", "Europe", "api.clevertap.com"),
    Region("in1", "India", "in1.api.clevertap.com"),
    Region("sg1", "Singapore", "sg1.api.clevertap.com"),
    Region("us1", "United States", "us1.api.clevertap.com"),
    Region("aps3", "Indonesia", "aps3.api.clevertap.com"),
    Region("mec1", "Middle East (UAE)", "mec1.api.clevertap.com"),
    Region("sk1", "South Korea", "sk1.api.clevertap.com"),
)
DEFAULT_REGION = REGIONS[0]

_BY_KEY = {key: region for region in REGIONS for key in (region.code, region.name.lower())}


def region_codes() -> str:
    return ", ".join(region.code for region in REGIONS)


def get_region(text: str) -> Region:
    """The region named by its code (`in1`) or its name (`India`), in any case."""
    region = _BY_KEY.get(text.strip().lower())
    if region is None:
        raise UsageError(f"unknown region {text!r}; use one of: {region_codes()}")
    return region


_DASHBOARD_HOST = "dashboard.clevertap.com"


def _split(url: str) -> tuple[SplitResult | None, str]:
    """The URL's parts and lower-case host, or (None, "") for a URL that does not parse."""
    try:
        parts = urlsplit(url.strip())
        parts.port  # noqa: B018 - reading it is what checks it
    except ValueError:
        return None, ""
    return parts, (parts.hostname or "").lower()


def parse_dashboard_url(url: str) -> tuple[Region, str]:
    """Region and account ID from a dashboard URL such as
    `https://in1.dashboard.clevertap.com/ACCOUNT-ID/...`."""
    parts, host = _split(url)
    if parts is None or not (host == _DASHBOARD_HOST or host.endswith("." + _DASHBOARD_HOST)):
        raise UsageError(
            f"{url!r} is not a CleverTap dashboard URL; copy it from the browser while logged in"
        )
    prefix = host.removesuffix(_DASHBOARD_HOST).rstrip(".")
    region = get_region(prefix) if prefix else DEFAULT_REGION
    segments = [segment for segment in parts.path.split("/") if segment]
    if not segments:
        raise UsageError(f"{url!r} has no account ID after the host; copy the full dashboard URL")
    return region, segments[0]


def region_of(base_url: str) -> Region:
    """The region whose API host `base_url` is; the default one for any other server."""
    _, host = _split(base_url)
    return next((region for region in REGIONS if region.host == host), DEFAULT_REGION)


def is_clevertap_host(base_url: str) -> bool:
    _, host = _split(base_url)
    return host == "clevertap.com" or host.endswith(".clevertap.com")


def is_loopback(base_url: str) -> bool:
    """Whether `base_url` is on this machine: 127.0.0.0/8, ::1 or localhost."""
    _, host = _split(base_url)
    return _is_loopback(host)


def _is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def check_base_url(base_url: str) -> str:
    """The base URL without a trailing slash, or a UsageError saying why it may not be used.

    Plain http would send the passcode in clear, so it is refused unless the server is on this
    machine (the emulator).
    """
    if printable(base_url.strip()) != base_url.strip():
        # It is shown wherever cttui says where requests go: a terminal must never obey it.
        raise UsageError(
            f"base URL {base_url!r} holds a control character; set CTTUI_BASE_URL to the URL "
            "alone, such as http://127.0.0.1:8787"
        )
    parts, host = _split(base_url)
    if parts is None or parts.scheme not in {"http", "https"} or not host:
        raise UsageError(
            f"base URL {base_url!r} must look like https://HOST or http://127.0.0.1:PORT"
        )
    if parts.scheme == "http" and not _is_loopback(host):
        raise UsageError(
            f"base URL {base_url!r} uses plain http to another machine, which would expose the "
            "passcode; use https, or http only to 127.0.0.1 / localhost"
        )
    if parts.query or parts.fragment:
        raise UsageError(f"base URL {base_url!r} must not carry a query or fragment")
    return base_url.strip().rstrip("/")
