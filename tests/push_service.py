"""A web push service on loopback, for tests: it checks what a real one checks, and decrypts what it gets.

Browsers subscribe with a P-256 key pair and an authentication secret of their own (`Device` makes them
as a browser does); the app encrypts each payload for them (RFC 8291, aes128gcm) and signs a VAPID token
(RFC 8292). `PushService` checks the VAPID header (an ES256 JWT signed by the key it names, for this
origin, expiring within 24 hours, with a mailto: or https: subject), the Content-Encoding and TTL
headers, decrypts the payload with the device's private key and secret, records it and answers 201 —
or the status a test asks for (404, 410, 413, 429, 500...). Anything a real service would refuse is
answered 400 and kept in `.problems`.
"""

from __future__ import annotations

import base64
import json
import os
import re
import secrets
import threading
import time
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import http_ece
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.asymmetric.utils import encode_dss_signature

VAPID_MAX_LIFETIME = 24 * 3600


def b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).decode().rstrip("=")


def unb64url(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


class Device:
    """A browser's side of a subscription: its key pair and authentication secret."""

    def __init__(self) -> None:
        self.private_key = ec.generate_private_key(ec.SECP256R1())
        self.auth_secret = os.urandom(16)

    @property
    def p256dh(self) -> str:
        return b64url(
            self.private_key.public_key().public_bytes(
                serialization.Encoding.X962, serialization.PublicFormat.UncompressedPoint
            )
        )

    @property
    def auth(self) -> str:
        return b64url(self.auth_secret)

    def decrypt(self, body: bytes) -> bytes:
        return http_ece.decrypt(body, private_key=self.private_key, auth_secret=self.auth_secret, version="aes128gcm")


@dataclass
class Delivery:
    """One push the service accepted (or was told to refuse after checking it)."""

    token: str
    payload: dict
    ttl: int
    urgency: str
    claims: dict
    vapid_key: str
    status: int


@dataclass
class PushService:
    devices: dict[str, Device] = field(default_factory=dict)
    # token -> the status to answer after the checks (default 201)
    answers: dict[str, int] = field(default_factory=dict)
    deliveries: list[Delivery] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def start(self) -> PushService:
        service = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:  # http.server calls it by this name
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length)
                status, problem = service._receive(self.path, dict(self.headers.items()), body)
                if problem:
                    with service.lock:
                        service.problems.append(problem)
                self.send_response(status)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, format: str, *args: object) -> None:  # quiet test output
                pass

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()

    @property
    def origin(self) -> str:
        return f"http://127.0.0.1:{self._server.server_address[1]}"

    def subscribe(self, device: Device | None = None) -> tuple[str, Device]:
        """A new subscription: its endpoint and the device that holds its keys."""
        token = secrets.token_urlsafe(16)
        self.devices[token] = device or Device()
        return f"{self.origin}/push/{token}", self.devices[token]

    @staticmethod
    def token_of(endpoint: str) -> str:
        return endpoint.rsplit("/", 1)[1]

    # --- What a push service checks ---------------------------------------------------------------

    def _receive(self, path: str, headers: dict[str, str], body: bytes) -> tuple[int, str]:
        headers = {key.lower(): value for key, value in headers.items()}
        token = path.rsplit("/", 1)[-1]
        device = self.devices.get(token)
        if device is None:
            return 404, ""
        try:
            claims, vapid_key = self._check_vapid(headers.get("authorization", ""))
        except ValueError as error:
            return 401, f"VAPID: {error}"
        if headers.get("content-encoding") != "aes128gcm":
            return 400, f"Content-Encoding is {headers.get('content-encoding')!r}, not aes128gcm"
        if not re.fullmatch(r"\d+", headers.get("ttl", "")):
            return 400, f"TTL header is {headers.get('ttl')!r}"
        try:
            payload = json.loads(device.decrypt(body))
        except Exception as error:  # any failure to decrypt is a problem to report
            return 400, f"payload does not decrypt: {error!r}"
        status = self.answers.get(token, 201)
        with self.lock:
            self.deliveries.append(
                Delivery(
                    token=token,
                    payload=payload,
                    ttl=int(headers["ttl"]),
                    urgency=headers.get("urgency", ""),
                    claims=claims,
                    vapid_key=vapid_key,
                    status=status,
                )
            )
        return status, ""

    def _check_vapid(self, authorization: str) -> tuple[dict, str]:
        match = re.fullmatch(r"vapid\s+t=([\w.-]+)\s*,\s*k=([\w-]+)", authorization.strip())
        if not match:
            raise ValueError(f"Authorization is not 'vapid t=..., k=...': {authorization!r}")
        token, key = match.groups()
        try:
            header_b64, claims_b64, signature_b64 = token.split(".")
        except ValueError:
            raise ValueError("the token is not a JWT") from None
        header = json.loads(unb64url(header_b64))
        if header.get("alg") != "ES256":
            raise ValueError(f"JWT alg is {header.get('alg')!r}, not ES256")
        raw_key = unb64url(key)
        public_key = ec.EllipticCurvePublicKey.from_encoded_point(ec.SECP256R1(), raw_key)
        signature = unb64url(signature_b64)
        if len(signature) != 64:
            raise ValueError("an ES256 signature is 64 bytes (r and s)")
        der = encode_dss_signature(int.from_bytes(signature[:32], "big"), int.from_bytes(signature[32:], "big"))
        try:
            public_key.verify(der, f"{header_b64}.{claims_b64}".encode(), ec.ECDSA(hashes.SHA256()))
        except InvalidSignature:
            raise ValueError("the JWT is not signed by the key k") from None
        claims = json.loads(unb64url(claims_b64))
        if claims.get("aud") != self.origin:
            raise ValueError(f"aud is {claims.get('aud')!r}, not {self.origin}")
        now = time.time()
        if not isinstance(claims.get("exp"), int) or not now < claims["exp"] <= now + VAPID_MAX_LIFETIME:
            raise ValueError(f"exp {claims.get('exp')!r} is not within the next 24 hours")
        if not re.match(r"^(mailto:[^@\s]+@[^@\s]+|https://\S+)$", str(claims.get("sub", ""))):
            raise ValueError(f"sub {claims.get('sub')!r} is not a mailto: or https: URL")
        return claims, key
