"""Every URL of the app, in one place; ivigtrack/urls.py adds Django's admin."""

from django.contrib.auth import views as auth_views
from django.urls import path

from reactions.forms.accounts import LoginForm, PasswordResetForm
from reactions.views import (
    accounts,
    clinic,
    exports,
    health,
    links,
    patient,
    pharmacovigilance,
    privacy,
    pwa,
    triage,
)

urlpatterns = [
    # The patient's own pages.
    path("", patient.home, name="home"),
    path("infusions/new/", patient.infusion_create, name="infusion_create"),
    path("infusions/<int:pk>/", patient.infusion_detail, name="infusion_detail"),
    path("infusions/<int:pk>/edit/", patient.infusion_edit, name="infusion_edit"),
    path("infusions/<int:pk>/delete/", patient.infusion_delete, name="infusion_delete"),
    path("infusions/<int:pk>/report/", patient.report_create, name="report_create"),
    path("reports/<int:pk>/", patient.report_detail, name="report_detail"),
    path("reports/red-flags/", patient.report_red_flags, name="report_red_flags"),
    path("profile/", accounts.profile, name="profile"),
    path("profile/access/", privacy.my_access_log, name="my_access_log"),
    path("profile/delete/", privacy.my_deletion_request, name="my_deletion_request"),
    path("profile/export.json", exports.my_data_json, name="my_data_json"),
    path("profile/export.csv", exports.my_data_csv, name="my_data_csv"),
    path("summary/", exports.my_summary, name="my_summary"),
    # Opened from e-mailed links: the signed token is the key.
    path("invitation/<str:token>/", links.invitation_accept, name="invitation_accept"),
    path("f/<str:token>/", links.followup_answer, name="followup_answer"),
    path("f/<str:token>/report/", links.followup_report, name="followup_report"),
    path("email/<str:token>/", links.email_preferences, name="email_preferences"),
    # Clinicians and clinic admins.
    path("clinic/flags/", triage.clinic_flags, name="clinic_flags"),
    path("clinic/flags/<int:pk>/", triage.flag_detail, name="flag_detail"),
    path("clinic/flags/<int:pk>/<slug:action>/", triage.flag_action, name="flag_action"),
    path("clinic/invite/", clinic.invitation_create, name="invitation_create"),
    path("clinic/patients/", clinic.clinic_patients, name="clinic_patients"),
    path("clinic/patients/<int:pk>/", clinic.clinic_patient_detail, name="clinic_patient_detail"),
    path("clinic/patients/<int:pk>/update/", clinic.clinic_patient_update, name="clinic_patient_update"),
    path("clinic/patients/<int:pk>/phone/", clinic.clinic_patient_phone, name="clinic_patient_phone"),
    path("clinic/patients/<int:pk>/risk/", clinic.clinic_patient_risk, name="clinic_patient_risk"),
    path("clinic/patients/<int:pk>/infusions/new/", clinic.clinic_infusion_create, name="clinic_infusion_create"),
    path("clinic/patients/<int:pk>/fhir.json", exports.patient_fhir, name="patient_fhir"),
    path("clinic/patients/<int:pk>/summary/", exports.patient_summary, name="patient_summary"),
    path("clinic/infusions/<int:pk>/", clinic.clinic_infusion_detail, name="clinic_infusion_detail"),
    path("clinic/infusions/<int:pk>/report/", clinic.clinic_report_create, name="clinic_report_create"),
    path("clinic/reports/<int:pk>/reclassify/", clinic.report_reclassify, name="report_reclassify"),
    path("clinic/reports/<int:pk>/assessment/", pharmacovigilance.report_assessment, name="report_assessment"),
    path("clinic/infusions/<int:pk>/plan/", pharmacovigilance.infusion_plan, name="infusion_plan"),
    path("clinic/products/", clinic.product_report, name="product_report"),
    path("clinic/export/events.csv", exports.export_events_csv, name="export_events_csv"),
    path("clinic/export/infusions.csv", exports.export_infusions_csv, name="export_infusions_csv"),
    path("clinic/settings/", clinic.clinic_settings, name="clinic_settings"),
    path("clinic/triage-rules/", clinic.triage_rules, name="triage_rules"),
    path("clinic/response-times/", clinic.clinic_response_times, name="clinic_response_times"),
    path("clinic/response-times.csv", clinic.clinic_response_times_csv, name="clinic_response_times_csv"),
    path("clinic/account/", accounts.clinic_account, name="clinic_account"),
    path("clinic/audit/", privacy.clinic_audit, name="clinic_audit"),
    path("clinic/audit.csv", privacy.clinic_audit_csv, name="clinic_audit_csv"),
    path("clinic/deletions/", privacy.clinic_deletions, name="clinic_deletions"),
    # Signing in (Django's views, with the app's forms) and two-factor sign-in.
    path(
        "accounts/login/",
        auth_views.LoginView.as_view(authentication_form=LoginForm, redirect_authenticated_user=True),
        name="login",
    ),
    path("accounts/logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("accounts/password/change/", auth_views.PasswordChangeView.as_view(), name="password_change"),
    path("accounts/password/change/done/", auth_views.PasswordChangeDoneView.as_view(), name="password_change_done"),
    path(
        "accounts/password/reset/",
        auth_views.PasswordResetView.as_view(form_class=PasswordResetForm),
        name="password_reset",
    ),
    path("accounts/password/reset/sent/", auth_views.PasswordResetDoneView.as_view(), name="password_reset_done"),
    path(
        "accounts/password/reset/<uidb64>/<token>/",
        auth_views.PasswordResetConfirmView.as_view(),
        name="password_reset_confirm",
    ),
    path(
        "accounts/password/reset/complete/",
        auth_views.PasswordResetCompleteView.as_view(),
        name="password_reset_complete",
    ),
    path("accounts/2fa/setup/", accounts.two_factor_setup, name="two_factor_setup"),
    path("accounts/2fa/verify/", accounts.two_factor_verify, name="two_factor_verify"),
    path("accounts/2fa/enrol/", accounts.two_factor_enrol, name="two_factor_enrol"),
    path("accounts/2fa/enrol/<str:token>/", accounts.two_factor_enrol_link, name="two_factor_enrol_link"),
    # The installable shell and liveness: no patient data.
    path("manifest.webmanifest", pwa.manifest, name="manifest"),
    path("sw.js", pwa.service_worker, name="service_worker"),
    path("offline/", pwa.offline, name="offline"),
    path("health/", health.health, name="health"),
]
