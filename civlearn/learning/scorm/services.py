"""Writes on SCORM packages: upload as a course unit, publish, remove. The permission check lives here, so the
provider page, the admin and any command share it."""

from __future__ import annotations

import secrets
import shutil
from typing import BinaryIO

from django.db import transaction
from django.db.models import Max

from civlearn.core import clock
from civlearn.core.services import audit_record
from civlearn.identity import selectors as identity_selectors
from civlearn.learning.models import Course, Sco, ScormPackage, Unit
from civlearn.learning.scorm.package import PackageError, package_extract, package_read, scorm_root


class ScormPermissionDenied(PermissionError):
    """The actor may not manage this course's SCORM units; the message is shown as is."""


def may_provide(*, user, course: Course) -> bool:
    """Operators, and course-provider staff of the course's providing agency (or a parent agency with
    sub-agencies)."""
    if user is None or not user.is_authenticated or not user.is_active:
        return False
    if user.is_staff:
        return True
    return identity_selectors.user_has_role(user, course.provider_agency, "provider")


def _require_provider(user, course: Course) -> None:
    if not may_provide(user=user, course=course):
        raise ScormPermissionDenied("您不是本課程提供機關的課程提供人員，不能管理本課程的 SCORM 教材")


def package_upload(
    *, actor, course: Course, upload: BinaryIO, original_name: str, title: str = "", ip_address: str | None = None
) -> ScormPackage:
    """Check, unpack and attach a SCORM .zip to `course` as a new unit (a draft until published).

    All or nothing: a refused package (PackageError) or a failed save leaves no unit, no row and no files."""
    _require_provider(actor, course)
    package = package_read(upload)
    manifest = package.manifest
    key = secrets.token_hex(16)
    destination = scorm_root() / key
    scorm_root().mkdir(parents=True, exist_ok=True)
    package_extract(upload, package, destination)
    try:
        with transaction.atomic():
            last = Unit.objects.filter(course=course).aggregate(last=Max("order"))["last"] or 0
            unit = Unit.objects.create(
                course=course, order=last + 1, kind=Unit.SCORM, title=(title.strip() or manifest.title)[:200]
            )
            record = ScormPackage.objects.create(
                unit=unit,
                version=manifest.version,
                identifier=manifest.identifier[:200],
                title=manifest.title,
                storage_key=key,
                original_name=original_name[:255],
                sha256=package.sha256,
                size_bytes=package.total_bytes,
                file_count=len(package.members),
                uploaded_by=actor if getattr(actor, "pk", None) else None,
            )
            Sco.objects.bulk_create(
                Sco(
                    package=record,
                    order=index,
                    depth=item.depth,
                    identifier=item.identifier,
                    title=item.title,
                    launch=item.launch,
                    is_sco=item.is_sco,
                    is_visible=item.is_visible,
                    launch_data=item.launch_data,
                    mastery_score=item.mastery_score,
                    scaled_passing_score=item.scaled_passing_score,
                    completion_threshold=item.completion_threshold,
                    max_time_allowed=item.max_time_allowed,
                    time_limit_action=item.time_limit_action,
                )
                for index, item in enumerate(manifest.items, start=1)
            )
            audit_record(
                actor=actor,
                action="learning.scorm_uploaded",
                subject=record,
                changes={
                    "course": [None, course.code],
                    "unit": [None, unit.pk],
                    "version": [None, manifest.version],
                    "file": [None, original_name],
                    "sha256": [None, package.sha256],
                },
                ip_address=ip_address,
            )
    except BaseException:
        shutil.rmtree(destination, ignore_errors=True)
        raise
    return record


def package_publish(*, actor, package: ScormPackage, ip_address: str | None = None) -> ScormPackage:
    """發布: learners can launch it and it counts towards the course's completion."""
    _require_provider(actor, package.unit.course)
    with transaction.atomic():
        now = clock.now()
        changed = ScormPackage.objects.filter(pk=package.pk, status=ScormPackage.DRAFT).update(
            status=ScormPackage.PUBLISHED, published_at=now
        )
        if changed:
            audit_record(
                actor=actor,
                action="learning.scorm_published",
                subject=package,
                changes={"status": [ScormPackage.DRAFT, ScormPackage.PUBLISHED]},
                ip_address=ip_address,
            )
    package.refresh_from_db()
    return package


def package_remove(*, actor, package: ScormPackage, ip_address: str | None = None) -> None:
    """Remove a draft package and its unit. A published package has learners' records and is not removed."""
    _require_provider(actor, package.unit.course)
    if package.status != ScormPackage.DRAFT:
        raise PackageError("已發布的 SCORM 教材已有學員紀錄，不能刪除")
    key = package.storage_key
    with transaction.atomic():
        audit_record(
            actor=actor,
            action="learning.scorm_removed",
            subject=package,
            changes={"unit": [package.unit_id, None], "title": [package.title, None]},
            ip_address=ip_address,
        )
        package.unit.delete()
        transaction.on_commit(lambda: shutil.rmtree(scorm_root() / key, ignore_errors=True))


__all__ = [
    "PackageError",
    "ScormPermissionDenied",
    "may_provide",
    "package_publish",
    "package_remove",
    "package_upload",
]
