"""Clinics and the people who sign in: patients, clinicians, clinic admins; invitations."""

from __future__ import annotations

import zoneinfo
from datetime import datetime

from django.conf import settings
from django.contrib.auth.base_user import AbstractBaseUser, BaseUserManager
from django.contrib.auth.models import PermissionsMixin
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import F, Q
from django.db.models.functions import Lower
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from phonenumber_field.modelfields import PhoneNumberField

from reactions.domain import contacts, followup_risk, phones, schedule, sender_name, vitals


def default_followup_offsets() -> list[int]:
    return list(schedule.DEFAULT_FOLLOWUP_OFFSETS_HOURS)


def default_vitals_safe_ranges() -> dict[str, list[float]]:
    return {name: list(bounds) for name, bounds in vitals.DEFAULT_SAFE_RANGES.items()}


def default_open_days() -> list[int]:
    return list(contacts.DEFAULT_OPEN_DAYS)


def validate_time_zone(value: str) -> None:
    if value not in zoneinfo.available_timezones():
        raise ValidationError(_("“%(value)s” is not a known time zone (e.g. Europe/London)."), params={"value": value})


def validate_sender_name(value: str) -> None:
    try:
        if sender_name.sender_name_parse(value) != value:
            raise ValidationError(_("Remove the spaces at the ends and the double spaces."))
    except ValueError as error:
        raise ValidationError(str(error)) from None


class Clinic(models.Model):
    name = models.CharField(max_length=120)
    country = models.CharField(
        _("country"),
        max_length=2,
        choices=contacts.COUNTRIES,
        default="GB",
        help_text=_("Decides the emergency number patients are told to call."),
    )
    emergency_number = models.CharField(
        _("emergency number"),
        max_length=15,
        blank=True,
        help_text=_("Leave empty to use the country's emergency number (999 in the United Kingdom, 112 in Spain)."),
    )
    phone = models.CharField(
        _("clinic phone (opening hours)"),
        max_length=40,
        blank=True,
        help_text=_("Given to patients with an urgent problem while the clinic is open. Empty: the line below."),
    )
    out_of_hours_phone = models.CharField(
        _("out-of-hours phone"),
        max_length=40,
        help_text=_(
            "A number answered at all hours, given to patients with an urgent problem when the clinic is closed."
        ),
    )
    opens_at = models.TimeField(_("opens at"), default=contacts.DEFAULT_OPENS_AT)
    closes_at = models.TimeField(_("closes at"), default=contacts.DEFAULT_CLOSES_AT)
    open_days = models.JSONField(_("open on"), default=default_open_days)
    time_zone = models.CharField(max_length=64, default="Europe/London", validators=[validate_time_zone])
    message_sender_name = models.CharField(
        _("name on texts and notifications"),
        max_length=sender_name.SENDER_NAME_MAX_LENGTH,
        default=sender_name.DEFAULT_SENDER_NAME,
        validators=[validate_sender_name],
        help_text=_(
            "Texts start with this name and notifications are titled with it, on lock screens and shared phones. "
            "Choose words that say nothing about the treatment or the illness, e.g. “Riverside clinic”: the "
            "default, ivigtrack, tells anyone who knows the app what it is for. At most 20 characters, without "
            "accents such as á or ó, so that every text stays one message."
        ),
    )
    # The follow-up engine's settings, changed by the clinic admin in the app.
    followup_offsets_hours = models.JSONField(
        default=default_followup_offsets, help_text=_("Hours after an infusion ends at which patients are asked again.")
    )
    quiet_hours_start = models.TimeField(default=schedule.DEFAULT_QUIET_START)
    quiet_hours_end = models.TimeField(default=schedule.DEFAULT_QUIET_END)
    # Lung injury and late allergic reactions come within hours: such a prompt is not held till morning.
    quiet_hours_spare_early_window = models.BooleanField(
        _("send prompts of the first 6 hours during quiet hours too"),
        default=True,
        help_text=_(
            "Recommended: lung injury and late allergic reactions appear 1–6 hours after an infusion, so a prompt "
            "due then is sent at its time, even at night. Later prompts always wait for the end of quiet hours."
        ),
    )
    followup_rate_threshold_ml_kg_h = models.DecimalField(
        _("infusion rate that adds follow-up (mL/kg/h)"),
        max_digits=4,
        decimal_places=2,
        default=followup_risk.DEFAULT_RATE_THRESHOLD_ML_KG_H,
        help_text=_(
            "An infusion given faster than this gets extra follow-up prompts. Default 4.8 mL/kg/h, the labelled "
            "maximum of the 10% products."
        ),
    )
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
            models.CheckConstraint(
                condition=Q(prompt_reminder_after_hours__gte=1), name="clinic_prompt_reminder_positive"
            ),
            models.CheckConstraint(condition=Q(opens_at__lt=F("closes_at")), name="clinic_opens_before_it_closes"),
            models.CheckConstraint(
                condition=Q(followup_rate_threshold_ml_kg_h__gt=0, followup_rate_threshold_ml_kg_h__lte=15),
                name="clinic_rate_threshold_possible",
            ),
        ]

    def __str__(self) -> str:
        return self.name

    @property
    def tzinfo(self) -> zoneinfo.ZoneInfo:
        return zoneinfo.ZoneInfo(self.time_zone)

    @property
    def emergency_call_number(self) -> str:
        """The one number a patient with an emergency sign is told to call."""
        return contacts.emergency_number(self.country, self.emergency_number)

    def urgent_line(self, at: datetime | None = None) -> contacts.Line:
        """The number an urgent report calls at this moment (now by default), in the clinic's own hours."""
        local = (at or timezone.now()).astimezone(self.tzinfo)
        return contacts.urgent_line(
            local,
            phone=self.phone,
            out_of_hours_phone=self.out_of_hours_phone,
            days=self.open_days,
            opens_at=self.opens_at,
            closes_at=self.closes_at,
        )

    @property
    def urgent_line_now(self) -> contacts.Line:
        return self.urgent_line()

    @property
    def contact_lines(self) -> tuple[contacts.Line, ...]:
        """The clinic's line and its out-of-hours line, for an e-mail that may be read at any hour."""
        return contacts.clinic_lines(phone=self.phone, out_of_hours_phone=self.out_of_hours_phone)


