"""Attempts and CMI data: launching a SCO (what the runtime is loaded with), committing what it reports, and
what counts as done for the course's completion rule.

The runtime (scorm-again, in the browser) validates each SetValue against the data model and answers with the
standard error codes; the server checks again what it relies on (vocabularies, numbers, sizes, time formats),
because a commit is an HTTP request anyone holding the token can forge.

Tokens: the learner's page (platform origin, signed in) issues a *launch token* per SCO; the player on the
content origin exchanges it for a *session token* naming the attempt and a fresh session key. Commits and beacons
carry the session token in their URL, never a cookie or a CSRF token (the content origin has neither)."""

from __future__ import annotations

import re
import secrets
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import Any

from django.core import signing
from django.db import transaction

from civlearn.core import clock
from civlearn.core.services import audit_record
from civlearn.learning.models import Enrolment, Sco, ScormAttempt, ScormPackage, Unit
from civlearn.learning.scorm.manifest import V12, V2004_4

LAUNCH_SALT = "learning.scorm.launch"
SESSION_SALT = "learning.scorm.session"
TOKEN_MAX_AGE_SECONDS = 12 * 3600

STATUS_12 = {"passed", "completed", "failed", "incomplete", "browsed", "not attempted"}
COMPLETION_2004 = {"completed", "incomplete", "not attempted", "unknown"}
SUCCESS_2004 = {"passed", "failed", "unknown"}
EXIT_12 = {"", "time-out", "suspend", "logout"}
EXIT_2004 = {"", "time-out", "suspend", "logout", "normal"}


class RuntimeRefused(Exception):
    """A launch or commit is refused; `code` is the SCORM error code the runtime reports."""

    def __init__(self, message: str, code: int = 101):
        super().__init__(message)
        self.code = code


def suspend_data_limit(version: str) -> int:
    # SCORM 1.2: CMIString4096; 2004 2nd/3rd edition: 4000 characters (SPM); 4th edition: 64000.
    if version == V12:
        return 4096
    return 64000 if version == V2004_4 else 4000


def location_limit(version: str) -> int:
    return 255 if version == V12 else 1000


# ---- time ----------------------------------------------------------------------------------------------------

_TIME_12 = re.compile(r"^(\d{2,4}):([0-5]\d):([0-5]\d)(\.\d{1,2})?$")
_DURATION = re.compile(r"^P(?:(\d+)Y)?(?:(\d+)M)?(?:(\d+)D)?(?:T(?:(\d+)H)?(?:(\d+)M)?(?:(\d+(?:\.\d{1,2})?)S)?)?$")


def parse_session_time(value: str, version: str) -> int:
    """A reported session time in milliseconds; RuntimeRefused on a malformed value."""
    if version == V12:
        match = _TIME_12.match(value)
        if not match:
            raise RuntimeRefused(f"cmi.core.session_time「{value}」格式錯誤（應為 HHHH:MM:SS.SS）", 405)
        hours, minutes, seconds, fraction = match.groups()
        return (int(hours) * 3600 + int(minutes) * 60 + int(seconds)) * 1000 + int(float(fraction or "0") * 1000)
    match = _DURATION.match(value)
    if not match or value in ("P", "PT") or value.endswith("T"):
        raise RuntimeRefused(f"cmi.session_time「{value}」格式錯誤（應為 ISO 8601 期間，例如 PT1H5M）", 406)
    years, months, days, hours, minutes, seconds = match.groups()
    # Years and months as the 2004 RTE book counts them for time intervals (365 and 30 days).
    total_seconds = (
        int(years or 0) * 365 * 86400
        + int(months or 0) * 30 * 86400
        + int(days or 0) * 86400
        + int(hours or 0) * 3600
        + int(minutes or 0) * 60
    )
    return total_seconds * 1000 + int(Decimal(seconds or "0") * 1000)


