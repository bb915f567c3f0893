"""Views on the content origin: the player (runtime API + content frame), package files, commits and beacons.

None of these read a session or a CSRF token (the content origin has neither): the player is opened with a
signed launch token, and commits, beacons and reading-time beats carry signed per-attempt tokens."""

from __future__ import annotations

import json
import mimetypes

from django.core import signing
from django.http import FileResponse, Http404, JsonResponse
from django.shortcuts import render
from django.templatetags.static import static
from django.urls import reverse
from django.views.decorators.cache import never_cache
from django.views.decorators.clickjacking import xframe_options_exempt
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_GET, require_POST

from civlearn.learning.models import ScormPackage
from civlearn.learning.reading.services import (
    TOKEN_SALT,
    HeartbeatRefused,
    heartbeat_credit,
    heartbeat_seconds,
    reading_stream_open,
)
from civlearn.learning.scorm.course_attempt import (
    activity_deliver,
    course_launch_read,
    course_session_open,
    course_state_save,
)
from civlearn.learning.scorm.origin import require_content_origin
from civlearn.learning.scorm.package import member_path, scorm_root
from civlearn.learning.scorm.selectors import package_manifest
from civlearn.learning.scorm.tracking import (
    RuntimeRefused,
    attempt_commit,
    launch_read,
    preview_content_package,
    preview_content_token,
    session_open,
)

# Package files: scripts may run, keep their own (content) origin so the player's API is reachable, open
# forms/popups/dialogs as courses do; they may not navigate the platform's top window. No frame-ancestors here:
# it would have to name the platform origin too, and a package file framed anywhere else finds no runtime API
# (the player, which holds the tokens, is the page restricted to the platform origin).
CONTENT_CSP = "sandbox allow-scripts allow-same-origin allow-forms allow-popups allow-modals allow-downloads"
MAX_COMMIT_BYTES = 1024 * 1024


def _frame_ancestors(parent_origin: str) -> str:
    return f"frame-ancestors {parent_origin}" if parent_origin else "frame-ancestors 'none'"


@never_cache
@xframe_options_exempt
@require_GET
def player_view(request, launch: str):
    """The runtime page for one SCO, framed by the learner's page on the platform origin."""
    require_content_origin(request)
    try:
        parent_origin = launch_read(launch).parent_origin
        session = session_open(launch=launch)
    except RuntimeRefused as exc:
        response = render(request, "learning/scorm/player_refused.html", {"message": str(exc)}, status=403)
        response["Content-Security-Policy"] = "frame-ancestors *"
        return response
    package = session.package
    reading_token = ""
    if session.attempt is not None:
        reading_token = reading_stream_open(enrolment=session.attempt.enrolment)
    config = {
        "version": package.version,
        "cmi": session.initial,
        "commitUrl": reverse("scorm:commit", args=[session.token]),
        "beatUrl": reverse("scorm:beat"),
        "beatSeconds": heartbeat_seconds(),
        "readingToken": reading_token,
        "parentOrigin": parent_origin,
        "scoId": session.sco.pk,
        "preview": session.preview,
        # 2004 choice requests are valid only for these (scorm-again checks the target against them).
        "scoIdentifiers": list(package.scos.exclude(launch="").values_list("identifier", flat=True)),
    }
    response = render(
        request,
        "learning/scorm/player.html",
        {
            "sco": session.sco,
            "package": package,
            "config": config,
            "content_url": _content_url(session),
            "runtime_script": static(
                "vendor/scorm-again/scorm12.min.js" if package.is_scorm12 else "vendor/scorm-again/scorm2004.min.js"
            ),
        },
    )
    response["Content-Security-Policy"] = _frame_ancestors(parent_origin)
    response["Referrer-Policy"] = "no-referrer"
    return response


def _content_url(session) -> str:
    """Where the SCO's launch file is served: a provider's preview (drafts included) gets the files under a
    signed, expiring token for that provider; relative links inside the package keep the token, since it is
    part of the directory."""
    launch_path = session.sco.launch.split("?")[0]
    if session.preview:
        token = preview_content_token(package=session.package, user=session.user)
        url = reverse("scorm:preview_content", args=[token, launch_path])
    else:
        url = reverse("scorm:content", args=[session.package.storage_key, launch_path])
    query = session.sco.launch.partition("?")[2]
    return url + (f"?{query}" if query else "")


