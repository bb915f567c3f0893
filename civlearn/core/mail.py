"""Every e-mail the platform sends goes through `mail_send`: a plain-text part and an HTML part, from one pair of
templates (`<name>.txt` and `<name>.html`), so no sender builds a message by hand and no message lacks either part.

The text template is rendered without HTML escaping (a link with `&` must stay a working link); the HTML template
extends `mail/base.html`, the one layout of every message. Both parts are rendered in the language active when the
function is called.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from django.core.mail import EmailMultiAlternatives
from django.template.loader import render_to_string


def mail_render(*, template: str, context: Mapping[str, Any]) -> tuple[str, str]:
    """(plain text, HTML) of the message `template` (a name without extension, e.g. "identity/mail/verification")."""
    text = render_to_string(f"{template}.txt", {**context, "mail_text": True}).strip() + "\n"
    html = render_to_string(f"{template}.html", dict(context))
    return text, html


def mail_send(
    *,
    template: str,
    subject: str,
    to: Sequence[str],
    context: Mapping[str, Any],
    connection: Any = None,
    headers: Mapping[str, str] | None = None,
) -> None:
    """Send one message with both parts to `to`. `subject` is already translated; `context` fills both templates;
    `headers` are extra header fields (e.g. List-Unsubscribe)."""
    text, html = mail_render(template=template, context={**context, "subject": subject})
    message = EmailMultiAlternatives(
        subject=subject, body=text, to=list(to), connection=connection, headers=dict(headers or {})
    )
    message.attach_alternative(html, "text/html")
    message.send()