def format_time(ms: int, version: str) -> str:
    """Total time as the runtime reads it: HHHH:MM:SS.SS (1.2) or PT#H#M#S (2004)."""
    centis = ms // 10
    hours, rest = divmod(centis, 360_000)
    minutes, rest = divmod(rest, 6000)
    seconds, centis = divmod(rest, 100)
    if version == V12:
        return f"{min(hours, 9999):04d}:{minutes:02d}:{seconds:02d}.{centis:02d}"
    return f"PT{hours}H{minutes}M{seconds}.{centis:02d}S"


# ---- tokens --------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Launch:
    sco_id: int
    user_id: int
    enrolment_id: int | None  # None: a provider's preview, which stores nothing
    # The platform page that frames the player: the only origin allowed to frame it and to receive its messages.
    parent_origin: str


def launch_token(*, sco: Sco, user, enrolment: Enrolment | None, parent_origin: str) -> str:
    return signing.dumps([sco.pk, user.pk, enrolment.pk if enrolment else None, parent_origin], salt=LAUNCH_SALT)


def launch_read(token: str) -> Launch:
    try:
        sco_id, user_id, enrolment_id, parent_origin = signing.loads(
            token, salt=LAUNCH_SALT, max_age=TOKEN_MAX_AGE_SECONDS
        )
    except (signing.BadSignature, ValueError, TypeError) as exc:
        raise RuntimeRefused("啟動連結無效或已逾時，請回到課程頁重新進入") from exc
    return Launch(sco_id=sco_id, user_id=user_id, enrolment_id=enrolment_id, parent_origin=parent_origin)


PREVIEW_SALT = "learning.scorm.preview"


def preview_token_seconds() -> int:
    # A provider's preview page is opened, played and left; two hours covers a long look at a long course.
    from django.conf import settings

    return int(getattr(settings, "SCORM_PREVIEW_TOKEN_SECONDS", 2 * 3600))


def preview_content_token(*, package: ScormPackage, user) -> str:
    """The credential in the path of a previewed package's files: a draft is served to nobody else."""
    return signing.dumps([package.pk, user.pk], salt=PREVIEW_SALT)


def preview_content_package(token: str) -> ScormPackage:
    """The package a preview token opens, while it is valid and its provider may still provide the course.
    Raises RuntimeRefused."""
    from civlearn.identity.selectors import active_account
    from civlearn.learning.scorm.services import may_provide

    try:
        package_id, user_id = signing.loads(token, salt=PREVIEW_SALT, max_age=preview_token_seconds())
    except (signing.BadSignature, ValueError, TypeError) as exc:
        raise RuntimeRefused("預覽連結無效或已逾時，請回到教材管理頁重新預覽") from exc
    package = ScormPackage.objects.select_related("unit__course").filter(pk=package_id).first()
    user = active_account(user_id)
    if package is None or user is None or not may_provide(user=user, course=package.unit.course):
        raise RuntimeRefused("預覽連結無效或已逾時，請回到教材管理頁重新預覽")
    return package


def _session_read(token: str) -> tuple[int | None, int, str, int]:
    try:
        attempt_id, user_id, key, sco_id = signing.loads(token, salt=SESSION_SALT, max_age=TOKEN_MAX_AGE_SECONDS)
    except (signing.BadSignature, ValueError, TypeError) as exc:
        raise RuntimeRefused("學習紀錄憑證無效或已逾時，請重新進入課程", 101) from exc
    return attempt_id, user_id, key, sco_id


# ---- launch --------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Session:
    sco: Sco
    package: ScormPackage
    preview: bool
    token: str
    initial: dict[str, Any]
    attempt: ScormAttempt | None
    user: Any = None


def _learner_name(user) -> str:
    person = getattr(user, "person", None)
    return (person.name if person is not None else "") or getattr(user, "display_name", "") or str(user.pk)


