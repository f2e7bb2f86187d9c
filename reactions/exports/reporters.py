"""Who gave a report or answered a follow-up, in the words of the exports: "patient", or "caregiver: <name>".

The app's pages say the same with templates/reactions/_reported_by.html ("Reported by <name> (caregiver)");
the exports are data in English, whatever the reader's language, so they say it here. A caregiver's words
must never pass for the patient's own account in a file that leaves the app (hazard H-33).
"""

from __future__ import annotations

from reactions.models import FollowUp, ReactionReport, ReportSource, User

PATIENT = "patient"
CAREGIVER = "caregiver"
CLINIC_STAFF = "clinic staff"

# Reports a caregiver gave: in the app with their own account, or to the clinic's staff, who entered it.
CAREGIVER_SOURCES = frozenset({ReportSource.CAREGIVER, ReportSource.CAREGIVER_APP})


def caregiver_text(name: str) -> str:
    """How a caregiver is named: "caregiver: Jo Smith", or "caregiver" when the name is not known."""
    return f"{CAREGIVER}: {name}" if name else CAREGIVER


def by_caregiver(report: ReactionReport) -> bool:
    return report.source in CAREGIVER_SOURCES


def reporting_caregiver(report: ReactionReport) -> User | None:
    """The caregiver's own account when they reported in the app (for a caregiver who told the clinic, the
    report names only the member of staff who entered it)."""
    if report.source == ReportSource.CAREGIVER_APP:
        return report.entered_by
    return None


def reporter_text(report: ReactionReport) -> str:
    """Who gave the report. Reads ``report.entered_by``: select it with the report."""
    if not by_caregiver(report):
        return PATIENT
    caregiver = reporting_caregiver(report)
    return caregiver_text(caregiver.full_name if caregiver else "")


def staff_entry_name(report: ReactionReport) -> str:
    """The member of staff who entered a report given by phone, in the clinic or by a caregiver to the clinic;
    empty when the patient or their caregiver reported in the app."""
    if report.source in (ReportSource.PATIENT, ReportSource.CAREGIVER_APP) or report.entered_by is None:
        return ""
    return report.entered_by.full_name


def answerer_text(followup: FollowUp) -> str:
    """Who answered a follow-up; empty while it is unanswered.

    An answer made by a report is the report's (its reporter); otherwise ``answered_by`` is empty for the
    patient and names the caregiver who answered for them. Reads ``followup.report.entered_by`` and
    ``followup.answered_by``: select them with the follow-up.
    """
    if followup.answered_at is None:
        return ""
    if followup.report is not None:
        return reporter_text(followup.report)
    if followup.answered_by is None:
        return PATIENT
    if followup.answered_by.is_caregiver:
        return caregiver_text(followup.answered_by.full_name)
    return CLINIC_STAFF
