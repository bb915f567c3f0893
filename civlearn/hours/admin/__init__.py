"""Operators' admin of the hours app: the ledger and its code tables and rules (ledger.py); the exchange with
institutions, reminders and announcements (exchange.py). Importing the modules registers them."""

from civlearn.hours.admin import exchange, ledger, mapping

__all__ = ["exchange", "ledger", "mapping"]
