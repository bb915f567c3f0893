"""The operators' file for which category codes count where (hours/mapping.py): upload, preview, confirm; export.

The preview carries the checked mapping and a fingerprint of the mapping it was compared with, signed, in the
confirmation form: confirming applies exactly what was previewed, and is refused if someone changed the mapping
in between.
"""

from __future__ import annotations

from django import forms
from django.contrib import messages
from django.core import signing
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.urls import path
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from civlearn.core.services import client_ip
from civlearn.hours import mapping

_SALT = "civlearn.hours.admin.mapping"
# A preview older than this must be uploaded again.
_PREVIEW_MAX_AGE = 3600


class MappingUploadForm(forms.Form):
    file = forms.FileField(
        label=gettext_lazy("對應檔案"),
        help_text=gettext_lazy("CSV（UTF-8 或 Big5）、.xlsx 或 .ods；欄位 table,code,kind,key,year_from"),
    )


class MappingAdminMixin:
    """Added to the 統計類別 admin: 以檔案更新對應 (upload → preview → confirm) and 匯出對應."""

    def get_urls(self):
        wrap = self.admin_site.admin_view
        return [
            path("mapping/", wrap(self.mapping_upload_view), name="hours_category_mapping_upload"),
            path(
                "mapping/export/<str:file_format>/",
                wrap(self.mapping_export_view),
                name="hours_category_mapping_export",
            ),
            *super().get_urls(),
        ]

    def _context(self, request, **extra):
        return {
            **self.admin_site.each_context(request),
            "opts": self.model._meta,
            "title": _("以檔案更新課程類別對應"),
            "columns": mapping.COLUMNS,
            **extra,
        }

    def mapping_export_view(self, request, file_format):
        if not mapping.may_change_mapping(request.user) or file_format not in ("csv", "xlsx", "ods"):
            raise PermissionDenied
        content, content_type, filename = mapping.mapping_export(file_format=file_format)
        response = HttpResponse(content, content_type=content_type)
        response["Content-Disposition"] = f'attachment; filename="{filename}"'
        return response

    def mapping_upload_view(self, request):
        if not mapping.may_change_mapping(request.user):
            raise PermissionDenied
        if request.method == "POST" and "confirm" in request.POST:
            return self._confirm(request)
        form = MappingUploadForm(request.POST or None, request.FILES or None)
        if request.method == "POST" and form.is_valid():
            upload = form.cleaned_data["file"]
            try:
                plan = mapping.mapping_plan(file=upload, filename=upload.name)
            except mapping.MappingFileError as exc:
                context = self._context(request, form=form, problems=exc.problems)
                return render(request, "admin/hours/mapping/upload.html", context, status=400)
            current = mapping.current_mapping()
            changes = mapping.mapping_changes(plan, current)
            token = signing.dumps({"plan": plan.to_json(), "base": mapping.fingerprint(current)}, salt=_SALT)
            context = self._context(
                request, changes=changes, token=token, file_name=upload.name, title=_("確認課程類別對應的變更")
            )
            return render(request, "admin/hours/mapping/preview.html", context)
        return render(request, "admin/hours/mapping/upload.html", self._context(request, form=form))

    def _confirm(self, request):
        try:
            signed = signing.loads(request.POST.get("token", ""), salt=_SALT, max_age=_PREVIEW_MAX_AGE)
        except signing.BadSignature:
            messages.error(request, _("預覽已逾時或無效，請重新上傳檔案"))
            return redirect("admin:hours_category_mapping_upload")
        try:
            changes = mapping.mapping_apply(
                actor=request.user,
                plan=mapping.Plan.from_json(signed["plan"]),
                expected=signed["base"],
                ip_address=client_ip(request),
            )
        except ValidationError as exc:
            for message in exc.messages:
                messages.error(request, message)
            return redirect("admin:hours_category_mapping_upload")
        messages.success(request, _("已套用課程類別對應，共 %(count)s 項變更") % {"count": len(changes)})
        return redirect("admin:hours_reportingcategory_changelist")
