"""Pages of e等公務園+: member terms, 課程中心, course pages, units, tests, questionnaires, my courses.

Views parse, call a service or selector, render. The heartbeat and video endpoints are in reading/views.py,
certificates in completion/views.py."""

from __future__ import annotations

from decimal import Decimal, InvalidOperation
from functools import wraps
from urllib.parse import urlencode

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import Http404, HttpResponseBadRequest
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.functional import SimpleLazyObject
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from civlearn.core.services import client_ip
from civlearn.learning.assessment.services import (
    AssessmentError,
    attempt_questions,
    attempt_start,
    attempt_submit,
    attempts_left,
    questionnaire_submit,
)
from civlearn.learning.catalogue import selectors
from civlearn.learning.catalogue.services import EnrolmentRefused, consent_current, consent_record, enrol
from civlearn.learning.categories import category_choices, category_path
from civlearn.learning.completion import consent as terms
from civlearn.learning.completion.services import progress_of
from civlearn.learning.models import Course, Mode, QuestionnaireResponse, ScormPackage, TestAttempt, Unit, Zone
from civlearn.learning.reading.services import heartbeat_seconds, reading_stream_open
from civlearn.learning.scorm import selectors as scorm_selectors


def member_required(view):
    """Signed in, and has decided on the current member terms (otherwise sent to them first)."""

    @login_required
    @wraps(view)
    def wrapper(request, *args, **kwargs):
        if not terms.is_member(user=request.user):
            return redirect(f"{reverse('learning:terms')}?{urlencode({'next': request.get_full_path()})}")
        return view(request, *args, **kwargs)

    return wrapper


@login_required
@require_http_methods(["GET", "POST"])
def terms_view(request):
    current = consent_current(user=request.user)
    next_url = request.POST.get("next") or request.GET.get("next") or ""
    if not url_has_allowed_host_and_scheme(next_url, allowed_hosts={request.get_host()}):
        next_url = ""
    error = ""
    if request.method == "POST":
        choice = request.POST.get("share_hours")
        if choice not in {"yes", "no"}:
            error = _("請選擇「同意」或「不同意」")
        else:
            consent_record(user=request.user, share_hours=choice == "yes", ip_address=client_ip(request))
            if choice == "yes":
                messages.success(request, _("已記錄：您同意本平臺上傳學習時數。"))
            else:
                messages.warning(request, _("已記錄：您不同意上傳學習時數。") + terms.REFUSAL_CONSEQUENCE)
            return redirect(next_url or "learning:catalogue")
    return render(
        request,
        "learning/terms.html",
        {
            "clauses": terms.TERMS_CLAUSES,
            "version": terms.TERMS_VERSION,
            "destinations": terms.HOURS_DESTINATIONS,
            "refusal": terms.REFUSAL_CONSEQUENCE,
            "current": current,
            "next": next_url,
            "error": error,
        },
        status=400 if error else 200,
    )


def _decimal(text: str) -> Decimal | None:
    try:
        value = Decimal(text)
    except (InvalidOperation, ValueError):
        return None
    return value if value.is_finite() and value >= 0 else None


def catalogue_view(request):
    """課程中心: search (Chinese works on both databases), filters, zones. Open to everyone."""
    if request.user.is_authenticated and not terms.is_member(user=request.user):
        return redirect(f"{reverse('learning:terms')}?{urlencode({'next': request.get_full_path()})}")
    params = request.GET
    errors = []
    hours_min = _decimal(params.get("hours_min", "")) if params.get("hours_min") else None
    hours_max = _decimal(params.get("hours_max", "")) if params.get("hours_max") else None
    if params.get("hours_min") and hours_min is None:
        errors.append(_("認證時數下限請輸入 0 以上的數字"))
    if params.get("hours_max") and hours_max is None:
        errors.append(_("認證時數上限請輸入 0 以上的數字"))
    mode = params.get("mode", "")
    criteria = selectors.CatalogueFilter(
        query=params.get("q", "")[:100],
        category=params.get("category", "")[:10],
        zone=params.get("zone", "")[:50],
        provider=params.get("provider", "")[:10],
        mode=int(mode) if mode.isdigit() and int(mode) in Mode.values else None,
        hours_min=hours_min,
        hours_max=hours_max,
    )
    courses = selectors.course_search(criteria)
    published = Course.objects.filter(is_published=True)
    providers = (
        published.values_list("provider_agency__code", "provider_agency__name")
        .distinct()
        .order_by("provider_agency__code")
    )
    query_without_page = params.copy()
    query_without_page.pop("page", None)
    # The zones, the filter options and the result page are the same for everyone who asks the same question:
    # the template caches them as fragments (under the catalogue's generation stamp, the language and the query),
    # and these lazy values are read only when a fragment is rendered afresh.
    return render(
        request,
        "learning/catalogue.html",
        {
            "page": SimpleLazyObject(lambda: Paginator(courses, 20).get_page(params.get("page"))),
            "criteria": criteria,
            "errors": errors,
            "zones": Zone.objects.filter(parent__isnull=True).prefetch_related("children"),
            "categories": SimpleLazyObject(
                lambda: category_choices(set(published.values_list("category_code", flat=True).distinct()))
            ),
            "providers": providers,
            "catalogue_generation": selectors.catalogue_generation(),
            "fragment_seconds": selectors.CATALOGUE_FRAGMENT_SECONDS,
            "results_key": urlencode(sorted(params.items())),
            "modes": Mode.choices,
            "query_string": query_without_page.urlencode(),
            "searched": any(params.get(key) for key in ("q", "category", "zone", "provider", "mode")),
        },
    )


