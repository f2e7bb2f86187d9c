"""ivigtrack's data. Rules the database can hold are constraints, not Python checks."""
from __future__ import annotations

import functools
import zoneinfo
from datetime import datetime
from email.utils import make_msgid
from typing import Any
from urllib.parse import urlsplit

from django.conf import settings
from django.contrib.auth.base_user import AbstractBaseUser, BaseUserManager
from django.contrib.auth.models import PermissionsMixin
from django.core.exceptions import ValidationError
from django.core.signals import setting_changed
from django.db import models
from django.db.models import F, Q
from django.db.models.functions import Lower
from django.dispatch import receiver
from django.utils import timezone, translation
from django.utils.translation import gettext_lazy as _

from . import catalogue, schedule
from .catalogue import Grade, Onset


def default_followup_offsets() -> list[int]:
    return list(schedule.DEFAULT_FOLLOWUP_OFFSETS_HOURS)


# Adult ranges in which a value during an infusion needs no review; a clinic can change them.
DEFAULT_VITALS_SAFE_RANGES: dict[str, list[float]] = {
    "systolic": [90, 160],
    "diastolic": [50, 100],
    "pulse": [50, 110],
    "temperature": [35.5, 37.9],
}


def default_vitals_safe_ranges() -> dict[str, list[float]]:
    return {name: list(bounds) for name, bounds in DEFAULT_VITALS_SAFE_RANGES.items()}


@functools.cache
def _choice_labels(field: models.Field, language: str | None) -> dict[Any, str]:
    with translation.override(language):
        return {value: str(label) for value, label in field.flatchoices}


class ChoiceLabels(models.Model):
    """get_FOO_display() that translates each field's labels once per language, not on every call.

    Django's own builds a dict of every (value, label) pair on each call, hashing each lazily
    translated label, i.e. translating every choice to show one: a page of a hundred rows did
    thousands of translations. Here the labels are translated once per field, language and process.
    """

    class Meta:
        abstract = True

    def _get_FIELD_display(self, field: models.Field) -> Any:  # noqa: N802 - Django's name
        value = getattr(self, field.attname)
        try:
            return _choice_labels(field, translation.get_language()).get(value, value)
        except TypeError:  # an unhashable value: Django's own handles it
            return super()._get_FIELD_display(field)


@receiver(setting_changed)
def _forget_translated_labels(*, setting: str, **kwargs: Any) -> None:
    """Tests that change the languages or catalogues must not see labels translated before."""
    if setting in ("LANGUAGES", "LANGUAGE_CODE", "LOCALE_PATHS"):
        _choice_labels.cache_clear()
        catalogue._translated.cache_clear()


def new_message_id() -> str:
    """An RFC 5322 Message-ID in the site's own domain."""
    return make_msgid(domain=urlsplit(settings.SITE_URL).hostname or "ivigtrack.invalid")


def validate_time_zone(value: str) -> None:
    if value not in zoneinfo.available_timezones():
        raise ValidationError(_("“%(value)s” is not a known time zone (e.g. Europe/London)."), params={"value": value})


