"""Logging filter that keeps national IDs out of log lines, whatever code wrote them."""

import logging

from civlearn.core.national_id import mask_in_text


class MaskNationalIdFilter(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        masked = mask_in_text(message)
        if masked != message:
            record.msg, record.args = masked, None
        return True
