"""Logging filter that keeps national IDs out of log lines, whatever code wrote them."""

import logging

from civlearn.core.national_id import mask_in_text

_formatter = logging.Formatter()


class MaskNationalIdFilter(logging.Filter):
    """Masks IDs in the message, its arguments, and the traceback text a formatter would print."""

    def filter(self, record: logging.LogRecord) -> bool:
        try:
            message = record.getMessage()
        except (TypeError, ValueError):
            # Arguments that do not fit the format: logging would print them raw in its error report, so the
            # record is reduced to masked text of both.
            message = f"{record.msg} {record.args!r}"
            record.msg, record.args = mask_in_text(message), None
            return True
        masked = mask_in_text(message)
        if masked != message:
            record.msg, record.args = masked, None
        # An exception's text (e.g. a ValueError quoting the bad input) is printed after the message; formatters
        # reuse record.exc_text when it is set, so masking it here covers every handler.
        if record.exc_info and not record.exc_text:
            record.exc_text = _formatter.formatException(record.exc_info)
        if record.exc_text:
            record.exc_text = mask_in_text(record.exc_text)
        if record.stack_info:
            record.stack_info = mask_in_text(record.stack_info)
        return True
