"""The hours app's models, one module per concern; every other module imports them from here."""

from civlearn.hours.models.exchange import Announcement, ImportJob, InstitutionClient, ReminderRecord
from civlearn.hours.models.gaps import AgencyCutoff, AgencyGapPolicy, AtRiskSnapshot, StaffKind
from civlearn.hours.models.ledger import (
    Category,
    CategoryTable,
    LedgerEntry,
    mode_labels,
    unknown_codes,
    validate_code_sets,
)
from civlearn.hours.models.rules import ReportingCategory, RequirementRule

__all__ = [
    "AgencyCutoff",
    "AgencyGapPolicy",
    "Announcement",
    "AtRiskSnapshot",
    "Category",
    "CategoryTable",
    "ImportJob",
    "InstitutionClient",
    "LedgerEntry",
    "ReminderRecord",
    "ReportingCategory",
    "RequirementRule",
    "StaffKind",
    "mode_labels",
    "unknown_codes",
    "validate_code_sets",
]
