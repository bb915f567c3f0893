"""進入管理介面: an agency HR office's view of its staff's hours, downloads, reminder e-mails; announcements list."""

from __future__ import annotations

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import urlencode
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from civlearn.content import selectors as content_selectors
from civlearn.core import clock, rocdate
from civlearn.core.services import client_ip
from civlearn.hours import exports, hr, reminders
from civlearn.registry.models import Agency

PAGE_SIZE = 100


class ReportFilter(forms.Form):
    year = forms.IntegerField(label=gettext_lazy("年度（民國）"), min_value=1, max_value=999, required=False)
    agency = forms.ModelChoiceField(
        label=gettext_lazy("機關"), queryset=Agency.objects.none(), required=False, empty_label=gettext_lazy("全部")
    )
    name = forms.CharField(label=gettext_lazy("姓名"), max_length=100, required=False)
    # The requirement keys depend on the year and agency chosen, so the choice is checked against the report.
    short = forms.CharField(label=gettext_lazy("達成情形"), required=False, widget=forms.Select)

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        managed = hr.managed_agencies(user).order_by("code")
        self.fields["agency"].queryset = managed
        self.fields["agency"].error_messages["invalid_choice"] = _("您沒有查看此機關學習時數的權限")
        if user.is_superuser:
            self.fields["agency"].required = True
            self.fields["agency"].empty_label = None
        self.fields["year"].error_messages["min_value"] = _("請輸入正確的民國年度")
        self.fields["year"].error_messages["max_value"] = _("請輸入正確的民國年度")
        self.fields["year"].error_messages["invalid"] = _("年度應為數字，例如 113")
        self.fields["short"].widget.choices = [("", _("全部人員")), ("any", _("任一項未達成"))]

    def set_requirements(self, columns: list[hr.RequirementColumn]) -> None:
        self.fields["short"].widget.choices += [(c.key, _("未達成：%(label)s") % {"label": c.label}) for c in columns]

    def values(self) -> tuple[int, Agency | None, str, str]:
        # Valid fields count even when another one is not (a bad year keeps the chosen agency).
        data = getattr(self, "cleaned_data", {}) if self.is_bound and not self.is_valid() else {}
        if self.is_bound and self.is_valid():
            data = self.cleaned_data
        roc_year = data.get("year") or rocdate.roc_year(clock.today())
        return roc_year + rocdate.ROC_OFFSET, data.get("agency"), data.get("name", ""), self.data.get("short", "")


def _report(request):
    """Parse the filters and build the report; a filter naming an agency out of reach is refused (403)."""
    user = request.user
    if not user.is_superuser and not hr.managed_ids(user):
        raise PermissionDenied(_("您沒有機關人事管理的權限"))
    form = ReportFilter(request.GET or None, user=user)
    if request.GET.get("agency") and form.is_bound and not form.is_valid() and "agency" in form.errors:
        raise PermissionDenied(_("您沒有查看此機關學習時數的權限"))
    year, agency, name, short = form.values()
    if user.is_superuser and agency is None:
        # Operators pick the agency first: a national report is not one page.
        return form, None, year, short
    report = hr.agency_report(user=user, year=year, agency=agency, name=name, short_in="")
    form.set_requirements(report.columns)
    keys = {c.key for c in report.columns} | {"any", ""}
    if short not in keys:
        short = ""
    if short:
        report = _filtered(report, short)
    return form, report, year, short


def _filtered(report: hr.Report, short: str) -> hr.Report:
    if short == "any":
        rows = [row for row in report.rows if not row.all_met]
    else:
        wanted = [i for i, c in enumerate(report.columns) if c.key == short]
        rows = [row for row in report.rows if any(row.is_short(i) for i in wanted)]
    return hr.Report(year=report.year, columns=report.columns, rows=rows)


