"""Signed links in e-mails: invitations, follow-up prompts, check-ins, e-mail preferences, two-factor set-up;
and the short links in texts and notifications that open the same pages.

Each is signed with its own salt, expires, and names one row; tampered, expired and replayed links are
refused and logged on the reactions.security logger."""

from __future__ import annotations

import base64
import logging
import string
import time
from enum import StrEnum
from typing import Any

from django.conf import settings
from django.core import signing
from django.urls import reverse
from django.utils.crypto import constant_time_compare, salted_hmac

from reactions.models import (
    CaregiverInvitation,
    CareLink,
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


CAREGIVER_INVITATION_SALT = "reactions.caregiver-invitation"


def caregiver_invitation_token(*, invitation: CaregiverInvitation) -> str:
    return signing.dumps({"c": invitation.pk, "n": invitation.nonce}, salt=CAREGIVER_INVITATION_SALT)


def caregiver_invitation_url(*, invitation: CaregiverInvitation) -> str:
    return settings.SITE_URL + reverse(
        "caregiver_invitation_accept", args=[caregiver_invitation_token(invitation=invitation)]
    )


def caregiver_invitation_from_token(*, token: str) -> CaregiverInvitation:
    """The pending caregiver invitation this token stands for; InvitationError says why not.

    Expires like a clinic's invitation (INVITATION_MAX_AGE); used or withdrawn by the patient: refused."""
    try:
        payload = _load_token(
            token, salt=CAREGIVER_INVITATION_SALT, max_age=settings.INVITATION_MAX_AGE, kind="caregiver invitation"
        )
    except LinkError as error:
        raise InvitationError(error.problem) from None
    invitation = (
        CaregiverInvitation.objects.select_related("patient__clinic")
        .filter(pk=payload.get("c"), nonce=payload.get("n"))
        .first()
    )
    if invitation is None or invitation.withdrawn_at is not None or not invitation.patient.is_active:
        security_logger.warning("Refused caregiver invitation link: no such invitation (%r)", payload)
        raise InvitationError(InvitationProblem.INVALID)
    if invitation.accepted_at is not None:
        security_logger.warning("Refused caregiver invitation link: invitation %s already used", invitation.pk)
        raise InvitationError(InvitationProblem.USED)
    return invitation


FOLLOWUP_SALT = "reactions.followup"


EMAIL_PREFS_SALT = "reactions.email-preferences"


def followup_token(*, followup: FollowUp, recipient: User | None = None) -> str:
    """The key of one prompt's pages. A caregiver's copy names them ("r"): their answer is theirs, and the
    link stops working when the patient removes them."""
    payload: dict[str, int] = {"f": followup.pk}
    if recipient is not None and recipient.pk != followup.patient_id:
        payload["r"] = recipient.pk
    return signing.dumps(payload, salt=FOLLOWUP_SALT)


def followup_from_token(*, token: str) -> FollowUp:
    """The prompt this link answers; `followup.answering_caregiver` is the caregiver whose copy it was (or None)."""
    payload = _load_token(token, salt=FOLLOWUP_SALT, max_age=settings.FOLLOWUP_LINK_MAX_AGE, kind="follow-up")
    followup = (
        FollowUp.objects.select_related("infusion", "patient__clinic")
        .filter(pk=payload.get("f"), kind=FollowUp.Kind.PROMPT)
        .first()
    )
    if followup is None:
        raise LinkError(InvitationProblem.INVALID)
    followup.answering_caregiver = _caregiver_of(followup, payload.get("r"), kind="follow-up")
    return followup


def _caregiver_of(followup: FollowUp, caregiver_id: int | None, *, kind: str) -> User | None:
    """The caregiver a link names, if it names one, checked against a live care link (removing a caregiver, or
    their stepping down, ends every link they were sent at once); None for the patient's own link."""
    if caregiver_id is None:
        return None
    link = (
        CareLink.objects.active()
        .select_related("caregiver")
        .filter(patient_id=followup.patient_id, caregiver_id=caregiver_id, caregiver__is_active=True)
        .first()
    )
    if link is None:
        security_logger.warning("Refused %s link: caregiver %s no longer cares for this patient", kind, caregiver_id)
        raise LinkError(InvitationProblem.INVALID)
    return link.caregiver


CHECKIN_SALT = "reactions.checkin"


def checkin_token(*, followup: FollowUp, recipient: User | None = None) -> str:
    """The key of one day-before check-in's page; a caregiver's copy names them, as a prompt's does."""
    payload: dict[str, int] = {"c": followup.pk}
    if recipient is not None and recipient.pk != followup.patient_id:
        payload["r"] = recipient.pk
    return signing.dumps(payload, salt=CHECKIN_SALT)


def checkin_from_token(*, token: str) -> FollowUp:
    """The day-before check-in this link names (its own salt: a prompt's link cannot open it, nor it one);
    `followup.answering_caregiver` is the caregiver whose copy it was (or None)."""
    payload = _load_token(token, salt=CHECKIN_SALT, max_age=settings.FOLLOWUP_LINK_MAX_AGE, kind="check-in")
    followup = (
        FollowUp.objects.select_related("infusion", "patient__clinic")
        .filter(pk=payload.get("c"), kind=FollowUp.Kind.PRE_INFUSION)
        .first()
    )
    if followup is None:
        raise LinkError(InvitationProblem.INVALID)
    followup.answering_caregiver = _caregiver_of(followup, payload.get("r"), kind="check-in")
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


def followup_links(followup: FollowUp, recipient: User | None = None) -> dict[str, str]:
    """The links of one recipient's copy of a prompt (the patient's by default)."""
    token = followup_token(followup=followup, recipient=recipient)
    return {
        "no_symptoms_url": settings.SITE_URL + reverse("followup_answer", args=[token]),
        "report_url": settings.SITE_URL + reverse("followup_report", args=[token]),
        "preferences_url": preferences_url(recipient or followup.patient),
    }


def checkin_links(followup: FollowUp, recipient: User | None = None) -> dict[str, str]:
    """The links of one recipient's copy of a day-before check-in (the patient's by default)."""
    token = checkin_token(followup=followup, recipient=recipient)
    return {
        "checkin_url": settings.SITE_URL + reverse("checkin_answer", args=[token]),
        "preferences_url": preferences_url(recipient or followup.patient),
    }


def preferences_url(user: User) -> str:
    """Where "pause or stop these e-mails" leads: the patient's follow-up choice, or for a caregiver their own
    caregiver page (signed in), which stops their copies and never the patient's follow-ups."""
    if user.is_caregiver:
        return settings.SITE_URL + reverse("care_home")
    return settings.SITE_URL + reverse("email_preferences", args=[email_preferences_token(user=user)])


# --- Short links, for texts and notifications ----------------------------------------------------------
#
# A text has no room for a signed token of 60 characters. A short link names one follow-up (or one
# patient's settings), the caregiver whose copy it is if it is one, the hour it was made and a 64-bit HMAC
# of all that: /s/f3k-2Xc1-Ab3xY9… (a caregiver's: /s/f3k_7q-2Xc1-…). Opening it only redirects to the same
# signed page the e-mail's link opens, so it records nothing either.

SHORT_LINK_SALT = "reactions.short-link"
_BASE62 = string.digits + string.ascii_letters
# Between the row's id and the caregiver's: neither base 62 nor the "-" that ends the head.
_RECIPIENT_SEPARATOR = "_"


class ShortLinkKind(StrEnum):
    FOLLOWUP = "f"
    CHECKIN = "c"
    PREFERENCES = "p"


def _b62(number: int) -> str:
    digits = ""
    while True:
        number, rest = divmod(number, 62)
        digits = _BASE62[rest] + digits
        if not number:
            return digits


def _from_b62(text: str) -> int:
    number = 0
    for char in text:
        number = number * 62 + _BASE62.index(char)
    return number


def _short_signature(payload: str) -> str:
    digest = salted_hmac(SHORT_LINK_SALT, payload, algorithm="sha256").digest()[:8]
    return base64.urlsafe_b64encode(digest).rstrip(b"=").decode()


def short_token(*, kind: ShortLinkKind, pk: int, recipient_id: int | None = None, now: float | None = None) -> str:
    """`recipient_id`: the caregiver whose copy of a follow-up or check-in this is (None: the patient's)."""
    hours = int((now if now is not None else time.time()) // 3600)
    head = f"{kind}{_b62(pk)}"
    if recipient_id is not None:
        head += _RECIPIENT_SEPARATOR + _b62(recipient_id)
    payload = f"{head}-{_b62(hours)}"
    return f"{payload}-{_short_signature(payload)}"


def short_url(*, kind: ShortLinkKind, pk: int, recipient_id: int | None = None) -> str:
    return settings.SITE_URL + reverse("short_link", args=[short_token(kind=kind, pk=pk, recipient_id=recipient_id)])


def short_link_target(*, token: str) -> str:
    """Where a short link goes: the path of the signed page its e-mail twin opens. LinkError says why not."""
    # The signature is the last 11 characters (it may itself hold a "-"), after a "-".
    payload, separator, signature = token[:-12], token[-12:-11], token[-11:]
    if not payload or separator != "-" or not constant_time_compare(signature, _short_signature(payload)):
        security_logger.warning("Refused short link: bad signature (tampered or truncated)")
        raise LinkError(InvitationProblem.INVALID)
    head, _sep, hours = payload.partition("-")
    kind = ShortLinkKind(head[0])
    pk_text, _sep, recipient_text = head[1:].partition(_RECIPIENT_SEPARATOR)
    pk, recipient_id = _from_b62(pk_text), (_from_b62(recipient_text) if recipient_text else None)
    max_age = (
        settings.EMAIL_PREFERENCES_LINK_MAX_AGE if kind == ShortLinkKind.PREFERENCES else settings.FOLLOWUP_LINK_MAX_AGE
    )
    # Counted from the start of the hour it was made: at most an hour longer than an e-mail's link.
    if time.time() - _from_b62(hours) * 3600 > max_age + 3600:
        security_logger.warning("Refused short link: expired")
        raise LinkError(InvitationProblem.EXPIRED)
    if kind in (ShortLinkKind.FOLLOWUP, ShortLinkKind.CHECKIN):
        followup_kind = FollowUp.Kind.PROMPT if kind == ShortLinkKind.FOLLOWUP else FollowUp.Kind.PRE_INFUSION
        followup = FollowUp.objects.filter(pk=pk, kind=followup_kind).first()
        if followup is None:
            raise LinkError(InvitationProblem.INVALID)
        # A removed caregiver's texted link is refused here already, not only by the page it leads to.
        recipient = _caregiver_of(followup, recipient_id, kind="short")
        if kind == ShortLinkKind.FOLLOWUP:
            return reverse("followup_answer", args=[followup_token(followup=followup, recipient=recipient)])
        return reverse("checkin_answer", args=[checkin_token(followup=followup, recipient=recipient)])
    user = User.objects.filter(pk=pk, is_active=True).first()
    if user is None:
        raise LinkError(InvitationProblem.INVALID)
    return reverse("email_preferences", args=[email_preferences_token(user=user)])
