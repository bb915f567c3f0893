"""個人專區: what the learner's home shows — counts, course cards with the three conditions, goals,
packages, level and points. Reads only."""

from __future__ import annotations

from dataclasses import dataclass

from civlearn.core import clock
from civlearn.learning.catalogue.selectors import enrolments_of
from civlearn.learning.completion.services import Progress, progress_from, progress_of
from civlearn.learning.home.goals import GoalProgress, goals_progress
from civlearn.learning.home.packages import PackageProgress, package_progress, packages_for
from civlearn.learning.home.points import Standing, standing_from
from civlearn.learning.models import Enrolment, QuestionnaireResponse, TestAttempt, Unit


@dataclass(frozen=True)
class CourseCard:
    enrolment: Enrolment
    progress: Progress
    best_score: int | None
    has_questionnaire: bool
    questionnaire_done: bool
    has_test: bool
    test_passed: bool


@dataclass(frozen=True)
class Dashboard:
    today: object
    standing: Standing
    unfinished: list[CourseCard]
    finished: list[CourseCard]
    goals: list[GoalProgress]
    packages: list[PackageProgress]

    @property
    def enrolments(self) -> list[Enrolment]:
        """All the learner's enrolments (for the gap panel, which would otherwise read them again)."""
        return [card.enrolment for card in self.unfinished + self.finished]

    @property
    def all(self) -> list[CourseCard]:
        return self.unfinished + self.finished

    @property
    def finished_percent(self) -> int:
        total = len(self.unfinished) + len(self.finished)
        return int(100 * len(self.finished) / total) if total else 0


def _progress(enrolment: Enrolment, units: dict[str, set[int]], passed: set[int], answered: set[int]) -> Progress:
    """progress_of() from data fetched for all cards at once (same conditions, labels and percentage), so the
    page costs a fixed number of queries. Courses with SCORM units ask progress_of() itself."""
    if units.get(Unit.SCORM):
        return progress_of(enrolment=enrolment)
    return progress_from(
        reading_ms=enrolment.reading_ms,
        required_ms=enrolment.course.required_reading_ms,
        test_passed=passed >= units[Unit.TEST] if units.get(Unit.TEST) else None,
        questionnaire_answered=answered >= units[Unit.QUESTIONNAIRE] if units.get(Unit.QUESTIONNAIRE) else None,
        scorm_done=None,
    )


def course_cards(*, user) -> list[CourseCard]:
    """Every enrolment of the learner as a card, in a fixed number of queries (plus one per SCORM course)."""
    enrolments = list(enrolments_of(user=user))
    ids = [e.pk for e in enrolments]
    course_ids = {e.course_id for e in enrolments}
    units: dict[int, dict[str, set[int]]] = {}
    # No ORDER BY on these reads (the models' default orderings join the course or the enrolment for nothing).
    for course_id, unit_id, kind in (
        Unit.objects.filter(course_id__in=course_ids).order_by().values_list("course_id", "pk", "kind")
    ):
        units.setdefault(course_id, {}).setdefault(kind, set()).add(unit_id)
    scores: dict[int, int] = {}
    passed: dict[int, set[int]] = {}
    for enrolment_id, unit_id, score, ok in (
        TestAttempt.objects.filter(enrolment_id__in=ids, submitted_at__isnull=False)
        .order_by()
        .values_list("enrolment_id", "unit_id", "score", "passed")
    ):
        if score is not None:
            scores[enrolment_id] = max(score, scores.get(enrolment_id, 0))
        if ok:
            passed.setdefault(enrolment_id, set()).add(unit_id)
    answered: dict[int, set[int]] = {}
    for enrolment_id, unit_id in (
        QuestionnaireResponse.objects.filter(enrolment_id__in=ids).order_by().values_list("enrolment_id", "unit_id")
    ):
        answered.setdefault(enrolment_id, set()).add(unit_id)
    cards = []
    for e in enrolments:
        course_units = units.get(e.course_id, {})
        mine_passed, mine_answered = passed.get(e.pk, set()), answered.get(e.pk, set())
        tests, questionnaires = course_units.get(Unit.TEST, set()), course_units.get(Unit.QUESTIONNAIRE, set())
        cards.append(
            CourseCard(
                enrolment=e,
                progress=_progress(e, course_units, mine_passed, mine_answered),
                best_score=scores.get(e.pk),
                has_questionnaire=bool(questionnaires),
                questionnaire_done=bool(questionnaires) and mine_answered >= questionnaires,
                has_test=bool(tests),
                test_passed=bool(tests) and mine_passed >= tests,
            )
        )
    return cards


def dashboard_of(*, user) -> Dashboard:
    """Everything 個人專區 shows but the gap panel; the learner's enrolments are read once (with their courses) and
    the standing, the goals and the packages' progress are computed from them."""
    cards = course_cards(user=user)
    enrolments = [card.enrolment for card in cards]
    done = [e for e in enrolments if e.completed_at is not None]
    return Dashboard(
        today=clock.today(),
        standing=standing_from((e.reading_ms, e.completed_at) for e in enrolments),
        unfinished=[c for c in cards if c.enrolment.completed_at is None],
        finished=[c for c in cards if c.enrolment.completed_at is not None],
        goals=goals_progress(
            user=user,
            completed=[(e.completed_at, e.course.certified_hours) for e in enrolments if e.completed_at is not None],
        ),
        packages=package_progress(
            user=user,
            packages=packages_for(user=user),
            completed=[(e.course_id, e.course.category_code, e.course.certified_hours) for e in done],
        ),
    )
