"""What a learner hands in: test attempts and questionnaire answers."""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _

from civlearn.core import clock
from civlearn.learning.models.enrolment import Enrolment


class TestAttempt(models.Model):
    __test__ = False  # not a pytest test class, despite the name

    enrolment = models.ForeignKey(Enrolment, on_delete=models.CASCADE, related_name="attempts")
    unit = models.ForeignKey("learning.Unit", on_delete=models.CASCADE, related_name="attempts")
    number = models.PositiveSmallIntegerField(_("第幾次"))
    started_at = models.DateTimeField(default=clock.now)
    submitted_at = models.DateTimeField(null=True, blank=True)
    # The shuffled order this attempt shows: [question id, ...] and {question id: [choice id, ...]}.
    question_order = models.JSONField(default=list)
    choice_order = models.JSONField(default=dict)
    answers = models.JSONField(default=dict, blank=True)
    score = models.PositiveSmallIntegerField(_("分數"), null=True, blank=True)
    passed = models.BooleanField(_("及格"), default=False)

    class Meta:
        ordering = ["enrolment", "unit", "number"]
        constraints = [
            models.UniqueConstraint(fields=["enrolment", "unit", "number"], name="attempt_number_unique"),
        ]
        verbose_name = _("測驗作答")
        verbose_name_plural = _("測驗作答")

    def __str__(self) -> str:
        return f"{self.enrolment_id} #{self.number} {self.score}"


class QuestionnaireResponse(models.Model):
    enrolment = models.ForeignKey(Enrolment, on_delete=models.CASCADE, related_name="questionnaire_responses")
    unit = models.ForeignKey("learning.Unit", on_delete=models.CASCADE, related_name="responses")
    answers = models.JSONField(default=dict)
    submitted_at = models.DateTimeField(default=clock.now)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["enrolment", "unit"], name="questionnaire_once")]
        verbose_name = _("問卷填答")
        verbose_name_plural = _("問卷填答")

    def __str__(self) -> str:
        return f"{self.enrolment_id} {self.unit_id}"
