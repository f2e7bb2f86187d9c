"""Web push rules that need no database: which endpoints to accept, and how a device is named."""

from __future__ import annotations

import base64
import binascii
import re
from collections.abc import Iterable
from urllib.parse import urlsplit

# The browser's keys (RFC 8291): an uncompressed P-256 point and a 16-byte authentication secret.
P256DH_BYTES = 65
AUTH_BYTES = 16


def b64url_decode(value: str) -> bytes | None:
    """The bytes of a base64url string (padding optional), or None if it is not one."""
    if not re.fullmatch(r"[A-Za-z0-9_-]*={0,2}", value):
        return None
    try:
        return base64.urlsafe_b64decode(value.rstrip("=") + "=" * (-len(value.rstrip("=")) % 4))
    except (binascii.Error, ValueError):
        return None


def valid_p256dh(value: str) -> bool:
    raw = b64url_decode(value)
    return raw is not None and len(raw) == P256DH_BYTES and raw[0] == 0x04


def valid_auth(value: str) -> bool:
    raw = b64url_decode(value)
    return raw is not None and len(raw) == AUTH_BYTES


def host_allowed(host: str, allowed: Iterable[str]) -> bool:
    """Whether a host is one of the allowed push services' ("*.example.com" matches its subdomains)."""
    host = host.lower().rstrip(".")
    for pattern in allowed:
        pattern = pattern.lower().strip()
        if pattern.startswith("*."):
            if host.endswith(pattern[1:]) and host != pattern[2:]:
                return True
        elif host == pattern:
            return True
    return False


def endpoint_allowed(endpoint: str, allowed_hosts: Iterable[str]) -> bool:
    """An endpoint the server may POST to: HTTPS, no credentials, on an allowed push service's host.

    The server sends to whatever endpoint a browser gave, so an endpoint elsewhere (a host on our own
    network) would let a signed-in user make the server send requests where it should not.
    """
    try:
        parts = urlsplit(endpoint)
        port = parts.port
    except ValueError:
        return False
    if parts.scheme != "https" or not parts.hostname or parts.username or parts.password:
        return False
    if port not in (None, 443):
        return False
    return host_allowed(parts.hostname, allowed_hosts)


# Checked in order: Edge and Opera say "Chrome" too, Chrome says "Safari" too.
_BROWSERS = (
    ("Edge", r"\bEdg(e|A|iOS)?/"),
    ("Samsung Internet", r"\bSamsungBrowser/"),
    ("Opera", r"\b(OPR|Opera)/"),
    ("Firefox", r"\b(Firefox|FxiOS)/"),
    ("Chrome", r"\b(Chrome|CriOS|Chromium)/"),
    ("Safari", r"\bSafari/"),
)
_SYSTEMS = (
    ("Android", r"\bAndroid\b"),
    ("iPhone", r"\biPhone\b"),
    ("iPad", r"\biPad\b"),
    ("Windows", r"\bWindows\b"),
    ("ChromeOS", r"\bCrOS\b"),
    ("Mac", r"\bMacintosh\b"),
    ("Linux", r"\bLinux\b"),
)


def device_label(user_agent: str) -> str:
    """A short name for a device, such as "Chrome · Android", for the patient's list of devices."""
    browser = next((name for name, pattern in _BROWSERS if re.search(pattern, user_agent)), "")
    system = next((name for name, pattern in _SYSTEMS if re.search(pattern, user_agent)), "")
    return " · ".join(part for part in (browser, system) if part)