@never_cache
@xframe_options_exempt
@require_GET
def course_player_view(request, launch: str):
    """The runtime page of a SCORM 2004 package, framed by the learner's page: the sequencing engine decides which
    activity to deliver and the page loads it into its content frame (course_attempt.py)."""
    require_content_origin(request)
    try:
        parent_origin = course_launch_read(launch).parent_origin
        course = course_session_open(launch=launch)
    except RuntimeRefused as exc:
        response = render(request, "learning/scorm/player_refused.html", {"message": str(exc)}, status=403)
        response["Content-Security-Policy"] = "frame-ancestors *"
        return response
    package = course.package
    manifest = package_manifest(package=package)
    reading_token = ""
    if course.enrolment is not None:
        reading_token = reading_stream_open(enrolment=course.enrolment)
    config = {
        "version": package.version,
        "sequenced": True,
        "activityTree": manifest.activity_tree() if manifest else {},
        "collections": manifest.collections if manifest else {},
        "state": course.state,
        "request": course.request,
        "target": course.target,
        "learnerId": f"civlearn-{course.user.pk}",
        "courseId": f"civlearn-scorm-{package.pk}",
        "attemptNumber": course.attempt_number,
        "deliverUrl": reverse("scorm:deliver", args=[course.token]),
        "stateUrl": reverse("scorm:course_state", args=[course.token]),
        "beatUrl": reverse("scorm:beat"),
        "beatSeconds": heartbeat_seconds(),
        "readingToken": reading_token,
        "parentOrigin": parent_origin,
        "preview": course.preview,
        # In manifest order: what the player chooses when the course cannot be started by flow (below).
        "launchable": [sco.identifier for sco in package.scos.all() if sco.launch and sco.is_visible],
    }
    response = render(
        request,
        "learning/scorm/player.html",
        {
            "sco": None,
            "package": package,
            "config": config,
            "content_url": "about:blank",
            "runtime_script": static("vendor/scorm-again/scorm2004.min.js"),
        },
    )
    response["Content-Security-Policy"] = _frame_ancestors(parent_origin)
    response["Referrer-Policy"] = "no-referrer"
    return response


@csrf_exempt  # authenticated by the signed course session token in the URL
@require_POST
def deliver_view(request, token: str):
    """The engine chose an activity: open a session on its SCO. Body: {"identifier": item identifier}."""
    require_content_origin(request)
    try:
        payload = _payload(request)
        identifier = payload.get("identifier")
        if not isinstance(identifier, str) or not identifier:
            raise RuntimeRefused("缺少項目識別碼（identifier）", 101)
        session = activity_deliver(token=token, identifier=identifier)
    except RuntimeRefused as exc:
        return JsonResponse({"result": False, "errorCode": exc.code, "message": str(exc)}, status=400)
    return JsonResponse(
        {
            "result": True,
            "cmi": session.initial,
            "commitUrl": reverse("scorm:commit", args=[session.token]),
            "contentUrl": _content_url(session),
            "scoId": session.sco.pk,
            "title": session.sco.title,
        }
    )


@csrf_exempt  # authenticated by the signed course session token in the URL
@require_POST
def course_state_view(request, token: str):
    """The engine's state, saved with every commit. Body: {"seq": n, "state": …, "root": {…}, "suspended",
    "ended"}."""
    require_content_origin(request)
    try:
        payload = _payload(request)
        seq = payload.get("seq")
        if not isinstance(seq, int) or isinstance(seq, bool) or seq < 1:
            raise RuntimeRefused("排序狀態缺少序號", 101)
        saved = course_state_save(token=token, seq=seq, payload=payload)
    except RuntimeRefused as exc:
        return JsonResponse({"result": False, "errorCode": exc.code, "message": str(exc)}, status=400)
    return JsonResponse({"result": True, "errorCode": 0, "stored": saved.stored, "done": saved.done})


