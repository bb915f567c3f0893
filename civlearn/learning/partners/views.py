"""加盟機關: 加盟機關一覽表, each partner's page of its courses, and 加盟機關申請 (parse, call the service, render)."""

from __future__ import annotations

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET, require_http_methods

from civlearn.core.services import client_ip
from civlearn.identity import selectors as identity_selectors
from civlearn.learning.models import PartnerAgency
from civlearn.learning.partners import selectors, services
from civlearn.registry import selectors as registry_selectors


@require_GET
def partner_list(request):
    return render(request, "learning/partners/list.html", {"partners": selectors.partners_listed()})


@require_GET
def partner_detail(request, code: str):
    partner = get_object_or_404(
        PartnerAgency.objects.select_related("agency"), agency__code=code, status=PartnerAgency.APPROVED
    )
    return render(
        request, "learning/partners/detail.html", {"partner": partner, "courses": selectors.partner_courses(partner)}
    )


def _agencies_for(user):
    if user.is_staff:
        return registry_selectors.agencies()
    ids = set(identity_selectors.agencies_managed_by(user, "hr").values_list("pk", flat=True))
    ids |= set(identity_selectors.agencies_managed_by(user, "provider").values_list("pk", flat=True))
    return registry_selectors.agencies(ids)


class ApplyForm(forms.Form):
    agency = forms.ModelChoiceField(
        label=gettext_lazy("申請機關"), queryset=registry_selectors.agencies([]), empty_label=None
    )
    introduction = forms.CharField(
        label=gettext_lazy("機關簡介"), widget=forms.Textarea(attrs={"rows": 4}), required=False
    )
    contact_name = forms.CharField(label=gettext_lazy("聯絡人"), max_length=60, required=False)
    contact_email = forms.CharField(label=gettext_lazy("聯絡電子郵件"), max_length=254, required=False)
    contact_phone = forms.CharField(label=gettext_lazy("聯絡電話"), max_length=30, required=False)

    def __init__(self, *args, agencies, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["agency"].queryset = agencies
        self.fields["agency"].error_messages["invalid_choice"] = gettext_lazy("請從清單中選擇")


@login_required
@require_http_methods(["GET", "POST"])
def partner_apply(request):
    """加盟機關申請: an agency's HR officer or course provider applies; an operator reviews it in the admin."""
    agencies = _agencies_for(request.user)
    if not agencies.exists():
        raise PermissionDenied(_("加盟機關申請限機關的人事人員或課程提供人員"))
    form = ApplyForm(request.POST or None, agencies=agencies)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            services.partner_apply(
                actor=request.user,
                agency=data["agency"],
                introduction=data["introduction"],
                contact_name=data["contact_name"],
                contact_email=data["contact_email"],
                contact_phone=data["contact_phone"],
                ip_address=client_ip(request),
            )
        except services.PartnerError as exc:
            for field, problems in exc.errors.items():
                for problem in problems:
                    form.add_error(field if field in form.fields else None, problem)
        else:
            messages.success(request, _("已送出加盟機關申請，請靜候系統管理者審核；審核結果會顯示在本頁的申請狀態"))
            return redirect("learning:partner_apply")
    applications = PartnerAgency.objects.filter(agency__in=agencies).select_related("agency")
    status = 400 if form.errors else 200
    return render(request, "learning/partners/apply.html", {"form": form, "applications": applications}, status=status)
