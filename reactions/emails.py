"""One e-mail = three templates (subject, text body, HTML body) rendered by one helper."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.template.loader import render_to_string
from django.utils import timezone, translation


@dataclass(frozen=True)
class RenderedEmail:
    subject: str
    text: str
    html: str


def email_language(recipient: Any) -> str:
    """The language of an e-mail to this user: their own choice, else the site's default (English).

    There is no browser at send time, so a user who follows their browser gets English.
    """
    language = getattr(recipient, "language", "") or ""
    return language if language in dict(settings.LANGUAGES) else settings.LANGUAGE_CODE


def render_email(name: str, context: Mapping[str, Any], *, language: str | None = None) -> RenderedEmail:
    """Render templates/emails/<name>-subject.txt, -body.txt and -body.html.

    In the recipient's language (``context["recipient"]``, or ``language`` if given) and, for a
    known recipient, with dates and times in their time zone. The subject and the text body are plain
    text, rendered by the "text" template engine, which escapes nothing; the HTML body is escaped.
    """
    ctx = {"site_url": settings.SITE_URL, **context}
    recipient = ctx.get("recipient")
    language = language or email_language(recipient)
    tz = getattr(recipient, "tzinfo", None) or timezone.get_current_timezone()
    with translation.override(language), timezone.override(tz):
        ctx["LANGUAGE_CODE"] = language
        subject = " ".join(render_to_string(f"emails/{name}-subject.txt", ctx, using="text").split())
        return RenderedEmail(
            subject=subject,
            text=render_to_string(f"emails/{name}-body.txt", ctx, using="text"),
            html=render_to_string(f"emails/{name}-body.html", ctx),
        )
