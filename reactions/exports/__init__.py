"""Exports: the clinic's CSVs, a patient's own data, the FHIR bundle, the doctor-ready summary."""
