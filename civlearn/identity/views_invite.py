"""Uploader accounts (學習機關(構)上傳帳號): an HR officer or operator creates one and the person is invited by
e-mail to set a password (identity/invitations.py)."""

from __future__ import annotations

from django import forms
from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.cache import never_cache
from django.views.decorators.csrf import csrf_protect
from django.views.decorators.debug import sensitive_post_parameters
from django.views.decorators.http import require_POST

from civlearn.core.services import client_ip
from civlearn.identity import invitations, passwords, sessions
from civlearn.identity.forms import PasswordSetForm, add_service_errors
from civlearn.identity.models import User


class UploaderForm(forms.Form):
    agency_code = forms.CharField(
        label=gettext_lazy("學習機關(構)代碼"),
        max_length=20,
        help_text=gettext_lazy("上傳人員將以此機關(構)名義上傳時數"),
        widget=forms.TextInput(attrs={"list": "agency-codes", "autocomplete": "off"}),
    )
    username = forms.CharField(
        label=gettext_lazy("帳號"),
        max_length=30,
        help_text=gettext_lazy("半形英文字母及數字，上傳人員以此帳號登入"),
        widget=forms.TextInput(attrs={"autocomplete": "off"}),
    )
    email = forms.CharField(
        label=gettext_lazy("電子郵件"),
        max_length=254,
        help_text=gettext_lazy("邀請信寄至此信箱，請使用不會過濾系統信件的信箱"),
        widget=forms.EmailInput(attrs={"autocomplete": "off"}),
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for field in self.fields.values():
            field.error_messages["required"] = _("此欄位為必填")


def _service_errors(form: forms.Form, exc: ValidationError) -> None:
    errors = exc.message_dict if hasattr(exc, "error_dict") else {"__all__": exc.messages}
    add_service_errors(form, errors)


@login_required
@csrf_protect
@never_cache
def uploaders(request):
    """我的專區 → 上傳人員帳號: the accounts of the actor's agencies, and the form that creates one."""
    if not invitations.may_invite(request.user):
        raise PermissionDenied(_("您沒有建立上傳人員帳號的權限"))
    form = UploaderForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            user = invitations.uploader_invite(actor=request.user, ip_address=client_ip(request), **form.cleaned_data)
        except ValidationError as exc:
            _service_errors(form, exc)
        else:
            messages.success(
                request,
                _("已建立帳號 %(username)s，邀請信已寄至 %(email)s") % {"username": user.username, "email": user.email},
            )
            return redirect("identity:uploaders")
    agencies = invitations.inviting_agencies(request.user)
    context = {
        "form": form,
        "accounts": invitations.uploaders_visible_to(request.user)[:200],
        # A short list helps typing; an operator (every agency) types the code.
        "agency_options": list(agencies.order_by("code")[:300]) if not request.user.is_superuser else [],
        **sessions.my_area_context(request, "uploaders"),
    }
    return render(request, "identity/uploaders.html", context, status=400 if form.errors else 200)


@login_required
@require_POST
@csrf_protect
def uploader_invite_again(request, user_id: int):
    account = get_object_or_404(User, pk=user_id)
    try:
        invitations.uploader_invite_again(actor=request.user, user=account, ip_address=client_ip(request))
    except ValidationError as exc:
        messages.error(request, "；".join(exc.messages))
    else:
        messages.success(request, _("已重新寄送邀請信至 %(email)s") % {"email": account.email})
    return redirect("identity:uploaders")


@sensitive_post_parameters("password", "password2")
@csrf_protect
@never_cache
def invitation_accept(request, uidb64: str, token: str):
    """The invitation link: set the first password, then sign in with the account name."""
    user = invitations.invited_user(uidb64, token)
    form = PasswordSetForm(request.POST or None)
    if user is not None and request.method == "POST" and form.is_valid():
        try:
            invitations.invitation_accept(
                uidb64=uidb64, token=token, password=form.cleaned_data["password"], ip_address=client_ip(request)
            )
        except ValidationError as exc:
            _service_errors(form, exc)
        except PermissionDenied:
            user = None
        else:
            messages.success(request, _("密碼設定完成，請以帳號 %(username)s 及密碼登入") % {"username": user.username})
            return redirect("identity:signin")
    context = {
        "form": form,
        "invited": user,
        "problem": "" if user else _("邀請連結無效、已使用或已逾期，請洽邀請您的人員重新寄送"),
        "max_age_days": settings.PASSWORD_MAX_AGE_DAYS,
        "min_age_hours": settings.PASSWORD_MIN_AGE_HOURS,
        "history": settings.PASSWORD_HISTORY,
        "forbidden": passwords.FORBIDDEN_DISPLAY,
    }
    status = 410 if user is None else (400 if form.errors else 200)
    return render(request, "identity/invitation_accept.html", context, status=status)
