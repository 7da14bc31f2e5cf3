"""Regions, their API hosts, dashboard URLs, and which base URLs may carry the passcode."""

from __future__ import annotations

import pytest

from cttui.api.errors import UsageError
from cttui.api.regions import (
    DEFAULT_REGION,
    REGIONS,
    check_base_url,
    get_region,
    is_clevertap_host,
    is_loopback,
    parse_dashboard_url,
)

# The region table of the reference, verbatim.
DOCUMENTED = [
    ("eu1", "Europe", "api.clevertap.com"),
    ("in1", "India", "in1.api.clevertap.com"),
    ("sg1", "Singapore", "sg1.api.clevertap.com"),
    ("us1", "United States", "us1.api.clevertap.com"),
    ("aps3", "Indonesia", "aps3.api.clevertap.com"),
    ("mec1", "Middle East (UAE)", "mec1.api.clevertap.com"),
    ("sk1", "South Korea", "sk1.api.clevertap.com"),
]


def test_regions_are_exactly_the_documented_ones() -> None:
    assert [(region.code, region.name, region.host) for region in REGIONS] == DOCUMENTED


def test_europe_is_the_default() -> None:
    assert DEFAULT_REGION.name == "Europe"
    assert DEFAULT_REGION.base_url == "https://api.clevertap.com"


@pytest.mark.parametrize(("code", "name", "host"), DOCUMENTED)
def test_get_region_by_code_and_name_in_any_case(code: str, name: str, host: str) -> None:
    for key in (code, code.upper(), name, name.lower(), name.upper(), f"  {name} "):
        region = get_region(key)
        assert region.host == host, key
        assert region.base_url == f"https://{host}"


@pytest.mark.parametrize("text", ["eu2", "Germany", "", "api.clevertap.com"])
def test_unknown_region_lists_the_codes(text: str) -> None:
    with pytest.raises(UsageError) as excinfo:
        get_region(text)
    assert repr(text) in str(excinfo.value)
    assert all(code in str(excinfo.value) for code, _, _ in DOCUMENTED)


@pytest.mark.parametrize(
    ("url", "code", "account"),
    [
        ("https://in1.dashboard.clevertap.com/ABC-DEF-1234/main/overview", "in1", "ABC-DEF-1234"),
        ("https://dashboard.clevertap.com/ACC/", "eu1", "ACC"),
        ("https://eu1.dashboard.clevertap.com/W9R-565-5Z7Z/", "eu1", "W9R-565-5Z7Z"),
        ("https://us1.dashboard.clevertap.com/ABC-DEF-1234", "us1", "ABC-DEF-1234"),
        ("https://aps3.dashboard.clevertap.com/ABC-DEF-1234/x", "aps3", "ABC-DEF-1234"),
        ("https://mec1.dashboard.clevertap.com/ABC-DEF-1234/x", "mec1", "ABC-DEF-1234"),
        ("https://sk1.dashboard.clevertap.com/ABC-DEF-1234/x", "sk1", "ABC-DEF-1234"),
        ("  https://SG1.Dashboard.CleverTap.com/ABC-DEF-1234/x?tab=1  ", "sg1", "ABC-DEF-1234"),
    ],
)
def test_parse_dashboard_url(url: str, code: str, account: str) -> None:
    region, account_id = parse_dashboard_url(url)
    assert (region.code, account_id) == (code, account)


