"""The hours app's models, one module per concern; every other module imports them from here."""

from civlearn.hours.models.exchange import ImportJob, InstitutionClient, ReminderRecord
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
    "Category",
    "CategoryTable",
    "ImportJob",
    "InstitutionClient",
    "LedgerEntry",
    "ReminderRecord",
    "ReportingCategory",
    "RequirementRule",
    "mode_labels",
    "unknown_codes",
    "validate_code_sets",
]
