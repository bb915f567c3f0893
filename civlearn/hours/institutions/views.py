"""學習機關(構)專區 pages: apply, the operators' review queue, an institution's area (members, classes, uploads)."""

from __future__ import annotations

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Count, Q, Sum
from django.http import FileResponse, Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from civlearn.hours import batch
from civlearn.hours.classes import offerings
from civlearn.hours.institutions import selectors, services
from civlearn.hours.models import ClassOffering, Institution, InstitutionMember, LedgerEntry, Registration, mode_labels


def errors_onto(form: forms.Form, exc: ValidationError) -> None:
    """A service's {field: [message]} onto the form's fields (unknown keys as form-wide errors)."""
    for field, messages_ in exc.message_dict.items():
        for message in messages_:
            form.add_error(field if field in form.fields else None, message)


class ApplicationForm(forms.Form):
    name = forms.CharField(label=gettext_lazy("機關(構)名稱"), max_length=200)
    kind = forms.ChoiceField(label=gettext_lazy("機關(構)類型"), choices=Institution.KIND_CHOICES)
    contact_name = forms.CharField(label=gettext_lazy("聯絡人"), max_length=100)
    contact_email = forms.CharField(label=gettext_lazy("聯絡人電子郵件"), max_length=254)
    contact_phone = forms.CharField(label=gettext_lazy("聯絡電話"), max_length=30, required=False)
    county_code = forms.ChoiceField(label=gettext_lazy("所在縣市"))
    address = forms.CharField(label=gettext_lazy("地址"), max_length=300)
    class_modes = forms.MultipleChoiceField(
        label=gettext_lazy("開設課程類型"), widget=forms.CheckboxSelectMultiple, required=False
    )
    document = forms.FileField(
        label=gettext_lazy("證明文件"),
        required=False,
        help_text=gettext_lazy("立案或設立證明，PDF、PNG 或 JPG，5 MB 以內。"),
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["county_code"].choices = [("", "—"), *batch.counties().items()]
        self.fields["class_modes"].choices = [(str(code), label) for code, label in mode_labels().items()]
        # The service gives the reasons (one rule); the form only carries the values.
        for field in self.fields.values():
            field.required = False


@login_required
def index(request):
    return render(
        request,
        "hours/institutions/index.html",
        {
            "institutions": selectors.institutions_of(request.user) if not request.user.is_superuser else [],
            "applications": selectors.applications_of(request.user),
            "is_operator": selectors.is_operator(request.user),
            "queue_size": selectors.review_queue().count() if selectors.is_operator(request.user) else 0,
            "all_institutions": selectors.institutions_of(request.user) if request.user.is_superuser else [],
        },
    )


@login_required
def apply(request, institution_id: int | None = None):
    """A new application, or the correction of one an operator asked changes for."""
    institution = None
    if institution_id is not None:
        institution = get_object_or_404(selectors.applications_of(request.user), pk=institution_id)
        if institution.status != Institution.CHANGES:
            raise Http404
    initial = {}
    if institution is not None:
        initial = {key: getattr(institution, key) for key in ApplicationForm.base_fields if key != "document"}
        initial["class_modes"] = [str(m) for m in institution.class_modes]
    form = ApplicationForm(request.POST or None, request.FILES or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        data = {**form.cleaned_data}
        document = data.pop("document", None) or None
        try:
            if institution is None:
                created = services.institution_apply(actor=request.user, data=data, document=document)
                messages.success(
                    request, _("已送出申請（編號 %(id)s），審核結果將以電子郵件通知。") % {"id": created.pk}
                )
            else:
                services.institution_resubmit(actor=request.user, institution=institution, data=data, document=document)
                messages.success(request, _("已重新送出申請。"))
        except ValidationError as exc:
            errors_onto(form, exc)
        else:
            return redirect("hours:institutions")
    return render(request, "hours/institutions/apply.html", {"form": form, "institution": institution})


def _operator(request) -> None:
    if not selectors.is_operator(request.user):
        raise PermissionDenied(_("只有系統管理者可以審核學習機關(構)申請"))


class ReviewForm(forms.Form):
    decision = forms.ChoiceField(
        label=gettext_lazy("審核結果"),
        choices=[
            (services.APPROVE, gettext_lazy("核准")),
            (services.CHANGES, gettext_lazy("請補正")),
            (services.REFUSE, gettext_lazy("不予核准")),
        ],
        widget=forms.RadioSelect,
        required=False,
    )
    code = forms.CharField(
        label=gettext_lazy("學習機關(構)代碼"),
        max_length=10,
        required=False,
        help_text=gettext_lazy("核准時必填：10 碼英數字，時數上傳與學習紀錄以此代碼識別。"),
    )
    note = forms.CharField(
        label=gettext_lazy("審核意見"),
        widget=forms.Textarea(attrs={"rows": 4}),
        required=False,
        help_text=gettext_lazy("請補正或不予核准時必填，會寄給申請人。"),
    )


@login_required
def review_list(request):
    _operator(request)
    return render(request, "hours/institutions/review_list.html", {"queue": selectors.review_queue()})


@login_required
def review(request, institution_id: int):
    _operator(request)
    institution = get_object_or_404(Institution, pk=institution_id)
    form = ReviewForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            services.institution_review(
                actor=request.user,
                institution=institution,
                decision=form.cleaned_data["decision"],
                note=form.cleaned_data["note"],
                code=form.cleaned_data["code"],
            )
        except ValidationError as exc:
            errors_onto(form, exc)
        else:
            messages.success(request, _("已完成審核：%(name)s") % {"name": institution.name})
            return redirect("hours:institution_review_list")
    return render(request, "hours/institutions/review.html", {"institution": institution, "form": form})


@login_required
def document(request, institution_id: int):
    """The supporting document, for the operators and the applicant only."""
    institution = get_object_or_404(Institution, pk=institution_id)
    if not (selectors.is_operator(request.user) or institution.applicant_id == request.user.pk):
        raise Http404
    if not institution.document:
        raise Http404
    return FileResponse(institution.document.open("rb"), as_attachment=True, filename=institution.document_name)


def area_institution(request, institution_id: int) -> tuple[Institution, str]:
    institution = get_object_or_404(Institution.objects.select_related("agency"), pk=institution_id)
    role = selectors.role_in(request.user, institution)
    if role is None:
        raise Http404
    return institution, role


class MemberForm(forms.Form):
    login = forms.CharField(
        label=gettext_lazy("帳號"), max_length=30, help_text=gettext_lazy("身分證字號或自訂帳號"), required=False
    )
    role = forms.ChoiceField(label=gettext_lazy("角色"), choices=InstitutionMember.ROLE_CHOICES)


class InviteForm(forms.Form):
    """Staff who have no account yet: an account is made and they are invited by e-mail to set a password."""

    name = forms.CharField(label=gettext_lazy("姓名"), max_length=100)
    # Labels unlike the form above's (帳號, 角色): both forms are on one page.
    username = forms.CharField(
        label=gettext_lazy("自訂帳號"),
        max_length=30,
        help_text=gettext_lazy("半形英文字母及數字，對方以此帳號登入"),
        widget=forms.TextInput(attrs={"autocomplete": "off"}),
    )
    email = forms.CharField(
        label=gettext_lazy("電子郵件"),
        max_length=254,
        help_text=gettext_lazy("邀請信寄至此信箱，對方點選信中連結設定密碼"),
        widget=forms.EmailInput(attrs={"autocomplete": "off"}),
    )
    role = forms.ChoiceField(
        label=gettext_lazy("擔任角色"), choices=InstitutionMember.ROLE_CHOICES, initial=InstitutionMember.STAFF
    )


class ClassFileForm(forms.Form):
    file = forms.FileField(
        label=gettext_lazy("開班資料檔案"),
        help_text=gettext_lazy("CSV（UTF-8 或 Big5）、Excel（.xlsx）或 ODF 試算表（.ods），欄位見下方說明。"),
    )


@login_required
def area(request, institution_id: int):
    institution, role = area_institution(request, institution_id)
    member_form = MemberForm(prefix="member")
    invite_form = InviteForm(prefix="invite")
    file_form = ClassFileForm(prefix="classes")
    problems: list = []
    if request.method == "POST" and "invite-role" in request.POST:
        invite_form = InviteForm(request.POST, prefix="invite")
        if invite_form.is_valid():
            try:
                member = services.member_invite(actor=request.user, institution=institution, **invite_form.cleaned_data)
            except ValidationError as exc:
                errors_onto(invite_form, exc)
            else:
                messages.success(
                    request,
                    _("已新增人員 %(name)s，邀請信已寄至 %(email)s")
                    % {"name": member.name, "email": member.user.email},
                )
                return redirect("hours:institution_area", institution_id=institution.pk)
    elif request.method == "POST" and "member-role" in request.POST:
        member_form = MemberForm(request.POST, prefix="member")
        if member_form.is_valid():
            try:
                member = services.member_add(
                    actor=request.user,
                    institution=institution,
                    login=member_form.cleaned_data["login"],
                    role=member_form.cleaned_data["role"],
                )
            except ValidationError as exc:
                errors_onto(member_form, exc)
            else:
                messages.success(request, _("已新增人員：%(name)s") % {"name": member.user.display_name})
                return redirect("hours:institution_area", institution_id=institution.pk)
    elif request.method == "POST":
        file_form = ClassFileForm(request.POST, request.FILES, prefix="classes")
        if file_form.is_valid():
            upload = file_form.cleaned_data["file"]
            try:
                records = offerings.read_file(upload, upload.name)
                result = offerings.offerings_save(actor=request.user, institution=institution, records=records)
            except offerings.OfferingErrors as exc:
                problems = exc.problems
                file_form.add_error(
                    "file", _("檔案有 %(n)s 個錯誤，沒有任何資料被匯入，請修正後重新上傳。") % {"n": len(problems)}
                )
            else:
                messages.success(
                    request,
                    _("開班資料已匯入：新增 %(created)s 班，更新 %(updated)s 班。")
                    % {"created": result.created, "updated": result.updated},
                )
                return redirect("hours:institution_area", institution_id=institution.pk)
    classes = (
        ClassOffering.objects.filter(institution=institution)
        .annotate(
            registered=Count("registrations", filter=Q(registrations__status=Registration.REGISTERED)),
            waiting=Count("registrations", filter=Q(registrations__status=Registration.WAITLISTED)),
        )
        .order_by("-starts_on", "-id")
    )
    certified = (
        LedgerEntry.objects.filter(institution_code=institution.code, source_kind=LedgerEntry.SOURCE_CLASS).aggregate(
            total=Sum("certified_hours")
        )["total"]
        if institution.agency_id
        else None
    )
    return render(
        request,
        "hours/institutions/area.html",
        {
            "institution": institution,
            "role": role,
            "may_admin": role in (InstitutionMember.ADMIN, selectors.OPERATOR),
            "members": institution.members.select_related("user", "user__person").order_by("role", "added_at"),
            "member_form": member_form,
            "invite_form": invite_form,
            "file_form": file_form,
            "problems": problems,
            "columns": offerings.OFFERING_COLUMNS,
            "classes": classes,
            "stats": {
                "classes": classes.count(),
                "registrations": Registration.objects.filter(
                    offering__institution=institution, status=Registration.REGISTERED
                ).count(),
                "certified": certified or 0,
            },
        },
    )


@login_required
@require_POST
def member_remove(request, institution_id: int, member_id: int):
    institution, _role = area_institution(request, institution_id)
    member = get_object_or_404(InstitutionMember, pk=member_id, institution=institution)
    try:
        services.member_remove(actor=request.user, member=member)
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    else:
        messages.success(request, _("已移除人員。"))
    return redirect("hours:institution_area", institution_id=institution.pk)


@login_required
@require_POST
def member_invite_again(request, institution_id: int, member_id: int):
    institution, _role = area_institution(request, institution_id)
    member = get_object_or_404(InstitutionMember.objects.select_related("user"), pk=member_id, institution=institution)
    try:
        services.member_invite_again(actor=request.user, member=member)
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    else:
        messages.success(request, _("已重新寄送邀請信至 %(email)s") % {"email": member.user.email})
    return redirect("hours:institution_area", institution_id=institution.pk)
