"""Signed links in e-mails: invitations, follow-up prompts, check-ins, e-mail preferences, two-factor set-up.

Each is signed with its own salt, expires, and names one row; tampered, expired and replayed links are
refused and logged on the reactions.security logger."""

from __future__ import annotations

import logging
from enum import StrEnum
from typing import Any

from django.conf import settings
from django.core import signing
from django.urls import reverse

from reactions.models import (
    FollowUp,
    Invitation,
    User,
)
from reactions.signin import has_confirmed_device

logger = logging.getLogger(__name__)
# Refused links and other security-relevant events, for operators to alert on.
security_logger = logging.getLogger("reactions.security")


class InvitationProblem(StrEnum):
    INVALID = "invalid"
    EXPIRED = "expired"
    USED = "used"


class InvitationError(Exception):
    def __init__(self, problem: InvitationProblem) -> None:
        super().__init__(problem.value)
        self.problem = problem


class LinkError(Exception):
    """A follow-up or preferences link that is tampered with or expired."""

    def __init__(self, problem: InvitationProblem) -> None:
        super().__init__(problem.value)
        self.problem = problem


INVITATION_SALT = "reactions.invitation"


def invitation_token(*, invitation: Invitation) -> str:
    return signing.dumps({"i": invitation.pk, "n": invitation.nonce}, salt=INVITATION_SALT)


def invitation_url(*, invitation: Invitation) -> str:
    return settings.SITE_URL + reverse("invitation_accept", args=[invitation_token(invitation=invitation)])


def invitation_from_token(*, token: str) -> Invitation:
    """The pending invitation this token stands for; InvitationError says why not."""
    try:
        payload = _load_token(token, salt=INVITATION_SALT, max_age=settings.INVITATION_MAX_AGE, kind="invitation")
    except LinkError as error:
        raise InvitationError(error.problem) from None
    invitation = Invitation.objects.select_related("clinic").filter(pk=payload.get("i"), nonce=payload.get("n")).first()
    if invitation is None:
        security_logger.warning("Refused invitation link: no such invitation (%r)", payload)
        raise InvitationError(InvitationProblem.INVALID)
    if invitation.accepted_at is not None:
        security_logger.warning("Refused invitation link: invitation %s already used", invitation.pk)
        raise InvitationError(InvitationProblem.USED)
    return invitation


FOLLOWUP_SALT = "reactions.followup"


EMAIL_PREFS_SALT = "reactions.email-preferences"


def followup_token(*, followup: FollowUp) -> str:
    return signing.dumps({"f": followup.pk}, salt=FOLLOWUP_SALT)


def followup_from_token(*, token: str) -> FollowUp:
    payload = _load_token(token, salt=FOLLOWUP_SALT, max_age=settings.FOLLOWUP_LINK_MAX_AGE, kind="follow-up")
    followup = (
        FollowUp.objects.select_related("infusion", "patient__clinic")
        .filter(pk=payload.get("f"), kind=FollowUp.Kind.PROMPT)
        .first()
    )
    if followup is None:
        raise LinkError(InvitationProblem.INVALID)
    return followup


CHECKIN_SALT = "reactions.checkin"


def checkin_token(*, followup: FollowUp) -> str:
    return signing.dumps({"c": followup.pk}, salt=CHECKIN_SALT)


def checkin_from_token(*, token: str) -> FollowUp:
    """The day-before check-in this link names (its own salt: a prompt's link cannot open it, nor it one)."""
    payload = _load_token(token, salt=CHECKIN_SALT, max_age=settings.FOLLOWUP_LINK_MAX_AGE, kind="check-in")
    followup = (
        FollowUp.objects.select_related("infusion", "patient__clinic")
        .filter(pk=payload.get("c"), kind=FollowUp.Kind.PRE_INFUSION)
        .first()
    )
    if followup is None:
        raise LinkError(InvitationProblem.INVALID)
    return followup


def email_preferences_token(*, user: User) -> str:
    return signing.dumps({"u": user.pk}, salt=EMAIL_PREFS_SALT)


def user_from_email_preferences_token(*, token: str) -> User:
    payload = _load_token(
        token, salt=EMAIL_PREFS_SALT, max_age=settings.EMAIL_PREFERENCES_LINK_MAX_AGE, kind="e-mail preferences"
    )
    user = User.objects.filter(pk=payload.get("u"), is_active=True).first()
    if user is None:
        raise LinkError(InvitationProblem.INVALID)
    return user


TWO_FACTOR_ENROLMENT_SALT = "reactions.two-factor-enrolment"


def two_factor_enrolment_token(*, user: User) -> str:
    return signing.dumps({"u": user.pk}, salt=TWO_FACTOR_ENROLMENT_SALT)


def user_from_two_factor_enrolment_token(*, token: str) -> User:
    """The user a set-up link was e-mailed to. It stops working once they have a device (single use)."""
    payload = _load_token(
        token,
        salt=TWO_FACTOR_ENROLMENT_SALT,
        max_age=settings.TWO_FACTOR_ENROLMENT_LINK_MAX_AGE,
        kind="two-factor set-up",
    )
    user = User.objects.filter(pk=payload.get("u"), is_active=True).first()
    if user is None:
        raise LinkError(InvitationProblem.INVALID)
    if has_confirmed_device(user):
        security_logger.warning("Refused two-factor set-up link: user %s already has a device (replay)", user.pk)
        raise LinkError(InvitationProblem.USED)
    return user


def _load_token(token: str, *, salt: str, max_age: int, kind: str) -> dict[str, Any]:
    """The signed payload of an e-mailed link. Tampered and expired links are refused and logged."""
    try:
        payload = signing.loads(token, salt=salt, max_age=max_age)
    except signing.SignatureExpired:
        security_logger.warning("Refused %s link: expired", kind)
        raise LinkError(InvitationProblem.EXPIRED) from None
    except signing.BadSignature:
        security_logger.warning("Refused %s link: bad signature (tampered or truncated)", kind)
        raise LinkError(InvitationProblem.INVALID) from None
    if not isinstance(payload, dict):
        security_logger.warning("Refused %s link: unexpected payload", kind)
        raise LinkError(InvitationProblem.INVALID)
    return payload


def followup_links(followup: FollowUp) -> dict[str, str]:
    token = followup_token(followup=followup)
    return {
        "no_symptoms_url": settings.SITE_URL + reverse("followup_answer", args=[token]),
        "report_url": settings.SITE_URL + reverse("followup_report", args=[token]),
        "preferences_url": preferences_url(followup.patient),
    }


def checkin_links(followup: FollowUp) -> dict[str, str]:
    return {
        "checkin_url": settings.SITE_URL + reverse("checkin_answer", args=[checkin_token(followup=followup)]),
        "preferences_url": preferences_url(followup.patient),
    }


def preferences_url(user: User) -> str:
    return settings.SITE_URL + reverse("email_preferences", args=[email_preferences_token(user=user)])
