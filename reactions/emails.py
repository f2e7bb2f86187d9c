"""One e-mail = three templates (subject, text body, HTML body) rendered by one helper."""
from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.template.loader import render_to_string


def build_email(name: str, *, to: Sequence[str], context: Mapping[str, Any]) -> EmailMultiAlternatives:
    """Render templates/emails/<name>-subject.txt, -body.txt and -body.html into one message."""
    ctx = {"site_url": settings.SITE_URL, **context}
    subject = " ".join(render_to_string(f"emails/{name}-subject.txt", ctx).split())
    text = render_to_string(f"emails/{name}-body.txt", ctx)
    html = render_to_string(f"emails/{name}-body.html", ctx)
    message = EmailMultiAlternatives(subject=subject, body=text, from_email=settings.DEFAULT_FROM_EMAIL, to=list(to))
    message.attach_alternative(html, "text/html")
    return message


def send_email(name: str, *, to: Sequence[str], context: Mapping[str, Any]) -> None:
    """Render and send; raises on failure so the caller can record and retry."""
    build_email(name, to=to, context=context).send(fail_silently=False)