def _initial_cmi(sco: Sco, package: ScormPackage, user, attempt: ScormAttempt | None, entry: str) -> dict:
    """What the runtime is loaded with before the SCO calls Initialize: the resumable part of the stored data
    plus what the LMS supplies. The learner id is an opaque platform id, never a national ID."""
    stored = attempt.cmi if attempt is not None else {}
    credit = "credit" if attempt is not None else "no-credit"
    mode = "normal" if attempt is not None else "browse"
    total = format_time(attempt.total_ms if attempt else 0, package.version)
    learner_id = f"civlearn-{user.pk}"
    if package.is_scorm12:
        core_stored = stored.get("core", {}) if isinstance(stored.get("core"), dict) else {}
        score = core_stored.get("score") if isinstance(core_stored.get("score"), dict) else {}
        core: dict[str, Any] = {
            "student_id": learner_id,
            "student_name": _learner_name(user),
            "lesson_location": attempt.location if attempt else "",
            "credit": credit,
            "entry": entry,
            "total_time": total,
            "lesson_mode": mode,
            "score": {
                key: str(score.get(key, "")) for key in ("raw", "min", "max") if score.get(key) not in (None, "")
            },
        }
        status = attempt.completion_status if attempt else ""
        # "not attempted" is not loaded: scorm-again takes any status present at LMSInitialize as set by the SCO,
        # which would stop the LMSFinish rule (not attempted -> completed / passed / failed / browsed) from running.
        if status not in ("", "not attempted"):
            core["lesson_status"] = status
        data: dict[str, Any] = {
            "core": core,
            "suspend_data": attempt.suspend_data if attempt else "",
            "launch_data": sco.launch_data,
            "student_data": {
                "mastery_score": "" if sco.mastery_score is None else f"{sco.mastery_score.normalize():f}",
                "max_time_allowed": sco.max_time_allowed,
                "time_limit_action": sco.time_limit_action,
            },
        }
        return data
    score = stored.get("score") if isinstance(stored.get("score"), dict) else {}
    data = {
        "learner_id": learner_id,
        "learner_name": _learner_name(user),
        "location": attempt.location if attempt else "",
        "credit": credit,
        "mode": mode,
        "entry": entry,
        "total_time": total,
        "completion_status": (attempt.completion_status if attempt else "") or "unknown",
        "success_status": (attempt.success_status if attempt else "") or "unknown",
        "suspend_data": attempt.suspend_data if attempt else "",
        "launch_data": sco.launch_data,
        "score": {key: str(score[key]) for key in ("scaled", "raw", "min", "max") if score.get(key) not in (None, "")},
    }
    progress = stored.get("progress_measure")
    if progress not in (None, ""):
        data["progress_measure"] = str(progress)
    if sco.scaled_passing_score is not None:
        data["scaled_passing_score"] = f"{sco.scaled_passing_score.normalize():f}"
    if sco.completion_threshold is not None:
        data["completion_threshold"] = f"{sco.completion_threshold.normalize():f}"
    if sco.max_time_allowed:
        data["max_time_allowed"] = sco.max_time_allowed
    if sco.time_limit_action:
        data["time_limit_action"] = sco.time_limit_action
    return data


