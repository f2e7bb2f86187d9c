"""Web push: notifications to a user's devices through their browsers' push services (pywebpush, VAPID).

A notification says only that something is waiting ("A follow-up question is waiting for you") and which
page of the app to open: no health data, as it shows on a locked phone. Payloads are encrypted for the
device (RFC 8291, aes128gcm); the server identifies itself with a VAPID key (RFC 8292).
"""

from __future__ import annotations

import base64
import contextlib
import json
import logging
import os
import re
import tempfile
import time
from dataclasses import dataclass
from email.utils import parseaddr
from enum import Enum
from functools import lru_cache
from pathlib import Path
from urllib.parse import urlsplit

import requests
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.db import models
from py_vapid import Vapid
from pywebpush import WebPushException, webpush

from reactions import selectors, services
from reactions.domain.push import b64url_decode
from reactions.models import PushSubscription, User

logger = logging.getLogger(__name__)

# How long a push service keeps a notification for a phone that is off: a follow-up question is
# still worth answering a day later, when its reminder comes anyway.
DEFAULT_TTL_SECONDS = 24 * 3600
# A VAPID token may live up to 24 hours (RFC 8292 §2); a shorter one is refreshed on every send anyway.
_VAPID_TOKEN_SECONDS = 12 * 3600


class PushOutcome(models.TextChoices):
    SENT = "sent", "sent"  # at least one device's push service accepted it
    NO_DEVICE = "no_device", "no device"  # no subscription, or every one was gone (404/410)
    RETRY = "retry", "retry"  # none sent, and at least one failure may pass (429, 5xx, network)
    PERMANENT = "permanent", "permanent"  # none sent, every device refused it for good (other 4xx)


class _Device(Enum):
    SENT = "sent"
    GONE = "gone"
    TEMPORARY = "temporary"
    REFUSED = "refused"


# --- VAPID keys --------------------------------------------------------------------------------


@dataclass(frozen=True)
class VapidKeys:
    vapid: Vapid
    # The page's applicationServerKey: the uncompressed public point, base64url without padding.
    public_key: str


def vapid_keys() -> VapidKeys:
    """The server's VAPID key pair: from VAPID_PRIVATE_KEY, else the one kept under VAR_DIR (made once)."""
    return _vapid_keys(settings.VAPID_PRIVATE_KEY, settings.VAPID_PUBLIC_KEY, str(settings.VAPID_KEY_FILE))


def new_vapid_key_pair() -> tuple[str, str]:
    """A fresh key pair as VAPID_PRIVATE_KEY and VAPID_PUBLIC_KEY take them: base64url, raw."""
    key = ec.generate_private_key(ec.SECP256R1())
    private = base64.urlsafe_b64encode(key.private_numbers().private_value.to_bytes(32, "big")).decode().rstrip("=")
    return private, _public_key_b64(key)


def _public_key_b64(key: ec.EllipticCurvePrivateKey) -> str:
    raw = key.public_key().public_bytes(serialization.Encoding.X962, serialization.PublicFormat.UncompressedPoint)
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def vapid_public_key() -> str:
    return vapid_keys().public_key


def vapid_subject() -> str:
    """Who the push services may contact about this sender: VAPID_SUBJECT, else the sender's address."""
    subject = settings.VAPID_SUBJECT or f"mailto:{parseaddr(settings.DEFAULT_FROM_EMAIL)[1]}"
    if not re.fullmatch(r"mailto:[^@\s]+@[^@\s]+|https://[^\s/]+(/\S*)?", subject):
        raise ImproperlyConfigured(f"VAPID_SUBJECT must be a mailto: or https: URL, not {subject!r}.")
    return subject


@lru_cache(maxsize=8)
def _vapid_keys(private_key: str, public_key: str, key_file: str) -> VapidKeys:
    key = _private_key_from_setting(private_key) if private_key else _private_key_from_file(Path(key_file))
    public = _public_key_b64(key)
    if public_key and public_key.strip().rstrip("=") != public:
        raise ImproperlyConfigured(
            "VAPID_PUBLIC_KEY is not the public key of VAPID_PRIVATE_KEY. Leave VAPID_PUBLIC_KEY unset "
            "(it is derived from the private key) or set the pair `python manage.py vapid_keys` printed."
        )
    # py_vapid's own check of the subject refuses https: URLs with a path, which RFC 8292 allows;
    # vapid_subject() checks it instead.
    return VapidKeys(vapid=Vapid(private_key=key, conf={"no-strict": True}), public_key=public)


