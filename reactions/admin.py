"""Django's admin is for support staff; clinicians and patients use the app's own pages."""

from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as BaseUserAdmin

from reactions.models import Clinic, Flag, Infusion, Invitation, ReactionReport, ReportedSymptom, User


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


@admin.register(Infusion)
class InfusionAdmin(admin.ModelAdmin):
    list_display = ["patient", "status", "started_at", "product", "lot_number", "dose_grams"]
    list_filter = ["status", "product"]
    search_fields = ["patient__email", "lot_number"]
    list_select_related = ["patient"]
    raw_id_fields = ["patient", "logged_by"]


class ReportedSymptomInline(admin.TabularInline):
    model = ReportedSymptom
    extra = 0


@admin.register(ReactionReport)
class ReactionReportAdmin(admin.ModelAdmin):
    list_display = ["patient", "infusion", "created_at", "is_severe", "needs_review"]
    list_filter = ["is_severe", "needs_review"]
    inlines = [ReportedSymptomInline]
    raw_id_fields = ["patient", "infusion"]
    list_select_related = ["patient", "infusion"]


@admin.register(Flag)
class FlagAdmin(admin.ModelAdmin):
    list_display = ["patient", "kind", "status", "created_at", "acknowledged_by"]
    list_filter = ["kind", "status", "clinic"]
    raw_id_fields = ["patient", "report", "acknowledged_by"]
    list_select_related = ["patient", "acknowledged_by"]