def course_view(request, code: str):
    course = get_object_or_404(Course.objects.select_related("provider_agency"), code=code, is_published=True)
    enrolment = selectors.enrolment_current(user=request.user, course=course)
    refusal = ""
    if request.user.is_authenticated and enrolment is None:
        refusal = selectors.enrolment_refusal(user=request.user, course=course)
    units = list(course.units.all())
    scorm = any(unit.kind == Unit.SCORM for unit in units)
    # The facts, the summary, the unit list and the conditions are the same for everyone: the template caches them
    # as fragments under the catalogue's generation stamp, and these lazy values are read only when a fragment is
    # rendered afresh. A SCORM outline shows an enrolled learner's own status: that unit list is not cached.
    return render(
        request,
        "learning/course.html",
        {
            "course": course,
            "category_path": SimpleLazyObject(lambda: category_path(course.category_code)),
            "enrolment": enrolment,
            "progress": progress_of(enrolment=enrolment, units=units) if enrolment else None,
            "refusal": refusal,
            "units": units,
            "scorm_outlines": _scorm_outlines(course, enrolment) if scorm else {},
            "outline_shared": not (scorm and enrolment),
            "allowed_agencies": course.allowed_agencies.all(),
            "catalogue_generation": selectors.catalogue_generation(),
            "fragment_seconds": selectors.CATALOGUE_FRAGMENT_SECONDS,
        },
    )


def _scorm_outlines(course, enrolment) -> dict[int, list]:
    """Each SCORM unit's SCOs (with this learner's status), for the course outline."""
    return {
        package.unit_id: scorm_selectors.package_outline(package=package, enrolment=enrolment)
        for package in scorm_selectors.packages_of_course(course=course)
        .filter(status=ScormPackage.PUBLISHED)
        .prefetch_related("scos")
    }


@member_required
@require_POST
def enrol_view(request, code: str):
    course = get_object_or_404(Course, code=code, is_published=True)
    try:
        enrol(user=request.user, course=course, ip_address=client_ip(request))
    except EnrolmentRefused as refusal:
        messages.error(request, _("無法報名：%(reason)s") % {"reason": refusal})
        return redirect("learning:course", code=course.code)
    messages.success(request, _("已報名「%(title)s」。") % {"title": course.title})
    return redirect("learning:learn", code=course.code)


def _learning_context(request, course, enrolment, unit, units: list[Unit] | None = None):
    units = list(course.units.all()) if units is None else units
    position = next((i for i, u in enumerate(units) if unit is not None and u.pk == unit.pk), 0)
    return {
        "previous_unit": units[position - 1] if position > 0 else None,
        "next_unit": units[position + 1] if position + 1 < len(units) else None,
        "course": course,
        "enrolment": enrolment,
        "units": units,
        "unit": unit,
        "progress": progress_of(enrolment=enrolment, units=units),
        "reading_token": reading_stream_open(enrolment=enrolment),
        "heartbeat_seconds": heartbeat_seconds(),
        # The unit list is the same for every learner of the course: a fragment under the catalogue's stamp.
        "catalogue_generation": selectors.catalogue_generation(),
        "fragment_seconds": selectors.CATALOGUE_FRAGMENT_SECONDS,
    }


def _my_enrolment(request, code):
    course = get_object_or_404(Course.objects.select_related("provider_agency"), code=code)
    enrolment = selectors.enrolment_current(user=request.user, course=course)
    if enrolment is not None:
        enrolment.course = course  # the row just read: not read again through the enrolment
    return course, enrolment


