"""The heartbeat endpoint (hot path) and video files with HTTP range requests."""

from __future__ import annotations

import logging
import mimetypes
import re

from django.contrib.auth.decorators import login_required
from django.http import FileResponse, Http404, HttpResponse, JsonResponse, StreamingHttpResponse
from django.shortcuts import get_object_or_404
from django.template.loader import render_to_string
from django.utils import translation
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_GET, require_POST

from civlearn.core.decorators import session_free
from civlearn.learning.catalogue.selectors import enrolment_current
from civlearn.learning.completion.services import completion_evaluate, progress_of, reading_detail
from civlearn.learning.models import Enrolment, Unit
from civlearn.learning.reading.services import HeartbeatRefused, ReadingUnavailable, heartbeat_credit

logger = logging.getLogger(__name__)


# navigator.sendBeacon cannot send the CSRF header. The signed per-page-view token is the credential instead:
# it names one enrolment of one learner, and the credit it can earn is bounded by the server's own clock.
@session_free
@csrf_exempt
@require_POST
def heartbeat_view(request):
    # LocaleMiddleware is skipped on this path (core.middleware.ShortcutMiddleware): the answer's words (the reading
    # figure, the progress box, a refusal) take the page's language from the language cookie or Accept-Language.
    with translation.override(translation.get_language_from_request(request)):
        return _heartbeat(request)


def _heartbeat(request):
    token = request.POST.get("token") or request.body.decode("utf-8", "replace").strip()
    try:
        beat = heartbeat_credit(token=token)
    except ReadingUnavailable as outage:
        # The page keeps its token and beats again; the gap rule decides what the outage costs.
        logger.warning("heartbeat not credited: Redis unavailable (%s)", outage.__cause__)
        return JsonResponse({"ok": False, "error": str(outage)}, status=503)
    except HeartbeatRefused as refusal:
        return JsonResponse({"ok": False, "error": str(refusal)}, status=403)
    completed = False
    progress_html = None
    if beat.threshold_crossed:
        # Rare: the beat that reaches the required reading time may complete the course. When it does not, the
        # page gets its progress box again (reading met, the new percentage) without a reload.
        enrolment = Enrolment.objects.select_related("course__provider_agency", "user__person").get(
            pk=beat.enrolment_id
        )
        completed = completion_evaluate(enrolment=enrolment)
        if not completed:
            progress_html = render_to_string(
                "learning/_progress.html", {"progress": progress_of(enrolment=enrolment), "enrolment": enrolment}
            )
    return JsonResponse(
        {
            "ok": True,
            "token": beat.token,
            "credited_ms": beat.credited_ms,
            "reading_ms": beat.reading_ms,
            "required_ms": beat.required_ms,
            "reading": reading_detail(reading_ms=beat.reading_ms, required_ms=beat.required_ms),
            "completed": completed,
            "progress_html": progress_html,
        }
    )


_RANGE = re.compile(r"^bytes=(\d*)-(\d*)$")
CHUNK = 64 * 1024


def _file_chunks(handle, start: int, length: int):
    handle.seek(start)
    remaining = length
    try:
        while remaining > 0:
            data = handle.read(min(CHUNK, remaining))
            if not data:
                break
            remaining -= len(data)
            yield data
    finally:
        handle.close()


@login_required
@require_GET
def video_view(request, unit_id: int):
    """An uploaded video, for enrolled learners, with `Range: bytes=a-b` support so players can seek."""
    unit = get_object_or_404(Unit.objects.select_related("course"), pk=unit_id, kind=Unit.VIDEO)
    if not unit.video_file or enrolment_current(user=request.user, course=unit.course) is None:
        raise Http404
    try:
        size = unit.video_file.size
        handle = unit.video_file.open("rb")
    except FileNotFoundError as exc:
        raise Http404 from exc
    content_type = mimetypes.guess_type(unit.video_file.name)[0] or "application/octet-stream"
    match = _RANGE.match(request.headers.get("Range", "").strip())
    if not match or not any(match.groups()):
        response = FileResponse(handle, content_type=content_type)
        response["Accept-Ranges"] = "bytes"
        return response
    first, last = match.groups()
    if first == "":
        start, end = max(0, size - int(last)), size - 1
    else:
        start, end = int(first), min(int(last), size - 1) if last else size - 1
    if start >= size or start > end:
        handle.close()
        response = HttpResponse(status=416)
        response["Content-Range"] = f"bytes */{size}"
        return response
    length = end - start + 1
    response = StreamingHttpResponse(_file_chunks(handle, start, length), status=206, content_type=content_type)
    response["Content-Range"] = f"bytes {start}-{end}/{size}"
    response["Content-Length"] = str(length)
    response["Accept-Ranges"] = "bytes"
    return response
