"""The learner's side of the hours portal: front page, 個人資料夾 (摘要, 學習時數), downloads and print view."""

from __future__ import annotations

from django import forms
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils.translation import gettext_lazy as _

from civlearn.content import selectors as content_selectors
from civlearn.core import clock, rocdate
from civlearn.hours import exports, gaps, selectors

XLSX_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
ODS_TYPE = "application/vnd.oasis.opendocument.spreadsheet"


class HoursFilterForm(forms.Form):
    """學習時數 filters. The year is the ROC year, as the manual's 年度 box shows it."""

    course_name = forms.CharField(label=_("課程名稱"), required=False, max_length=100)
    period = forms.CharField(label=_("期別"), required=False, max_length=50)
    year = forms.IntegerField(
        label=_("年度"),
        required=False,
        min_value=1,
        max_value=200,
        help_text=_("民國年，例如：113"),
        error_messages={
            "invalid": _("年度請輸入民國年數字，例如：113"),
            "min_value": _("年度請輸入 1 至 200 之民國年"),
            "max_value": _("年度請輸入 1 至 200 之民國年"),
        },
    )

    def filters(self) -> tuple[int, str, str]:
        """(Gregorian year, course name, period); this year and no filter where the input is missing or bad."""
        this_year = clock.today().year
        if not self.is_valid():
            return this_year, "", ""
        roc = self.cleaned_data.get("year")
        year = roc + rocdate.ROC_OFFSET if roc else this_year
        return year, self.cleaned_data.get("course_name") or "", self.cleaned_data.get("period") or ""


def _no_person(request: HttpRequest) -> HttpResponse:
    return render(request, "hours/learner/no_person.html", status=403)


def front(request: HttpRequest) -> HttpResponse:
    # The manual lists them as `» [1121228] title`: the ROC date in its compact form.
    announcements = [
        (rocdate.format_compact(item.published_on), item)
        for item in content_selectors.announcements_current(face="lifelong", user=request.user)
    ]
    return render(request, "hours/learner/front.html", {"announcements": announcements})


@login_required
def folder_summary(request: HttpRequest) -> HttpResponse:
    """摘要: this year at a glance and the years before."""
    person = request.user.person
    if person is None:
        return _no_person(request)
    year = clock.today().year
    summary = selectors.year_summary(person=person, year=year)
    totals = [(y, total) for y, total in selectors.year_totals(person=person) if y != year]
    return render(
        request,
        "hours/learner/summary.html",
        {
            "person": person,
            "year": year,
            "roc_year": rocdate.roc_year(year),
            "summary": summary,
            "years": totals,
            "gap_report": gaps.person_gaps(person=person, year=year),
        },
    )


def _year_data(request: HttpRequest):
    form = HoursFilterForm(request.GET or None)
    year, course_name, period = form.filters()
    person = request.user.person
    entries = list(selectors.entries_for_year(person=person, year=year, course_name=course_name, period=period))
    summary = selectors.year_summary(person=person, year=year)
    institutions = selectors.institution_names(entry.institution_code for entry in entries)
    return form, year, person, entries, summary, institutions


@login_required
def folder_hours(request: HttpRequest) -> HttpResponse:
    """學習時數: filters, the records of the year, the summary table and each requirement's status."""
    if request.user.person is None:
        return _no_person(request)
    form, year, person, entries, summary, institutions = _year_data(request)
    rows = exports.record_rows(entries, institutions)
    return render(
        request,
        "hours/learner/hours.html",
        {
            "form": form,
            "person": person,
            "year": year,
            "roc_year": rocdate.roc_year(year),
            "records": list(zip(entries, rows, strict=True)),
            "summary": summary,
            "query": request.GET.urlencode(),
        },
    )


def _download(request: HttpRequest, kind: str) -> HttpResponse:
    if request.user.person is None:
        return _no_person(request)
    _, year, _, entries, summary, institutions = _year_data(request)
    sheets = exports.sheets(entries=entries, institutions=institutions, summary=summary)
    if kind == "xlsx":
        content, content_type = exports.to_xlsx(sheets), XLSX_TYPE
    else:
        content, content_type = exports.to_ods(sheets), ODS_TYPE
    response = HttpResponse(content, content_type=content_type)
    # The file name carries the year only: never the person's ID.
    filename = f"learning-hours-{rocdate.roc_year(year)}.{kind}"
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    response["Cache-Control"] = "private, no-store"
    return response


@login_required
def export_xlsx(request: HttpRequest) -> HttpResponse:
    return _download(request, "xlsx")


@login_required
def export_ods(request: HttpRequest) -> HttpResponse:
    return _download(request, "ods")


@login_required
def print_hours(request: HttpRequest) -> HttpResponse:
    """The year's records and summary laid out for A4."""
    if request.user.person is None:
        return _no_person(request)
    _, year, person, entries, summary, institutions = _year_data(request)
    return render(
        request,
        "hours/learner/print.html",
        {
            "person": person,
            "year": year,
            "roc_year": rocdate.roc_year(year),
            "records": list(zip(entries, exports.record_rows(entries, institutions), strict=True)),
            "summary": summary,
            "printed_on": clock.today(),
        },
    )
