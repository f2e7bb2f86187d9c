"""Infusions, and the vitals and rate changes recorded during one."""

from __future__ import annotations

import functools
import operator

from django.db import models
from django.db.models import F, Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from reactions.domain import vitals
from reactions.models.accounts import User


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
            models.CheckConstraint(
                condition=Q(dose_grams__isnull=True) | Q(dose_grams__gt=0), name="infusion_dose_positive"
            ),
            models.CheckConstraint(
                condition=~Q(product="other") | ~Q(product_other=""), name="infusion_other_product_named"
            ),
        ]
        indexes = [
            models.Index(fields=["patient", "-started_at"]),
            # The few planned infusions, for the clinic's "plan needed" list (reactions/selectors/plans.py).
            models.Index(fields=["patient", "started_at"], name="infusion_planned", condition=Q(status="planned")),
        ]

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
        return str(dict(cls.Product.choices).get(product, product))

    @property
    def is_given(self) -> bool:
        return self.status == self.Status.GIVEN

    @property
    def has_started(self) -> bool:
        """Symptoms can be reported from the infusion's start on (a planned one has nothing to report yet)."""
        return self.started_at <= timezone.now()


class Vitals(models.Model):
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
            *(
                models.CheckConstraint(
                    condition=Q(**{f"{name}__isnull": True}) | Q(**{f"{name}__range": bounds}),
                    name=f"vitals_{name}_possible",
                )
                for name, bounds in vitals.POSSIBLE.items()
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


class RateChange(models.Model):
    """Each infusion rate set during an infusion: started slowly, raised when there is no reaction."""

    Unit = vitals.RateUnit

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
                condition=functools.reduce(
                    operator.or_, (Q(unit=unit, rate__lte=limit) for unit, limit in vitals.RATE_LIMITS.items())
                ),
                name="rate_possible",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.rate} {self.get_unit_display()} at {self.changed_at:%H:%M}"
