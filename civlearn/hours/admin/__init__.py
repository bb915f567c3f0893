"""Operators' admin of the hours app: the ledger and its code tables and rules (ledger.py); the exchange with
institutions and reminders (exchange.py; announcements are civlearn.content's); the outbound hours batches
(outbound.py). Importing the modules registers them."""

from civlearn.hours.admin import exchange, ledger, mapping, outbound

__all__ = ["exchange", "ledger", "mapping", "outbound"]
