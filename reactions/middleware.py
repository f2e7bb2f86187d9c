from __future__ import annotations

from collections.abc import Callable
from urllib.parse import urlencode

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.cache import patch_cache_control

from reactions.signin import second_step


class UserTimezoneMiddleware:
    """Show and read date-times in the signed-in user's time zone (their own, or their clinic's)."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        user = getattr(request, "user", None)
        if user is not None and user.is_authenticated:
            timezone.activate(user.tzinfo)
        else:
            timezone.deactivate()
        try:
            return self.get_response(request)
        finally:
            timezone.deactivate()


class UserLanguageMiddleware:
    """A signed-in user's own language (User.language) wins over the browser's Accept-Language.

    Runs after Django's LocaleMiddleware (which picked the browser's language) and after
    AuthenticationMiddleware. A user with no language set keeps following the browser.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        user = getattr(request, "user", None)
        language = getattr(user, "language", "") if user is not None and user.is_authenticated else ""
        if language and language in dict(settings.LANGUAGES):
            translation.activate(language)
            request.LANGUAGE_CODE = translation.get_language()
        return self.get_response(request)


# Paths a signed-in user may use before completing two-factor sign-in.
_OTP_EXEMPT_PREFIXES = (
    "/accounts/2fa/",
    "/accounts/logout/",
    "/static/",
    "/f/",
    "/email/",
    "/invitation/",
    "/sw.js",
    "/manifest.webmanifest",
    "/offline/",
    "/health/",  # these hold no patient data
)


class SessionPolicyMiddleware:
    """Idle timeouts by role, and the second step of signing in before anything else is shown.

    Runs after django-otp's OTPMiddleware, which sets request.user.is_verified(). Staff must have and
    verify a device; a patient who turned two-factor sign-in on verifies it too (reactions/signin.py).
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        user = getattr(request, "user", None)
        if user is not None and user.is_authenticated:
            # SESSION_SAVE_EVERY_REQUEST pushes the expiry forward: this is an *idle* timeout.
            request.session.set_expiry(
                settings.STAFF_SESSION_IDLE_SECONDS if user.is_clinic_staff else settings.PATIENT_SESSION_IDLE_SECONDS
            )
            request.second_step = second_step(request)  # the navigation shows nothing of the app before it
            if request.second_step and not request.path.startswith(_OTP_EXEMPT_PREFIXES):
                return redirect(f"{reverse(request.second_step)}?{urlencode({'next': request.get_full_path()})}")
        return self.get_response(request)


class PermissionsPolicyMiddleware:
    """Deny browser features the app never uses (camera, microphone, location…)."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        response.setdefault("Permissions-Policy", settings.PERMISSIONS_POLICY)
        return response


class PrivatePagesMiddleware:
    """Pages are health data: no shared cache and no browser disk cache keeps them.

    Every response the app makes is `Cache-Control: private, no-store` unless its view chose its own
    caching (the web app manifest and service worker, which hold no personal data). Static files are
    served by whitenoise before this runs, with their own long caching.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        if not response.has_header("Cache-Control"):
            patch_cache_control(response, private=True, no_store=True)
        return response
