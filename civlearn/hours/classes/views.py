"""學習資訊中心 pages for learners and HR offices: search, a class's detail, register and cancel, QR check-in, the
HR office's approvals and 未到訓 list."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal, InvalidOperation

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.db.models import QuerySet
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.functional import cached_property
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from civlearn.core import clock, rocdate
from civlearn.hours import batch, rules
from civlearn.hours.classes import attendance, registration, selectors
from civlearn.hours.classes import calendar as class_calendar
from civlearn.hours.classes.selectors import ClassQuery
from civlearn.hours.institutions import selectors as institution_selectors
from civlearn.hours.models import CalendarFeed, ClassOffering, Registration, mode_labels


class SearchForm(forms.Form):
    q = forms.CharField(label=gettext_lazy("關鍵字"), required=False, max_length=100)
    requirement = forms.TypedChoiceField(
        label=gettext_lazy("年度必修類別"), required=False, coerce=int, empty_value=None
    )
    code = forms.CharField(label=gettext_lazy("課程類別代碼"), required=False, max_length=20)
    county = forms.ChoiceField(label=gettext_lazy("上課縣市"), required=False)
    mode = forms.TypedChoiceField(label=gettext_lazy("學習性質"), required=False, coerce=int, empty_value=None)
    date_from = forms.CharField(
        label=gettext_lazy("上課日期（起）"), required=False, help_text=gettext_lazy("民國年，例：115-12-01")
    )
    date_to = forms.CharField(label=gettext_lazy("上課日期（迄）"), required=False)
    hours_min = forms.CharField(label=gettext_lazy("時數（最少）"), required=False)
    hours_max = forms.CharField(label=gettext_lazy("時數（最多）"), required=False)
    institution = forms.TypedChoiceField(
        label=gettext_lazy("學習機關(構)"), required=False, coerce=int, empty_value=None
    )
    open_now = forms.BooleanField(label=gettext_lazy("目前開放報名"), required=False)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["requirement"].choices = [("", _("不限")), *selectors.requirement_choices()]
        self.fields["county"].choices = [("", _("不限")), *batch.counties().items()]
        self.fields["mode"].choices = [("", _("不限")), *mode_labels().items()]
        self.fields["institution"].choices = [
            ("", _("不限")),
            *((i.pk, i.name) for i in institution_selectors.institutions_search(limit=500)),
        ]

    def clean_date_from(self):
        return self._date("date_from")

    def clean_date_to(self):
        return self._date("date_to")

    def _date(self, name) -> dt.date | None:
        text = self.cleaned_data.get(name, "")
        if not text:
            return None
        try:
            return rocdate.parse_roc_or_iso(text)
        except rocdate.InvalidRocDate as exc:
            raise forms.ValidationError(str(exc)) from exc

    def clean_hours_min(self):
        return self._hours("hours_min")

    def clean_hours_max(self):
        return self._hours("hours_max")

    def _hours(self, name) -> Decimal | None:
        text = self.cleaned_data.get(name, "")
        if not text:
            return None
        try:
            value = Decimal(text)
        except InvalidOperation as exc:
            raise forms.ValidationError(_("請輸入數字")) from exc
        if not value.is_finite() or value < 0:
            raise forms.ValidationError(_("請輸入數字"))
        return value


class CappedPaginator(Paginator):
    """Pages of a search whose count stops at `selectors.COUNT_CAP`: `capped` says there are more."""

    capped = False

    @cached_property
    def count(self) -> int:
        queryset = self.object_list
        assert isinstance(queryset, QuerySet)
        found = selectors.capped_count(queryset)
        self.capped = found > selectors.COUNT_CAP
        return min(found, selectors.COUNT_CAP)


def search(request):
    form = SearchForm(request.GET or None)
    page = None
    if form.is_bound and form.is_valid():
        data = form.cleaned_data
        query = ClassQuery(
            keyword=data["q"],
            category_code=data["code"],
            requirement_id=data["requirement"],
            county_code=data["county"],
            date_from=data["date_from"],
            date_to=data["date_to"],
            mode=data["mode"],
            hours_min=data["hours_min"],
            hours_max=data["hours_max"],
            institution_id=data["institution"],
            open_now=data["open_now"],
        )
        page = CappedPaginator(selectors.offerings_search(query), 20).get_page(request.GET.get("page"))
    elif not form.is_bound:
        page = CappedPaginator(selectors.offerings_search(ClassQuery(open_now=True)), 20).get_page(1)
    params = request.GET.copy()
    params.pop("page", None)
    return render(
        request,
        "hours/classes/search.html",
        {
            "form": form,
            "page": page,
            "params": params.urlencode(),
            "counties": batch.counties(),
            "modes": mode_labels(),
        },
    )


def detail(request, offering_id: int):
    offering = get_object_or_404(ClassOffering.objects.select_related("institution"), pk=offering_id)
    person = request.user.person if request.user.is_authenticated and request.user.person_id else None
    mine = selectors.registration_of(offering=offering, person=person)
    book = rules.book()
    portions = [
        (portion, book.category_name(portion.category_table_id, portion.category_code))
        for portion in offering.portions.all()
    ]
    reason = ""
    if request.user.is_authenticated and mine is None:
        reason = registration.eligibility_problem(offering=offering, person=person, user=request.user)
    return render(
        request,
        "hours/classes/detail.html",
        {
            "offering": offering,
            "portions": portions,
            "sessions": offering.sessions.all(),
            "mine": mine,
            "position": selectors.waitlist_position(mine) if mine and mine.status == Registration.WAITLISTED else 0,
            "reason": reason,
            "county": batch.counties().get(offering.county_code, offering.county_code),
            "mode": mode_labels().get(offering.mode, ""),
            "audience": _audience_rules(offering),
        },
    )


def _audience_rules(offering: ClassOffering) -> list[str]:
    """Who may register, as the detail page lists it: each restriction once; 「不限」 only when there is none."""
    rules = []
    if offering.audience != ClassOffering.AUDIENCE_ALL:
        rules.append(offering.get_audience_display())
    agencies = [agency.name for agency in offering.agencies.all()]
    if agencies:
        rules.append(_("限定機關") + _("：") + _("、").join(agencies))
    if offering.hr_staff_only:
        rules.append(_("限人事人員"))
    if offering.supervisor_only:
        rules.append(_("限主管"))
    grades = selectors.grade_range_of(offering)
    if grades:
        rules.append(_("限%(grades)s") % {"grades": grades})
    return rules or [offering.get_audience_display()]


@login_required
@require_POST
def register(request, offering_id: int):
    offering = get_object_or_404(ClassOffering, pk=offering_id)
    try:
        result = registration.register(actor=request.user, offering=offering)
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    else:
        messages.success(request, _("報名結果：%(status)s") % {"status": result.get_status_display()})
    return redirect("hours:class_detail", offering_id=offering.pk)


@login_required
@require_POST
def cancel(request, registration_id: int):
    mine = get_object_or_404(
        Registration.objects.select_related("offering"), pk=registration_id, person_id=request.user.person_id
    )
    try:
        registration.cancel(actor=request.user, registration=mine)
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    else:
        messages.success(request, _("已取消報名。"))
    return redirect("hours:class_detail", offering_id=mine.offering_id)


@login_required
def checkin(request, token: str):
    """The page the door's QR code opens on the learner's phone; the check-in itself is the POST."""
    done = None
    problem = ""
    if request.method == "POST":
        try:
            done = attendance.checkin(actor=request.user, token=token)
        except ValidationError as exc:
            problem = " ".join(exc.messages)
    return render(
        request, "hours/classes/checkin.html", {"done": done, "problem": problem}, status=400 if problem else 200
    )


class DecisionForm(forms.Form):
    reason = forms.CharField(label=gettext_lazy("理由"), required=False, max_length=300)


@login_required
def hr_classes(request):
    """The HR office's 管理介面 part for classes: registrations waiting for approval, and 未到訓."""
    if not (request.user.is_superuser or selectors.hr_agency_ids(request.user)):
        raise PermissionDenied(_("您沒有人事人員權限"))
    return render(
        request,
        "hours/classes/hr.html",
        {"pending": selectors.hr_pending(request.user)[:200], "no_shows": selectors.hr_no_shows(request.user)[:200]},
    )


