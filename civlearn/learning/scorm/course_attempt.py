"""SCORM 2004 course attempts: the sequencing engine's state per enrolment and package, kept on the server.

The engine (scorm-again, in the player page on the content origin) decides which activity to deliver; the server
stores its serialized state on every commit and hands it back on the next launch, so a learner resumes where a
suspended attempt stopped, on any device. Rules (SCORM 2004 4th ed. SN book):

- a course attempt that was suspended (`suspendAll`, SN 4.2.1 / NB.2.1 "Suspend All") resumes: the next launch
  issues `resumeAll` with the stored state;
- any other end (`exitAll`, end of content, an exit of the root, an interrupted session that never suspended)
  ends the attempt on the activity tree: the next launch issues `start` on a fresh tree (a new attempt,
  `attempt_number` + 1, audited). Global objectives are part of the state and start again with it;
- the course's SCORM condition is the root activity's rollup (SN 4.6, Overall Rollup Process): done when the root
  is completed or satisfied and not "not satisfied"; once done it stays done for the enrolment.

Tokens as in tracking.py: the learner's page issues a *course launch token* (package, learner, enrolment, parent
origin, the item chosen in the table of contents if any); the player exchanges it for a *course session token*
naming the stored state and a fresh session key, which a launch in another window replaces (the older window's
saves are refused with error 391)."""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from typing import Any

from django.core import signing
from django.db import transaction

from civlearn.core import clock
from civlearn.core.services import audit_record
from civlearn.identity.selectors import active_account
from civlearn.learning.models import Enrolment, Sco, ScormPackage, ScormSequencing
from civlearn.learning.scorm.tracking import (
    COMPLETION_2004,
    SUCCESS_2004,
    TOKEN_MAX_AGE_SECONDS,
    RuntimeRefused,
    Session,
    launch_token,
    session_open,
)

COURSE_LAUNCH_SALT = "learning.scorm.course_launch"
COURSE_SESSION_SALT = "learning.scorm.course_session"
# The engine's serialized state of a 40-activity course is ≈ 200 KB; a megabyte is the commit body limit.
MAX_STATE_CHARS = 1000 * 1000


@dataclass(frozen=True)
class CourseLaunch:
    package_id: int
    user_id: int
    enrolment_id: int | None  # None: a provider's preview, which stores nothing
    parent_origin: str
    target: str  # an item identifier chosen in the table of contents, or ""


def course_launch_token(
    *, package: ScormPackage, user, enrolment: Enrolment | None, parent_origin: str, target: str = ""
) -> str:
    return signing.dumps(
        [package.pk, user.pk, enrolment.pk if enrolment else None, parent_origin, target], salt=COURSE_LAUNCH_SALT
    )


def course_launch_read(token: str) -> CourseLaunch:
    try:
        package_id, user_id, enrolment_id, parent_origin, target = signing.loads(
            token, salt=COURSE_LAUNCH_SALT, max_age=TOKEN_MAX_AGE_SECONDS
        )
    except (signing.BadSignature, ValueError, TypeError) as exc:
        raise RuntimeRefused("啟動連結無效或已逾時，請回到課程頁重新進入") from exc
    return CourseLaunch(package_id, user_id, enrolment_id, parent_origin, target)


@dataclass(frozen=True)
class CourseSession:
    package: ScormPackage
    user: Any
    preview: bool
    token: str
    # The engine's serialized state to restore ("" for a new attempt) and the request that starts delivery.
    state: str
    request: str  # "start" or "resumeAll"
    target: str
    attempt_number: int
    parent_origin: str
    enrolment: Enrolment | None = None


def course_session_open(*, launch: str) -> CourseSession:
    """The sequenced player's start: a suspended attempt resumes, anything else begins a new attempt.
    Raises RuntimeRefused."""
    data = course_launch_read(launch)
    package = ScormPackage.objects.select_related("unit__course").filter(pk=data.package_id).first()
    user = active_account(data.user_id)
    if package is None or user is None or package.is_scorm12:
        raise RuntimeRefused("找不到這份教材")
    key = secrets.token_hex(12)
    if data.enrolment_id is None:
        token = signing.dumps([None, user.pk, key, package.pk, None, data.parent_origin], salt=COURSE_SESSION_SALT)
        return CourseSession(package, user, True, token, "", "start", data.target, 1, data.parent_origin, None)
    if package.status != ScormPackage.PUBLISHED:
        raise RuntimeRefused("這份教材尚未發布")
    enrolment = Enrolment.objects.filter(pk=data.enrolment_id, user=user, course=package.unit.course).first()
    if enrolment is None:
        raise RuntimeRefused("找不到您的選課紀錄")
    with transaction.atomic():
        row, _ = ScormSequencing.objects.get_or_create(enrolment=enrolment, package=package)
        row = ScormSequencing.objects.select_for_update().get(pk=row.pk)
        if row.state and row.suspended:
            request = "resumeAll"
        else:
            if row.state:
                _course_attempt_restart(row=row, user=user)
            request = "start"
        row.session_key = key
        row.session_seq = 0
        row.save()
    token = signing.dumps(
        [row.pk, user.pk, key, package.pk, enrolment.pk, data.parent_origin], salt=COURSE_SESSION_SALT
    )
    return CourseSession(
        package, user, False, token, row.state, request, data.target, row.attempt_number, data.parent_origin, enrolment
    )


