"""Completion certificates: the record, the A4 PDF (WeasyPrint, Noto CJK TC) and the public verification QR."""

from __future__ import annotations

import io
import secrets

import segno
from django.conf import settings
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from civlearn.core import rocdate
from civlearn.learning.models import Certificate, Enrolment

# No 0/O, 1/I/L: the code is typed by people reading it off paper.
CODE_ALPHABET = "23456789ABCDEFGHJKMNPQRSTUVWXYZ"
CODE_LENGTH = 10


def _new_code() -> str:
    return "".join(secrets.choice(CODE_ALPHABET) for _ in range(CODE_LENGTH))


def certificate_issue(*, enrolment: Enrolment) -> Certificate:
    """Issue the certificate of a completed enrolment (called inside the completion's transaction)."""
    course = enrolment.course
    person = enrolment.user.person
    return Certificate.objects.create(
        enrolment=enrolment,
        # e.g. 115-EL-00000042: ROC year of completion, then the enrolment number.
        number=f"{rocdate.roc_year(enrolment.completed_at.date()):03d}-EL-{enrolment.pk:08d}",
        verify_code=_new_code(),
        issued_at=enrolment.completed_at,
        learner_name=person.name if person else enrolment.user.display_name,
        course_title=course.title,
        certified_hours=course.certified_hours,
        provider_name=course.provider_agency.name,
    )


def normalize_code(text: str) -> str:
    return "".join(ch for ch in (text or "").upper() if ch.isalnum())


def verification_url(certificate: Certificate) -> str:
    return settings.SITE_URL + reverse("learning:certificate_verify_code", args=[certificate.verify_code])


def qr_svg(url: str) -> str:
    """An inline SVG QR code for the verification address."""
    buffer = io.BytesIO()
    segno.make(url, error="m").save(
        buffer, kind="svg", scale=4, border=2, xmldecl=False, svgns=True, title=_("證書查驗網址 QR 碼")
    )
    return buffer.getvalue().decode("utf-8")


def certificate_pdf(*, certificate: Certificate) -> bytes:
    """The certificate as a one-page A4 PDF in the active language (Traditional Chinese, or English)."""
    from weasyprint import HTML

    url = verification_url(certificate)
    issued = timezone.localtime(certificate.issued_at)
    html = render_to_string(
        "learning/certificate_pdf.html",
        {
            "certificate": certificate,
            "completed": rocdate.format_display(issued),
            "issued": issued,
            "roc_year": rocdate.roc_year(issued.date()),
            "verify_url": url,
            "qr_svg": qr_svg(url),
        },
    )
    return HTML(string=html, base_url=str(settings.BASE_DIR)).write_pdf()