class Clinic(ChoiceLabels):
    name = models.CharField(max_length=120)
    emergency_phone = models.CharField(
        max_length=40, help_text=_("Shown to patients who report a warning sign. A number answered at all hours.")
    )
    time_zone = models.CharField(max_length=64, default="Europe/London", validators=[validate_time_zone])
    # Follow-up engine settings (DESIGN.md §3), changed by the clinic admin in the app.
    followup_offsets_hours = models.JSONField(
        default=default_followup_offsets, help_text=_("Hours after an infusion ends at which patients are asked again.")
    )
    quiet_hours_start = models.TimeField(default=schedule.DEFAULT_QUIET_START)
    quiet_hours_end = models.TimeField(default=schedule.DEFAULT_QUIET_END)
    prompt_reminder_after_hours = models.PositiveSmallIntegerField(
        default=24, help_text=_("An unanswered prompt gets one reminder after this many hours.")
    )
    escalation_after_minutes = models.PositiveSmallIntegerField(
        default=30, help_text=_("A severe event not acknowledged by then is escalated, also to clinic admins.")
    )
    escalation_repeat_minutes = models.PositiveSmallIntegerField(default=60)
    daily_reminder_at = models.TimeField(default=schedule.DEFAULT_QUIET_END)
    vitals_safe_ranges = models.JSONField(
        default=default_vitals_safe_ranges, help_text=_("Vitals outside these ranges are highlighted and flagged.")
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["name"]
        constraints = [
            models.CheckConstraint(condition=Q(escalation_after_minutes__gte=1), name="clinic_escalation_positive"),
            models.CheckConstraint(condition=Q(escalation_repeat_minutes__gte=5), name="clinic_escalation_repeat_min"),
            models.CheckConstraint(condition=Q(prompt_reminder_after_hours__gte=1), name="clinic_prompt_reminder_positive"),
        ]

    def __str__(self) -> str:
        return self.name

    @property
    def tzinfo(self) -> zoneinfo.ZoneInfo:
        return zoneinfo.ZoneInfo(self.time_zone)


class UserManager(BaseUserManager["User"]):
    use_in_migrations = True

    def _create_user(self, email: str, password: str | None, **extra: object) -> "User":
        if not email:
            raise ValueError("An e-mail address is required.")
        user = self.model(email=self.normalize_email(email).lower(), **extra)
        user.set_password(password)
        user.save(using=self._db)
        return user

    def create_user(self, email: str, password: str | None = None, **extra: object) -> "User":
        extra.setdefault("is_staff", False)
        extra.setdefault("is_superuser", False)
        return self._create_user(email, password, **extra)

    def create_superuser(self, email: str, password: str | None = None, **extra: object) -> "User":
        extra.update(is_staff=True, is_superuser=True)
        extra.setdefault("role", User.Role.CLINIC_ADMIN)
        return self._create_user(email, password, **extra)

    def get_by_natural_key(self, username: str | None) -> "User":
        # E-mail is the login and is matched case-insensitively.
        return self.get(email__iexact=username)


class User(ChoiceLabels, AbstractBaseUser, PermissionsMixin):
    """Everyone who signs in. The e-mail address is the login."""

    class Role(models.TextChoices):
        PATIENT = "patient", _("Patient")
        CLINICIAN = "clinician", _("Clinician")
        CLINIC_ADMIN = "clinic_admin", _("Clinic admin")

    email = models.EmailField(_("e-mail address"), max_length=254, unique=True)
    full_name = models.CharField(_("full name"), max_length=150)
    role = models.CharField(max_length=20, choices=Role.choices, default=Role.PATIENT)
    clinic = models.ForeignKey(Clinic, on_delete=models.PROTECT, null=True, blank=True, related_name="users")
    time_zone = models.CharField(
        max_length=64, blank=True, validators=[validate_time_zone], help_text=_("Empty: the clinic's time zone.")
    )
    is_active = models.BooleanField(default=True)
    is_staff = models.BooleanField(default=False, help_text=_("Can use Django's admin (support staff)."))
    class Indication(models.TextChoices):
        RRMS_DMT_FAILED = "rrms_dmt_failed", _("Relapsing-remitting MS, standard therapy not tolerated or failed")
        PREGNANCY = "pregnancy_postpartum", _("Pregnancy / postpartum")
        RELAPSE = "relapse", _("Relapse treatment")
        OTHER = "other", _("Other")

    indication = models.CharField(max_length=30, choices=Indication.choices, blank=True)
    # Empty: follow the browser's Accept-Language. Also the language of this user's e-mails.
    language = models.CharField(_("language"), max_length=8, choices=settings.LANGUAGES, blank=True)
    # A patient can pause or stop follow-up e-mails; clinicians see it on the patient list.
    followups_paused_until = models.DateTimeField(null=True, blank=True)
    followups_stopped_at = models.DateTimeField(null=True, blank=True)
    date_joined = models.DateTimeField(default=timezone.now)

    objects = UserManager()

    USERNAME_FIELD = "email"
    EMAIL_FIELD = "email"
    REQUIRED_FIELDS = ["full_name"]

    class Meta:
        constraints = [
            models.UniqueConstraint(Lower("email"), name="user_email_unique_ci"),
            models.CheckConstraint(condition=Q(role__in=["patient", "clinician", "clinic_admin"]), name="user_role_valid"),
            # Everyone but support superusers belongs to exactly one clinic.
            models.CheckConstraint(condition=Q(is_superuser=True) | Q(clinic__isnull=False), name="user_has_clinic"),
        ]
        indexes = [models.Index(fields=["clinic", "role"])]

    def __str__(self) -> str:
        return self.full_name or self.email

    def get_full_name(self) -> str:
        return self.full_name

    def get_short_name(self) -> str:
        return self.full_name.split(" ")[0] if self.full_name else self.email

    @property
    def is_patient(self) -> bool:
        return self.role == self.Role.PATIENT

    @property
    def is_clinic_staff(self) -> bool:
        """Clinicians and clinic admins: they see their clinic's patients."""
        return self.role in (self.Role.CLINICIAN, self.Role.CLINIC_ADMIN) and self.clinic_id is not None

    def followups_allowed(self, at: datetime | None = None) -> bool:
        at = at or timezone.now()
        if self.followups_stopped_at is not None:
            return False
        return self.followups_paused_until is None or self.followups_paused_until <= at

    @property
    def followup_state(self) -> str:
        """'stopped', 'paused' or 'on', for templates."""
        if self.followups_stopped_at is not None:
            return "stopped"
        if self.followups_paused_until is not None and self.followups_paused_until > timezone.now():
            return "paused"
        return "on"

    @property
    def tzinfo(self) -> zoneinfo.ZoneInfo:
        if self.time_zone:
            return zoneinfo.ZoneInfo(self.time_zone)
        if self.clinic_id:
            return self.clinic.tzinfo
        return zoneinfo.ZoneInfo("UTC")


class Invitation(ChoiceLabels):
    """An e-mailed, signed, expiring, single-use invitation to join a clinic."""

    email = models.EmailField(max_length=254)
    clinic = models.ForeignKey(Clinic, on_delete=models.CASCADE, related_name="invitations")
    role = models.CharField(max_length=20, choices=User.Role.choices, default=User.Role.PATIENT)
    full_name = models.CharField(max_length=150, blank=True)
    invited_by = models.ForeignKey(User, on_delete=models.SET_NULL, null=True, related_name="+")
    # Random per invitation and part of the signed token: a token is bound to one row.
    nonce = models.CharField(max_length=32)
    created_at = models.DateTimeField(default=timezone.now)
    accepted_at = models.DateTimeField(null=True, blank=True)
    accepted_user = models.ForeignKey(User, on_delete=models.SET_NULL, null=True, blank=True, related_name="+")

    class Meta:
        indexes = [models.Index(fields=["clinic", "-created_at"])]

    def __str__(self) -> str:
        return f"Invitation for {self.email}"


class Infusion(ChoiceLabels):
    class Status(models.TextChoices):
        PLANNED = "planned", _("Planned")
        GIVEN = "given", _("Given")

    class Product(models.TextChoices):
        # Common IVIG brands; "other" asks for the name.
        PRIVIGEN = "privigen", "Privigen"
        GAMUNEX_C = "gamunex_c", "Gamunex-C"
        OCTAGAM = "octagam", "Octagam"
        GAMMAGARD = "gammagard", "Gammagard Liquid / Kiovig"
        FLEBOGAMMA = "flebogamma", "Flebogamma DIF"
        PANZYGA = "panzyga", "Panzyga"
        INTRATECT = "intratect", "Intratect"
        GAMMAPLEX = "gammaplex", "Gammaplex"
        BIVIGAM = "bivigam", "Bivigam"
        ASCENIV = "asceniv", "Asceniv"
        OTHER = "other", _("Other")

    class Setting(models.TextChoices):
        CLINIC = "clinic", _("Clinic")
        HOSPITAL = "hospital", _("Hospital")
        HOME = "home", _("Home")

    patient = models.ForeignKey(User, on_delete=models.CASCADE, related_name="infusions")
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.GIVEN)
    started_at = models.DateTimeField(_("start"))
    ended_at = models.DateTimeField(_("end"), null=True, blank=True)
    product = models.CharField(max_length=20, choices=Product.choices)
    product_other = models.CharField(_("product name"), max_length=80, blank=True)
    lot_number = models.CharField(_("lot number"), max_length=40, blank=True)
    dose_grams = models.DecimalField(_("dose (g)"), max_digits=5, decimal_places=1, null=True, blank=True)
    setting = models.CharField(_("where"), max_length=10, choices=Setting.choices, default=Setting.CLINIC)
    premedication = models.CharField(max_length=200, blank=True)
    pre_hydrated = models.BooleanField(_("drank extra fluids beforehand"), default=False)
    notes = models.TextField(max_length=2000, blank=True)
    logged_by = models.ForeignKey(User, on_delete=models.SET_NULL, null=True, blank=True, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-started_at"]
        constraints = [
            models.CheckConstraint(condition=Q(status__in=["planned", "given"]), name="infusion_status_valid"),
            models.CheckConstraint(
                condition=Q(ended_at__isnull=True) | Q(ended_at__gt=F("started_at")), name="infusion_ends_after_start"
            ),
            models.CheckConstraint(condition=Q(dose_grams__isnull=True) | Q(dose_grams__gt=0), name="infusion_dose_positive"),
            models.CheckConstraint(condition=~Q(product="other") | ~Q(product_other=""), name="infusion_other_product_named"),
        ]
        indexes = [models.Index(fields=["patient", "-started_at"])]

    def __str__(self) -> str:
        return f"{self.product_name} on {self.started_at:%Y-%m-%d}"

    @property
    def product_name(self) -> str:
        return self.name_of_product(self.product, self.product_other)

    @classmethod
    def name_of_product(cls, product: str, product_other: str) -> str:
        """The product as shown: the name the patient typed for "other", else the product's label."""
        if product == cls.Product.OTHER:
            return product_other
        return _choice_labels(cls._meta.get_field("product"), translation.get_language()).get(product, product)

    @property
    def is_given(self) -> bool:
        return self.status == self.Status.GIVEN


# ReactionReport.level == "severe" as a filter: a clinician's reclassification wins over the patient's answers.
SEVERE_AFTER_REVIEW = Q(clinician_level="severe") | Q(clinician_level="", is_severe=True)


class ReactionReport(ChoiceLabels):
    """What a patient reported about how they felt after one infusion."""

    patient = models.ForeignKey(User, on_delete=models.CASCADE, related_name="reports")
    # PROTECT: an infusion with reports cannot be deleted; nothing reported is lost.
    infusion = models.ForeignKey(Infusion, on_delete=models.PROTECT, related_name="reports")
    notes = models.TextField(_("anything else"), max_length=2000, blank=True)
    # Derived from the symptoms by reactions.severity when the report is saved.
    is_severe = models.BooleanField(default=False)
    needs_review = models.BooleanField(default=False)
    # A clinician's reclassification after review (empty: as the patient reported).
    clinician_level = models.CharField(max_length=20, blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-created_at"]
        indexes = [
            models.Index(fields=["infusion", "-created_at"]),
            models.Index(fields=["patient", "-created_at"]),
            # The few severe reports, by infusion: the product/lot report asks of every infusion whether
            # it had one; without it each question read all of that infusion's reports.
            models.Index(fields=["infusion"], name="report_severe_by_infusion", condition=SEVERE_AFTER_REVIEW),
        ]

    def __str__(self) -> str:
        return f"Report {self.pk} on {self.infusion}"

    SEVERE_AFTER_REVIEW = SEVERE_AFTER_REVIEW

    @property
    def patient_level(self) -> str:
        """'severe', 'review' or 'mild', from the patient's own answers."""
        return "severe" if self.is_severe else "review" if self.needs_review else "mild"

    @property
    def level(self) -> str:
        return self.clinician_level or self.patient_level


class ReportedSymptom(ChoiceLabels):
    report = models.ForeignKey(ReactionReport, on_delete=models.CASCADE, related_name="symptoms")
    code = models.CharField(max_length=40, choices=catalogue.choices())
    grade = models.CharField(max_length=12, choices=Grade.choices)
    onset = models.CharField(max_length=12, choices=Onset.choices)
    ongoing = models.BooleanField(_("still going on"), default=False)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["report", "code"], name="symptom_once_per_report"),
            models.CheckConstraint(condition=Q(grade__in=Grade.values), name="symptom_grade_valid"),
            models.CheckConstraint(condition=Q(onset__in=Onset.values), name="symptom_onset_valid"),
        ]

    def __str__(self) -> str:
        return f"{self.code} ({self.grade})"

    @property
    def symptom(self) -> catalogue.Symptom:
        return catalogue.get_translated(self.code)