@xframe_options_exempt
@require_GET
def content_view(request, key: str, path: str):
    """A file of a published package. The storage key is random; the file must lie inside the package. Drafts are
    served only through preview_content_view."""
    require_content_origin(request)
    if not ScormPackage.objects.filter(storage_key=key, status=ScormPackage.PUBLISHED).exists():
        raise Http404("找不到這份教材")
    return _package_file(key, path)


@xframe_options_exempt
@require_GET
def preview_content_view(request, token: str, path: str):
    """A file of a package being previewed by its provider (a draft, or a published package)."""
    require_content_origin(request)
    try:
        package = preview_content_package(token)
    except RuntimeRefused as exc:
        raise Http404(str(exc)) from exc
    return _package_file(package.storage_key, path)


def _package_file(key: str, path: str):
    try:
        relative = member_path(path)
    except ValueError as exc:
        raise Http404("找不到這個檔案") from exc
    root = (scorm_root() / key).resolve()
    target = (root / relative).resolve()
    if not relative or not target.is_relative_to(root) or not target.is_file():
        raise Http404("找不到這個檔案")
    content_type, encoding = mimetypes.guess_type(str(target))
    response = FileResponse(open(target, "rb"), content_type=content_type or "application/octet-stream")  # noqa: SIM115 (FileResponse closes it)
    if encoding:
        response["Content-Encoding"] = encoding
    response["Content-Security-Policy"] = CONTENT_CSP
    response["Referrer-Policy"] = "no-referrer"
    response["Cache-Control"] = "private, max-age=3600"
    return response


def _payload(request) -> dict:
    if len(request.body) > MAX_COMMIT_BYTES:
        raise RuntimeRefused("學習紀錄超過 1 MB", 101)
    try:
        payload = json.loads(request.body.decode("utf-8") or "{}")
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise RuntimeRefused("學習紀錄格式錯誤", 101) from exc
    if not isinstance(payload, dict):
        raise RuntimeRefused("學習紀錄格式錯誤", 101)
    return payload


@csrf_exempt  # no cookie authenticates this request: the signed session token in the URL does
@require_POST
def commit_view(request, token: str):
    """LMSCommit / Commit and the terminate beacon. Body: {"seq": n, "data": <the runtime's CMI JSON>}.
    Answers in the shape scorm-again expects: {"result": true|false, "errorCode": n}."""
    require_content_origin(request)
    try:
        payload = _payload(request)
        seq = payload.get("seq")
        if not isinstance(seq, int) or isinstance(seq, bool) or seq < 1:
            raise RuntimeRefused("學習紀錄缺少序號", 101)
        result = attempt_commit(token=token, data=payload.get("data") or {}, seq=seq)
    except RuntimeRefused as exc:
        return JsonResponse({"result": False, "errorCode": exc.code, "message": str(exc)}, status=400)
    return JsonResponse(
        {
            "result": True,
            "errorCode": 0,
            "stored": result.stored,
            "done": result.done,
            "completion": result.completion_status,
            "success": result.success_status,
        }
    )


@csrf_exempt  # authenticated by the signed reading token in the body, like the platform's own heartbeat
@require_POST
def beat_view(request):
    """Reading time while a SCO is open: the learning app's crediting rules, one clock per learner."""
    require_content_origin(request)
    token = request.body.decode("utf-8", errors="replace").strip()
    try:
        beat = heartbeat_credit(token=token)
    except HeartbeatRefused as exc:
        return JsonResponse({"message": str(exc)}, status=400)
    if beat.threshold_crossed:
        from civlearn.learning.completion.services import completion_evaluate
        from civlearn.learning.models import Enrolment

        enrolment_id = getattr(beat, "enrolment_id", None) or signing.loads(beat.token, salt=TOKEN_SALT)[0]
        enrolment = Enrolment.objects.filter(pk=enrolment_id).select_related("course", "user").first()
        if enrolment is not None:
            completion_evaluate(enrolment=enrolment)
    return JsonResponse({"token": beat.token, "reading_ms": beat.reading_ms, "required_ms": beat.required_ms})