@login_required
def report(request):
    form, result, year, _short = _report(request)
    page = Paginator(result.rows, PAGE_SIZE).get_page(request.GET.get("page")) if result else None
    query = {k: v for k, v in request.GET.items() if k != "page" and v}
    return render(
        request,
        "hours/hr/report.html",
        {
            "form": form,
            "report": result,
            "page": page,
            "roc_year": rocdate.roc_year(year),
            "short_count": sum(1 for row in result.rows if not row.all_met) if result else 0,
            "query": urlencode(query),
            "reminder_days": reminders.min_days(),
        },
    )


def report_sheet(result: hr.Report) -> exports.Sheet:
    # The official zh-Hant headers; a requester who chose English gets them in English (a report, not an exchange
    # format).
    headers = [_("姓名"), _("身分證字號"), _("機關代碼"), _("機關名稱"), _("通過總學習時數")]
    for column in result.columns:
        headers += [f"{column.label}", _("%(label)s 尚缺時數") % {"label": column.label}]
    headers.append(_("全部達成"))
    rows: list[list[object]] = [headers]
    for row in result.rows:
        line: list[object] = [row.name, row.masked_id, row.agency_code, row.agency_name, row.total]
        for cell in row.cells:
            line += [cell.hours, cell.missing] if cell.applies else [None, None]
        line.append(_("是") if row.all_met else _("否"))
        rows.append(line)
    return exports.Sheet(_("%(year)s年度學習時數") % {"year": rocdate.roc_year(result.year)}, rows)


@login_required
def download(request, fmt: str):
    if fmt not in {"xlsx", "ods"}:
        raise Http404(_("不支援的檔案格式"))
    _form, result, year, _short = _report(request)
    if result is None:
        raise Http404(_("請先選擇機關"))
    return exports.sheet_download(report_sheet(result), fmt=fmt, filename=f"hours-staff-{rocdate.roc_year(year)}")


@login_required
def reminders_view(request):
    """GET: preview who gets a reminder and the message; POST: send to the checked people."""
    user = request.user
    form, result, year, short = _report(request)
    if result is None:
        raise Http404(_("請先選擇機關"))
    _year, agency, name, _short = form.values()
    if request.method == "POST":
        try:
            ids = {int(value) for value in request.POST.getlist("person")}
        except ValueError as exc:
            raise PermissionDenied(_("名單中有您無權提醒的人員")) from exc
        if not ids:
            messages.error(request, _("請勾選要提醒的人員"))
        else:
            outcome = reminders.reminders_send(
                user=user, year=year, person_ids=ids, agency=agency, ip_address=client_ip(request)
            )
            sent = {"sent": outcome.sent, "skipped": outcome.skipped}
            messages.success(request, _("已寄出 %(sent)s 封提醒信；%(skipped)s 人未寄送。") % sent)
            return redirect(reverse("hours:hr") + "?" + urlencode({k: v for k, v in request.GET.items() if v}))
    _report_again, found = reminders.candidates(user=user, year=year, agency=agency, short_in=short or "any", name=name)
    sample = None
    for candidate in found:
        if candidate.will_send:
            sample = reminders.message_text(candidate, year=year, agency_name=(agency or _sender(user)).name)
            break
    return render(
        request,
        "hours/hr/reminders.html",
        {
            "form": form,
            "candidates": found,
            "sample": sample,
            "roc_year": rocdate.roc_year(year),
            "query": urlencode({k: v for k, v in request.GET.items() if v}),
            "reminder_days": reminders.min_days(),
        },
    )


def _sender(user) -> Agency:
    if user.person_id:
        return user.person.agency
    return hr.managed_agencies(user).order_by("code").first()


def announcement_list(request):
    """重要訊息 (全部): the portal's announcements, from the one announcements model of the three faces."""
    items = [
        (rocdate.format_compact(item.published_on), item)
        for item in content_selectors.announcements_current(face="lifelong", user=request.user, limit=100)
    ]
    return render(request, "hours/announcements/list.html", {"announcements": items})