def session_open(*, launch: str) -> Session:
    """The player's start: check the launch token, open a new session on the learner's attempt (or a preview that
    stores nothing) and return what the runtime is loaded with. Raises RuntimeRefused."""
    from civlearn.identity.selectors import active_account

    data = launch_read(launch)
    sco = Sco.objects.select_related("package__unit__course").filter(pk=data.sco_id).first()
    user = active_account(data.user_id, with_person=True)
    if sco is None or user is None or not sco.launch:
        raise RuntimeRefused("找不到這個教材項目")
    package = sco.package
    key = secrets.token_hex(12)
    if data.enrolment_id is None:
        token = signing.dumps([None, user.pk, key, sco.pk], salt=SESSION_SALT)
        return Session(sco, package, True, token, _initial_cmi(sco, package, user, None, "ab-initio"), None, user)
    if package.status != ScormPackage.PUBLISHED:
        raise RuntimeRefused("這份教材尚未發布")
    enrolment = Enrolment.objects.filter(pk=data.enrolment_id, user=user, course=package.unit.course).first()
    if enrolment is None:
        raise RuntimeRefused("找不到您的選課紀錄")
    with transaction.atomic():
        attempt, _ = ScormAttempt.objects.get_or_create(enrolment=enrolment, sco=sco)
        attempt = ScormAttempt.objects.select_for_update().select_related("enrolment__user").get(pk=attempt.pk)
        if attempt.session_count == 0:
            entry = "ab-initio"
        elif attempt.exit_mode == "suspend":
            entry = "resume"
        elif not package.is_scorm12 and attempt.cmi:
            _attempt_restart(attempt)
            entry = "ab-initio"
        else:
            entry = ""
        # The previous session's reported time is final now; a new session starts from zero.
        attempt.closed_ms += attempt.session_ms
        attempt.session_ms = 0
        attempt.session_key = key
        attempt.session_seq = 0
        attempt.session_count += 1
        attempt.save()
    token = signing.dumps([attempt.pk, user.pk, key, sco.pk], salt=SESSION_SALT)
    return Session(sco, package, False, token, _initial_cmi(sco, package, user, attempt, entry), attempt, user)


def _attempt_restart(attempt: ScormAttempt) -> None:
    """SCORM 2004 (RTE 4.2.8, cmi.exit): a learner attempt that ended with any exit but "suspend" is over, and the
    next launch begins a new attempt with no stored data (entry "ab-initio"). Once a SCO is done it stays done for
    the course (`done_at` is kept); the new attempt's statuses and score replace the old ones. Audited, with what
    the ended attempt held."""
    audit_record(
        actor=attempt.enrolment.user,
        action="learning.scorm_attempt_restarted",
        subject=attempt,
        changes={
            "completion_status": [attempt.completion_status, ""],
            "success_status": [attempt.success_status, ""],
            "score_scaled": [_plain(attempt.score_scaled), None],
            "total_ms": [attempt.total_ms, 0],
        },
    )
    attempt.cmi = {}
    attempt.completion_status = attempt.success_status = ""
    attempt.score_raw = attempt.score_scaled = None
    attempt.location = attempt.suspend_data = attempt.exit_mode = ""
    # Total time is per learner attempt (cmi.total_time).
    attempt.closed_ms = attempt.session_ms = 0


# ---- commit --------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Commit:
    stored: bool
    done: bool
    completion_status: str
    success_status: str


def _get(tree: dict, path: str) -> Any:
    current: Any = tree
    for part in path.split("."):
        if not isinstance(current, dict):
            return None
        current = current.get(part)
    return current


def _string(tree: dict, path: str) -> str | None:
    value = _get(tree, path)
    if value is None:
        return None
    if not isinstance(value, (str, int, float)):
        raise RuntimeRefused(f"cmi.{path} 的值型別錯誤", 405)
    return str(value)


def _number(tree: dict, path: str, low: Decimal | None = None, high: Decimal | None = None) -> Decimal | None:
    value = _string(tree, path)
    if value in (None, ""):
        return None
    try:
        number = Decimal(value)
    except InvalidOperation as exc:
        raise RuntimeRefused(f"cmi.{path}「{value}」不是數字", 405) from exc
    if not number.is_finite() or (low is not None and number < low) or (high is not None and number > high):
        raise RuntimeRefused(f"cmi.{path}「{value}」超出範圍", 407)
    return number


@dataclass(frozen=True)
class Reported:
    completion_status: str
    success_status: str
    score_raw: Decimal | None
    score_scaled: Decimal | None
    progress: Decimal | None
    location: str
    suspend_data: str
    exit_mode: str
    session_ms: int | None


