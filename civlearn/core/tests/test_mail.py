"""core.mail: every message has a plain-text and an HTML part, received here from a real local SMTP server."""

from __future__ import annotations

import pytest
from django.utils import translation

from civlearn.core.mail import mail_send

pytestmark = pytest.mark.django_db


def _parts(message):
    plain = message.get_body(preferencelist=("plain",))
    html = message.get_body(preferencelist=("html",))
    # SMTP carries CRLF line ends; compare lines as a reader sees them.
    return plain.get_content().replace("\r\n", "\n"), html.get_content().replace("\r\n", "\n")


def test_a_message_has_a_text_part_and_an_html_part(smtp_server):
    link = "https://civlearn.example.tw/ecpa/verify/abc?x=1&y=2"

    mail_send(
        template="identity/mail/verification",
        subject="人事服務網 eCPA 電子郵件認證",
        to=["learner@example.tw"],
        context={"link": link, "code": "123456", "when": "115/12/06 12:30"},
    )

    (message,) = smtp_server.wait_for(1)
    assert message["To"] == "learner@example.tw"
    assert message["Subject"] == "人事服務網 eCPA 電子郵件認證"
    assert message.get_content_type() == "multipart/alternative"
    text, html = _parts(message)
    # The text part keeps the link as it is: no HTML escaping of "&".
    assert f"\n{link}\n" in text
    assert "認證碼：123456" in text
    assert "連結與認證碼於 115/12/06 12:30 前有效，且僅能使用一次。" in text
    assert "<" not in text
    assert html.startswith("<!doctype html>")
    assert '<html lang="zh-Hant-TW">' in html
    assert 'href="https://civlearn.example.tw/ecpa/verify/abc?x=1&amp;y=2"' in html
    assert '<strong style="font-size:22px;letter-spacing:4px;">123456</strong>' in html
    assert "人事服務網 eCPA（本信由系統自動寄出，請勿直接回覆）" in html


def test_both_parts_follow_the_active_language(smtp_server):
    with translation.override("en"):
        mail_send(
            template="identity/mail/email_changed",
            subject="eCPA e-mail address changed",
            to=["old@example.tw"],
            context={"account": "A12345****", "new": "new@example.tw"},
        )

    (message,) = smtp_server.wait_for(1)
    text, html = _parts(message)
    assert "The e-mail address of your eCPA account (A12345****) was changed to new@example.tw." in text
    assert "The e-mail address of your eCPA account (A12345****) was changed to new@example.tw." in html
    assert '<html lang="en">' in html
