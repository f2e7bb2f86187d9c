"""Pure rules, no database and no request: the symptom catalogue, severity, follow-up times, vitals limits."""
