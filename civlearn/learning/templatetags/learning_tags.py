"""Small template helpers of the learning pages: `{% load learning_tags %}`."""

from django import template

register = template.Library()


@register.filter
def scale_range(maximum) -> range:
    """`5|scale_range` → 1..5, the points of a questionnaire scale."""
    return range(1, int(maximum) + 1)


@register.filter
def minutes(milliseconds) -> int:
    return int(milliseconds or 0) // 60_000


@register.filter
def problem_of(problems, question_id) -> str:
    """`problems|problem_of:question.pk` → what is wrong with that question's answer ("" when nothing)."""
    return (problems or {}).get(question_id, "")


@register.filter
def chosen_of(answers, question_id) -> list[str]:
    """`answers|chosen_of:question.pk` → the values the learner sent for that question (kept on a refused form)."""
    return list((answers or {}).get(str(question_id), []))
