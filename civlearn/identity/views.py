"""eCPA screens (manual steps 四 to 十一). Views parse the form, call a service, render the result."""

from __future__ import annotations

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import logout, update_session_auth_hash
from django.contrib.auth.decorators import login_required
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.csrf import csrf_protect
from django.views.decorators.debug import sensitive_post_parameters
from django.views.decorators.http import require_POST

from civlearn.core.services import client_ip
from civlearn.identity import passwords, selectors, services, sessions
from civlearn.identity.forms import (
    CodeForm,
    FirstSigninForm,
    PasswordChangeForm,
    PasswordForgotForm,
    PasswordSetForm,
    ProfileForm,
    SigninForm,
    add_service_errors,
)
from civlearn.identity.models import EmailVerification, SigninRecord

SESSION_VERIFICATION = "identity_verification"


@never_cache
def index(request):
    """eCPA 首頁 after sign-in (manual step 十二): who is signed in, 帳號登入 info, the latest announcements and, at
    the bottom, the connected systems to choose from. Without a session: the sign-in page."""
    if not request.user.is_authenticated:
        return redirect("identity:signin")
    return render(request, "identity/home.html", sessions.my_area_context(request, "home"))


def _safe_next(request) -> str:
    target = request.POST.get("next") or request.GET.get("next") or ""
    # The header's 登入 on the sign-in page itself names this page: going back there after signing in is no use.
    if target.split("?", 1)[0] == reverse("identity:signin"):
        return ""
    if target and url_has_allowed_host_and_scheme(target, {request.get_host()}, require_https=request.is_secure()):
        return target
    return ""


@sensitive_post_parameters("password")
@csrf_protect
@never_cache
def signin(request):
    """Manual step 九: the sign-in methods; only 帳號密碼登入 works so far."""
    form = SigninForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        result = services.signin_attempt(
            login=form.cleaned_data["login"],
            password=form.cleaned_data["password"],
            ip_address=client_ip(request),
            device_cookie=sessions.device_cookie(request),
        )
        if result.user is not None:
            sessions.session_start(request, result.user, SigninRecord.PASSWORD)
            if result.password_expired:
                response = redirect("identity:password_expired")
            else:
                response = redirect(_safe_next(request) or settings.LOGIN_REDIRECT_URL)
            sessions.device_cookie_set(response, result.device_cookie)
            return response
        form.add_error(None, result.error)
    return render(request, "identity/signin.html", {"form": form, "next": _safe_next(request)})


@require_POST
def signout(request):
    logout(request)
    messages.success(request, _("您已登出"))
    return redirect("identity:signin")


def first_signin_help(request):
    """首次登入說明: what the first sign-in asks for and what happens next."""
    return render(request, "identity/first_signin_help.html", {"ttl": settings.FIRST_SIGNIN_CODE_TTL_MINUTES})


@csrf_protect
@never_cache
def first_signin(request):
    """Manual step 六: 設定 EMAIL 認證."""
    form = FirstSigninForm(request.POST or None)
    sent = ""
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            sent = services.first_signin_request(
                national_id_value=data["national_id"],
                birthday=data["birthday"],
                post_start_date=data["post_start_date"],
                email=data["email"],
                ip_address=client_ip(request),
            )
        except services.IdentityError as exc:
            add_service_errors(form, exc.errors)
    return render(request, "identity/first_signin.html", {"form": form, "sent": sent})


@csrf_protect
@never_cache
def password_forgot(request):
    """忘記密碼: the same e-mail verification, against the address on the account."""
    form = PasswordForgotForm(request.POST or None)
    sent = ""
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            sent = services.password_reset_request(
                national_id_value=data["national_id"],
                birthday=data["birthday"],
                email=data["email"],
                ip_address=client_ip(request),
            )
        except services.IdentityError as exc:
            add_service_errors(form, exc.errors)
    return render(request, "identity/password_forgot.html", {"form": form, "sent": sent})


@csrf_protect
@never_cache
def verify(request, token: str):
    """Manual step 七: the link from the message; the page asks for the code."""
    verification = services.verification_by_token(token)
    problem = services.verification_problem(verification)
    form = CodeForm(request.POST or None)
    if not problem and request.method == "POST" and form.is_valid():
        try:
            verified = services.first_signin_verify(
                token=token, code=form.cleaned_data["code"], ip_address=client_ip(request)
            )
        except services.IdentityError as exc:
            add_service_errors(form, exc.errors)
        else:
            request.session.cycle_key()
            request.session[SESSION_VERIFICATION] = verified.pk
            return redirect("identity:password_set")
    if not problem and verification is not None:
        # A wrong code may have used up the last attempt.
        verification.refresh_from_db()
        problem = services.verification_problem(verification)
    context = {"form": form, "problem": problem, "purpose": verification.purpose if verification else ""}
    return render(request, "identity/verify.html", context, status=410 if problem else 200)