@member_required
def learn_view(request, code: str, unit_id: int | None = None):
    """A course's unit, with the unit list, the three conditions and the reading-time heartbeat."""
    course, enrolment = _my_enrolment(request, code)
    if enrolment is None:
        messages.error(request, _("請先報名本課程"))
        return redirect("learning:course", code=code)
    units = list(course.units.all())
    if unit_id:
        unit = next((u for u in units if u.pk == unit_id), None)
        if unit is None:
            raise Http404
    else:
        unit = units[0] if units else None
    context = _learning_context(request, course, enrolment, unit, units)
    if unit is not None and unit.kind == Unit.TEST:
        attempts = list(TestAttempt.objects.filter(enrolment=enrolment, unit=unit))
        open_attempt = next((a for a in attempts if a.submitted_at is None), None)
        context.update(
            attempts=[a for a in attempts if a.submitted_at],
            open_attempt=open_attempt,
            shown=attempt_questions(attempt=open_attempt) if open_attempt else [],
            attempts_left=attempts_left(enrolment=enrolment, unit=unit),
            passed=any(a.passed for a in attempts),
        )
    elif unit is not None and unit.kind == Unit.SCORM:
        package = scorm_selectors.package_for_unit(unit_id=unit.pk)
        if package is not None:
            context.update(
                scorm_package=package,
                scorm_outline=scorm_selectors.package_outline(package=package, enrolment=enrolment),
            )
    elif unit is not None and unit.kind == Unit.QUESTIONNAIRE:
        context.update(
            response=QuestionnaireResponse.objects.filter(enrolment=enrolment, unit=unit).first(),
            questions=list(unit.questions.prefetch_related("choices")),
        )
    return render(request, "learning/learn.html", context)


def _answers(post) -> dict[str, list[str]]:
    return {key[2:]: post.getlist(key) for key in post if key.startswith("q-")}


@member_required
@require_POST
def test_start_view(request, code: str, unit_id: int):
    course, enrolment = _my_enrolment(request, code)
    unit = get_object_or_404(Unit, pk=unit_id, course=course)
    if enrolment is None:
        return HttpResponseBadRequest(_("請先報名本課程"))
    try:
        attempt_start(user=request.user, enrolment=enrolment, unit=unit)
    except AssessmentError as error:
        messages.error(request, str(error))
    return redirect("learning:learn_unit", code=code, unit_id=unit.pk)


@member_required
@require_POST
def test_submit_view(request, code: str, unit_id: int, attempt_id: int):
    course, _enrolment = _my_enrolment(request, code)
    unit = get_object_or_404(Unit, pk=unit_id, course=course)
    attempt = get_object_or_404(TestAttempt, pk=attempt_id, unit=unit, enrolment__user=request.user)
    answers = _answers(request.POST)
    try:
        graded = attempt_submit(user=request.user, attempt=attempt, answers=answers)
    except AssessmentError as error:
        context = _learning_context(request, course, attempt.enrolment, unit)
        context.update(
            attempts=list(
                TestAttempt.objects.filter(enrolment=attempt.enrolment, unit=unit, submitted_at__isnull=False)
            ),
            open_attempt=attempt,
            shown=attempt_questions(attempt=attempt),
            attempts_left=attempts_left(enrolment=attempt.enrolment, unit=unit),
            answers=answers,
            error=str(error),
            problems=error.problems,
        )
        return render(request, "learning/learn.html", context, status=400)
    if graded.passed:
        messages.success(
            request, _("測驗通過：%(score)s 分（及格 %(mark)s 分）。") % {"score": graded.score, "mark": unit.pass_mark}
        )
    else:
        messages.error(
            request,
            _("測驗未通過：%(score)s 分（及格 %(mark)s 分），請再試一次。")
            % {"score": graded.score, "mark": unit.pass_mark},
        )
    return redirect("learning:learn_unit", code=code, unit_id=unit.pk)


@member_required
@require_POST
def questionnaire_submit_view(request, code: str, unit_id: int):
    course, enrolment = _my_enrolment(request, code)
    unit = get_object_or_404(Unit, pk=unit_id, course=course)
    if enrolment is None:
        return HttpResponseBadRequest(_("請先報名本課程"))
    answers = _answers(request.POST)
    try:
        questionnaire_submit(user=request.user, enrolment=enrolment, unit=unit, answers=answers)
    except AssessmentError as error:
        context = _learning_context(request, course, enrolment, unit)
        context.update(
            response=None,
            questions=list(unit.questions.prefetch_related("choices")),
            answers=answers,
            error=str(error),
            problems=error.problems,
        )
        return render(request, "learning/learn.html", context, status=400)
    messages.success(request, _("問卷已送出，謝謝您的填答。"))
    return redirect("learning:learn_unit", code=code, unit_id=unit.pk)


@member_required
def my_courses_view(request):
    enrolments = list(selectors.enrolments_of(user=request.user))
    rows = [(e, progress_of(enrolment=e)) for e in enrolments]
    return render(
        request,
        "learning/my_courses.html",
        {
            "unfinished": [(e, p) for e, p in rows if e.completed_at is None],
            "finished": [(e, p) for e, p in rows if e.completed_at is not None],
            "consent": consent_current(user=request.user),
        },
    )