class Flag(ChoiceLabels):
    """Something a clinician must act on: a severe event, a review flag, or a prompt with no response.

    Its source is exactly one of: a reaction report, out-of-range vitals, an unanswered follow-up.
    """

    class Kind(models.TextChoices):
        SEVERE_EVENT = "severe_event", _("Severe event")
        REVIEW = "review", _("Review flag")
        UNREACHABLE = "unreachable", _("Cannot reach patient")
        NO_RESPONSE = "no_response", _("No response to follow-up")

    class Status(models.TextChoices):
        OPEN = "open", _("Open")
        ACKNOWLEDGED = "acknowledged", _("Acknowledged")
        CLOSED = "closed", _("Closed")

    class Outcome(models.TextChoices):
        RESOLVED = "resolved", _("Resolved")
        TREATED_IN_CLINIC = "treated_in_clinic", _("Treated in clinic")
        EMERGENCY_VISIT = "emergency_visit", _("Emergency visit")
        HOSPITALISED = "hospitalised", _("Hospitalised")
        PLAN_CHANGED = "plan_changed", _("Infusion plan changed")
        NOT_A_REACTION = "not_a_reaction", _("Not a reaction")

    # clinic and patient are copied from the source so that the clinic's queue is
    # one indexed query, whatever the number of reports.
    clinic = models.ForeignKey(Clinic, on_delete=models.CASCADE, related_name="flags")
    patient = models.ForeignKey(User, on_delete=models.CASCADE, related_name="flags")
    report = models.ForeignKey(ReactionReport, on_delete=models.CASCADE, null=True, blank=True, related_name="flags")
    vitals = models.ForeignKey("Vitals", on_delete=models.CASCADE, null=True, blank=True, related_name="flags")
    followup = models.ForeignKey("FollowUp", on_delete=models.CASCADE, null=True, blank=True, related_name="flags")
    kind = models.CharField(max_length=20, choices=Kind.choices)
    status = models.CharField(max_length=20, choices=Status.choices, default=Status.OPEN)
    created_at = models.DateTimeField(default=timezone.now)
    acknowledged_at = models.DateTimeField(null=True, blank=True)
    acknowledged_by = models.ForeignKey(User, on_delete=models.SET_NULL, null=True, blank=True, related_name="+")
    acknowledgement_note = models.TextField(max_length=2000, blank=True)
    assigned_to = models.ForeignKey(User, on_delete=models.SET_NULL, null=True, blank=True, related_name="assigned_flags")
    # A review flag (never a severe event) can be snoozed: it leaves the queue until then.
    snoozed_until = models.DateTimeField(null=True, blank=True)
    snooze_reason = models.CharField(max_length=300, blank=True)
    outcome = models.CharField(max_length=30, choices=Outcome.choices, blank=True)
    closed_at = models.DateTimeField(null=True, blank=True)
    closed_by = models.ForeignKey(User, on_delete=models.SET_NULL, null=True, blank=True, related_name="+")
    # Severe events alert the clinicians until acknowledged: when the next alert is due,
    # and how many went out (the second and later ones are escalations).
    next_alert_at = models.DateTimeField(null=True, blank=True)
    alerts_sent = models.PositiveIntegerField(default=0)
    # Why the app raised a flag no report stands behind, e.g. the mail server's refusal of an address.
    reason = models.CharField(max_length=500, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["report", "kind"], name="flag_once_per_report_kind"),
            models.UniqueConstraint(fields=["followup"], name="flag_once_per_followup"),
            models.UniqueConstraint(fields=["vitals"], name="flag_once_per_vitals"),
            models.CheckConstraint(
                condition=Q(kind__in=["severe_event", "review", "unreachable", "no_response"]), name="flag_kind_valid"
            ),
            models.CheckConstraint(
                condition=Q(status__in=["open", "acknowledged", "closed"]), name="flag_status_valid"
            ),
            models.CheckConstraint(
                condition=Q(status="open") | Q(acknowledged_at__isnull=False), name="flag_acknowledged_has_time"
            ),
            models.CheckConstraint(
                condition=~Q(status="closed") | (Q(closed_at__isnull=False) & ~Q(outcome="")),
                name="flag_closed_has_outcome",
            ),
            models.CheckConstraint(
                condition=~Q(kind="severe_event") | Q(snoozed_until__isnull=True), name="flag_severe_never_snoozed"
            ),
            models.CheckConstraint(
                condition=(
                    Q(report__isnull=False, vitals__isnull=True, followup__isnull=True)
                    | Q(report__isnull=True, vitals__isnull=False, followup__isnull=True)
                    | Q(report__isnull=True, vitals__isnull=True, followup__isnull=False)
                ),
                name="flag_has_one_source",
            ),
        ]
        indexes = [
            models.Index(
                fields=["clinic", "kind", "-created_at"], name="flag_active_queue", condition=~Q(status="closed")
            ),
            models.Index(fields=["next_alert_at"], name="flag_alert_due", condition=Q(status="open", next_alert_at__isnull=False)),
            models.Index(fields=["patient", "-created_at"]),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} for {self.patient}"

    @property
    def is_severe(self) -> bool:
        return self.kind == self.Kind.SEVERE_EVENT

    @property
    def is_active(self) -> bool:
        return self.status != self.Status.CLOSED

    @property
    def infusion(self) -> "Infusion | None":
        if self.report_id:
            return self.report.infusion
        if self.vitals_id:
            return self.vitals.infusion
        if self.followup_id:
            return self.followup.infusion
        return None


