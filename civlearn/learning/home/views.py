"""個人專區 pages: dashboard, 個人資料 (profile and photo), 學習目標, 學習紀錄 (records, charts, history).

Views parse, call a service or selector, render. Every page is the signed-in learner's own: no id in the URL."""

from __future__ import annotations

from decimal import Decimal

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import HttpResponse, HttpResponseNotFound
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_http_methods, require_POST

from civlearn.core import clock
from civlearn.learning.catalogue.views import member_required
from civlearn.learning.gaps.selectors import gap_panel
from civlearn.learning.home import charts, packages
from civlearn.learning.home.dashboard import dashboard_of
from civlearn.learning.home.goals import GoalError, goals_progress, goals_set, parse_goal_hours
from civlearn.learning.home.profile import (
    EDITABLE_FIELDS,
    ProfileError,
    photo_remove,
    photo_set,
    profile_get_or_create,
    profile_update,
)
from civlearn.learning.home.records import records_of
from civlearn.learning.models import LearningGoal, MemberProfile


class ProfileForm(forms.ModelForm):
    website = forms.URLField(
        label=gettext_lazy("個人網站(臉書網站)"), required=False, assume_scheme="https", max_length=200
    )

    class Meta:
        model = MemberProfile
        fields = list(EDITABLE_FIELDS)
        widgets = {
            "newsletter": forms.RadioSelect(choices=[(True, gettext_lazy("是")), (False, gettext_lazy("否"))]),
            "show_hours_on_signin": forms.RadioSelect(
                choices=[(True, gettext_lazy("是")), (False, gettext_lazy("否"))]
            ),
            "teacher_network": forms.RadioSelect(choices=[(True, gettext_lazy("是")), (False, gettext_lazy("否"))]),
            "avatar": forms.RadioSelect,
            "bio": forms.Textarea(attrs={"rows": 4}),
        }
        help_texts = {
            "contact_email": gettext_lazy("※收取訂閱電子報或公開使用，您可自行修改"),
            "newsletter": gettext_lazy("系統重要公告一律寄送"),
            "teacher_network": gettext_lazy("※如果您是學校行政人員，但也必須取得全國教師進修網學習時數，請勾選是。"),
            "avatar": gettext_lazy("未上傳照片時，顯示於討論區、個人名片的圖。"),
            "show_on_card": gettext_lazy("電子郵件、個人網站與個人簡介是否顯示於您的個人名片"),
        }

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["contact_email"].required = True
        self.fields["contact_email"].error_messages["required"] = _("請填寫電子郵件")
        for name in ("newsletter", "show_on_card", "show_hours_on_signin", "teacher_network"):
            # A radio pair posts "True"/"False"; an unticked pair means "否", never an error.
            self.fields[name] = forms.TypedChoiceField(
                label=self.fields[name].label,
                help_text=self.fields[name].help_text,
                choices=[(True, _("是")), (False, _("否"))],
                coerce=lambda value: value in (True, "True"),
                widget=forms.RadioSelect,
                required=False,
                empty_value=False,
            )
        for name, field in self.fields.items():
            described = []
            if field.help_text:
                described.append(f"id_{name}_hint")
            if self.is_bound and name in self.errors:
                described.append(f"id_{name}_error")
                field.widget.attrs["aria-invalid"] = "true"
            if described:
                field.widget.attrs["aria-describedby"] = " ".join(described)


@member_required
def home_view(request):
    board = dashboard_of(user=request.user)
    profile = profile_get_or_create(user=request.user)
    return render(
        request,
        "learning/home/dashboard.html",
        {
            "board": board,
            "profile": profile,
            "gap_panel": gap_panel(user=request.user, enrolments=board.enrolments),
            "learner_badge": (profile.nickname or "", board.standing),
        },
    )


@member_required
@require_http_methods(["GET", "POST"])
def profile_view(request):
    profile = profile_get_or_create(user=request.user)
    form = ProfileForm(request.POST or None, instance=profile) if request.method == "POST" else None
    status = 200
    if form is not None and form.is_valid():
        values = {name: form.cleaned_data[name] for name in ProfileForm.Meta.fields}
        try:
            profile_update(user=request.user, actor=request.user, values=values)
        except ProfileError as exc:
            form.add_error(None, str(exc))
        else:
            messages.success(request, _("個人資料已更新。"))
            return redirect("learning:home_profile")
    if form is None:
        form = ProfileForm(instance=MemberProfile.objects.get(pk=profile.pk))
    elif form.errors:
        status = 400
    return render(
        request,
        "learning/home/profile.html",
        {"form": form, "profile": MemberProfile.objects.get(pk=profile.pk), "person": request.user.person},
        status=status,
    )


