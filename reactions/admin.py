"""Django's admin is for support staff; clinicians and patients use the app's own pages."""

from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as BaseUserAdmin
from django.db.models import Model
from django.http import HttpRequest

from reactions.models import (
    CareLink,
    Clinic,
    EventAssessment,
    Flag,
    Infusion,
    InfusionPlan,
    Invitation,
    ReactionReport,
    ReportedSymptom,
    User,
)
from reactions.services.versions import touch


@admin.register(Clinic)
class ClinicAdmin(admin.ModelAdmin):
    list_display = ["name", "out_of_hours_phone", "time_zone"]
    search_fields = ["name"]


@admin.register(User)
class UserAdmin(BaseUserAdmin):
    ordering = ["email"]
    list_display = ["email", "full_name", "role", "clinic", "is_active"]
    list_filter = ["role", "clinic", "is_active", "is_staff"]
    search_fields = ["email", "full_name"]
    list_select_related = ["clinic"]
    fieldsets = (
        (None, {"fields": ("email", "password")}),
        ("Person", {"fields": ("full_name", "role", "clinic", "time_zone", "phone")}),
        ("Access", {"fields": ("is_active", "is_staff", "is_superuser", "groups", "user_permissions")}),
        ("Dates", {"fields": ("last_login", "date_joined")}),
    )
    add_fieldsets = (
        (None, {"classes": ("wide",), "fields": ("email", "full_name", "role", "clinic", "password1", "password2")}),
    )


@admin.register(Invitation)
class InvitationAdmin(admin.ModelAdmin):
    list_display = ["email", "clinic", "role", "created_at", "accepted_at"]
    list_filter = ["clinic", "role"]
    search_fields = ["email"]
    exclude = ["nonce"]


@admin.register(CareLink)
class CareLinkAdmin(admin.ModelAdmin):
    """Which caregiver may help which patient; the patient and the caregiver end a link in the app."""

    list_display = ["patient", "caregiver", "created_at", "receives_prompts", "removed_at"]
    list_filter = ["receives_prompts"]
    search_fields = ["patient__email", "caregiver__email"]
    raw_id_fields = ["patient", "caregiver", "invited_by", "removed_by"]
    list_select_related = ["patient", "caregiver"]


class InfusionPlanInline(admin.TabularInline):
    """Clinicians' plans are their record: shown to support staff, changed only in the app."""

    model = InfusionPlan
    extra = 0
    can_delete = False
    readonly_fields = ["decision", "note", "decided_by", "decided_at", "superseded_at"]

    def has_add_permission(self, request: HttpRequest, obj: Model | None = None) -> bool:
        return False


@admin.register(Infusion)
class InfusionAdmin(admin.ModelAdmin):
    list_display = ["patient", "status", "started_at", "product", "lot_number", "dose_grams"]
    list_filter = ["status", "product"]
    search_fields = ["patient__email", "lot_number"]
    list_select_related = ["patient"]
    raw_id_fields = ["patient", "logged_by"]
    inlines = [InfusionPlanInline]


class ReportedSymptomInline(admin.TabularInline):
    model = ReportedSymptom
    extra = 0


class EventAssessmentInline(admin.TabularInline):
    """Clinicians' assessments are their record: shown to support staff, changed only in the app."""

    model = EventAssessment
    extra = 0
    can_delete = False
    fields = readonly_fields = [
        "death",
        "life_threatening",
        "hospitalisation",
        "disability",
        "congenital_anomaly",
        "medically_important",
        "causality",
        "action_taken",
        "outcome",
        "recorded_by",
        "recorded_at",
        "superseded_at",
    ]

    def has_add_permission(self, request: HttpRequest, obj: Model | None = None) -> bool:
        return False


@admin.register(ReactionReport)
class ReactionReportAdmin(admin.ModelAdmin):
    list_display = ["patient", "infusion", "created_at", "is_severe", "needs_review"]
    list_filter = ["is_severe", "needs_review"]
    inlines = [ReportedSymptomInline, EventAssessmentInline]
    raw_id_fields = ["patient", "infusion"]
    list_select_related = ["patient", "infusion"]


@admin.register(Flag)
class FlagAdmin(admin.ModelAdmin):
    list_display = ["patient", "kind", "status", "created_at", "acknowledged_by"]
    list_filter = ["kind", "status", "clinic"]
    raw_id_fields = ["patient", "report", "acknowledged_by"]
    list_select_related = ["patient", "acknowledged_by"]

    def save_model(self, request: HttpRequest, obj: Flag, form: object, change: bool) -> None:
        super().save_model(request, obj, form, change)
        touch(flag=obj)  # the report's card shows the flag: a change here is a change there
