"""Strong sign-in screens: 自然人憑證 / 機關憑證 sign-in, 自然人憑證上傳, passkeys (通行金鑰). Parse, call, render.

The certificate forms post ordinary HTML forms (the page script fills in the challenge and the signature from the
local signing component first); the passkey ceremonies are JSON, as WebAuthn needs script anyway.
"""

from __future__ import annotations

import base64
import datetime as dt
import json

from django import forms
from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import JsonResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.cache import never_cache
from django.views.decorators.csrf import csrf_protect
from django.views.decorators.debug import sensitive_post_parameters
from django.views.decorators.http import require_POST

from civlearn.core import clock
from civlearn.core.services import client_ip
from civlearn.identity import sessions, signin_passkey, throttle, views
from civlearn.identity import signin_certificate as cert_signin
from civlearn.identity.forms import SigninForm, add_service_errors
from civlearn.identity.models import METHOD_AGENCY_CERT, METHOD_MOICA, METHOD_PASSKEY, CertificateChallenge
from civlearn.identity.services import IdentityError

SESSION_REAUTH = "identity_passkey_reauth_at"
SESSION_REG_CHALLENGE = "identity_passkey_reg_challenge"
SESSION_AUTH_CHALLENGE = "identity_passkey_auth_challenge"
CHALLENGES_PER_MINUTE = 30


class SignedChallengeForm(forms.Form):
    """The hidden fields the page script fills from the local component's answer. The PIN is never among them."""

    challenge = forms.CharField(max_length=200, widget=forms.HiddenInput)
    signature = forms.CharField(max_length=100_000, widget=forms.HiddenInput)
    certificate = forms.CharField(max_length=20_000, required=False, widget=forms.HiddenInput)

    def clean(self):
        data = super().clean()
        if self.errors:
            # Hidden fields: a person cannot fix them, so one message in words they can act on. Only a missing
            # signature means the card or the component did not answer; an oversized one is not a signature at all.
            codes = {error.code for errors in self.errors.as_data().values() for error in errors}
            self.errors.clear()
            if "max_length" in codes:
                self.add_error(None, _("憑證簽章資料過大，不是有效的簽章，請重新操作"))
            else:
                self.add_error(None, _("未取得憑證簽章，請確認已插入憑證卡並啟動憑證元件後再試"))
        return data


class AgencySigninForm(SignedChallengeForm):
    login = forms.CharField(
        label=gettext_lazy("帳號"),
        help_text=gettext_lazy("請輸入您（人事人員）的身分證字號或自訂帳號"),
        max_length=64,
        required=False,
        widget=forms.TextInput(attrs={"autocomplete": "username", "autocapitalize": "none", "spellcheck": "false"}),
    )


def _signin_page(request, *, moica_form=None, agency_form=None, status=200):
    context = {
        "form": SigninForm(),
        "next": views._safe_next(request),
        "moica_form": moica_form or SignedChallengeForm(auto_id="moica_%s"),
        "agency_form": agency_form or AgencySigninForm(auto_id="agency_%s"),
    }
    return render(request, "identity/signin.html", context, status=status)


def _after_signin(request):
    return redirect(views._safe_next(request) or settings.LOGIN_REDIRECT_URL)


def _json_error(message: str, status: int = 400) -> JsonResponse:
    return JsonResponse({"error": message}, status=status, json_dumps_params={"ensure_ascii": False})


def _challenge_throttled(request) -> JsonResponse | None:
    address = client_ip(request) or "unknown"
    if throttle.locked_until("cert-challenge", address):
        return _json_error(_("操作過於頻繁，請稍後再試"), status=429)
    throttle.count("cert-challenge", address, limit=CHALLENGES_PER_MINUTE, minutes=1)
    return None


# ---- certificate sign-in ----------------------------------------------------------------------------------------


@require_POST
@csrf_protect
@never_cache
def certificate_challenge(request):
    """A one-time challenge for the card to sign (sign-in with a citizen or agency certificate)."""
    purpose = request.POST.get("purpose", "")
    if purpose not in (CertificateChallenge.SIGNIN, CertificateChallenge.AGENCY_SIGNIN):
        return _json_error(_("挑戰值用途不正確"))
    refused = _challenge_throttled(request)
    if refused:
        return refused
    value, expires_at = cert_signin.challenge_issue(purpose=purpose)
    return JsonResponse({"challenge": value, "expires_at": expires_at.isoformat()})


@require_POST
@csrf_protect
@never_cache
def certificate_signin(request):
    """自然人憑證登入."""
    form = SignedChallengeForm(request.POST, auto_id="moica_%s")
    if form.is_valid():
        data = form.cleaned_data
        try:
            user = cert_signin.certificate_signin(
                challenge=data["challenge"],
                signature=data["signature"],
                certificate=data["certificate"],
                ip_address=client_ip(request),
            )
        except IdentityError as exc:
            add_service_errors(form, exc.errors)
        else:
            sessions.signin_finish(request, user, METHOD_MOICA)
            return _after_signin(request)
    return _signin_page(request, moica_form=form, status=400)


