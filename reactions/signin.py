"""Who is signing in, and from where.

One normalisation of the login name, used by the sign-in form and by django-axes, so that a lock-out
holds whatever capitals an attacker types; one client address, used by django-axes and the audit trail,
so that both see the same person behind a reverse proxy.
"""

from __future__ import annotations

import ipaddress
import unicodedata
from typing import Any

from django.conf import settings
from django.http import HttpRequest


def login_key(username: str) -> str:
    """The account a typed login names: e-mail addresses are matched without regard to case."""
    return unicodedata.normalize("NFKC", username).strip().lower()


def axes_username(request: HttpRequest, credentials: dict[str, Any] | None) -> str | None:
    """django-axes' AXES_USERNAME_CALLABLE: the login as the sign-in form normalises it."""
    source = credentials if credentials else getattr(request, "POST", {})
    value = source.get(settings.AXES_USERNAME_FORM_FIELD)
    return login_key(value) if isinstance(value, str) else value


def client_ip(request: HttpRequest) -> str | None:
    """The client's address (django-axes' AXES_CLIENT_IP_CALLABLE, and the audit trail's).

    Behind TRUSTED_PROXY_COUNT reverse proxies, each of which appends the address it received the request
    from to X-Forwarded-For, the client is that many entries from the right: anything further left was
    written by the client itself and cannot be trusted. Without proxies, or when the header is missing or
    not an address, it is the connection's own address.
    """
    count = settings.TRUSTED_PROXY_COUNT
    forwarded = request.META.get("HTTP_X_FORWARDED_FOR", "")
    if count and forwarded:
        hops = [hop.strip() for hop in forwarded.split(",") if hop.strip()]
        if hops:
            candidate = hops[max(0, len(hops) - count)]
            if _is_address(candidate):
                return candidate
    remote = request.META.get("REMOTE_ADDR") or None
    return remote if remote and _is_address(remote) else None


def _is_address(value: str) -> bool:
    try:
        ipaddress.ip_address(value)
    except ValueError:
        return False
    return True