@pytest.mark.parametrize(
    ("url", "words"),
    [
        ("https://in1.api.clevertap.com/ABC-DEF-1234/", "not a CleverTap dashboard URL"),
        ("https://example.com/ABC-DEF-1234/", "not a CleverTap dashboard URL"),
        ("https://dashboard.clevertap.com.example.com/ACC/", "not a CleverTap dashboard URL"),
        ("ABC-DEF-1234", "not a CleverTap dashboard URL"),
        ("", "not a CleverTap dashboard URL"),
        ("https://in1.dashboard.clevertap.com", "no account ID"),
        ("https://in1.dashboard.clevertap.com///", "no account ID"),
        ("https://xx9.dashboard.clevertap.com/ACC/", "unknown region"),
        ("https://[in1.dashboard.clevertap.com/ACC/", ""),  # malformed: must not be a ValueError
    ],
)
def test_parse_dashboard_url_refuses_what_is_not_one(url: str, words: str) -> None:
    with pytest.raises(UsageError) as excinfo:
        parse_dashboard_url(url)
    assert words in str(excinfo.value)


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        ("https://api.clevertap.com", "https://api.clevertap.com"),
        ("https://in1.api.clevertap.com/", "https://in1.api.clevertap.com"),
        (" https://proxy.example.com:8443/ct// ", "https://proxy.example.com:8443/ct"),
        ("http://127.0.0.1:8080/", "http://127.0.0.1:8080"),
        ("http://127.5.5.5:9000", "http://127.5.5.5:9000"),
        ("http://localhost:8080", "http://localhost:8080"),
        ("http://LOCALHOST:8080", "http://LOCALHOST:8080"),
        ("http://[::1]:8080/", "http://[::1]:8080"),
    ],
)
def test_check_base_url_accepts_https_and_local_http(url: str, expected: str) -> None:
    assert check_base_url(url) == expected


@pytest.mark.parametrize(
    "url",
    [
        "http://10.0.0.1:8080",
        "http://example.com",
        "http://api.clevertap.com",
        "http://localhost.example.com",
        "http://127.0.0.1.example.com",
        "http://localhost@example.com",
        "http://[::2]:8080",
    ],
)
def test_check_base_url_refuses_plain_http_to_another_machine(url: str) -> None:
    with pytest.raises(UsageError) as excinfo:
        check_base_url(url)
    assert "passcode" in str(excinfo.value)


@pytest.mark.parametrize(
    "url",
    [
        "",
        "not a url",
        "api.clevertap.com",
        "ftp://api.clevertap.com",
        "https://",
        "https://api.clevertap.com/?x=1",
        "https://api.clevertap.com/#top",
        "http://[::1",  # malformed IPv6 literal: must be a UsageError, not a ValueError
        "https://api.clevertap.com:abc",  # bad port: httpx would refuse it later with InvalidURL
    ],
)
def test_check_base_url_refuses_garbage(url: str) -> None:
    with pytest.raises(UsageError) as excinfo:
        check_base_url(url)
    assert repr(url) in str(excinfo.value)


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        ("https://api.clevertap.com", True),
        ("https://in1.api.clevertap.com/", True),
        ("https://MEC1.API.CLEVERTAP.COM", True),
        ("https://clevertap.com", True),
        ("http://127.0.0.1:8080", False),
        ("https://clevertap.com.example.com", False),
        ("https://notclevertap.com", False),
        ("not a url", False),
        ("", False),
        ("http://[::1", False),  # malformed: not CleverTap, and no ValueError
    ],
)
def test_is_clevertap_host(url: str, expected: bool) -> None:
    assert is_clevertap_host(url) is expected


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        ("http://127.0.0.1:8787", True),
        ("http://127.255.0.9", True),
        ("http://[::1]:8787/", True),
        ("http://LocalHost:1", True),
        ("https://api.clevertap.com", False),
        ("http://[::2]:8787", False),
        ("http://localhost.example.com", False),
        ("http://127.0.0.1.example.com", False),
        ("http://[::1", False),
        ("", False),
    ],
)
def test_is_loopback(url: str, expected: bool) -> None:
    assert is_loopback(url) is expected


@pytest.mark.parametrize(
    "url",
    [
        "http://127.0.0.1:8787/\x1b[2J",
        "https://api.clevertap.com/\u202e",
        "https://api.clevertap.com/a\tb",
        "https://api.clevertap.com/\x00",
    ],
)
def test_a_base_url_with_a_control_character_is_refused_shown_as_escapes(url: str) -> None:
    # It is shown where requests go (the header, 'credentials show'): a terminal must never
    # obey it.
    with pytest.raises(UsageError) as excinfo:
        check_base_url(url)
    message = str(excinfo.value)
    assert message.isprintable()
    assert "control character" in message
    assert "CTTUI_BASE_URL" in message
