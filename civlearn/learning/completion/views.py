"""Certificates: the learner's PDF and the public verification pages."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_GET

from civlearn.learning.completion.certificates import certificate_pdf, normalize_code, qr_svg, verification_url
from civlearn.learning.models import Certificate


@login_required
@require_GET
def certificate_pdf_view(request, number: str):
    certificate = get_object_or_404(Certificate, number=number, enrolment__user=request.user)
    response = HttpResponse(certificate_pdf(certificate=certificate), content_type="application/pdf")
    response["Content-Disposition"] = f'attachment; filename="certificate-{certificate.number}.pdf"'
    return response


@require_GET
def verify_form_view(request):
    """Public: type the code printed on a certificate."""
    code = normalize_code(request.GET.get("code", ""))
    if code:
        return redirect("learning:certificate_verify_code", code=code)
    return render(request, "learning/verify.html", {"asked": "code" in request.GET})


@require_GET
def verify_view(request, code: str):
    """Public: shows that a certificate is genuine — name, course, hours, date, number; nothing else personal."""
    certificate = Certificate.objects.filter(verify_code=normalize_code(code)).first()
    if certificate is None:
        return render(request, "learning/verify.html", {"asked": True, "code": code}, status=404)
    return render(
        request,
        "learning/verify.html",
        {
            "certificate": certificate,
            "qr_svg": qr_svg(verification_url(certificate)),
            "verify_url": verification_url(certificate),
        },
    )
