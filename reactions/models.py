"""ivigtrack's data. Rules the database can hold are constraints, not Python checks."""
from __future__ import annotations

import zoneinfo

from django.contrib.auth.base_user import AbstractBaseUser, BaseUserManager
from django.contrib.auth.models import PermissionsMixin
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import F, Q
from django.db.models.functions import Lower
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from . import catalogue
from .catalogue import Grade, Onset


def validate_time_zone(value: str) -> None:
    if value not in zoneinfo.available_timezones():
        raise ValidationError(_("“%(value)s” is not a known time zone (e.g. Europe/London)."), params={"value": value})


class Clinic(models.Model):
    name = models.CharField(max_length=120)
    emergency_phone = models.CharField(
        max_length=40, help_text=_("Shown to patients who report a warning sign. A number answered at all hours.")
    )
    time_zone = models.CharField(max_length=64, default="Europe/London", validators=[validate_time_zone])
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["name"]

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


class User(AbstractBaseUser, PermissionsMixin):
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


class Infusion(models.Model):
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
        return self.product_other if self.product == self.Product.OTHER else self.get_product_display()

    @property
    def is_given(self) -> bool:
        return self.status == self.Status.GIVEN


class ReactionReport(models.Model):
    """What a patient reported about how they felt after one infusion."""

    patient = models.ForeignKey(User, on_delete=models.CASCADE, related_name="reports")
    # PROTECT: an infusion with reports cannot be deleted; nothing reported is lost.
    infusion = models.ForeignKey(Infusion, on_delete=models.PROTECT, related_name="reports")
    notes = models.TextField(_("anything else"), max_length=2000, blank=True)
    # Derived from the symptoms by reactions.severity when the report is saved.
    is_severe = models.BooleanField(default=False)
    needs_review = models.BooleanField(default=False)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-created_at"]
        indexes = [models.Index(fields=["infusion", "-created_at"]), models.Index(fields=["patient", "-created_at"])]

    def __str__(self) -> str:
        return f"Report {self.pk} on {self.infusion}"


class ReportedSymptom(models.Model):
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
        return catalogue.get(self.code)


class Flag(models.Model):
    """Something a clinician must look at: a severe event or a review flag."""

    class Kind(models.TextChoices):
        SEVERE_EVENT = "severe_event", _("Severe event")
        REVIEW = "review", _("Review flag")

    class Status(models.TextChoices):
        OPEN = "open", _("Open")
        ACKNOWLEDGED = "acknowledged", _("Acknowledged")

    # clinic and patient are copied from the report so that the clinic's queue is
    # one indexed query, whatever the number of reports.
    clinic = models.ForeignKey(Clinic, on_delete=models.CASCADE, related_name="flags")
    patient = models.ForeignKey(User, on_delete=models.CASCADE, related_name="flags")
    report = models.ForeignKey(ReactionReport, on_delete=models.CASCADE, related_name="flags")
    kind = models.CharField(max_length=20, choices=Kind.choices)
    status = models.CharField(max_length=20, choices=Status.choices, default=Status.OPEN)
    created_at = models.DateTimeField(default=timezone.now)
    acknowledged_at = models.DateTimeField(null=True, blank=True)
    acknowledged_by = models.ForeignKey(User, on_delete=models.SET_NULL, null=True, blank=True, related_name="+")
    acknowledgement_note = models.TextField(max_length=2000, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["report", "kind"], name="flag_once_per_report_kind"),
            models.CheckConstraint(condition=Q(kind__in=["severe_event", "review"]), name="flag_kind_valid"),
            models.CheckConstraint(
                condition=Q(status="open") | Q(acknowledged_at__isnull=False), name="flag_acknowledged_has_time"
            ),
        ]
        indexes = [
            models.Index(
                fields=["clinic", "kind", "-created_at"], name="flag_open_queue", condition=Q(status="open")
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} for {self.patient}"

    @property
    def is_severe(self) -> bool:
        return self.kind == self.Kind.SEVERE_EVENT
