"""The institution's side of a class: create by form, roster (export, e-mail), attendance (the door's QR code,
marking by hand), closing."""

from __future__ import annotations

import csv
import io
from collections.abc import Sequence

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from civlearn.core import rocdate, spreadsheets
from civlearn.hours import exports
from civlearn.hours.classes import attendance, offerings, registration, selectors
from civlearn.hours.institutions import selectors as institution_selectors
from civlearn.hours.models import MAX_PORTIONS, Attendance, ClassOffering, ClassSession, Institution, Registration

ROSTER_HEADERS = ["序號", "姓名", "服務機關", "電子郵件", "報名狀態", "報名時間", "出席時段數", "結訓結果", "核給時數"]


def _offering_for(request, offering_id: int) -> ClassOffering:
    offering = get_object_or_404(ClassOffering.objects.select_related("institution"), pk=offering_id)
    if institution_selectors.role_in(request.user, offering.institution) is None:
        raise Http404
    return offering


def roster_rows(offering: ClassOffering) -> list[list[object]]:
    counts: dict[int, int] = {}
    for registration_id in Attendance.objects.filter(session__offering=offering).values_list(
        "registration_id", flat=True
    ):
        counts[registration_id] = counts.get(registration_id, 0) + 1
    rows: list[list[object]] = []
    for number, item in enumerate(selectors.roster(offering), start=1):
        rows.append(
            [
                number,
                item.person.name,
                item.person.agency.name,
                item.person.email,
                item.get_status_display(),
                rocdate.format_display(item.created_at, with_time=True),
                counts.get(item.pk, 0),
                item.get_outcome_display() if item.outcome else "",
                "" if item.certified_hours is None else str(item.certified_hours),
            ]
        )
    return rows


@login_required
def manage(request, offering_id: int):
    offering = _offering_for(request, offering_id)
    sessions = list(offering.sessions.all())
    present: dict[int, set[int]] = {s.pk: set() for s in sessions}
    for registration_id, session_id in Attendance.objects.filter(session__offering=offering).values_list(
        "registration_id", "session_id"
    ):
        present[session_id].add(registration_id)
    roster = list(selectors.roster(offering))
    registered = [r for r in roster if r.status == Registration.REGISTERED]
    return render(
        request,
        "hours/classes/manage.html",
        {
            "offering": offering,
            "sessions": [(s, present[s.pk]) for s in sessions],
            "roster": roster,
            "registered": registered,
        },
    )


@login_required
def roster_export(request, offering_id: int, fmt: str):
    offering = _offering_for(request, offering_id)
    rows: list[Sequence[object]] = [ROSTER_HEADERS, *roster_rows(offering)]
    name = f"roster-{offering.pk}"
    if fmt == "xlsx":
        body = exports.to_xlsx([exports.Sheet("報名名單", rows)])
        content_type = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    elif fmt == "ods":
        body = exports.to_ods([exports.Sheet("報名名單", rows)])
        content_type = "application/vnd.oasis.opendocument.spreadsheet"
    elif fmt == "csv":
        handle = io.StringIO()
        spreadsheets.csv_writer(handle, quoting=csv.QUOTE_MINIMAL).writerows(rows)
        body = ("\ufeff" + handle.getvalue()).encode("utf-8")
        content_type = "text/csv; charset=utf-8"
    else:
        raise Http404
    response = HttpResponse(body, content_type=content_type)
    response["Content-Disposition"] = f'attachment; filename="{name}.{fmt}"'
    return response


@login_required
@require_POST
def roster_mark(request, offering_id: int, session_id: int):
    offering = _offering_for(request, offering_id)
    session = get_object_or_404(ClassSession, pk=session_id, offering=offering)
    try:
        ids = {int(value) for value in request.POST.getlist("present")}
        added, removed = attendance.roster_mark(actor=request.user, session=session, present_ids=ids)
    except ValueError:
        messages.error(request, _("名單資料不正確，請重新整理頁面"))
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    else:
        messages.success(request, _("已更新出席：新增 %(a)s 人，移除 %(r)s 人。") % {"a": added, "r": removed})
    return redirect(reverse("hours:class_manage", args=[offering.pk]) + f"#session-{session.pk}")