class FlagEvent(ChoiceLabels):
    """Every action on a flag, with who and when: the flag's history and its notes thread."""

    class Action(models.TextChoices):
        ACKNOWLEDGED = "acknowledged", _("Acknowledged")
        ASSIGNED = "assigned", _("Assigned")
        NOTE = "note", _("Note")
        SNOOZED = "snoozed", _("Snoozed")
        RECLASSIFIED = "reclassified", _("Reclassified")
        CLOSED = "closed", _("Closed with outcome")
        REOPENED = "reopened", _("Reopened")

    flag = models.ForeignKey(Flag, on_delete=models.CASCADE, related_name="events")
    actor = models.ForeignKey(User, on_delete=models.SET_NULL, null=True, related_name="+")
    action = models.CharField(max_length=20, choices=Action.choices)
    note = models.TextField(max_length=4000, blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["created_at", "pk"]
        indexes = [models.Index(fields=["flag", "created_at"])]

    def __str__(self) -> str:
        return f"{self.get_action_display()} by {self.actor} on flag {self.flag_id}"


class ReportReclassification(ChoiceLabels):
    """A clinician's change of a report's severity. The patient's own answers are never altered."""

    report = models.ForeignKey(ReactionReport, on_delete=models.CASCADE, related_name="reclassifications")
    from_level = models.CharField(max_length=20)
    to_level = models.CharField(max_length=20)
    reason = models.TextField(max_length=2000)
    by = models.ForeignKey(User, on_delete=models.SET_NULL, null=True, related_name="+")
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["created_at"]


class Vitals(ChoiceLabels):
    """Blood pressure, pulse and temperature recorded during a clinic or home-nurse infusion."""

    class Phase(models.TextChoices):
        START = "start", _("Start")
        DURING = "during", _("During")
        END = "end", _("End")

    infusion = models.ForeignKey("Infusion", on_delete=models.CASCADE, related_name="vitals")
    phase = models.CharField(max_length=10, choices=Phase.choices)
    recorded_at = models.DateTimeField()
    systolic = models.PositiveSmallIntegerField(_("systolic (mmHg)"), null=True, blank=True)
    diastolic = models.PositiveSmallIntegerField(_("diastolic (mmHg)"), null=True, blank=True)
    pulse = models.PositiveSmallIntegerField(_("pulse (/min)"), null=True, blank=True)
    temperature = models.DecimalField(_("temperature (°C)"), max_digits=3, decimal_places=1, null=True, blank=True)
    note = models.CharField(max_length=300, blank=True)
    out_of_range = models.BooleanField(default=False)
    recorded_by = models.ForeignKey(User, on_delete=models.SET_NULL, null=True, related_name="+")
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["recorded_at", "pk"]
        verbose_name_plural = "vitals"
        constraints = [
            # Physiologically impossible values are refused by the database too.
            models.CheckConstraint(condition=Q(systolic__isnull=True) | Q(systolic__range=(40, 300)), name="vitals_systolic_possible"),
            models.CheckConstraint(condition=Q(diastolic__isnull=True) | Q(diastolic__range=(20, 200)), name="vitals_diastolic_possible"),
            models.CheckConstraint(condition=Q(pulse__isnull=True) | Q(pulse__range=(20, 250)), name="vitals_pulse_possible"),
            models.CheckConstraint(
                condition=Q(temperature__isnull=True) | Q(temperature__range=(30, 45)), name="vitals_temperature_possible"
            ),
            models.CheckConstraint(
                condition=Q(systolic__isnull=True, diastolic__isnull=True)
                | Q(systolic__isnull=False, diastolic__isnull=False, systolic__gt=F("diastolic")),
                name="vitals_bp_pair",
            ),
            models.CheckConstraint(
                condition=Q(systolic__isnull=False) | Q(pulse__isnull=False) | Q(temperature__isnull=False),
                name="vitals_not_empty",
            ),
        ]

    def __str__(self) -> str:
        return f"Vitals ({self.phase}) for infusion {self.infusion_id}"


class RateChange(ChoiceLabels):
    """Each infusion rate set during an infusion: started slowly, raised when there is no reaction."""

    class Unit(models.TextChoices):
        ML_KG_H = "ml_kg_h", "mL/kg/h"
        ML_H = "ml_h", "mL/h"

    infusion = models.ForeignKey("Infusion", on_delete=models.CASCADE, related_name="rate_changes")
    changed_at = models.DateTimeField()
    rate = models.DecimalField(max_digits=6, decimal_places=2)
    unit = models.CharField(max_length=10, choices=Unit.choices, default=Unit.ML_KG_H)
    note = models.CharField(max_length=300, blank=True)
    recorded_by = models.ForeignKey(User, on_delete=models.SET_NULL, null=True, related_name="+")
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["changed_at", "pk"]
        constraints = [
            models.CheckConstraint(condition=Q(rate__gt=0), name="rate_positive"),
            models.CheckConstraint(
                condition=Q(unit="ml_h", rate__lte=1000) | Q(unit="ml_kg_h", rate__lte=15), name="rate_possible"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.rate} {self.get_unit_display()} at {self.changed_at:%H:%M}"


class LotSignal(ChoiceLabels):
    """Two or more severe events on the same product lot within 30 days, in one clinic."""

    clinic = models.ForeignKey(Clinic, on_delete=models.CASCADE, related_name="lot_signals")
    product = models.CharField(max_length=20)
    lot_number = models.CharField(max_length=40)
    severe_events = models.PositiveIntegerField()
    patients = models.PositiveIntegerField()
    first_event_at = models.DateTimeField()
    last_event_at = models.DateTimeField()
    created_at = models.DateTimeField(default=timezone.now)
    acknowledged_at = models.DateTimeField(null=True, blank=True)
    acknowledged_by = models.ForeignKey(User, on_delete=models.SET_NULL, null=True, blank=True, related_name="+")

    class Meta:
        ordering = ["-created_at"]
        indexes = [models.Index(fields=["clinic", "product", "lot_number", "-created_at"])]

    def __str__(self) -> str:
        return f"Lot signal {self.product} {self.lot_number}"


class FollowUp(ChoiceLabels):
    """One scheduled message to a patient: a prompt after an infusion, or the day-before reminder.

    The row is the source of truth for what is due (DESIGN.md §3); the e-mail it causes is
    an OutboundEmail with its own delivery record.
    """

    class Kind(models.TextChoices):
        PROMPT = "prompt", _("Follow-up prompt")
        PRE_INFUSION = "pre_infusion", _("Day-before reminder")

    class Status(models.TextChoices):
        SCHEDULED = "scheduled", _("Scheduled")
        PROMPTED = "prompted", _("Prompt sent")
        REMINDED = "reminded", _("Reminder sent")
        ANSWERED = "answered", _("Answered")
        NO_RESPONSE = "no_response", _("No response")
        DONE = "done", _("Sent")  # a day-before reminder needs no answer
        CANCELLED = "cancelled", _("Cancelled")
        SKIPPED = "skipped", _("Skipped (e-mails paused)")
        UNDELIVERABLE = "undeliverable", _("Could not be delivered")

    class Answer(models.TextChoices):
        NO_SYMPTOMS = "no_symptoms", _("No new symptoms")
        REPORTED = "reported", _("Reported symptoms")

    infusion = models.ForeignKey(Infusion, on_delete=models.CASCADE, related_name="followups")
    patient = models.ForeignKey(User, on_delete=models.CASCADE, related_name="followups")
    kind = models.CharField(max_length=20, choices=Kind.choices, default=Kind.PROMPT)
    offset_hours = models.PositiveSmallIntegerField(null=True, blank=True)
    due_at = models.DateTimeField()
    status = models.CharField(max_length=20, choices=Status.choices, default=Status.SCHEDULED)
    created_at = models.DateTimeField(default=timezone.now)
    prompted_at = models.DateTimeField(null=True, blank=True)  # the prompt e-mail was queued
    sent_at = models.DateTimeField(null=True, blank=True)  # ... and delivered to the mail server
    reminded_at = models.DateTimeField(null=True, blank=True)
    reminder_sent_at = models.DateTimeField(null=True, blank=True)
    answered_at = models.DateTimeField(null=True, blank=True)
    answer = models.CharField(max_length=20, choices=Answer.choices, blank=True)
    report = models.ForeignKey(ReactionReport, on_delete=models.SET_NULL, null=True, blank=True, related_name="+")
    closed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["due_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["infusion", "offset_hours"], condition=Q(kind="prompt"), name="followup_prompt_once_per_offset"
            ),
            models.UniqueConstraint(
                fields=["infusion"], condition=Q(kind="pre_infusion"), name="followup_pre_infusion_once"
            ),
            models.CheckConstraint(
                condition=Q(status__in=["scheduled", "prompted", "reminded", "answered", "no_response", "done",
                                        "cancelled", "skipped", "undeliverable"]),
                name="followup_status_valid",
            ),
            models.CheckConstraint(
                condition=~Q(status="answered") | (Q(answered_at__isnull=False) & ~Q(answer="")),
                name="followup_answered_has_answer",
            ),
            models.CheckConstraint(
                condition=~Q(kind="prompt") | Q(offset_hours__isnull=False), name="followup_prompt_has_offset"
            ),
        ]
        indexes = [
            # The dispatcher's hot queries touch only rows still in play.
            models.Index(fields=["due_at"], name="followup_due", condition=Q(status="scheduled")),
            models.Index(fields=["sent_at"], name="followup_awaiting_reminder", condition=Q(status="prompted")),
            models.Index(fields=["reminder_sent_at"], name="followup_awaiting_answer", condition=Q(status="reminded")),
            models.Index(fields=["infusion", "status"]),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} +{self.offset_hours or 0}h for infusion {self.infusion_id}"

    @property
    def is_open(self) -> bool:
        """Sent and awaiting the patient's answer."""
        return self.status in (self.Status.PROMPTED, self.Status.REMINDED, self.Status.NO_RESPONSE)


class OutboundEmail(ChoiceLabels):
    """Every e-mail the app sends, rendered when queued and delivered by the dispatcher.

    A row is marked SENT only after the mail server accepted it; each try is a DeliveryAttempt.
    """

    class Kind(models.TextChoices):
        INVITATION = "invitation", _("Invitation")
        FOLLOWUP_PROMPT = "followup_prompt", _("Follow-up prompt")
        FOLLOWUP_REMINDER = "followup_reminder", _("Follow-up reminder")
        PRE_INFUSION = "pre_infusion", _("Day-before reminder")
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
    status = models.CharField(max_length=20, choices=Status.choices, default=Status.PENDING)
    # Given when the message is queued and sent with every try: a copy that a crash makes the app send
    # twice carries the same Message-ID, so mail systems and people can tell it is the same message.
    message_id = models.CharField(max_length=255, default=new_message_id)
    to_user = models.ForeignKey(User, on_delete=models.SET_NULL, null=True, blank=True, related_name="+")
    to_email = models.EmailField(max_length=254)
    subject = models.CharField(max_length=300)
    body_text = models.TextField()
    body_html = models.TextField(blank=True)
    # When the next delivery attempt may start (creation time, then backed off after failures).
    due_at = models.DateTimeField(default=timezone.now)
    attempts = models.PositiveIntegerField(default=0)
    claimed_at = models.DateTimeField(null=True, blank=True)
    # A claimed (SENDING) row left past this time belongs to a worker that died mid-send: it is retried.
    lease_until = models.DateTimeField(null=True, blank=True)
    sent_at = models.DateTimeField(null=True, blank=True)
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
        ]
        indexes = [
            models.Index(fields=["due_at"], name="email_pending_due", condition=Q(status="pending")),
            models.Index(fields=["lease_until"], name="email_sending_lease", condition=Q(status="sending")),
            # /health/'s oldest message not yet sent.
            models.Index(fields=["created_at"], name="email_unsent_age", condition=Q(status__in=["pending", "sending"])),
            models.Index(fields=["kind", "-created_at"]),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} to {self.to_email} ({self.status})"