# The patient's fields the follow-up risk rules read; clinicians edit them on the patient's page.
PATIENT_RISK_FIELDS: tuple[str, ...] = (
    "birth_year",
    "weight_kg",
    "thrombosis_history",
    "kidney_disease",
    "diabetes",
    "pregnancy_postpartum",
    "reduced_mobility",
    "iga_deficiency",
)


class UserManager(BaseUserManager["User"]):
    use_in_migrations = True

    def _create_user(self, email: str, password: str | None, **extra: object) -> User:
        if not email:
            raise ValueError("An e-mail address is required.")
        user = self.model(email=self.normalize_email(email).lower(), **extra)
        user.set_password(password)
        user.save(using=self._db)
        return user

    def create_user(self, email: str, password: str | None = None, **extra: object) -> User:
        extra.setdefault("is_staff", False)
        extra.setdefault("is_superuser", False)
        return self._create_user(email, password, **extra)

    def create_superuser(self, email: str, password: str | None = None, **extra: object) -> User:
        extra.update(is_staff=True, is_superuser=True)
        extra.setdefault("role", User.Role.CLINIC_ADMIN)
        return self._create_user(email, password, **extra)

    def get_by_natural_key(self, username: str | None) -> User:
        # E-mail is the login and is matched case-insensitively.
        return self.get(email__iexact=username)


