"""個人專區: what the learner's home shows — counts, course cards with the three conditions, goals,
packages, level and points. Reads only."""

from __future__ import annotations

from dataclasses import dataclass

from civlearn.core import clock
from civlearn.learning.completion import Progress, progress_of
from civlearn.learning.goals import GoalProgress, goals_progress
from civlearn.learning.models import Enrolment, QuestionnaireResponse, TestAttempt, Unit
from civlearn.learning.packages import PackageProgress, package_progress, packages_for
from civlearn.learning.points import Standing, standing_of
from civlearn.learning.selectors import enrolments_of


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
    def all(self) -> list[CourseCard]:
        return self.unfinished + self.finished

    @property
    def finished_percent(self) -> int:
        total = len(self.unfinished) + len(self.finished)
        return int(100 * len(self.finished) / total) if total else 0


def course_cards(*, user) -> list[CourseCard]:
    enrolments = list(enrolments_of(user=user))
    ids = [e.pk for e in enrolments]
    kinds: dict[int, set[str]] = {}
    for course_id, kind in Unit.objects.filter(course__enrolments__in=ids).values_list("course_id", "kind"):
        kinds.setdefault(course_id, set()).add(kind)
    scores: dict[int, int] = {}
    passed: set[int] = set()
    for enrolment_id, score, ok in TestAttempt.objects.filter(
        enrolment_id__in=ids, submitted_at__isnull=False
    ).values_list("enrolment_id", "score", "passed"):
        if score is not None:
            scores[enrolment_id] = max(score, scores.get(enrolment_id, 0))
        if ok:
            passed.add(enrolment_id)
    answered = set(QuestionnaireResponse.objects.filter(enrolment_id__in=ids).values_list("enrolment_id", flat=True))
    cards = []
    for e in enrolments:
        course_kinds = kinds.get(e.course_id, set())
        cards.append(
            CourseCard(
                enrolment=e,
                progress=progress_of(enrolment=e),
                best_score=scores.get(e.pk),
                has_questionnaire=Unit.QUESTIONNAIRE in course_kinds,
                questionnaire_done=e.pk in answered,
                has_test=Unit.TEST in course_kinds,
                test_passed=e.pk in passed,
            )
        )
    return cards


def dashboard_of(*, user) -> Dashboard:
    cards = course_cards(user=user)
    return Dashboard(
        today=clock.today(),
        standing=standing_of(user=user),
        unfinished=[c for c in cards if c.enrolment.completed_at is None],
        finished=[c for c in cards if c.enrolment.completed_at is not None],
        goals=goals_progress(user=user),
        packages=package_progress(user=user, packages=packages_for(user=user)),
    )