def _password_rules_context() -> dict:
    return {
        "max_age_days": settings.PASSWORD_MAX_AGE_DAYS,
        "min_age_hours": settings.PASSWORD_MIN_AGE_HOURS,
        "history": settings.PASSWORD_HISTORY,
        "forbidden": passwords.FORBIDDEN_DISPLAY,
    }


@sensitive_post_parameters("password", "password2")
@csrf_protect
@never_cache
def password_set(request):
    """Manual step 八 (重設密碼) after a verified address."""
    verification_id = request.session.get(SESSION_VERIFICATION)
    verification = EmailVerification.objects.filter(pk=verification_id).first() if verification_id else None
    problem = services.verification_problem(verification, verified_ok=True)
    if not problem and verification.verified_at is None:
        problem = _("認證連結無效，請重新申請認證信")
    form = PasswordSetForm(request.POST or None)
    if not problem and request.method == "POST" and form.is_valid():
        try:
            services.password_set(
                verification_id=verification.pk, password=form.cleaned_data["password"], ip_address=client_ip(request)
            )
        except services.IdentityError as exc:
            add_service_errors(form, exc.errors)
        else:
            del request.session[SESSION_VERIFICATION]
            messages.success(request, _("密碼設定完成，請以身分證字號（或自訂帳號）及密碼登入"))
            return redirect("identity:signin")
    context = {"form": form, "problem": problem, **_password_rules_context()}
    return render(request, "identity/password_set.html", context, status=410 if problem else 200)


@sensitive_post_parameters("password")
@login_required
@csrf_protect
@never_cache
def my_area(request):
    """Manual step 十: 我的專區 → 個人資料修改 (自訂帳號, 電子郵件, 個人電話)."""
    user = request.user
    initial = {"username": user.username or "", "email": user.email, "phone": user.phone}
    form = ProfileForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            services.profile_update(
                user=user,
                username=data["username"],
                email=data["email"],
                phone=data["phone"],
                ip_address=client_ip(request),
            )
        except services.IdentityError as exc:
            add_service_errors(form, exc.errors)
        else:
            messages.success(request, _("個人資料已儲存"))
            return redirect("identity:my_area")
    return render(request, "identity/my_area.html", {"form": form, **sessions.my_area_context(request, "profile")})


def _password_change(request, *, forced: bool, template: str, current: str):
    form = PasswordChangeForm(request.POST or None)
    allowed_at = passwords.change_allowed_at(request.user)
    if request.method == "POST" and form.is_valid():
        try:
            services.password_change(
                user=request.user,
                old_password=form.cleaned_data["old_password"],
                new_password=form.cleaned_data["new_password"],
                ip_address=client_ip(request),
                forced=forced,
            )
        except services.IdentityError as exc:
            add_service_errors(form, exc.errors)
        else:
            # Changing the password ends every other session of this account; this one stays signed in.
            update_session_auth_hash(request, request.user)
            messages.success(request, _("密碼已變更"))
            return redirect("identity:my_area")
    context = {
        "form": form,
        "allowed_at": passwords.display_time(allowed_at) if allowed_at else "",
        "min_age_message": passwords.msg_min_age(allowed_at) if allowed_at else "",
        **_password_rules_context(),
        **sessions.my_area_context(request, current),
    }
    return render(request, template, context)


@sensitive_post_parameters("old_password", "new_password", "new_password2")
@login_required
@csrf_protect
@never_cache
def password_change(request):
    """我的專區 → 修改密碼."""
    return _password_change(request, forced=False, template="identity/password_change.html", current="password")


@sensitive_post_parameters("old_password", "new_password", "new_password2")
@login_required
@csrf_protect
@never_cache
def password_expired(request):
    """The forced change: a password older than 180 days must be changed before anything else."""
    if not passwords.password_expired(request.user):
        return redirect("identity:password_change")
    return _password_change(request, forced=True, template="identity/password_expired.html", current="password")


@login_required
def signin_records(request):
    """我的專區 → 登入資訊: the count, the previous sign-in, and the recent attempts."""
    context = {
        "records": selectors.recent_signins(request.user, limit=20),
        **sessions.my_area_context(request, "signins"),
    }
    return render(request, "identity/signin_records.html", context)
