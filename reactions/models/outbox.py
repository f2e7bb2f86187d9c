"""Every message the app sends (e-mail, SMS, push), each delivery try, and the engine's own bookkeeping."""

from __future__ import annotations

from email.utils import make_msgid
from urllib.parse import urlsplit

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from reactions.models.accounts import Clinic, User
from reactions.models.followups import FollowUp
from reactions.models.triage import Flag


def new_message_id() -> str:
    """An RFC 5322 Message-ID in the site's own domain."""
    return make_msgid(domain=urlsplit(settings.SITE_URL).hostname or "ivigtrack.invalid")


class OutboundEmail(models.Model):
    """Every message the app sends, on any channel, rendered when queued and delivered by the dispatcher.

    One row per message and channel (the name is older than the other channels): a prompt to a patient on
    e-mail and SMS is two rows of the same follow-up. A row is marked SENT only after the mail server (or the
    SMS provider, or the push service) accepted it; each try is a DeliveryAttempt. A text's fate after that
    comes from the provider's delivery receipt (reactions.engine.receipts): ``delivered_at``, or FAILED.
    """

    class Channel(models.TextChoices):
        EMAIL = "email", _("E-mail")
        SMS = "sms", _("Text message")
        PUSH = "push", _("Notification")

    class Kind(models.TextChoices):
        INVITATION = "invitation", _("Invitation")
        CAREGIVER_INVITATION = "caregiver_invitation", _("Caregiver invitation")
        FOLLOWUP_PROMPT = "followup_prompt", _("Follow-up prompt")
        FOLLOWUP_REMINDER = "followup_reminder", _("Follow-up reminder")
        PRE_INFUSION = "pre_infusion", _("Day-before check-in")
        SEVERE_ALERT = "severe_alert", _("Severe event alert")
        ESCALATION = "escalation", _("Severe event escalation")
        DAILY_DIGEST = "daily_digest", _("Daily reminder")
        LOT_SIGNAL = "lot_signal", _("Lot signal")
        TWO_FACTOR_ENROLMENT = "two_factor_enrolment", _("Two-factor set-up link")

    class Status(models.TextChoices):
        PENDING = "pending", _("Pending")
        SENDING = "sending", _("Sending")
        SENT = "sent", _("Sent")
        FAILED = "failed", _("Failed permanently")
        CANCELLED = "cancelled", _("Cancelled")

    kind = models.CharField(max_length=30, choices=Kind.choices)
    channel = models.CharField(max_length=10, choices=Channel.choices, default=Channel.EMAIL)
    status = models.CharField(max_length=20, choices=Status.choices, default=Status.PENDING)
    # Given when the message is queued and sent with every try: a copy that a crash makes the app send
    # twice carries the same Message-ID, so mail systems and people can tell it is the same message.
    message_id = models.CharField(max_length=255, default=new_message_id)
    to_user = models.ForeignKey(User, on_delete=models.SET_NULL, null=True, blank=True, related_name="+")
    to_email = models.EmailField(max_length=254, blank=True)
    # E.164, for SMS rows: the number as it was when the message was queued.
    to_phone = models.CharField(max_length=20, blank=True)
    subject = models.CharField(max_length=300, blank=True)
    body_text = models.TextField(blank=True)
    body_html = models.TextField(blank=True)
    # The whole text of an SMS or a notification: short, no health data, one link (``link``).
    body_short = models.CharField(max_length=480, blank=True)
    link = models.CharField(max_length=500, blank=True)
    # When the next delivery attempt may start (creation time, then backed off after failures).
    due_at = models.DateTimeField(default=timezone.now)
    attempts = models.PositiveIntegerField(default=0)
    claimed_at = models.DateTimeField(null=True, blank=True)
    # A claimed (SENDING) row left past this time belongs to a worker that died mid-send: it is retried.
    lease_until = models.DateTimeField(null=True, blank=True)
    sent_at = models.DateTimeField(null=True, blank=True)
    # The provider's id for the message it accepted (Twilio's Message SID): its delivery receipts name it.
    provider_id = models.CharField(max_length=64, blank=True)
    # When the provider's receipt said the message reached the phone (texts only).
    delivered_at = models.DateTimeField(null=True, blank=True)
    last_error = models.TextField(blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    followup = models.ForeignKey(FollowUp, on_delete=models.SET_NULL, null=True, blank=True, related_name="emails")
    flag = models.ForeignKey(Flag, on_delete=models.SET_NULL, null=True, blank=True, related_name="emails")
    clinic = models.ForeignKey(Clinic, on_delete=models.SET_NULL, null=True, blank=True, related_name="+")

    class Meta:
        constraints = [
            models.CheckConstraint(
                condition=Q(status__in=["pending", "sending", "sent", "failed", "cancelled"]), name="email_status_valid"
            ),
            models.CheckConstraint(condition=~Q(status="sent") | Q(sent_at__isnull=False), name="email_sent_has_time"),
            models.CheckConstraint(
                condition=~Q(status="sending") | Q(claimed_at__isnull=False, lease_until__isnull=False),
                name="email_sending_leased",
            ),
            models.UniqueConstraint(fields=["message_id"], name="email_message_id_unique"),
            models.CheckConstraint(condition=Q(channel__in=["email", "sms", "push"]), name="message_channel_valid"),
            models.CheckConstraint(condition=~Q(channel="email") | ~Q(to_email=""), name="email_message_has_address"),
            models.CheckConstraint(condition=~Q(channel="sms") | ~Q(to_phone=""), name="sms_message_has_number"),
        ]
        indexes = [
            models.Index(fields=["due_at"], name="email_pending_due", condition=Q(status="pending")),
            models.Index(fields=["lease_until"], name="email_sending_lease", condition=Q(status="sending")),
            # /health/'s oldest message not yet sent.
            models.Index(
                fields=["created_at"], name="email_unsent_age", condition=Q(status__in=["pending", "sending"])
            ),
            models.Index(fields=["kind", "-created_at"]),
            # A delivery receipt finds its message by the provider's id.
            models.Index(fields=["provider_id"], name="message_provider_id", condition=~Q(provider_id="")),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} by {self.channel} to {self.recipient} ({self.status})"

    @property
    def recipient(self) -> str:
        """Where this message goes, as logs and the clinic's notes name it."""
        if self.channel == self.Channel.EMAIL:
            return self.to_email
        return self.to_phone or f"user {self.to_user_id}"


class DeliveryAttempt(models.Model):
    """One try at handing an OutboundEmail to the mail server, the SMS provider or the push service.

    A text the provider took and the carrier later could not deliver gets a second, failed row for that
    try when the receipt comes: its ``finished_at`` is when the app heard.
    """

    email = models.ForeignKey(OutboundEmail, on_delete=models.CASCADE, related_name="delivery_attempts")
    started_at = models.DateTimeField()
    finished_at = models.DateTimeField()
    succeeded = models.BooleanField()
    error = models.TextField(blank=True)

    class Meta:
        ordering = ["started_at"]

    def __str__(self) -> str:
        outcome = "sent" if self.succeeded else "failed"
        return f"Attempt for email {self.email_id} at {self.started_at:%Y-%m-%d %H:%M:%S}: {outcome}"


class DigestRun(models.Model):
    """The daily reminder of one clinic for one local date: the unique row makes it once a day."""

    clinic = models.ForeignKey(Clinic, on_delete=models.CASCADE, related_name="digest_runs")
    local_date = models.DateField()
    created_at = models.DateTimeField(default=timezone.now)
    emails_queued = models.PositiveIntegerField(default=0)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["clinic", "local_date"], name="digest_once_per_clinic_day")]

    def __str__(self) -> str:
        return f"Reminder for clinic {self.clinic_id} on {self.local_date:%Y-%m-%d}"


class Heartbeat(models.Model):
    """The last run of a periodic job (the dispatcher's minute tick), for the /health/ check."""

    name = models.CharField(max_length=40, unique=True)
    started_at = models.DateTimeField()
    finished_at = models.DateTimeField(null=True, blank=True)
    result = models.JSONField(default=dict, blank=True)

    def __str__(self) -> str:
        return f"{self.name}: {self.started_at:%Y-%m-%d %H:%M:%S}"
