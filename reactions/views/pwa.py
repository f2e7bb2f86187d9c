"""The installable, offline-tolerant shell: web app manifest, service worker and offline page.

These are views rather than static files because they must name the hashed static URLs of this
deployment, and the service worker must be served from the site root to control every page.
None of them holds patient data, so they are public.
"""

from __future__ import annotations

import hashlib
import json

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.templatetags.static import static
from django.urls import reverse
from django.views.decorators.cache import cache_control
from django.views.decorators.http import require_GET

# What the service worker keeps on the device: enough to draw the offline page and its styles.
SHELL_ASSETS = (
    "vendor/bootstrap-5.3.9/bootstrap.purged.min.css",
    "css/app.css",
    "js/outbox.js",
    "js/app.js",
    "icons/icon.svg",
    "icons/icon-192.png",
)


def _shell_urls() -> list[str]:
    return [reverse("offline"), *(static(path) for path in SHELL_ASSETS)]


@require_GET
@cache_control(max_age=86400, public=True)
def manifest(request: HttpRequest) -> HttpResponse:
    return render(request, "pwa/manifest.webmanifest", content_type="application/manifest+json")


@require_GET
@cache_control(no_cache=True)  # browsers look for a new service worker on every visit
def service_worker(request: HttpRequest) -> HttpResponse:
    shell = _shell_urls()
    # A new deployment (new hashed static names) gives a new cache name, and the old cache is dropped.
    version = hashlib.sha256("\n".join(shell).encode()).hexdigest()[:12]
    return render(
        request,
        "pwa/sw.js",
        {
            "shell_json": json.dumps(shell),
            "version": version,
            "outbox_js": static("js/outbox.js"),
            "static_prefix": settings.STATIC_URL,
            "hashed_static": not settings.DEBUG,
            "notification_icon": static("icons/icon-192.png"),
            "notification_badge": static("icons/badge-96.png"),
        },
        content_type="text/javascript",
    )


@require_GET
def offline(request: HttpRequest) -> HttpResponse:
    return render(request, "pwa/offline.html")