def cmi_read(cmi: dict, version: str) -> Reported:
    """The values the platform relies on, checked. Raises RuntimeRefused with the element named."""
    if not isinstance(cmi, dict):
        raise RuntimeRefused("學習紀錄格式錯誤", 101)
    prefix = "core." if version == V12 else ""
    location = _string(cmi, f"{prefix}lesson_location" if version == V12 else "location") or ""
    if len(location) > location_limit(version):
        raise RuntimeRefused(f"書籤（location）超過 {location_limit(version)} 字元", 405)
    suspend = _string(cmi, "suspend_data") or ""
    if len(suspend) > suspend_data_limit(version):
        raise RuntimeRefused(f"cmi.suspend_data 超過 {suspend_data_limit(version)} 字元", 405)
    exit_mode = _string(cmi, f"{prefix}exit") or ""
    session_time = _string(cmi, f"{prefix}session_time") or ""
    session_ms = parse_session_time(session_time, version) if session_time else None
    if version == V12:
        status = _string(cmi, "core.lesson_status") or ""
        if status and status not in STATUS_12:
            raise RuntimeRefused(f"cmi.core.lesson_status「{status}」不是允許的值", 405)
        if exit_mode not in EXIT_12:
            raise RuntimeRefused(f"cmi.core.exit「{exit_mode}」不是允許的值", 405)
        raw = _number(cmi, "core.score.raw", Decimal(0), Decimal(100))
        success = {"passed": "passed", "failed": "failed"}.get(status, "")
        return Reported(status, success, raw, None, None, location, suspend, exit_mode, session_ms)
    completion = _string(cmi, "completion_status") or ""
    success = _string(cmi, "success_status") or ""
    if completion and completion not in COMPLETION_2004:
        raise RuntimeRefused(f"cmi.completion_status「{completion}」不是允許的值", 406)
    if success and success not in SUCCESS_2004:
        raise RuntimeRefused(f"cmi.success_status「{success}」不是允許的值", 406)
    if exit_mode not in EXIT_2004:
        raise RuntimeRefused(f"cmi.exit「{exit_mode}」不是允許的值", 406)
    return Reported(
        completion,
        success,
        _number(cmi, "score.raw"),
        _number(cmi, "score.scaled", Decimal(-1), Decimal(1)),
        _number(cmi, "progress_measure", Decimal(0), Decimal(1)),
        location,
        suspend,
        exit_mode,
        session_ms,
    )


def sco_outcome(sco: Sco, reported: Reported) -> tuple[str, str, bool]:
    """(completion, success, done) with the LMS's own rules applied:

    - 1.2: with a mastery score and a raw score, passed/failed follows the score (the RTE lets the LMS decide);
      done = passed or completed.
    - 2004: a completion threshold with a progress measure decides completion; a scaled passing score with a
      scaled score decides success (RTE 4.2.4.1, 4.2.22); done = (completed or passed) and not failed."""
    completion, success = reported.completion_status, reported.success_status
    if sco.package.is_scorm12:
        if sco.mastery_score is not None and reported.score_raw is not None and completion not in ("", "not attempted"):
            completion = "passed" if reported.score_raw >= sco.mastery_score else "failed"
            success = completion
        return completion, success, completion in ("passed", "completed")
    if sco.completion_threshold is not None and reported.progress is not None:
        completion = "completed" if reported.progress >= sco.completion_threshold else "incomplete"
    if sco.scaled_passing_score is not None and reported.score_scaled is not None:
        success = "passed" if reported.score_scaled >= sco.scaled_passing_score else "failed"
    done = (completion == "completed" or success == "passed") and success != "failed"
    return completion, success, done


