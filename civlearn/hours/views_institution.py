"""學習機關(構)專區: upload the 25-column CSV, follow the job, commit the valid rows, download reports and exports."""

from __future__ import annotations

import itertools

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.http import Http404, HttpResponse, StreamingHttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from civlearn.core import clock, rocdate
from civlearn.hours import batch, exports, jobs, selectors, xlsx_stream
from civlearn.hours.models import ImportJob
from civlearn.registry.models import Agency


class UploadForm(forms.Form):
    institution = forms.ModelChoiceField(
        label=gettext_lazy("學習機關(構)"),
        queryset=Agency.objects.none(),
        empty_label=None,
        help_text=gettext_lazy("以此機關(構)名義上傳時數。"),
    )
    file = forms.FileField(
        label=gettext_lazy("時數檔案（CSV）"),
        help_text=gettext_lazy("25 欄標準格式，UTF-8 或 Big5 編碼，日期為民國年 YYY-MM-DD，時間為 HH:MM:SS。"),
    )

    def __init__(self, *args, institutions, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["institution"].queryset = institutions
        self.fields["institution"].error_messages["invalid_choice"] = _("請選擇您可代表的學習機關(構)")
        self.fields["file"].error_messages["required"] = _("請選擇要上傳的檔案")
        # Django's own text for an empty file reads "no file was submitted", which sends people looking for the
        # wrong mistake.
        self.fields["file"].error_messages["empty"] = _("檔案是空的（0 位元組），請確認選擇的是匯出後的 CSV 檔")


def _require_institutions(request):
    institutions = jobs.upload_institutions(request.user)
    if not institutions.exists():
        raise PermissionDenied(_("您沒有學習機關(構)上傳時數的權限"))
    return institutions


@login_required
def upload(request):
    institutions = _require_institutions(request)
    form = UploadForm(request.POST or None, request.FILES or None, institutions=institutions)
    if request.method == "POST" and form.is_valid():
        try:
            job = jobs.import_job_create(
                user=request.user, institution=form.cleaned_data["institution"], upload=form.cleaned_data["file"]
            )
        except ValidationError as exc:
            for message in exc.message_dict.get("file", exc.messages):
                form.add_error("file", message)
        else:
            return redirect("hours:institution_job", job_id=job.pk)
    return render(
        request,
        "hours/institution/upload.html",
        {
            "form": form,
            "columns": batch.COLUMNS,
            "extension_columns": batch.EXTENSION_COLUMNS,
            "recent": jobs.jobs_visible_to(request.user)[:5],
            "institutions": institutions,
            "this_year": rocdate.roc_year(clock.today()),
        },
    )


@login_required
def job_list(request):
    _require_institutions(request)
    jobs.import_jobs_reclaim()
    page = Paginator(jobs.jobs_visible_to(request.user), 30).get_page(request.GET.get("page"))
    return render(request, "hours/institution/jobs.html", {"page": page})


def _job_for(request, job_id: int) -> ImportJob:
    # A job whose worker died is marked failed before it is shown (one indexed query when none is running), so
    # the page that polls a running job learns of it within JOB_STALE_SECONDS.
    jobs.import_jobs_reclaim()
    # Someone else's job is "not found", so job numbers reveal nothing.
    return get_object_or_404(jobs.jobs_visible_to(request.user), pk=job_id)


@login_required
def job_detail(request, job_id: int):
    job = _job_for(request, job_id)
    page = Paginator(job.errors, 200).get_page(request.GET.get("page"))
    return render(request, "hours/institution/job.html", {"job": job, "page": page})


@login_required
def job_status(request, job_id: int):
    """The status block alone, for the page's polling while the job runs."""
    job = _job_for(request, job_id)
    return render(request, "hours/institution/_status.html", {"job": job})


def _job_action(request, job_id: int, action):
    """Run a job service on the person's own job; a refusal is a message on the job's page."""
    job = _job_for(request, job_id)
    try:
        action(job=job, user=request.user)
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    return redirect("hours:institution_job", job_id=job.pk)


@login_required
@require_POST
def job_commit_valid(request, job_id: int):
    return _job_action(request, job_id, jobs.import_job_commit_valid)


@login_required
@require_POST
def job_retry(request, job_id: int):
    return _job_action(request, job_id, jobs.import_job_retry)


@login_required
def job_errors_csv(request, job_id: int):
    job = _job_for(request, job_id)
    response = HttpResponse(batch.error_report_csv(job.errors), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="import-{job.pk}-errors.csv"'
    return response


@login_required
def export(request):
    institutions = _require_institutions(request)
    try:
        institution = institutions.get(pk=int(request.GET.get("institution", "")))
        roc_year = int(request.GET.get("year", ""))
    except (ValueError, Agency.DoesNotExist) as exc:
        raise Http404(_("請選擇學習機關(構)與年度")) from exc
    encoding = request.GET.get("encoding", "utf-8")
    year = roc_year + rocdate.ROC_OFFSET
    entries = selectors.institution_export_entries(institution_code=institution.code, year=year)
    if encoding == "xlsx":
        rows = itertools.chain([batch.header_row()], exports.institution_rows(entries))
        response = HttpResponse(
            # The exchange format with institutions: its fixed zh-Hant headers and sheet name in every language.
            xlsx_stream.write(rows, sheet_name=f"{roc_year}年度學習時數"),
            content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        )
        response["Content-Disposition"] = f'attachment; filename="hours-{institution.code}-{roc_year}.xlsx"'
        return response
    encoding = "big5" if encoding == "big5" else "utf-8"
    response = StreamingHttpResponse(
        batch.write_csv_rows(exports.institution_rows(entries), encoding=encoding),
        content_type=f"text/csv; charset={'big5' if encoding == 'big5' else 'utf-8'}",
    )
    response["Content-Disposition"] = f'attachment; filename="hours-{institution.code}-{roc_year}-{encoding}.csv"'
    return response
