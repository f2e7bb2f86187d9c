"""One e-mail = three templates (subject, text body, HTML body) rendered by one helper."""
from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.template.loader import render_to_string


@dataclass(frozen=True)
class RenderedEmail:
    subject: str
    text: str
    html: str


def render_email(name: str, context: Mapping[str, Any]) -> RenderedEmail:
    """Render templates/emails/<name>-subject.txt, -body.txt and -body.html."""
    ctx = {"site_url": settings.SITE_URL, **context}
    subject = " ".join(render_to_string(f"emails/{name}-subject.txt", ctx).split())
    return RenderedEmail(
        subject=subject,
        text=render_to_string(f"emails/{name}-body.txt", ctx),
        html=render_to_string(f"emails/{name}-body.html", ctx),
    )
