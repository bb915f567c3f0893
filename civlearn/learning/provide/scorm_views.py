"""A minimal provider page for SCORM units (課程提供人員 of the course's agency, or operators): upload a .zip as a
new unit of a course, look at what the manifest says, preview, publish. The full provider UI comes later."""

from __future__ import annotations

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from civlearn.core.services import client_ip
from civlearn.identity import selectors as identity_selectors
from civlearn.learning.models import Course, ScormPackage
from civlearn.learning.scorm import services
from civlearn.learning.scorm.package import PackageError
from civlearn.learning.scorm.selectors import package_outline, package_warnings


def provided_courses(user):
    if user.is_staff:
        return Course.objects.all().order_by("code")
    return Course.objects.filter(provider_agency__in=identity_selectors.agencies_managed_by(user, "provider")).order_by(
        "code"
    )


class UploadForm(forms.Form):
    course = forms.ModelChoiceField(
        label=gettext_lazy("課程"), queryset=Course.objects.none(), empty_label=gettext_lazy("請選擇課程")
    )
    title = forms.CharField(
        label=gettext_lazy("單元名稱"),
        max_length=200,
        required=False,
        help_text=gettext_lazy("空白時使用套件內的課程名稱。"),
    )
    package = forms.FileField(
        label=gettext_lazy("SCORM 套件（.zip）"),
        help_text=gettext_lazy("SCORM 1.2 或 SCORM 2004（第 2–4 版）套件，imsmanifest.xml 須位於壓縮檔最上層。"),
        widget=forms.ClearableFileInput(attrs={"accept": ".zip,application/zip"}),
    )

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["course"].queryset = provided_courses(user)

    def clean_package(self):
        upload = self.cleaned_data["package"]
        if not upload.name.lower().endswith(".zip"):
            raise forms.ValidationError(_("請上傳副檔名為 .zip 的 SCORM 套件"))
        return upload


@login_required
def provide_list_view(request):
    courses = provided_courses(request.user)
    if not request.user.is_staff and not courses.exists():
        raise PermissionDenied(_("您沒有任何機關的課程提供人員權限"))
    form = UploadForm(user=request.user)
    if request.method == "POST":
        form = UploadForm(request.POST, request.FILES, user=request.user)
        if form.is_valid():
            upload = form.cleaned_data["package"]
            try:
                package = services.package_upload(
                    actor=request.user,
                    course=form.cleaned_data["course"],
                    upload=upload,
                    original_name=upload.name,
                    title=form.cleaned_data["title"],
                    ip_address=client_ip(request),
                )
            except PackageError as exc:
                form.add_error("package", str(exc))
            except services.ScormPermissionDenied as exc:
                form.add_error("course", str(exc))
            else:
                messages.success(request, _("已匯入「%(title)s」，請預覽後發布。") % {"title": package.title})
                for warning in package_warnings(package=package):
                    messages.warning(request, warning)
                return redirect("scorm:provide_detail", package_id=package.pk)
    packages = (
        ScormPackage.objects.filter(unit__course__in=courses)
        .select_related("unit__course")
        .order_by("unit__course__code", "unit__order")
    )
    return render(
        request,
        "learning/scorm/provide_list.html",
        {"form": form, "packages": packages},
        status=400 if form.errors else 200,
    )


def _package_for(request, package_id: int) -> ScormPackage:
    package = ScormPackage.objects.select_related("unit__course__provider_agency").filter(pk=package_id).first()
    if package is None or not services.may_provide(user=request.user, course=package.unit.course):
        raise Http404(_("找不到這份教材"))
    return package


@login_required
def provide_detail_view(request, package_id: int):
    package = _package_for(request, package_id)
    return render(
        request,
        "learning/scorm/provide_detail.html",
        {
            "package": package,
            "outline": package_outline(package=package, enrolment=None),
            "warnings": package_warnings(package=package),
        },
    )


@login_required
@require_POST
def provide_publish_view(request, package_id: int):
    package = _package_for(request, package_id)
    services.package_publish(actor=request.user, package=package, ip_address=client_ip(request))
    messages.success(request, _("已發布「%(title)s」，已報名的學員現在可以學習。") % {"title": package.title})
    return redirect("scorm:provide_detail", package_id=package.pk)


@login_required
@require_POST
def provide_remove_view(request, package_id: int):
    package = _package_for(request, package_id)
    try:
        services.package_remove(actor=request.user, package=package, ip_address=client_ip(request))
    except PackageError as exc:
        messages.error(request, str(exc))
        return redirect("scorm:provide_detail", package_id=package.pk)
    messages.success(request, _("已刪除「%(title)s」。") % {"title": package.title})
    return redirect("scorm:provide_list")