def _private_key_from_setting(value: str) -> ec.EllipticCurvePrivateKey:
    """A PEM (line breaks may be written as \\n), or base64url of the raw 32-byte key or of a DER key."""
    value = value.strip().replace("\\n", "\n")
    try:
        if value.startswith("-----BEGIN"):
            key = serialization.load_pem_private_key(value.encode(), password=None)
        else:
            raw = b64url_decode(value)
            if raw is None:
                raise ValueError("not base64url")
            if len(raw) == 32:
                key = ec.derive_private_key(int.from_bytes(raw, "big"), ec.SECP256R1())
            else:
                key = serialization.load_der_private_key(raw, password=None)
    except ValueError as error:
        raise ImproperlyConfigured(f"VAPID_PRIVATE_KEY is not a private key: {error}") from error
    if not isinstance(key, ec.EllipticCurvePrivateKey) or not isinstance(key.curve, ec.SECP256R1):
        raise ImproperlyConfigured("VAPID_PRIVATE_KEY must be an elliptic-curve P-256 (prime256v1) key.")
    return key


def _private_key_from_file(path: Path) -> ec.EllipticCurvePrivateKey:
    """The key kept in `path`, made on first use.

    Several processes (web workers, Celery) may start at once on a fresh machine: each writes its own
    candidate to a temporary file and hard-links it to the final name, which only the first can do.
    Everyone then reads the one file, so every process signs with the same key.
    """
    if not path.exists():
        path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
        pem = ec.generate_private_key(ec.SECP256R1()).private_bytes(
            serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
        )
        descriptor, candidate = tempfile.mkstemp(dir=path.parent, prefix=".candidate-", suffix=".pem")  # mode 0600
        try:
            with os.fdopen(descriptor, "wb") as file:
                file.write(pem)
                file.flush()
                os.fsync(file.fileno())
            with contextlib.suppress(FileExistsError):  # another process was first: its key is the one
                os.link(candidate, path)
        finally:
            os.unlink(candidate)
    key = serialization.load_pem_private_key(path.read_bytes(), password=None)
    if not isinstance(key, ec.EllipticCurvePrivateKey):
        raise ImproperlyConfigured(f"{path} does not hold an elliptic-curve key.")
    return key


# --- Sending -----------------------------------------------------------------------------------


def user_has_push(user: User) -> bool:
    return selectors.push.user_has_push(user)


def push_deliver_to_user(
    *, user: User, title: str, body: str, url: str, ttl_seconds: int = DEFAULT_TTL_SECONDS
) -> PushOutcome:
    """Send one notification to each of the user's devices; record each device's result.

    A device whose push service answers 404 or 410 is forgotten. Sent to at least one device: SENT
    (no retry, which would show it twice there). Otherwise RETRY if any failure may pass, NO_DEVICE if
    there was none left to send to, else PERMANENT: the caller falls back to another channel.
    """
    subscriptions = list(PushSubscription.objects.filter(user=user))
    if not subscriptions:
        return PushOutcome.NO_DEVICE
    payload = json.dumps({"title": title, "body": body, "url": url}, ensure_ascii=False)
    keys = vapid_keys()
    with requests.Session() as session:
        results = [_send(subscription, payload, keys, ttl_seconds, session) for subscription in subscriptions]
    if _Device.SENT in results:
        return PushOutcome.SENT
    if _Device.TEMPORARY in results:
        return PushOutcome.RETRY
    if _Device.REFUSED in results:
        return PushOutcome.PERMANENT
    return PushOutcome.NO_DEVICE


def _send(
    subscription: PushSubscription, payload: str, keys: VapidKeys, ttl_seconds: int, session: requests.Session
) -> _Device:
    endpoint = urlsplit(subscription.endpoint)
    claims: dict[str, str | int] = {
        "sub": vapid_subject(),
        "aud": f"{endpoint.scheme}://{endpoint.netloc}",
        "exp": int(time.time()) + _VAPID_TOKEN_SECONDS,
    }
    try:
        webpush(
            subscription.subscription_info(),
            data=payload,
            vapid_private_key=keys.vapid,
            vapid_claims=claims,
            ttl=ttl_seconds,
            timeout=settings.PUSH_TIMEOUT_SECONDS,
            # Prompts are time-sensitive: push services may otherwise hold them while a phone dozes.
            headers={"Urgency": "high"},
            requests_session=session,
        )
    except WebPushException as error:
        status = error.status_code
        reason = f"{status} {getattr(error.response, 'text', '')[:200]}".strip()
        if status in (404, 410):
            logger.info("Push subscription %s is gone (%s): forgotten", subscription.pk, status)
            services.push.push_subscription_gone(subscription=subscription)
            return _Device.GONE
        services.push.push_record_failure(subscription=subscription, error=reason)
        logger.warning("Push to subscription %s failed: %s", subscription.pk, reason)
        if status is None or status == 429 or status >= 500:
            return _Device.TEMPORARY
        return _Device.REFUSED
    except requests.RequestException as error:
        services.push.push_record_failure(subscription=subscription, error=f"{type(error).__name__}: {error}")
        logger.warning("Push to subscription %s failed: %s", subscription.pk, error)
        return _Device.TEMPORARY
    except ValueError as error:  # keys the payload cannot be encrypted for
        services.push.push_record_failure(subscription=subscription, error=f"bad subscription keys: {error}")
        return _Device.REFUSED
    services.push.push_record_success(subscription=subscription)
    return _Device.SENT
