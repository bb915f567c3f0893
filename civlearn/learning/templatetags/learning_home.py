"""The learner's badge in the e等公務園+ header: "Hi 名字 LV.n 點數 個人專區" (`{% load learning_home %}`)."""

from __future__ import annotations

from django import template

from civlearn.learning.home.points import badge_cached
from civlearn.learning.provide.services import may_teach

register = template.Library()


@register.inclusion_tag("learning/home/_badge.html", takes_context=True)
def learner_badge(context) -> dict:
    request = context.get("request")
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {"show": False, "request": request}
    # A page that has the learner's nickname and standing already (個人專區) passes them as `learner_badge`.
    nickname, standing = context.get("learner_badge") or badge_cached(user=user)
    return {"show": True, "request": request, "name": nickname or user.display_name, "standing": standing}


@register.simple_tag(takes_context=True)
def can_teach(context) -> bool:
    """`{% can_teach as teaches %}`: whether to show 我教的課 (only to those who may use it)."""
    request = context.get("request")
    return may_teach(getattr(request, "user", None))