def _course_attempt_restart(*, row: ScormSequencing, user) -> None:
    """SN: an attempt on the root that ended without being suspended is over; the next one starts afresh."""
    audit_record(
        actor=user,
        action="learning.scorm_course_attempt_restarted",
        subject=row,
        changes={
            "attempt_number": [row.attempt_number, row.attempt_number + 1],
            "root_completion": [row.root_completion, ""],
            "root_success": [row.root_success, ""],
        },
    )
    row.attempt_number += 1
    row.state = row.root_completion = row.root_success = ""
    row.suspended = row.ended = False


def _course_session_read(token: str) -> tuple[int | None, int, str, int, int | None, str]:
    try:
        row_id, user_id, key, package_id, enrolment_id, parent_origin = signing.loads(
            token, salt=COURSE_SESSION_SALT, max_age=TOKEN_MAX_AGE_SECONDS
        )
    except (signing.BadSignature, ValueError, TypeError) as exc:
        raise RuntimeRefused("學習紀錄憑證無效或已逾時，請重新進入課程", 101) from exc
    return row_id, user_id, key, package_id, enrolment_id, parent_origin


def activity_deliver(*, token: str, identifier: str) -> Session:
    """The engine delivers an activity: open a session on that SCO (tracking.session_open, the same rules for
    entry, resume and new learner attempts as a launch from the table of contents). Raises RuntimeRefused."""
    row_id, user_id, key, package_id, enrolment_id, parent_origin = _course_session_read(token)
    if row_id is not None and not ScormSequencing.objects.filter(pk=row_id, session_key=key).exists():
        raise RuntimeRefused("這份教材已在另一個視窗重新開啟，本視窗的紀錄不再儲存", 391)
    sco = Sco.objects.filter(package_id=package_id, identifier=identifier).exclude(launch="").first()
    user = active_account(user_id)
    if sco is None or user is None:
        raise RuntimeRefused(f"教材中沒有可播放的項目「{identifier[:200]}」")
    enrolment = Enrolment.objects.filter(pk=enrolment_id).first() if enrolment_id is not None else None
    return session_open(launch=launch_token(sco=sco, user=user, enrolment=enrolment, parent_origin=parent_origin))


@dataclass(frozen=True)
class StateSave:
    stored: bool
    done: bool


def _root_done(completion: str, success: str) -> bool:
    return (completion == "completed" or success == "passed") and success != "failed"


def course_state_save(*, token: str, seq: int, payload: dict) -> StateSave:
    """Store the engine's state. `payload`: {"state": str, "root": {"completion", "success"}, "suspended": bool,
    "ended": bool}. Repeated or out-of-order saves change nothing; a refused save stores nothing.
    Raises RuntimeRefused naming the field."""
    row_id, user_id, key, _package_id, _enrolment_id, _origin = _course_session_read(token)
    state = payload.get("state")
    root = payload.get("root")
    if not isinstance(state, str) or not state:
        raise RuntimeRefused("排序狀態（state）缺漏或格式錯誤", 101)
    if len(state) > MAX_STATE_CHARS:
        raise RuntimeRefused(f"排序狀態超過 {MAX_STATE_CHARS} 字元", 101)
    if not isinstance(root, dict):
        raise RuntimeRefused("課程彙總狀態（root）缺漏或格式錯誤", 101)
    completion, success = root.get("completion", ""), root.get("success", "")
    if completion not in COMPLETION_2004 | {""}:
        raise RuntimeRefused(f"課程完成狀態「{str(completion)[:40]}」不是允許的值", 406)
    if success not in SUCCESS_2004 | {""}:
        raise RuntimeRefused(f"課程通過狀態「{str(success)[:40]}」不是允許的值", 406)
    suspended, ended = payload.get("suspended"), payload.get("ended")
    if not isinstance(suspended, bool) or not isinstance(ended, bool):
        raise RuntimeRefused("suspended 與 ended 必須是 true 或 false", 101)
    done = _root_done(completion, success)
    if row_id is None:
        return StateSave(False, done)  # a preview: checked, stored nowhere
    newly_done = False
    with transaction.atomic():
        row = (
            ScormSequencing.objects.select_for_update()
            .select_related("enrolment__user")
            .filter(pk=row_id, enrolment__user_id=user_id)
            .first()
        )
        if row is None:
            raise RuntimeRefused("找不到這筆學習紀錄")
        if row.session_key != key:
            raise RuntimeRefused("這份教材已在另一個視窗重新開啟，本視窗的紀錄不再儲存", 391)
        if seq <= row.session_seq:
            return StateSave(False, row.done_at is not None)
        before = {"root_completion": row.root_completion, "root_success": row.root_success}
        row.state = state
        row.root_completion, row.root_success = completion, success
        row.suspended, row.ended = suspended, ended
        row.session_seq = seq
        row.updated_at = clock.now()
        if done and row.done_at is None:
            row.done_at = row.updated_at
            newly_done = True
        row.save()
        changes = {name: [before[name], getattr(row, name)] for name in before if before[name] != getattr(row, name)}
        if newly_done:
            changes["done_at"] = [None, row.updated_at.isoformat()]
        if changes:
            audit_record(actor=row.enrolment.user, action="learning.scorm_course_tracked", subject=row, changes=changes)
    if newly_done:
        from civlearn.learning.completion.services import completion_evaluate

        completion_evaluate(enrolment=row.enrolment)
    return StateSave(True, row.done_at is not None)


def packages_done(*, enrolment: Enrolment, package_ids: set[int]) -> set[int]:
    """The SCORM 2004 packages among `package_ids` whose root rollup has been done in this enrolment."""
    return set(
        ScormSequencing.objects.filter(
            enrolment=enrolment, package_id__in=package_ids, done_at__isnull=False
        ).values_list("package_id", flat=True)
    )
