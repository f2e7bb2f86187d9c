"""The outbox: every e-mail rendered when it is queued, as a row the engine delivers."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from django.utils import timezone

from reactions.emails import render_email
from reactions.models import (
    Clinic,
    Flag,
    FollowUp,
    OutboundEmail,
    User,
)

URGENT_KINDS = (OutboundEmail.Kind.SEVERE_ALERT, OutboundEmail.Kind.ESCALATION)


def email_queue(**fields: Any) -> OutboundEmail:
    """Render an e-mail (email_build's arguments) and store it for delivery.

    Call inside the transaction that causes it.
    """
    email = email_build(**fields)
    email.save(force_insert=True)
    return email


def email_build(
    *,
    kind: str,
    template: str,
    context: dict[str, Any],
    to_user: User | None = None,
    to_email: str = "",
    due_at: datetime | None = None,
    followup: FollowUp | None = None,
    flag: Flag | None = None,
    clinic: Clinic | None = None,
) -> OutboundEmail:
    """The rendered, unsaved OutboundEmail that email_queue() stores (bulk_create many at once)."""
    address = to_email or (to_user.email if to_user else "")
    if not address:
        raise ValueError("email_queue() needs to_user or to_email")
    rendered = render_email(template, {"recipient": to_user, **context})
    return OutboundEmail(
        kind=kind,
        to_user=to_user,
        to_email=address,
        subject=rendered.subject[:300],
        body_text=rendered.text,
        body_html=rendered.html,
        due_at=due_at or timezone.now(),
        followup=followup,
        flag=flag,
        clinic=clinic,
    )
