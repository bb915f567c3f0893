"""An agency HR office's own requirement rules (本機關時數規定): list, add, remove."""

from __future__ import annotations

import re

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_POST

from civlearn.core import rocdate
from civlearn.hours import services
from civlearn.hours.models import RequirementRule, mode_labels
from civlearn.identity import selectors as identity_selectors


class AgencyRuleForm(forms.Form):
    agency = forms.ModelChoiceField(label=_("機關"), queryset=None, empty_label=None)
    label = forms.CharField(label=_("規定名稱"), max_length=200, help_text=_("例如：本校每年學習時數(50小時)"))
    minimum_hours = forms.DecimalField(
        label=_("最低時數"),
        max_digits=6,
        decimal_places=1,
        min_value=0.1,
        error_messages={"invalid": _("最低時數請輸入數字，例如：50"), "min_value": _("最低時數應大於 0")},
    )
    year_from = forms.IntegerField(label=_("起始年度"), min_value=1, max_value=200, help_text=_("民國年，例如：113"))
    year_to = forms.IntegerField(
        label=_("結束年度"), min_value=1, max_value=200, required=False, help_text=_("空白表示持續適用")
    )
    mode = forms.TypedChoiceField(label=_("限學習性質"), coerce=int, required=False, empty_value=None)
    codes = forms.CharField(
        label=_("課程類別代碼"),
        required=False,
        max_length=500,
        help_text=_("以逗號或空白分隔，含其下各層類別；空白表示所有課程皆計入"),
    )
    parent = forms.TypedChoiceField(label=_("屬於哪一項規定"), coerce=int, required=False, empty_value=None)

    def __init__(self, *args, agencies, rules, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["agency"].queryset = agencies
        self.fields["mode"].choices = [("", _("不限"))] + [(str(k), v) for k, v in mode_labels().items()]
        self.fields["parent"].choices = [("", _("獨立規定"))] + [
            (str(r.pk), f"{r.agency.name}：{r.label}") for r in rules
        ]
        self.rules = {rule.pk: rule for rule in rules}


def _agencies(user):
    return identity_selectors.agencies_managed_by(user, identity_selectors.HR_OFFICER).order_by("code")


@login_required
def agency_rules(request: HttpRequest) -> HttpResponse:
    agencies = _agencies(request.user)
    if not agencies.exists():
        raise PermissionDenied(_("只有機關人事人員可以設定本機關時數規定"))
    rules = list(
        RequirementRule.objects.filter(agency__in=agencies)
        .select_related("agency", "parent")
        .order_by("agency__code", "order", "pk")
    )
    form = AgencyRuleForm(request.POST or None, agencies=agencies, rules=rules)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            services.agency_rule_create(
                actor=request.user,
                agency=data["agency"],
                label=data["label"],
                minimum_hours=data["minimum_hours"],
                year_from=data["year_from"] + rocdate.ROC_OFFSET,
                year_to=data["year_to"] + rocdate.ROC_OFFSET if data["year_to"] else None,
                mode=data["mode"],
                codes=[code for code in re.split(r"[\s,，、]+", data["codes"]) if code],
                parent=form.rules.get(data["parent"]) if data["parent"] else None,
            )
        except ValidationError as exc:
            for field, problems in exc.message_dict.items():
                for problem in problems:
                    form.add_error(field if field in form.fields else None, problem)
        else:
            messages.success(request, _("已新增本機關時數規定"))
            return redirect("hours:agency_rules")
    return render(
        request,
        "hours/rules/agency_rules.html",
        {"form": form, "rules": rules, "modes": mode_labels()},
        status=400 if form.errors else 200,
    )


@login_required
@require_POST
def agency_rule_delete(request: HttpRequest, rule_id: int) -> HttpResponse:
    agencies = _agencies(request.user)
    # Another agency's rule is "not found", never "forbidden": its existence is not the officer's business.
    rule = get_object_or_404(RequirementRule, pk=rule_id, agency__in=agencies)
    services.agency_rule_delete(actor=request.user, rule=rule)
    messages.success(request, _("已刪除本機關時數規定"))
    return redirect("hours:agency_rules")
