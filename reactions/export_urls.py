"""Exports, the doctor-ready summary and the FHIR bundle (views in reactions/export_views.py)."""

from django.urls import path

from . import export_views

urlpatterns = [
    path("clinic/export/events.csv", export_views.export_events_csv, name="export_events_csv"),
    path("clinic/export/infusions.csv", export_views.export_infusions_csv, name="export_infusions_csv"),
    path("clinic/patients/<int:pk>/fhir.json", export_views.patient_fhir, name="patient_fhir"),
    path("clinic/patients/<int:pk>/summary/", export_views.patient_summary, name="patient_summary"),
    path("profile/export.json", export_views.my_data_json, name="my_data_json"),
    path("profile/export.csv", export_views.my_data_csv, name="my_data_csv"),
    path("summary/", export_views.my_summary, name="my_summary"),
]
