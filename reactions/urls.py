from django.urls import path

from . import views

urlpatterns = [
    path("", views.home, name="home"),
    path("infusions/new/", views.infusion_create, name="infusion_create"),
    path("infusions/<int:pk>/", views.infusion_detail, name="infusion_detail"),
    path("infusions/<int:pk>/edit/", views.infusion_edit, name="infusion_edit"),
    path("infusions/<int:pk>/delete/", views.infusion_delete, name="infusion_delete"),
    path("infusions/<int:pk>/report/", views.report_create, name="report_create"),
    path("reports/<int:pk>/", views.report_detail, name="report_detail"),
    path("invitation/<str:token>/", views.invitation_accept, name="invitation_accept"),
    path("clinic/flags/", views.clinic_flags, name="clinic_flags"),
    path("clinic/flags/<int:pk>/", views.flag_detail, name="flag_detail"),
    path("clinic/flags/<int:pk>/acknowledge/", views.flag_acknowledge, name="flag_acknowledge"),
    path("clinic/invite/", views.invitation_create, name="invitation_create"),
    path("clinic/patients/", views.clinic_patients, name="clinic_patients"),
    path("clinic/settings/", views.clinic_settings, name="clinic_settings"),
    path("profile/", views.profile, name="profile"),
    path("f/<str:token>/", views.followup_answer, name="followup_answer"),
    path("f/<str:token>/report/", views.followup_report, name="followup_report"),
    path("email/<str:token>/", views.email_preferences, name="email_preferences"),
]