def attempt_commit(*, token: str, data: dict, seq: int) -> Commit:
    """Store what the runtime committed. Stale or repeated commits (a beacon after the final commit, a late
    request from a closed session) change nothing. Raises RuntimeRefused."""
    attempt_id, user_id, key, sco_id = _session_read(token)
    cmi = data.get("cmi", data) if isinstance(data, dict) else data
    sco = Sco.objects.select_related("package").filter(pk=sco_id).first()
    if sco is None:
        raise RuntimeRefused("找不到這個教材項目")
    reported = cmi_read(cmi, sco.package.version)
    completion, success, done = sco_outcome(sco, reported)
    if attempt_id is None:
        # A preview: checked like a real commit, stored nowhere.
        return Commit(False, done, completion, success)
    newly_done = False
    with transaction.atomic():
        attempt = (
            ScormAttempt.objects.select_for_update()
            .select_related("enrolment")
            .filter(pk=attempt_id, enrolment__user_id=user_id, sco_id=sco_id)
            .first()
        )
        if attempt is None:
            raise RuntimeRefused("找不到這筆學習紀錄")
        if attempt.session_key != key:
            raise RuntimeRefused("這份教材已在另一個視窗重新開啟，本視窗的紀錄不再儲存", 391)
        if seq <= attempt.session_seq:
            return Commit(False, attempt.done_at is not None, attempt.completion_status, attempt.success_status)
        before = {
            "completion_status": attempt.completion_status,
            "success_status": attempt.success_status,
            "score_raw": attempt.score_raw,
            "score_scaled": attempt.score_scaled,
        }
        attempt.cmi = cmi
        attempt.completion_status = completion
        attempt.success_status = success
        attempt.score_raw = reported.score_raw
        attempt.score_scaled = reported.score_scaled
        attempt.location = reported.location
        attempt.suspend_data = reported.suspend_data
        attempt.exit_mode = reported.exit_mode
        if reported.session_ms is not None:
            attempt.session_ms = reported.session_ms
        attempt.session_seq = seq
        attempt.updated_at = clock.now()
        if done and attempt.done_at is None:
            attempt.done_at = attempt.updated_at
            newly_done = True
        attempt.save()
        after = {
            "completion_status": attempt.completion_status,
            "success_status": attempt.success_status,
            "score_raw": attempt.score_raw,
            "score_scaled": attempt.score_scaled,
        }
        changes = {name: [_plain(before[name]), _plain(after[name])] for name in before if before[name] != after[name]}
        if newly_done:
            changes["done_at"] = [None, attempt.done_at.isoformat()]
        if changes:
            # Bookmarks and suspend data change on every page; statuses and scores are what an audit needs.
            audit_record(
                actor=attempt.enrolment.user, action="learning.scorm_tracked", subject=attempt, changes=changes
            )
    if newly_done:
        from civlearn.learning.completion.services import completion_evaluate

        completion_evaluate(enrolment=attempt.enrolment)
    return Commit(True, attempt.done_at is not None, completion, success)


def _plain(value: Any) -> Any:
    return str(value) if isinstance(value, Decimal) else value


# ---- the course's completion rule ----------------------------------------------------------------------------


def scorm_units_done(*, enrolment: Enrolment, unit_ids: set[int]) -> bool:
    """Every published SCORM unit among `unit_ids` is done in this enrolment: a SCORM 1.2 package when each of its
    tracked SCOs is done (1.2 has no rollup); a SCORM 2004 package when the root of its activity tree rolled up
    to completed or satisfied (course_attempt.py, the sequencing engine's rollup)."""
    from civlearn.learning.scorm.course_attempt import packages_done

    packages = dict(
        ScormPackage.objects.filter(unit_id__in=unit_ids, status=ScormPackage.PUBLISHED).values_list("pk", "version")
    )
    sequenced = {pk for pk, version in packages.items() if version != V12}
    if sequenced and packages_done(enrolment=enrolment, package_ids=sequenced) != sequenced:
        return False
    tracked = set(
        Sco.objects.filter(package_id__in=set(packages) - sequenced, is_sco=True)
        .exclude(launch="")
        .values_list("pk", flat=True)
    )
    if not tracked:
        return True
    done = set(
        ScormAttempt.objects.filter(enrolment=enrolment, sco_id__in=tracked, done_at__isnull=False).values_list(
            "sco_id", flat=True
        )
    )
    return done >= tracked


def scorm_unit_ids(kinds: dict[int, str]) -> set[int]:
    return {pk for pk, kind in kinds.items() if kind == Unit.SCORM}
