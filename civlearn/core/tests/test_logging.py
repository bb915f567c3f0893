import io
import logging

import pytest

from civlearn.core.logging import MaskNationalIdFilter


@pytest.fixture
def captured():
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.setFormatter(logging.Formatter("%(levelname)s %(message)s"))
    handler.addFilter(MaskNationalIdFilter())
    logger = logging.getLogger("civlearn.tests.masking")
    logger.addHandler(handler)
    logger.setLevel(logging.INFO)
    logger.propagate = False
    yield logger, stream
    logger.removeHandler(handler)


def test_id_in_the_message_is_masked(captured):
    logger, stream = captured
    logger.info("first sign-in for A123456789 from 10.0.0.1")
    assert stream.getvalue() == "INFO first sign-in for A12345**** from 10.0.0.1\n"


def test_id_in_the_arguments_is_masked(captured):
    logger, stream = captured
    logger.warning("lookup %s in %s failed %d times", "a123456789", "A09600000Q", 3)
    assert stream.getvalue() == "WARNING lookup a12345**** in A09600000Q failed 3 times\n"


def test_full_width_and_resident_numbers_are_masked(captured):
    logger, stream = captured
    logger.info("ids: Ａ１２３４５６７８９ A800000014 AC00000003")
    assert stream.getvalue() == "INFO ids: Ａ１２３４５**** A80000**** AC0000****\n"


def test_id_in_an_exception_traceback_is_masked(captured):
    logger, stream = captured
    try:
        raise ValueError("no person A123456789")
    except ValueError:
        logger.exception("import failed")
    output = stream.getvalue()
    assert "A123456789" not in output
    assert "ValueError: no person A12345****" in output
    assert output.startswith("ERROR import failed\n")


def test_arguments_that_do_not_fit_the_format_are_masked_too(captured):
    logger, stream = captured
    logger.info("person %d", "A123456789")
    assert stream.getvalue() == "INFO person %d ('A12345****',)\n"


def test_lines_without_ids_are_left_alone(captured):
    logger, stream = captured
    logger.info("agency %s has %d staff", "A09600000Q", 20)
    assert stream.getvalue() == "INFO agency A09600000Q has 20 staff\n"


def test_the_settings_console_handler_carries_the_filter(settings):
    console = settings.LOGGING["handlers"]["console"]
    assert "mask_ids" in console["filters"]
    assert settings.LOGGING["filters"]["mask_ids"]["()"] == "civlearn.core.logging.MaskNationalIdFilter"
