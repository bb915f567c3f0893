"""The HR office's registry import page (/registry/import) and its template files."""

from __future__ import annotations

import io

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpResponse
from django.shortcuts import render

from civlearn.core import spreadsheets
from civlearn.registry import importing, selectors, services
from civlearn.registry.forms import ImportForm

ERRORS_SHOWN = 500


def _forbidden(request):
    return render(request, "registry/import_forbidden.html", status=403)


@login_required
def import_page(request):
    scope = selectors.import_scope(request.user)
    if scope is not None and not scope:
        return _forbidden(request)
    form = ImportForm(request.POST or None, request.FILES or None)
    result = None
    if request.method == "POST" and form.is_valid():
        upload = form.cleaned_data["file"]
        try:
            result = services.registry_import(
                kind=form.cleaned_data["kind"],
                file=upload,
                filename=upload.name,
                actor=request.user,
                dry_run=form.cleaned_data["dry_run"],
            )
        except PermissionDenied:
            return _forbidden(request)
    context = {
        "form": form,
        "result": result,
        "errors_shown": result.errors[:ERRORS_SHOWN] if result else [],
        "errors_hidden": max(0, len(result.errors) - ERRORS_SHOWN) if result else 0,
        "managed_agencies": selectors.managed_roots(request.user) if scope is not None else None,
        "column_sets": [
            (importing.PERSONS, importing.KINDS[importing.PERSONS], importing.PERSON_COLUMNS),
            (importing.AGENCIES, importing.KINDS[importing.AGENCIES], importing.AGENCY_COLUMNS),
        ],
    }
    return render(request, "registry/import.html", context, status=200)


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
