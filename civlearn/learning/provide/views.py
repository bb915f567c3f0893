"""我教的課 pages for provider staff: list and create courses, edit a course, add units and questions, publish,
and see enrolments, completions and aggregated questionnaire answers, with .csv / .xlsx exports.

A course of an agency the user does not provide for answers 404 on every page, as if it did not exist."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from civlearn.core import clock
from civlearn.learning.models import Course, Mode, Question, Unit
from civlearn.learning.provide import services as providers

COURSE_FIELDS = ("title", "summary", "category_code", "certified_hours", "required_reading_minutes", "mode")


def _course(request, code: str) -> Course:
    course = get_object_or_404(Course.objects.select_related("provider_agency"), code=code)
    if not providers.may_provide(request.user, course):
        raise Http404(_("找不到課程"))
    return course


def _values(post) -> dict:
    return {field: post.get(field, "") for field in COURSE_FIELDS}


@login_required
@require_http_methods(["GET", "POST"])
def teach_list_view(request):
    agencies = providers.creatable_agencies(request.user)
    if not agencies:
        raise PermissionDenied(_("您沒有任何機關的課程提供人員權限"))
    error, values, status = "", {}, 200
    if request.method == "POST":
        values = {**_values(request.POST), "code": request.POST.get("code", ""), "agency": request.POST.get("agency")}
        agency = next((a for a in agencies if str(a.pk) == values["agency"]), None)
        try:
            if agency is None:
                raise providers.ProviderError(_("提供機關：請選擇"))
            course = providers.course_create(actor=request.user, agency=agency, code=values["code"], values=values)
        except (providers.ProviderError, providers.ProviderDenied) as exc:
            error, status = str(exc), 400
        else:
            messages.success(request, _("已建立課程「%(title)s」，請新增單元後上架。") % {"title": course.title})
            return redirect("learning:teach_course", code=course.code)
    return render(
        request,
        "learning/provider/list.html",
        {
            "courses": providers.provided_courses(request.user),
            "agencies": agencies,
            "modes": Mode.choices,
            "values": values,
            "error": error,
        },
        status=status,
    )


@login_required
@require_http_methods(["GET", "POST"])
def teach_course_view(request, code: str):
    course = _course(request, code)
    error, status = "", 200
    values = {field: getattr(course, field) for field in COURSE_FIELDS}
    if request.method == "POST":
        values = _values(request.POST)
        try:
            providers.course_update(actor=request.user, course=course, values=values)
        except providers.ProviderError as exc:
            error, status = str(exc), 400
        else:
            messages.success(request, _("課程資料已儲存。"))
            return redirect("learning:teach_course", code=course.code)
    return render(
        request,
        "learning/provider/course.html",
        {
            "course": course,
            "values": values,
            "modes": Mode.choices,
            "units": course.units.prefetch_related("questions"),
            "unit_kinds": providers.UNIT_KINDS.items(),
            "error": error,
        },
        status=status,
    )


@login_required
@require_POST
def teach_publish_view(request, code: str):
    course = _course(request, code)
    publish = request.POST.get("publish") == "1"
    try:
        providers.course_publish(actor=request.user, course=course, published=publish)
    except providers.ProviderError as exc:
        messages.error(request, str(exc))
    else:
        messages.success(request, _("課程已上架。") if publish else _("課程已下架。"))
    return redirect("learning:teach_course", code=course.code)


@login_required
@require_POST
def teach_unit_add_view(request, code: str):
    course = _course(request, code)
    try:
        unit = providers.unit_add(
            actor=request.user,
            course=course,
            kind=request.POST.get("kind", ""),
            title=request.POST.get("unit_title", ""),
            body=request.POST.get("body", ""),
            passing_score=request.POST.get("pass_mark", "60"),
        )
    except providers.ProviderError as exc:
        messages.error(request, str(exc))
        return redirect("learning:teach_course", code=course.code)
    messages.success(request, _("已新增單元「%(title)s」。") % {"title": unit.title})
    if unit.kind in (Unit.TEST, Unit.QUESTIONNAIRE):
        return redirect("learning:teach_unit", code=course.code, unit_id=unit.pk)
    return redirect("learning:teach_course", code=course.code)


@login_required
@require_http_methods(["GET", "POST"])
def teach_unit_view(request, code: str, unit_id: int):
    course = _course(request, code)
    unit = get_object_or_404(Unit, pk=unit_id, course=course)
    error, values, status = "", {}, 200
    if request.method == "POST":
        values = {key: request.POST.get(key, "") for key in ("kind", "text", "choices")}
        try:
            providers.question_add(
                actor=request.user,
                unit=unit,
                kind=values["kind"],
                text=values["text"],
                choices_text=values["choices"],
                required=request.POST.get("optional") != "1",
            )
        except providers.ProviderError as exc:
            error, status = str(exc), 400
        else:
            messages.success(request, _("已新增題目。"))
            return redirect("learning:teach_unit", code=course.code, unit_id=unit.pk)
    kinds = [(k, label) for k, label in Question.KIND_CHOICES]
    if unit.kind == Unit.TEST:
        kinds = [(k, label) for k, label in kinds if k not in (Question.SCALE, Question.TEXT)]
    return render(
        request,
        "learning/provider/unit.html",
        {
            "course": course,
            "unit": unit,
            "questions": unit.questions.prefetch_related("choices"),
            "kinds": kinds,
            "values": values,
            "error": error,
        },
        status=status,
    )


@login_required
def teach_results_view(request, code: str):
    course = _course(request, code)
    enrolments = providers.results_enrolments(actor=request.user, course=course)
    return render(
        request,
        "learning/provider/results.html",
        {
            "course": course,
            "enrolments": enrolments,
            "completed": sum(1 for e in enrolments if e.completed_at),
            "questionnaires": providers.questionnaire_summaries(actor=request.user, course=course),
        },
    )


@login_required
def teach_export_view(request, code: str, fmt: str):
    if fmt not in ("csv", "xlsx"):
        raise Http404(_("不支援的匯出格式"))
    course = _course(request, code)
    enrolments = providers.results_enrolments(actor=request.user, course=course)
    stamp = clock.today().strftime("%Y%m%d")
    if fmt == "csv":
        response = HttpResponse(providers.export_csv(enrolments), content_type="text/csv; charset=utf-8")
    else:
        response = HttpResponse(
            providers.export_xlsx(enrolments),
            content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        )
    response["Content-Disposition"] = f'attachment; filename="{course.code}-{stamp}.{fmt}"'
    return response
