"""ivigtrack's data, one module per aggregate. Rules the database can hold are constraints, not Python checks.

Everything is re-exported here: code, migrations and Django itself find every model as reactions.models.X.
"""

from .accounts import (
    Clinic,
    Invitation,
    User,
    UserManager,
    default_followup_offsets,
    default_vitals_safe_ranges,
    validate_time_zone,
)
from .audit import AuditEvent, AuditEventQuerySet, DeletionRequest
from .caregivers import CaregiverInvitation, CareLink, CareLinkQuerySet
from .followups import FollowUp
from .infusions import Infusion, RateChange, Vitals
from .outbox import DeliveryAttempt, DigestRun, Heartbeat, OutboundEmail, new_message_id
from .pharmacovigilance import EventAssessment
from .plans import InfusionPlan
from .reports import SEVERE_AFTER_REVIEW, ReactionReport, ReportedSymptom, ReportReclassification, ReportSource
from .triage import Flag, FlagEvent, LotSignal

__all__ = [
    "SEVERE_AFTER_REVIEW",
    "AuditEvent",
    "AuditEventQuerySet",
    "CareLink",
    "CareLinkQuerySet",
    "CaregiverInvitation",
    "Clinic",
    "DeletionRequest",
    "DeliveryAttempt",
    "DigestRun",
    "EventAssessment",
    "Flag",
    "FlagEvent",
    "FollowUp",
    "Heartbeat",
    "Infusion",
    "InfusionPlan",
    "Invitation",
    "LotSignal",
    "OutboundEmail",
    "RateChange",
    "ReactionReport",
    "ReportReclassification",
    "ReportSource",
    "ReportedSymptom",
    "User",
    "UserManager",
    "Vitals",
    "default_followup_offsets",
    "default_vitals_safe_ranges",
    "new_message_id",
    "validate_time_zone",
]