@member_required
@require_POST
def photo_upload_view(request):
    upload = request.FILES.get("photo")
    if upload is None:
        messages.error(request, _("個人照片：請選擇要上傳的圖片"))
        return redirect("learning:home_profile")
    try:
        photo_set(user=request.user, actor=request.user, upload=upload)
    except ProfileError as exc:
        messages.error(request, str(exc))
    else:
        messages.success(request, _("個人照片已更新。"))
    return redirect("learning:home_profile")


@member_required
@require_POST
def photo_remove_view(request):
    photo_remove(user=request.user, actor=request.user)
    messages.success(request, _("個人照片已移除。"))
    return redirect("learning:home_profile")


@member_required
def photo_view(request):
    data = MemberProfile.objects.filter(user=request.user).values_list("photo_png", flat=True).first()
    if not data:
        return HttpResponseNotFound(_("沒有個人照片"))
    response = HttpResponse(bytes(data), content_type="image/png")
    response["Cache-Control"] = "private, max-age=60"
    response["X-Content-Type-Options"] = "nosniff"
    return response


@member_required
@require_http_methods(["GET", "POST"])
def goals_view(request):
    errors: dict[str, str] = {}
    values = {}
    status = 200
    if request.method == "POST":
        goals = {}
        for period, label in LearningGoal.PERIOD_CHOICES:
            values[period] = request.POST.get(period, "")
            try:
                goals[period] = parse_goal_hours(values[period], label=label)
            except GoalError as exc:
                errors[period] = str(exc)
        if not errors:
            try:
                goals_set(user=request.user, actor=request.user, goals=goals)
            except GoalError as exc:
                errors["__all__"] = str(exc)
            else:
                messages.success(request, _("學習目標已儲存。"))
                return redirect("learning:home_goals")
        status = 400
    progress = goals_progress(user=request.user)
    rows = [
        {
            "goal": goal,
            "value": values.get(goal.period, "" if goal.target is None else f"{goal.target.normalize():f}"),
            "error": errors.get(goal.period, ""),
        }
        for goal in progress
    ]
    return render(
        request,
        "learning/home/goals.html",
        {"rows": rows, "form_error": errors.get("__all__", ""), "has_errors": bool(errors)},
        status=status,
    )


@member_required
def records_view(request):
    return render(request, "learning/home/records.html", {"records": records_of(user=request.user), "tab": "records"})


@member_required
def charts_view(request):
    this_year = clock.today().year
    try:
        year = int(request.GET.get("year") or this_year)
    except ValueError:
        year = this_year
    if not 2000 <= year <= this_year:
        year = this_year
    by_month = charts.hours_by_month(user=request.user, year=year)
    by_category = charts.hours_by_category(user=request.user, year=year)
    return render(
        request,
        "learning/home/charts.html",
        {
            "tab": "charts",
            "year": year,
            "years": list(range(this_year, this_year - 5, -1)),
            "by_month": by_month,
            "by_category": by_category,
            "month_svg": charts.bar_chart_svg(by_month, chart_id="chart-month"),
            "category_svg": charts.bar_chart_svg(by_category, chart_id="chart-category", horizontal=True),
        },
    )


@member_required
def history_view(request):
    return render(request, "learning/home/history.html", {"records": records_of(user=request.user), "tab": "history"})


@login_required
@require_http_methods(["GET", "POST"])
def packages_view(request):
    """套裝課程 an HR office defines for its staff (operators also for everyone)."""
    agencies = packages.manageable_agencies(request.user)
    if not agencies and not request.user.is_staff:
        raise PermissionDenied(_("您沒有任何機關的人事人員權限"))
    error, values, status = "", {}, 200
    if request.method == "POST":
        values = {
            key: request.POST.get(key, "")
            for key in ("agency", "title", "courses", "category_codes", "category_hours", "identity_type")
        }
        agency = next((a for a in agencies if str(a.pk) == values["agency"]), None)
        try:
            if agency is None and not (request.user.is_staff and values["agency"] == ""):
                raise packages.PackageError(_("適用機關：請選擇"))
            hours = parse_goal_hours(values["category_hours"], label=_("類別時數要求")) or Decimal(0)
            package = packages.package_save(
                actor=request.user,
                agency=agency,
                title=values["title"],
                course_codes=values["courses"].replace(",", " ").split(),
                category_codes=values["category_codes"],
                category_hours=hours,
                identity_type=values["identity_type"],
            )
        except (packages.PackageError, GoalError) as exc:
            error, status = str(exc), 400
        else:
            messages.success(request, _("已儲存套裝課程「%(title)s」。") % {"title": package.title})
            return redirect("learning:home_packages")
    return render(
        request,
        "learning/home/packages.html",
        {"packages": packages.packages_managed(request.user), "agencies": agencies, "values": values, "error": error},
        status=status,
    )
