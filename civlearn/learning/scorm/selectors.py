"""Reads: a package's table of contents with a learner's status per SCO, and the packages a provider manages."""

from __future__ import annotations

from dataclasses import dataclass

from django.db.models import QuerySet

from civlearn.learning.models import Course, Enrolment, Sco, ScormAttempt, ScormPackage

NOT_STARTED, IN_PROGRESS, DONE, FAILED = "未開始", "學習中", "已完成", "未通過"


@dataclass(frozen=True)
class OutlineRow:
    sco: Sco
    status: str
    score: str
    is_current: bool = False

    @property
    def done(self) -> bool:
        return self.status == DONE


def _status(attempt: ScormAttempt | None) -> str:
    # Opened but never initialised (no commit ever reached the server): nothing was learned yet.
    if attempt is None or attempt.session_count == 0 or not attempt.cmi:
        return NOT_STARTED
    if attempt.done_at is not None:
        return DONE
    if "failed" in (attempt.success_status, attempt.completion_status):
        return FAILED
    return IN_PROGRESS


def _score(attempt: ScormAttempt | None) -> str:
    if attempt is None:
        return ""
    if attempt.score_scaled is not None:
        return f"{attempt.score_scaled * 100:.0f}%"
    if attempt.score_raw is not None:
        return f"{attempt.score_raw.normalize():f}"
    return ""


def package_outline(
    *, package: ScormPackage, enrolment: Enrolment | None, current: Sco | None = None
) -> list[OutlineRow]:
    """Every visible item in manifest order (aggregations too, as headings), with this enrolment's status.
    Two queries, whatever the number of SCOs."""
    scos = [sco for sco in package.scos.all() if sco.is_visible]
    attempts: dict[int, ScormAttempt] = {}
    if enrolment is not None:
        attempts = {a.sco_id: a for a in ScormAttempt.objects.filter(enrolment=enrolment, sco__package=package)}
    return [
        OutlineRow(
            sco=sco,
            status=_status(attempts.get(sco.pk)) if sco.launch else "",
            score=_score(attempts.get(sco.pk)),
            is_current=current is not None and current.pk == sco.pk,
        )
        for sco in scos
    ]


def launchable(package: ScormPackage) -> list[Sco]:
    return [sco for sco in package.scos.all() if sco.launch]


def package_for_unit(*, unit_id: int) -> ScormPackage | None:
    return (
        ScormPackage.objects.select_related("unit__course__provider_agency")
        .prefetch_related("scos")
        .filter(unit_id=unit_id)
        .first()
    )


def packages_of_course(*, course: Course) -> QuerySet[ScormPackage]:
    return ScormPackage.objects.filter(unit__course=course).select_related("unit").order_by("unit__order")


def package_manifest(*, package: ScormPackage):
    """The package's manifest read again from the stored imsmanifest.xml (so no copy of it can go stale), or
    None when it cannot be read any more."""
    from civlearn.learning.scorm.manifest import ManifestError, manifest_parse
    from civlearn.learning.scorm.package import MANIFEST, scorm_root

    try:
        return manifest_parse((scorm_root() / package.storage_key / MANIFEST).read_bytes())
    except (OSError, ManifestError):
        return None


def package_warnings(*, package: ScormPackage) -> tuple[str, ...]:
    """What was accepted at import although the manifest is not quite right."""
    manifest = package_manifest(package=package)
    return manifest.warnings if manifest is not None else ()