@login_required
@require_POST
def close(request, offering_id: int):
    offering = _offering_for(request, offering_id)
    try:
        counts = attendance.offering_close(actor=request.user, offering=offering)
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    else:
        messages.success(
            request,
            _(
                "已結訓：結訓 %(completed)s 人、出席未達門檻 %(incomplete)s 人、未到訓 %(no_show)s 人，"
                "登錄時數 %(records)s 筆。"
            )
            % counts,
        )
    return redirect("hours:class_manage", offering_id=offering.pk)


@login_required
@require_POST
def email(request, offering_id: int):
    offering = _offering_for(request, offering_id)
    try:
        sent = registration.registrants_email(
            actor=request.user,
            offering=offering,
            subject=request.POST.get("subject", ""),
            body=request.POST.get("body", ""),
        )
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    else:
        messages.success(request, _("已寄出 %(n)s 封電子郵件。") % {"n": sent})
    return redirect("hours:class_manage", offering_id=offering.pk)


@login_required
def door(request, offering_id: int, session_id: int):
    """The page shown at the door: a QR code for this session, renewed every minute (the code lives longer)."""
    import segno

    offering = _offering_for(request, offering_id)
    session = get_object_or_404(ClassSession, pk=session_id, offering=offering)
    token = attendance.checkin_token(session=session)
    url = request.build_absolute_uri(reverse("hours:class_checkin", args=[token]))
    qr = segno.make(url, error="m")
    return render(
        request,
        "hours/classes/door.html",
        {
            "offering": offering,
            "session": session,
            "url": url,
            "svg": qr.svg_inline(scale=8, title=_("簽到 QR Code")),
            "refresh": 60,
        },
    )


class OfferingForm(forms.Form):
    """The class file's columns as a form (one validator for both: offerings.offering_rows_check)."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for column in offerings.OFFERING_COLUMNS:
            if column.per_row:
                continue
            widget = forms.Textarea(attrs={"rows": 3}) if column.key in ("description", "sessions") else None
            self.fields[column.key] = forms.CharField(
                label=column.header, required=False, help_text=column.note, widget=widget, max_length=5000
            )
        for number in range(1, MAX_PORTIONS + 1):
            for key, label in (
                ("category_code", "課程類別代碼"),
                ("digital_hours", "數位時數"),
                ("physical_hours", "實體時數"),
            ):
                self.fields[f"{key}_{number}"] = forms.CharField(
                    label=f"{label} {number}", required=False, max_length=20
                )

    def records(self) -> list[tuple[int, dict]]:
        base = {
            key: (value or "").strip()
            for key, value in self.cleaned_data.items()
            if not key.rsplit("_", 1)[-1].isdigit()
        }
        records = []
        for number in range(1, MAX_PORTIONS + 1):
            portion = {key: (self.cleaned_data.get(f"{key}_{number}") or "").strip()
                       for key in ("category_code", "digital_hours", "physical_hours")}  # fmt: skip
            if any(portion.values()) or number == 1:
                records.append((number, {**base, **portion}))
        return records


@login_required
def create(request, institution_id: int):
    institution = get_object_or_404(Institution, pk=institution_id)
    if institution_selectors.role_in(request.user, institution) is None:
        raise Http404
    form = OfferingForm(request.POST or None)
    problems: list = []
    if request.method == "POST" and form.is_valid():
        try:
            result = offerings.offerings_save(actor=request.user, institution=institution, records=form.records())
        except offerings.OfferingErrors as exc:
            problems = exc.problems
        else:
            messages.success(request, _("開班資料已儲存。"))
            return redirect("hours:class_manage", offering_id=result.offerings[0].pk)
    return render(
        request,
        "hours/classes/create.html",
        {
            "institution": institution,
            "form": form,
            "problems": problems,
            "class_fields": [form[column.key] for column in offerings.OFFERING_COLUMNS if not column.per_row],
            "portion_rows": [
                (n, form[f"category_code_{n}"], form[f"digital_hours_{n}"], form[f"physical_hours_{n}"])
                for n in range(1, MAX_PORTIONS + 1)
            ],
        },
    )