@require_POST
@csrf_protect
@never_cache
def agency_certificate_signin(request):
    """機關憑證登入 (GCA/XCA) for agency HR officers."""
    form = AgencySigninForm(request.POST, auto_id="agency_%s")
    if form.is_valid():
        data = form.cleaned_data
        try:
            user = cert_signin.agency_certificate_signin(
                login_name=data["login"],
                challenge=data["challenge"],
                signature=data["signature"],
                certificate=data["certificate"],
                ip_address=client_ip(request),
            )
        except IdentityError as exc:
            add_service_errors(form, exc.errors)
        else:
            sessions.signin_finish(request, user, METHOD_AGENCY_CERT)
            return _after_signin(request)
    return _signin_page(request, agency_form=form, status=400)


# ---- 自然人憑證上傳 -----------------------------------------------------------------------------------------------


@login_required
@csrf_protect
@never_cache
def my_certificates(request):
    """我的專區 → 自然人憑證上傳: the bound certificates, and binding another one."""
    form = SignedChallengeForm(request.POST or None, auto_id="bind_%s")
    status = 200
    if request.method == "POST":
        if form.is_valid():
            data = form.cleaned_data
            try:
                cert_signin.certificate_bind(
                    user=request.user,
                    challenge=data["challenge"],
                    signature=data["signature"],
                    certificate=data["certificate"],
                    ip_address=client_ip(request),
                )
            except IdentityError as exc:
                add_service_errors(form, exc.errors)
            else:
                messages.success(request, _("自然人憑證已上傳，之後可使用此憑證登入"))
                return redirect("identity:my_certificates")
        status = 400
    context = {
        "bind_form": form,
        "certificates": cert_signin.bound_certificates(request.user),
        "signer_url": settings.CERT_SIGNER_URL,
        **sessions.my_area_context(request, "certificates"),
    }
    return render(request, "identity/strong/certificates.html", context, status=status)


@require_POST
@login_required
@csrf_protect
@never_cache
def my_certificate_challenge(request):
    refused = _challenge_throttled(request)
    if refused:
        return refused
    value, expires_at = cert_signin.challenge_issue(purpose=CertificateChallenge.BIND, user=request.user)
    return JsonResponse({"challenge": value, "expires_at": expires_at.isoformat()})


@require_POST
@login_required
@csrf_protect
def my_certificate_remove(request, certificate_id: int):
    try:
        cert_signin.certificate_unbind(user=request.user, certificate_id=certificate_id, ip_address=client_ip(request))
    except IdentityError as exc:
        messages.error(request, exc.messages[0])
    else:
        messages.success(request, _("已移除此自然人憑證"))
    return redirect("identity:my_certificates")


# ---- passkeys ---------------------------------------------------------------------------------------------------


def _origins(request) -> list[str]:
    # ALLOWED_HOSTS has already vetted the Host header, so the request's own origin is a safe default.
    return settings.WEBAUTHN_ORIGINS or [f"{request.scheme}://{request.get_host()}"]


def _keep_challenge(request, key: str, challenge: bytes) -> None:
    request.session[key] = {"value": base64.urlsafe_b64encode(challenge).decode(), "at": clock.now().timestamp()}


def _take_challenge(request, key: str) -> bytes | None:
    """The ceremony's challenge, once: it leaves the session whatever the outcome."""
    kept = request.session.pop(key, None)
    if not kept or clock.now().timestamp() - kept.get("at", 0) > signin_passkey.TIMEOUT_MS / 1000:
        return None
    return base64.urlsafe_b64decode(kept["value"])


def _json_body(request) -> dict:
    try:
        body = json.loads(request.body or b"{}")
    except (ValueError, UnicodeDecodeError):
        return {}
    return body if isinstance(body, dict) else {}


@require_POST
@csrf_protect
@never_cache
def passkey_signin_options(request):
    options, challenge = signin_passkey.authentication_options()
    _keep_challenge(request, SESSION_AUTH_CHALLENGE, challenge)
    return JsonResponse(json.loads(options))


