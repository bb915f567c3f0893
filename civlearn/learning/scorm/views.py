"""The learner's SCORM page on the platform origin: table of contents, previous / next, and the player frame on
the content origin. Works without JavaScript for the table of contents and the buttons; the frame's messages
(2004 `adl.nav.request`, the end of a session) only make the page follow the content."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import Http404
from django.shortcuts import render
from django.urls import NoReverseMatch, reverse

from civlearn.core.security_headers import allow_frames_from
from civlearn.learning.catalogue import selectors as learning_selectors
from civlearn.learning.models import ScormAttempt, ScormPackage
from civlearn.learning.scorm.course_attempt import course_launch_token
from civlearn.learning.scorm.origin import ContentOriginMissing, content_origin
from civlearn.learning.scorm.selectors import launchable, package_for_unit, package_outline
from civlearn.learning.scorm.services import may_provide
from civlearn.learning.scorm.tracking import launch_token


def course_url(course) -> str:
    try:
        return reverse("learning:course", args=[course.code])
    except NoReverseMatch:
        return reverse("learning:catalogue") if _has_catalogue() else "/elearn/"


def _has_catalogue() -> bool:
    try:
        reverse("learning:catalogue")
    except NoReverseMatch:
        return False
    return True


def _render_player_page(request, *, package: ScormPackage, enrolment, page_url: str, preview: bool):
    scos = launchable(package)
    if not scos:
        raise Http404("這份教材沒有可播放的項目")
    if not package.is_scorm12:
        return _render_sequenced_page(
            request, package=package, scos=scos, enrolment=enrolment, page_url=page_url, preview=preview
        )
    outline = package_outline(package=package, enrolment=enrolment)
    wanted = request.GET.get("sco", "")
    current = next((sco for sco in scos if str(sco.pk) == wanted), None)
    if current is None:
        current = resume_point(scos=scos, outline=outline, enrolment=enrolment)
    outline = package_outline(package=package, enrolment=enrolment, current=current)
    index = scos.index(current)
    previous_sco = scos[index - 1] if index > 0 else None
    next_sco = scos[index + 1] if index + 1 < len(scos) else None
    ended = request.GET.get("ended") == "1"
    context = {
        "package": package,
        "unit": package.unit,
        "course": package.unit.course,
        "course_url": course_url(package.unit.course),
        "outline": outline,
        "current": current,
        "previous_sco": previous_sco,
        "next_sco": next_sco,
        "page_url": page_url,
        "preview": preview,
        "ended": ended,
        "error": "",
    }
    if not ended:
        try:
            origin = content_origin()
        except ContentOriginMissing as exc:
            context["error"] = str(exc)
        else:
            parent = f"{request.scheme}://{request.get_host()}"
            token = launch_token(sco=current, user=request.user, enrolment=enrolment, parent_origin=parent)
            context["player_url"] = origin + reverse("scorm:player", args=[token])
            context["frame_config"] = {
                "contentOrigin": origin,
                "pageUrl": page_url,
                "current": current.pk,
                "next": next_sco.pk if next_sco else None,
                "previous": previous_sco.pk if previous_sco else None,
                "identifiers": {sco.identifier: sco.pk for sco in scos},
            }
    response = render(request, "learning/scorm/play.html", context)
    if "frame_config" in context:
        # The player is a page of the content origin, framed by this one.
        response = allow_frames_from(response, context["frame_config"]["contentOrigin"])
    return response


ENDED_REASONS = ("suspend", "end")


def _render_sequenced_page(request, *, package: ScormPackage, scos: list, enrolment, page_url: str, preview: bool):
    """A SCORM 2004 package: the sequencing engine in the player decides what is delivered (course_attempt.py).
    The page shows the table of contents and the platform's navigation (previous / continue / suspend / exit
    all); the frame's messages tell it what was delivered and which requests are valid."""
    wanted = request.GET.get("sco", "")
    chosen = next((sco for sco in scos if str(sco.pk) == wanted), None)
    ended = request.GET.get("ended", "")
    context = {
        "package": package,
        "unit": package.unit,
        "course": package.unit.course,
        "course_url": course_url(package.unit.course),
        "outline": package_outline(package=package, enrolment=enrolment),
        "current": None,
        "page_url": page_url,
        "preview": preview,
        "sequenced": True,
        "ended": ended in ("1", *ENDED_REASONS),
        "ended_reason": ended,
        "error": "",
    }
    if not context["ended"]:
        try:
            origin = content_origin()
        except ContentOriginMissing as exc:
            context["error"] = str(exc)
        else:
            parent = f"{request.scheme}://{request.get_host()}"
            token = course_launch_token(
                package=package,
                user=request.user,
                enrolment=enrolment,
                parent_origin=parent,
                target=chosen.identifier if chosen else "",
            )
            context["player_url"] = origin + reverse("scorm:course_player", args=[token])
            context["frame_config"] = {
                "contentOrigin": origin,
                "pageUrl": page_url,
                "sequenced": True,
                "identifiers": {sco.identifier: sco.pk for sco in scos},
            }
    response = render(request, "learning/scorm/play.html", context)
    if "frame_config" in context:
        response = allow_frames_from(response, context["frame_config"]["contentOrigin"])
    return response


def resume_point(*, scos: list, outline: list, enrolment) -> object:
    """Where a learner coming back without choosing lands: the SCO they suspended last, if it is not done yet
    (they may have jumped ahead through the table of contents); otherwise the first SCO not done; the first SCO
    when all are done."""
    done = {row.sco.pk for row in outline if row.done}
    if enrolment is not None:
        last = (
            ScormAttempt.objects.filter(enrolment=enrolment, sco__in=scos, exit_mode="suspend")
            .order_by("-updated_at", "-pk")
            .values_list("sco_id", flat=True)
            .first()
        )
        if last is not None and last not in done:
            return next(sco for sco in scos if sco.pk == last)
    return next((sco for sco in scos if sco.pk not in done), scos[0])


@login_required
def play_view(request, unit_id: int):
    """學習 a SCORM unit of a course the learner is enrolled in."""
    package = package_for_unit(unit_id=unit_id)
    if package is None or package.status != ScormPackage.PUBLISHED or not package.unit.course.is_published:
        raise Http404("找不到這份教材")
    course = package.unit.course
    enrolment = learning_selectors.enrolment_current(user=request.user, course=course)
    if enrolment is None:
        return render(
            request,
            "learning/scorm/not_enrolled.html",
            {"course": course, "course_url": course_url(course)},
            status=403,
        )
    page_url = reverse("scorm:play", args=[unit_id])
    return _render_player_page(request, package=package, enrolment=enrolment, page_url=page_url, preview=False)


@login_required
def preview_view(request, package_id: int):
    """預覽: the provider plays the package as a learner would; nothing is recorded."""
    package = ScormPackage.objects.select_related("unit__course__provider_agency").filter(pk=package_id).first()
    if package is None or not may_provide(user=request.user, course=package.unit.course):
        raise Http404("找不到這份教材")
    page_url = reverse("scorm:preview", args=[package_id])
    return _render_player_page(request, package=package, enrolment=None, page_url=page_url, preview=True)