class DeliveryAttempt(ChoiceLabels):
    """One try at handing an OutboundEmail to the mail server."""

    email = models.ForeignKey(OutboundEmail, on_delete=models.CASCADE, related_name="delivery_attempts")
    started_at = models.DateTimeField()
    finished_at = models.DateTimeField()
    succeeded = models.BooleanField()
    error = models.TextField(blank=True)

    class Meta:
        ordering = ["started_at"]


class DigestRun(ChoiceLabels):
    """The daily reminder of one clinic for one local date: the unique row makes it once a day."""

    clinic = models.ForeignKey(Clinic, on_delete=models.CASCADE, related_name="digest_runs")
    local_date = models.DateField()
    created_at = models.DateTimeField(default=timezone.now)
    emails_queued = models.PositiveIntegerField(default=0)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["clinic", "local_date"], name="digest_once_per_clinic_day")]


class AuditEventQuerySet(models.QuerySet):
    def update(self, **kwargs: object) -> int:
        raise PermissionError("The audit trail is append-only.")

    def delete(self) -> tuple[int, dict[str, int]]:
        raise PermissionError("The audit trail is append-only.")


class AuditEvent(ChoiceLabels):
    """Who viewed or changed which patient's record, when, from where. Append-only.

    The app never updates or deletes a row (the model and its queryset refuse it, and on
    PostgreSQL a trigger refuses it too). When a patient's account is deleted, rows keep
    the pseudonymous patient id and lose the name (see SECURITY.md).
    """

    class Action(models.TextChoices):
        VIEW = "view", _("Viewed")
        CHANGE = "change", _("Changed")
        EXPORT = "export", _("Exported")
        DELETE = "delete", _("Deleted")

    actor = models.ForeignKey(User, on_delete=models.SET_NULL, null=True, related_name="+")
    actor_label = models.CharField(max_length=300)  # kept even if the actor's account goes
    patient = models.ForeignKey(User, on_delete=models.SET_NULL, null=True, related_name="audit_events")
    patient_ref = models.PositiveBigIntegerField()  # the patient's id, kept after deletion
    clinic = models.ForeignKey(Clinic, on_delete=models.SET_NULL, null=True, related_name="+")
    action = models.CharField(max_length=10, choices=Action.choices)
    what = models.CharField(max_length=200)
    ip_address = models.GenericIPAddressField(null=True, blank=True)
    created_at = models.DateTimeField(default=timezone.now, db_index=True)

    objects = AuditEventQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at", "-pk"]
        indexes = [models.Index(fields=["patient_ref", "-created_at"]), models.Index(fields=["clinic", "-created_at"])]

    def save(self, *args: object, **kwargs: object) -> None:
        if self.pk is not None:
            raise PermissionError("The audit trail is append-only.")
        super().save(*args, **kwargs)

    def delete(self, *args: object, **kwargs: object) -> tuple[int, dict[str, int]]:
        raise PermissionError("The audit trail is append-only.")