@login_required
@require_POST
def hr_decide(request, registration_id: int):
    pending = get_object_or_404(Registration.objects.select_related("person", "offering"), pk=registration_id)
    form = DecisionForm(request.POST)
    form.is_valid()
    try:
        registration.hr_decide(
            actor=request.user,
            registration=pending,
            approve=request.POST.get("decision") == "approve",
            reason=form.cleaned_data.get("reason", ""),
        )
    except ValidationError as exc:
        messages.error(request, f"{pending.person.name}：" + " ".join(exc.messages))
    else:
        messages.success(request, _("已完成審核：%(name)s") % {"name": pending.person.name})
    return redirect("hours:hr_classes")


def _month(text: str) -> dt.date:
    try:
        year, month = (int(part) for part in text.split("-"))
        return dt.date(year, month, 1)
    except (ValueError, TypeError):
        today = clock.today()
        return dt.date(today.year, today.month, 1)


@login_required
def calendar_page(request):
    """行事曆 tab of 個人資料夾: a month grid (default) or a list of what is coming; the subscription address."""
    import calendar as month_calendar

    person = request.user.person
    if person is None:
        raise PermissionDenied(_("行事曆限連結人事資料的帳號使用"))
    new_address = ""
    if request.method == "POST":
        if request.POST.get("action") == "revoke":
            class_calendar.feed_revoke(actor=request.user, person=person)
            messages.success(request, _("已停用行事曆訂閱網址。"))
        else:
            token = class_calendar.feed_renew(actor=request.user, person=person)
            new_address = request.build_absolute_uri(reverse("hours:calendar_feed", args=[token]))
    first = _month(request.GET.get("month", ""))
    view = "list" if request.GET.get("view") == "list" else "month"
    if view == "list":
        start, end = clock.today(), clock.today() + dt.timedelta(days=366)
    else:
        start = first
        end = dt.date(first.year, first.month, month_calendar.monthrange(first.year, first.month)[1])
    events = class_calendar.events_for(person=person, start=start, end=end)
    weeks = []
    if view == "month":
        by_day: dict[dt.date, list] = {}
        for event in events:
            by_day.setdefault(event.day, []).append(event)
        for week in month_calendar.Calendar(firstweekday=6).monthdatescalendar(first.year, first.month):
            weeks.append([(day, day.month == first.month, by_day.get(day, [])) for day in week])
    previous = (first - dt.timedelta(days=1)).replace(day=1)
    following = (first + dt.timedelta(days=32)).replace(day=1)
    return render(
        request,
        "hours/classes/calendar.html",
        {
            "view": view,
            "events": events,
            "weeks": weeks,
            "month": first,
            "roc_month": _("{year} 年 {month} 月").format(year=rocdate.roc_year(first), month=first.month),
            "previous": f"{previous:%Y-%m}",
            "following": f"{following:%Y-%m}",
            "has_feed": CalendarFeed.objects.filter(person=person).exists(),
            "new_address": new_address,
            "tab": "calendar",
            "weekdays": [_("日"), _("一"), _("二"), _("三"), _("四"), _("五"), _("六")],
        },
    )


