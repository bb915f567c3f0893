"""The hours app's models, one module per concern; every other module imports them from here."""

from civlearn.hours.models.classes import (
    MAX_PORTIONS,
    Attendance,
    CalendarFeed,
    ClassOffering,
    ClassPortion,
    ClassSession,
    Registration,
)
from civlearn.hours.models.exchange import ImportJob, InstitutionClient, ReminderRecord
from civlearn.hours.models.gaps import AgencyCutoff, AgencyGapPolicy, AtRiskSnapshot, StaffKind
from civlearn.hours.models.institutions import Institution, InstitutionMember
from civlearn.hours.models.ledger import (
    Category,
    CategoryTable,
    LedgerEntry,
    mode_labels,
    unknown_codes,
    validate_code_sets,
)
from civlearn.hours.models.outbound import OutboundBatch, OutboundDestination, OutboundItem
from civlearn.hours.models.rules import ReportingCategory, RequirementRule

__all__ = [
    "MAX_PORTIONS",
    "AgencyCutoff",
    "AgencyGapPolicy",
    "AtRiskSnapshot",
    "Attendance",
    "CalendarFeed",
    "Category",
    "CategoryTable",
    "ClassOffering",
    "ClassPortion",
    "ClassSession",
    "ImportJob",
    "Institution",
    "InstitutionClient",
    "InstitutionMember",
    "LedgerEntry",
    "OutboundBatch",
    "OutboundDestination",
    "OutboundItem",
    "Registration",
    "ReminderRecord",
    "ReportingCategory",
    "RequirementRule",
    "StaffKind",
    "mode_labels",
    "unknown_codes",
    "validate_code_sets",
]