class DeletionRequest(ChoiceLabels):
    """A patient's request to delete their account, confirmed by a clinic admin."""

    patient = models.ForeignKey(User, on_delete=models.SET_NULL, null=True, related_name="deletion_requests")
    patient_ref = models.PositiveBigIntegerField()
    clinic = models.ForeignKey(Clinic, on_delete=models.CASCADE, related_name="deletion_requests")
    requested_at = models.DateTimeField(default=timezone.now)
    reason = models.CharField(max_length=500, blank=True)
    confirmed_at = models.DateTimeField(null=True, blank=True)
    confirmed_by = models.ForeignKey(User, on_delete=models.SET_NULL, null=True, blank=True, related_name="+")

    class Meta:
        ordering = ["-requested_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["patient"], condition=Q(confirmed_at__isnull=True), name="one_pending_deletion_per_patient"
            )
        ]


class Heartbeat(models.Model):
    """The last run of a periodic job (the dispatcher's minute tick), for the /health/ check."""

    name = models.CharField(max_length=40, unique=True)
    started_at = models.DateTimeField()
    finished_at = models.DateTimeField(null=True, blank=True)
    result = models.JSONField(default=dict, blank=True)

    def __str__(self) -> str:
        return f"{self.name}: {self.started_at:%Y-%m-%d %H:%M:%S}"
