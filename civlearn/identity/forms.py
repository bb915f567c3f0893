"""Forms parse what people type (national ID, ROC dates); the rules and the writes live in services.py."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from civlearn.core import national_id, rocdate


class NationalIdField(forms.CharField):
    def clean(self, value):
        value = super().clean(value)
        try:
            return national_id.validate(value)
        except national_id.InvalidNationalId as exc:
            raise forms.ValidationError(str(exc)) from None


class RocDateField(forms.CharField):
    """The manual's 7-digit ROC date (0610101); other common spellings are accepted too."""

    def clean(self, value):
        value = super().clean(value)
        try:
            return rocdate.parse(value)
        except rocdate.InvalidRocDate as exc:
            raise forms.ValidationError(str(exc)) from None


ROC_HINT = _("請輸入民國年YYYMMDD，例如：0610101（民國年為三碼）")
REQUIRED = {"required": _("此欄位為必填")}


def _text(autocomplete: str, **attrs) -> forms.TextInput:
    return forms.TextInput(attrs={"autocomplete": autocomplete, **attrs})


class SigninForm(forms.Form):
    login = forms.CharField(
        label=_("帳號"),
        help_text=_("請輸入eCPA帳號：身分證字號或自訂帳號"),
        max_length=64,
        error_messages={"required": _("請輸入帳號")},
        widget=_text("username", autocapitalize="none", spellcheck="false"),
    )
    password = forms.CharField(
        label=_("密碼"),
        max_length=128,
        strip=False,
        error_messages={"required": _("請輸入密碼")},
        widget=forms.PasswordInput(attrs={"autocomplete": "current-password"}),
    )


class FirstSigninForm(forms.Form):
    national_id = NationalIdField(
        label=_("身分證字號"), max_length=12, error_messages=REQUIRED, widget=_text("off", spellcheck="false")
    )
    birthday = RocDateField(
        label=_("生日"),
        help_text=ROC_HINT,
        max_length=10,
        error_messages=REQUIRED,
        widget=_text("off", inputmode="numeric"),
    )
    post_start_date = RocDateField(
        label=_("任現職之實際到職日期"),
        help_text=_("請輸入民國年YYYMMDD，例如：0610101\n如不清楚，請逕洽單位人事，查詢表2現職之實際到職日期"),
        max_length=10,
        error_messages=REQUIRED,
        widget=_text("off", inputmode="numeric"),
    )
    email = forms.EmailField(
        label="Email",  # the manual's label; Django's catalogue would turn _("Email") into 電子郵件
        help_text=_(
            "建議勿用yahoo信箱申請帳號，請盡量使用自己機關或Gmail信箱，以避免被擋信並加快收信，取得帳號密碼速度"
        ),
        max_length=254,
        error_messages={**REQUIRED, "invalid": _("電子郵件格式不正確")},
        widget=forms.EmailInput(attrs={"autocomplete": "email"}),
    )


class PasswordForgotForm(forms.Form):
    national_id = FirstSigninForm.base_fields["national_id"]
    birthday = FirstSigninForm.base_fields["birthday"]
    email = forms.EmailField(
        label="Email",  # the manual's label; Django's catalogue would turn _("Email") into 電子郵件
        help_text=_("請輸入帳號目前登記的電子郵件"),
        max_length=254,
        error_messages={**REQUIRED, "invalid": _("電子郵件格式不正確")},
        widget=forms.EmailInput(attrs={"autocomplete": "email"}),
    )


class CodeForm(forms.Form):
    code = forms.CharField(
        label=_("認證碼"),
        help_text=_("請輸入認證信中的6位數認證碼"),
        max_length=12,
        error_messages={"required": _("請輸入認證碼")},
        widget=_text("one-time-code", inputmode="numeric"),
    )


def _password_input(autocomplete: str) -> forms.PasswordInput:
    return forms.PasswordInput(attrs={"autocomplete": autocomplete}, render_value=False)


class NewPasswordMixin(forms.Form):
    def clean(self):
        data = super().clean()
        new, again = data.get(self.new_field), data.get(self.confirm_field)
        if new is not None and again is not None and new != again:
            self.add_error(self.confirm_field, _("確認新密碼與新密碼不一致"))
        return data


class PasswordSetForm(NewPasswordMixin):
    new_field, confirm_field = "password", "password2"
    password = forms.CharField(
        label=_("新密碼"), strip=False, max_length=128, error_messages=REQUIRED, widget=_password_input("new-password")
    )
    password2 = forms.CharField(
        label=_("確認新密碼"),
        strip=False,
        max_length=128,
        error_messages=REQUIRED,
        widget=_password_input("new-password"),
    )


class PasswordChangeForm(NewPasswordMixin):
    new_field, confirm_field = "new_password", "new_password2"
    old_password = forms.CharField(
        label=_("舊密碼"),
        strip=False,
        max_length=128,
        error_messages=REQUIRED,
        widget=_password_input("current-password"),
    )
    new_password = forms.CharField(
        label=_("新密碼"), strip=False, max_length=128, error_messages=REQUIRED, widget=_password_input("new-password")
    )
    new_password2 = forms.CharField(
        label=_("確認新密碼"),
        strip=False,
        max_length=128,
        error_messages=REQUIRED,
        widget=_password_input("new-password"),
    )


class ProfileForm(forms.Form):
    username = forms.CharField(
        label=_("自訂帳號"),
        required=False,
        max_length=64,
        help_text=_(
            "1. 帳號請設定半形英文字母及數字，勿使用身分證字號格式如：A123456XXXX\n"
            "2. 帳號請勿輸入特殊字元、空白、全形、文字"
        ),
        widget=_text("username", placeholder=_("請輸入"), autocapitalize="none", spellcheck="false"),
    )
    email = forms.CharField(
        label=_("電子郵件"), required=False, max_length=254, widget=forms.EmailInput(attrs={"autocomplete": "email"})
    )
    phone = forms.CharField(
        label=_("個人電話"),
        required=False,
        max_length=40,
        widget=forms.TextInput(attrs={"autocomplete": "tel", "type": "tel", "placeholder": _("請輸入")}),
    )


def add_service_errors(form: forms.Form, errors: dict[str, list[str]]) -> None:
    for name, messages in errors.items():
        for message in messages:
            form.add_error(None if name == "__all__" or name not in form.fields else name, message)
