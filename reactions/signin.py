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
from django_otp import devices_for_user


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


# --- The second step of signing in (django-otp) ---------------------------------------------------------

# Set in a session that proved the account's e-mail address (an accepted invitation, or a set-up link
# e-mailed to it): only such a session may enrol the first device of a clinician or clinic admin.
FIRST_DEVICE_SESSION_KEY = "reactions_first_device_for"
NO_DEVICE_SESSION_KEY = "reactions_no_device_for"


def has_confirmed_device(user: Any) -> bool:
    return any(True for _ in devices_for_user(user, confirmed=True))


def allow_first_device(request: HttpRequest, user: Any) -> None:
    """This session proved the user's e-mail address: it may enrol their first device."""
    request.session[FIRST_DEVICE_SESSION_KEY] = user.pk


def may_enrol_device(request: HttpRequest) -> bool:
    """Whether this session may add an authenticator (and get new backup codes).

    A password alone never may where a second factor exists or is required: an account with a device
    first proves it (a verified session); a clinician's first device needs a session that proved the
    e-mail address too. A patient without a device may turn two-factor sign-in on from their profile.
    """
    user = request.user
    if user.is_verified():
        return True
    if has_confirmed_device(user):
        return False
    return not user.is_clinic_staff or request.session.get(FIRST_DEVICE_SESSION_KEY) == user.pk


def second_step(request: HttpRequest) -> str | None:
    """The URL name a signed-in user must pass through before anything else, or None.

    Anyone with a device verifies it at each sign-in; clinic staff without one enrol first, from a
    session that proved their e-mail address, or else ask for a set-up link by e-mail. A patient found
    to have no device is remembered as such for the session, so that their pages do not look for
    devices on every request; a device enrolled elsewhere applies from their next sign-in.
    """
    user = request.user
    if user.is_verified():
        return None
    if not user.is_clinic_staff and request.session.get(NO_DEVICE_SESSION_KEY) == user.pk:
        return None
    if has_confirmed_device(user):
        return "two_factor_verify"
    if user.is_clinic_staff:
        return "two_factor_setup" if may_enrol_device(request) else "two_factor_enrol"
    request.session[NO_DEVICE_SESSION_KEY] = user.pk
    return None
