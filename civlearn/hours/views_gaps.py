"""管理介面 for gaps: staff at risk (list and download) and the agency's cutoffs and reminder settings."""

from __future__ import annotations

from collections.abc import Sequence
from decimal import Decimal

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.http import urlencode
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_POST

from civlearn.core import rocdate
from civlearn.hours import exports, gaps, hr, services
from civlearn.hours.models import AgencyCutoff, AgencyGapPolicy, StaffKind
from civlearn.hours.views_hr import PAGE_SIZE, ReportFilter


def _risk(request):
    gaps.ensure_hr(request.user)
    form = ReportFilter(request.GET or None, user=request.user)
    if request.GET.get("agency") and form.is_bound and not form.is_valid() and "agency" in form.errors:
        raise PermissionDenied("您沒有查看此機關學習時數的權限")
    year, agency, _name, _short = form.values()
    if request.user.is_superuser and agency is None:
        return form, None, year
    return form, gaps.at_risk(user=request.user, year=year, agency=agency), year


@login_required
def at_risk_view(request) -> HttpResponse:
    """尚有缺口人員: who still has a gap, how large, how many days left, riskiest first."""
    form, risk, year = _risk(request)
    query = urlencode({k: str(v) for k, v in request.GET.items() if v and k in {"year", "agency"}})
    # One page of rows at a time (an agency of 5,000 staff is not one page); the downloads hold every row.
    page = Paginator(risk.rows, PAGE_SIZE).get_page(request.GET.get("page")) if risk else None
    return render(
        request,
        "hours/hr/at_risk.html",
        {"form": form, "risk": risk, "page": page, "roc_year": rocdate.roc_year(year), "query": query},
    )


def _number(value: Decimal) -> Decimal | int:
    """Whole hours as integers, so a spreadsheet shows 6 rather than 6.0."""
    return int(value) if value == value.to_integral_value() else value


def risk_sheet(risk: gaps.RiskList) -> exports.Sheet:
    headers = "姓名 身分證字號 機關代碼 機關名稱 人員類別 截止日 剩餘天數 至少尚缺時數 每日需完成時數 未達成項目"
    rows: list[Sequence[object]] = [list(headers.split())]
    for row in risk.rows:
        rows.append(
            [
                row.name,
                row.masked_id,
                row.agency_code,
                row.agency_name,
                row.deadline.staff_kind_label,
                rocdate.format_display(row.deadline.day),
                row.days_left,
                _number(row.size),
                row.per_day,
                "、".join(f"{label} 尚缺 {format(missing.normalize(), 'f')}" for label, missing in row.gaps),
            ]
        )
    return exports.Sheet(f"{rocdate.roc_year(risk.year)}年度尚有缺口人員", rows)


@login_required
def at_risk_download(request, fmt: str) -> HttpResponse:
    if fmt not in {"xlsx", "ods"}:
        raise Http404("不支援的檔案格式")
    _form, risk, year = _risk(request)
    if risk is None:
        raise Http404("請先選擇機關")
    return exports.sheet_download(risk_sheet(risk), fmt=fmt, filename=f"hours-at-risk-{rocdate.roc_year(year)}")


class CutoffForm(forms.Form):
    agency: forms.ModelChoiceField = forms.ModelChoiceField(label=_("機關"), queryset=None, empty_label=None)
    year = forms.IntegerField(
        label=_("年度"),
        min_value=1,
        max_value=999,
        help_text=_("民國年，例如：115"),
        error_messages={"invalid": _("年度請輸入民國年數字，例如：115"), "min_value": _("請輸入正確的民國年度")},
    )
    staff_kind = forms.ChoiceField(label=_("人員類別"), choices=StaffKind.choices)
    cutoff = forms.CharField(
        label=_("時數採計截止日"), max_length=12, help_text=_("民國年月日，例如：1151130 或 115-11-30")
    )

    def clean_cutoff(self):
        try:
            return rocdate.parse_roc_or_iso(self.cleaned_data["cutoff"])
        except ValueError as exc:
            raise ValidationError(str(exc)) from None


