"""Operators' admin of the hours app: the ledger and its code tables and rules (ledger.py); the exchange with
institutions and reminders (exchange.py; announcements are civlearn.content's). Importing the modules registers them."""

from civlearn.hours.admin import exchange, ledger, mapping

__all__ = ["exchange", "ledger", "mapping"]
