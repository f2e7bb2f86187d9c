from django.urls import include, path

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
    path("clinic/flags/<int:pk>/<slug:action>/", views.flag_action, name="flag_action"),
    path("clinic/invite/", views.invitation_create, name="invitation_create"),
    path("clinic/patients/", views.clinic_patients, name="clinic_patients"),
    path("clinic/patients/<int:pk>/", views.clinic_patient_detail, name="clinic_patient_detail"),
    path("clinic/patients/<int:pk>/update/", views.clinic_patient_update, name="clinic_patient_update"),
    path("clinic/patients/<int:pk>/infusions/new/", views.clinic_infusion_create, name="clinic_infusion_create"),
    path("clinic/infusions/<int:pk>/", views.clinic_infusion_detail, name="clinic_infusion_detail"),
    path("clinic/reports/<int:pk>/reclassify/", views.report_reclassify, name="report_reclassify"),
    path("clinic/products/", views.product_report, name="product_report"),
    path("clinic/settings/", views.clinic_settings, name="clinic_settings"),
    path("clinic/account/", views.clinic_account, name="clinic_account"),
    path("profile/", views.profile, name="profile"),
    path("f/<str:token>/", views.followup_answer, name="followup_answer"),
    path("f/<str:token>/report/", views.followup_report, name="followup_report"),
    path("email/<str:token>/", views.email_preferences, name="email_preferences"),
]

# Exports, the doctor-ready summary and charts live in their own module (reactions/export_views.py).
urlpatterns += [path("", include("reactions.export_urls"))]
