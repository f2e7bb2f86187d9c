from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.urls import include, path

from reactions import account_views, health, pwa_views
from reactions.forms.accounts import LoginForm, PasswordResetForm

urlpatterns = [
    path("accounts/login/", auth_views.LoginView.as_view(
        authentication_form=LoginForm, redirect_authenticated_user=True), name="login"),
    path("accounts/logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("accounts/password/change/", auth_views.PasswordChangeView.as_view(), name="password_change"),
    path("accounts/password/change/done/", auth_views.PasswordChangeDoneView.as_view(), name="password_change_done"),
    path("accounts/password/reset/", auth_views.PasswordResetView.as_view(form_class=PasswordResetForm),
         name="password_reset"),
    path("accounts/password/reset/sent/", auth_views.PasswordResetDoneView.as_view(), name="password_reset_done"),
    path("accounts/password/reset/<uidb64>/<token>/", auth_views.PasswordResetConfirmView.as_view(),
         name="password_reset_confirm"),
    path("accounts/password/reset/complete/", auth_views.PasswordResetCompleteView.as_view(),
         name="password_reset_complete"),
    path("accounts/2fa/setup/", account_views.two_factor_setup, name="two_factor_setup"),
    path("accounts/2fa/verify/", account_views.two_factor_verify, name="two_factor_verify"),
    path("accounts/2fa/enrol/", account_views.two_factor_enrol, name="two_factor_enrol"),
    path("accounts/2fa/enrol/<str:token>/", account_views.two_factor_enrol_link, name="two_factor_enrol_link"),
    path("profile/access/", account_views.my_access_log, name="my_access_log"),
    path("profile/delete/", account_views.my_deletion_request, name="my_deletion_request"),
    path("clinic/audit/", account_views.clinic_audit, name="clinic_audit"),
    path("clinic/audit.csv", account_views.clinic_audit_csv, name="clinic_audit_csv"),
    path("clinic/deletions/", account_views.clinic_deletions, name="clinic_deletions"),
    path("manifest.webmanifest", pwa_views.manifest, name="manifest"),
    path("sw.js", pwa_views.service_worker, name="service_worker"),
    path("offline/", pwa_views.offline, name="offline"),
    path("health/", health.health, name="health"),
    path("admin/", admin.site.urls),
    path("", include("reactions.urls")),
]