@require_POST
@csrf_protect
@never_cache
def passkey_signin(request):
    """Sign in with a passkey: JSON in (the assertion), JSON out (where to go, or the error)."""
    ip_address = client_ip(request)
    until = throttle.locked_until("signin-address", ip_address or "unknown")
    if until:
        return _json_error(_("登入失敗次數過多，請稍後再試"), status=429)
    body = _json_body(request)
    try:
        user = signin_passkey.passkey_signin(
            credential=body.get("credential") or {},
            expected_challenge=_take_challenge(request, SESSION_AUTH_CHALLENGE),
            origins=_origins(request),
            ip_address=ip_address,
        )
    except IdentityError as exc:
        throttle.count(
            "signin-address",
            ip_address or "unknown",
            limit=settings.SIGNIN_MAX_PER_ADDRESS,
            minutes=settings.SIGNIN_LOCK_MINUTES,
        )
        return _json_error(exc.messages[0])
    sessions.signin_finish(request, user, METHOD_PASSKEY)
    target = str(body.get("next") or "")
    if not url_has_allowed_host_and_scheme(target, {request.get_host()}, require_https=request.is_secure()):
        target = reverse(settings.LOGIN_REDIRECT_URL)
    return JsonResponse({"redirect": target})


class ReauthForm(forms.Form):
    password = forms.CharField(
        label=gettext_lazy("密碼"),
        max_length=128,
        strip=False,
        error_messages={"required": gettext_lazy("請輸入密碼")},
        widget=forms.PasswordInput(attrs={"autocomplete": "current-password"}),
    )


class PasskeyNameForm(forms.Form):
    name = forms.CharField(
        label=gettext_lazy("通行金鑰名稱"),
        help_text=gettext_lazy("例如：辦公室電腦、我的手機（最多60字）"),
        max_length=signin_passkey.NAME_MAX,
        required=False,
    )


def _reauth_at(request) -> dt.datetime | None:
    value = request.session.get(SESSION_REAUTH)
    return dt.datetime.fromtimestamp(value, tz=dt.UTC) if value else None


def _reauth_valid(request) -> bool:
    return signin_passkey._reauth_valid(_reauth_at(request))


@sensitive_post_parameters("password")
@login_required
@csrf_protect
@never_cache
def my_passkeys(request):
    """我的專區 → 通行金鑰: the list (rename, remove) and adding one after the password is entered again."""
    reauth_form = ReauthForm(request.POST or None, auto_id="reauth_%s")
    status = 200
    if request.method == "POST":
        if reauth_form.is_valid():
            try:
                at = signin_passkey.passkey_reauthenticate(
                    user=request.user, password=reauth_form.cleaned_data["password"], ip_address=client_ip(request)
                )
            except IdentityError as exc:
                add_service_errors(reauth_form, exc.errors)
            else:
                request.session[SESSION_REAUTH] = at.timestamp()
                return redirect("identity:my_passkeys")
        status = 400
    context = {
        "reauth_form": reauth_form,
        "name_form": PasskeyNameForm(auto_id="passkey_%s"),
        "reauthenticated": _reauth_valid(request),
        "reauth_minutes": settings.PASSKEY_REAUTH_MINUTES,
        "passkeys": signin_passkey.passkeys_of(request.user),
        **sessions.my_area_context(request, "passkeys"),
    }
    return render(request, "identity/strong/passkeys.html", context, status=status)


@require_POST
@login_required
@csrf_protect
@never_cache
def my_passkey_options(request):
    try:
        options, challenge = signin_passkey.registration_options(
            user=request.user, reauthenticated_at=_reauth_at(request)
        )
    except IdentityError as exc:
        return _json_error(exc.messages[0], status=403)
    _keep_challenge(request, SESSION_REG_CHALLENGE, challenge)
    return JsonResponse(json.loads(options))


@require_POST
@login_required
@csrf_protect
@never_cache
def my_passkey_register(request):
    body = _json_body(request)
    try:
        passkey = signin_passkey.passkey_register(
            user=request.user,
            credential=body.get("credential") or {},
            expected_challenge=_take_challenge(request, SESSION_REG_CHALLENGE),
            origins=_origins(request),
            name=str(body.get("name") or ""),
            reauthenticated_at=_reauth_at(request),
            ip_address=client_ip(request),
        )
    except IdentityError as exc:
        return _json_error(exc.messages[0])
    messages.success(request, _("已新增通行金鑰「%(name)s」") % {"name": passkey.name})
    return JsonResponse({"redirect": reverse("identity:my_passkeys")})


@require_POST
@login_required
@csrf_protect
def my_passkey_rename(request, passkey_id: int):
    try:
        signin_passkey.passkey_rename(
            user=request.user, passkey_id=passkey_id, name=request.POST.get("name", ""), ip_address=client_ip(request)
        )
    except IdentityError as exc:
        messages.error(request, exc.messages[0])
    else:
        messages.success(request, _("名稱已更新"))
    return redirect("identity:my_passkeys")


@require_POST
@login_required
@csrf_protect
def my_passkey_remove(request, passkey_id: int):
    try:
        signin_passkey.passkey_remove(user=request.user, passkey_id=passkey_id, ip_address=client_ip(request))
    except IdentityError as exc:
        messages.error(request, exc.messages[0])
    else:
        messages.success(request, _("已移除此通行金鑰"))
    return redirect("identity:my_passkeys")