def calendar_feed(request, token: str):
    """The secret iCalendar address calendar applications subscribe to (no sign-in: the token is the key)."""
    person = class_calendar.feed_person(token)
    if person is None:
        raise Http404
    response = HttpResponse(
        class_calendar.ics(person=person, site=request.build_absolute_uri("/").rstrip("/")),
        content_type="text/calendar; charset=utf-8",
    )
    response["Content-Disposition"] = 'inline; filename="civlearn.ics"'
    response["Cache-Control"] = "private, max-age=900"
    return response


def related_search(request):
    """相關搜尋 of the front page: 學習資訊 goes to the class search; 重要資訊 and 學習機關(構) are listed here."""
    from urllib.parse import urlencode

    from civlearn.content import selectors as content_selectors
    from civlearn.core.text import search_fold

    scope = request.GET.get("scope", "classes")
    keyword = (request.GET.get("q") or "")[:100]
    if scope == "classes":
        return redirect(reverse("hours:classes") + "?" + urlencode({"q": keyword}))
    folded = search_fold(keyword)
    if scope == "announcements":
        # The announcements this person sees today are a short list (the front page shows them): folded here, both
        # sides alike, with the visibility rule of the content app.
        results = [
            (item.title, reverse("content:lifelong_announcement", args=[item.pk]))
            for item in content_selectors.announcements_current(face="lifelong", user=request.user, limit=None)
            if folded in search_fold(f"{item.title} {item.body}")
        ]
    else:
        results = [
            (item.name, reverse("hours:classes") + "?" + urlencode({"institution": item.pk}))
            for item in institution_selectors.institutions_search(keyword=keyword)
        ]
    return render(request, "hours/classes/related.html", {"scope": scope, "q": keyword, "results": results})
