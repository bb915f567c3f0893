"""The HR office's registry import page (/registry/import) and its template files."""

from __future__ import annotations

import io

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render

from civlearn.core import spreadsheets
from civlearn.registry import importing, jobs, selectors
from civlearn.registry.forms import ImportForm

ERRORS_SHOWN = 500


def _forbidden(request):
    return render(request, "registry/import_forbidden.html", status=403)


@login_required
def import_page(request):
    """The form: a file becomes an import job (registry/jobs.py) and the person is taken to its page."""
    scope = selectors.import_scope(request.user)
    if scope is not None and not scope:
        return _forbidden(request)
    form = ImportForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        try:
            job = jobs.registry_import_job_create(
                actor=request.user,
                kind=form.cleaned_data["kind"],
                upload=form.cleaned_data["file"],
                dry_run=form.cleaned_data["dry_run"],
            )
        except PermissionDenied:
            return _forbidden(request)
        return redirect("registry:import_job", job_id=job.pk)
    jobs.registry_import_jobs_reclaim()
    context = {
        "form": form,
        "recent": jobs.jobs_visible_to(request.user).select_related("created_by")[:5],
        "managed_agencies": selectors.managed_roots(request.user) if scope is not None else None,
        "column_sets": [
            (importing.PERSONS, importing.KINDS[importing.PERSONS], importing.PERSON_COLUMNS),
            (importing.AGENCIES, importing.KINDS[importing.AGENCIES], importing.AGENCY_COLUMNS),
        ],
    }
    return render(request, "registry/import.html", context, status=400 if form.errors else 200)


def _job_context(request, job_id: int) -> dict:
    jobs.registry_import_jobs_reclaim()
    job = get_object_or_404(jobs.jobs_visible_to(request.user), pk=job_id)
    errors = job.result.get("errors", [])
    shown = errors[:ERRORS_SHOWN]
    return {
        "job": job,
        "result": job.result,
        "errors_shown": shown,
        "errors_hidden": max(0, job.result.get("error_count", 0) - len(shown)),
    }


@login_required
def import_job(request, job_id: int):
    """One import job: its status while it runs (the page polls), then the counts or every bad row."""
    return render(request, "registry/import_job.html", _job_context(request, job_id))


@login_required
def import_job_status(request, job_id: int):
    return render(request, "registry/_import_job_status.html", _job_context(request, job_id))


def template_rows(kind: str) -> list[list[str]]:
    """Header and one example row: what a downloaded template file holds."""
    columns = importing.COLUMNS[kind]
    return [[c.header for c in columns], [c.example for c in columns]]


@login_required
def import_template(request, kind: str, extension: str):
    if kind not in importing.KINDS:
        raise Http404
    if not selectors.can_import(request.user):
        return _forbidden(request)
    rows = template_rows(kind)
    filename = f"registry-{kind}-template.{extension}"
    if extension == "csv":
        text = io.StringIO()
        spreadsheets.csv_writer(text, lineterminator="\r\n").writerows(rows)
        # A BOM makes Excel open the UTF-8 file with the Chinese headers intact.
        body = text.getvalue().encode("utf-8-sig")
        content_type = "text/csv; charset=utf-8"
    elif extension == "xlsx":
        body = _xlsx(rows, title=str(importing.KINDS[kind]))
        content_type = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    else:
        raise Http404
    response = HttpResponse(body, content_type=content_type)
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response


def _xlsx(rows: list[list[str]], *, title: str) -> bytes:
    from openpyxl import Workbook

    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet(title)
    for row in rows:
        # Text cells: a date such as 0610101 typed as a number would lose its leading zero.
        sheet.append(spreadsheets.xlsx_row(sheet, row))
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()