class PolicyForm(forms.Form):
    agency: forms.ModelChoiceField = forms.ModelChoiceField(label=_("機關"), queryset=None, empty_label=None)
    reminder_days = forms.IntegerField(
        label=_("截止日前幾天寄送提醒"),
        min_value=1,
        max_value=365,
        help_text=_("尚有缺口的人員在截止日前這麼多天收到提醒信（每週最多一封）"),
        error_messages={
            "invalid": _("提醒天數應介於 1 至 365 天"),
            "min_value": _("提醒天數應介於 1 至 365 天"),
            "max_value": _("提醒天數應介於 1 至 365 天"),
        },
    )
    digest_email = forms.CharField(
        label=_("每週摘要收件信箱"), required=False, max_length=254, help_text=_("空白表示寄給本機關人事人員")
    )


def _mark_invalid(form: forms.Form) -> None:
    for name in form.errors:
        if name in form.fields:
            form.fields[name].widget.attrs["aria-invalid"] = "true"


@login_required
def deadlines_view(request) -> HttpResponse:
    """時數採計截止日與提醒設定: cutoffs per year and staff category, reminder days and the digest's address."""
    agencies = hr.managed_agencies(request.user).order_by("code")
    if not request.user.is_superuser and not agencies.exists():
        raise PermissionDenied("只有機關人事人員可以設定時數採計截止日")
    action = request.POST.get("action") if request.method == "POST" else None
    cutoff_form = CutoffForm(request.POST if action == "cutoff" else None, prefix="cutoff")
    policy_form = PolicyForm(request.POST if action == "policy" else None, prefix="policy")
    for form in (cutoff_form, policy_form):
        choice = form.fields["agency"]
        assert isinstance(choice, forms.ModelChoiceField)
        choice.queryset = agencies
        choice.error_messages["invalid_choice"] = _("您沒有設定此機關時數規定的權限")
    done = None
    if action == "cutoff" and cutoff_form.is_valid():
        data = cutoff_form.cleaned_data
        try:
            services.agency_cutoff_set(
                actor=request.user,
                agency=data["agency"],
                year=data["year"] + rocdate.ROC_OFFSET,
                staff_kind=data["staff_kind"],
                cutoff=data["cutoff"],
            )
            done = _("已設定時數採計截止日")
        except ValidationError as exc:
            for field, problems in exc.message_dict.items():
                for problem in problems:
                    cutoff_form.add_error(field if field in cutoff_form.fields else None, problem)
    elif action == "policy" and policy_form.is_valid():
        data = policy_form.cleaned_data
        try:
            services.agency_gap_policy_set(
                actor=request.user,
                agency=data["agency"],
                reminder_days=data["reminder_days"],
                digest_email=data["digest_email"],
            )
            done = _("已儲存提醒設定")
        except ValidationError as exc:
            for field, problems in exc.message_dict.items():
                for problem in problems:
                    policy_form.add_error(field if field in policy_form.fields else None, problem)
    if done:
        messages.success(request, done)
        return redirect("hours:hr_deadlines")
    _mark_invalid(cutoff_form)
    _mark_invalid(policy_form)
    cutoffs = (
        AgencyCutoff.objects.filter(agency__in=agencies)
        .select_related("agency")
        .order_by("agency__code", "-year", "staff_kind")
    )
    policies = AgencyGapPolicy.objects.filter(agency__in=agencies).select_related("agency").order_by("agency__code")
    return render(
        request,
        "hours/hr/deadlines.html",
        {
            "cutoff_form": cutoff_form,
            "policy_form": policy_form,
            "cutoffs": cutoffs,
            "policies": policies,
            "default_days": AgencyGapPolicy.DEFAULT_REMINDER_DAYS,
        },
        status=400 if cutoff_form.errors or policy_form.errors else 200,
    )


@login_required
@require_POST
def cutoff_delete(request, cutoff_id: int) -> HttpResponse:
    agencies = hr.managed_agencies(request.user)
    # Another agency's cutoff is "not found", never "forbidden".
    cutoff = get_object_or_404(AgencyCutoff, pk=cutoff_id, agency__in=agencies)
    services.agency_cutoff_delete(actor=request.user, cutoff=cutoff)
    messages.success(request, _("已刪除時數採計截止日"))
    return redirect("hours:hr_deadlines")