class User(AbstractBaseUser, PermissionsMixin):
    """Everyone who signs in. The e-mail address is the login."""

    class Role(models.TextChoices):
        PATIENT = "patient", _("Patient")
        CLINICIAN = "clinician", _("Clinician")
        CLINIC_ADMIN = "clinic_admin", _("Clinic admin")
        # Someone a patient invited to follow up for them: no clinic, sees only the patients who invited them.
        CAREGIVER = "caregiver", _("Caregiver")

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
    # The number a clinician calls back on after a severe event; the patient and clinic staff can change it.
    phone = PhoneNumberField(_("phone number"), blank=True)
    # Empty: follow the browser's Accept-Language. Also the language of this user's e-mails.
    language = models.CharField(_("language"), max_length=8, choices=settings.LANGUAGES, blank=True)
    # A patient can pause or stop follow-up e-mails; clinicians see it on the patient list.
    followups_paused_until = models.DateTimeField(null=True, blank=True)
    followups_stopped_at = models.DateTimeField(null=True, blank=True)
    # Risk factors recorded by clinicians: they add follow-up prompts (reactions/domain/followup_risk.py).
    birth_year = models.PositiveSmallIntegerField(_("year of birth"), null=True, blank=True)
    weight_kg = models.DecimalField(
        _("weight (kg)"),
        max_digits=4,
        decimal_places=1,
        null=True,
        blank=True,
        help_text=_("Needed to tell a dose per kg and a rate in mL/h per kg. Empty: not known."),
    )
    thrombosis_history = models.BooleanField(_("history of thrombosis (a clot, heart attack or stroke)"), default=False)
    kidney_disease = models.BooleanField(_("kidney disease"), default=False)
    diabetes = models.BooleanField(_("diabetes"), default=False)
    pregnancy_postpartum = models.BooleanField(_("pregnant or gave birth in the last 6 weeks"), default=False)
    reduced_mobility = models.BooleanField(_("reduced mobility (mostly in bed or a wheelchair)"), default=False)
    iga_deficiency = models.BooleanField(_("IgA deficiency"), default=False)
    # How a patient gets their follow-up messages (several at once); with none possible, e-mail.
    notify_email = models.BooleanField(_("e-mail"), default=True)
    notify_sms = models.BooleanField(_("text messages"), default=False)
    # Set when the patient texts STOP (or the SMS provider says they did), cleared by START.
    sms_stopped_at = models.DateTimeField(null=True, blank=True)
    date_joined = models.DateTimeField(default=timezone.now)

    objects = UserManager()

    USERNAME_FIELD = "email"
    EMAIL_FIELD = "email"
    REQUIRED_FIELDS = ["full_name"]

    class Meta:
        constraints = [
            models.UniqueConstraint(Lower("email"), name="user_email_unique_ci"),
            models.CheckConstraint(
                condition=Q(role__in=["patient", "clinician", "clinic_admin", "caregiver"]), name="user_role_valid"
            ),
            # Everyone but support superusers and caregivers belongs to exactly one clinic; a caregiver to none
            # (they reach a patient through a CareLink, never through a clinic).
            models.CheckConstraint(
                condition=Q(is_superuser=True) | Q(clinic__isnull=False) | Q(role="caregiver"), name="user_has_clinic"
            ),
            models.CheckConstraint(
                condition=~Q(role="caregiver") | Q(clinic__isnull=True, is_staff=False, is_superuser=False),
                name="user_caregiver_has_no_clinic",
            ),
            models.CheckConstraint(
                condition=Q(birth_year__isnull=True) | Q(birth_year__gte=1900, birth_year__lte=2100),
                name="user_birth_year_possible",
            ),
            models.CheckConstraint(
                condition=Q(weight_kg__isnull=True) | Q(weight_kg__gte=20, weight_kg__lte=350),
                name="user_weight_possible",
            ),
        ]
        indexes = [
            models.Index(fields=["clinic", "role"]),
            # An inbound STOP or START names a number: the users with it are found by index.
            models.Index(fields=["phone"], name="user_phone", condition=~Q(phone="")),
        ]

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
    def is_caregiver(self) -> bool:
        return self.role == self.Role.CAREGIVER

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
    def phone_display(self) -> str:
        """The number as staff read it: national format at home, international from abroad."""
        if not self.phone:
            return ""
        return phones.phone_display(self.phone, home_region=settings.PHONENUMBER_DEFAULT_REGION)

    @property
    def phone_dial(self) -> str:
        """The number for a tel: link (E.164)."""
        return phones.phone_dial(self.phone) if self.phone else ""

    @property
    def risk_factors(self) -> followup_risk.PatientFactors:
        """The facts the follow-up risk rules read."""
        return followup_risk.PatientFactors(
            thrombosis_history=self.thrombosis_history,
            kidney_disease=self.kidney_disease,
            diabetes=self.diabetes,
            pregnancy_postpartum=self.pregnancy_postpartum,
            reduced_mobility=self.reduced_mobility,
            iga_deficiency=self.iga_deficiency,
            birth_year=self.birth_year,
            weight_kg=self.weight_kg,
        )

    @property
    def tzinfo(self) -> zoneinfo.ZoneInfo:
        if self.time_zone:
            return zoneinfo.ZoneInfo(self.time_zone)
        if self.clinic_id:
            return self.clinic.tzinfo
        return zoneinfo.ZoneInfo("UTC")


class Invitation(models.Model):
    """An e-mailed, signed, expiring, single-use invitation to join a clinic."""

    email = models.EmailField(max_length=254)
    clinic = models.ForeignKey(Clinic, on_delete=models.CASCADE, related_name="invitations")
    role = models.CharField(max_length=20, choices=User.Role.choices, default=User.Role.PATIENT)
    full_name = models.CharField(max_length=150, blank=True)
    # Clinic staff usually have the patient's number: copied to the account, which the patient can correct.
    phone = PhoneNumberField(blank=True)
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
