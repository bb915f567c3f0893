"""Small template helpers of the learning pages: `{% load learning_tags %}`."""

from django import template

from civlearn.learning.entrance.notice import notice_acknowledged

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


@register.inclusion_tag("learning/_first_visit_notice.html", takes_context=True)
def first_visit_notice(context) -> dict:
    """The cookie and privacy notice until this browser has answered 「了解，我清楚了」 (manual step 一)."""
    request = context.get("request")
    show = request is not None and not notice_acknowledged(request)
    here = request.get_full_path() if request is not None else ""
    return {"show": show, "here": here, "csrf_token": context.get("csrf_token")}
