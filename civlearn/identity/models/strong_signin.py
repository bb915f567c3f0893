"""Strong sign-in: certificate cards bound to accounts (自然人憑證上傳), one-time signing challenges, passkeys."""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _

from civlearn.core import clock

# SigninRecord.method values of the strong sign-in methods, and the OIDC `amr` values each one stands for
# (RFC 8176): a card is a smart card unlocked by a PIN; a passkey is a hardware-bound key with user verification.
METHOD_MOICA = "moica"
METHOD_AGENCY_CERT = "gca"
METHOD_PASSKEY = "passkey"
METHOD_AMR = {
    METHOD_MOICA: ["sc", "pin", "mfa"],
    METHOD_AGENCY_CERT: ["sc", "pin", "mfa"],
    METHOD_PASSKEY: ["hwk", "user", "mfa"],
}


class BoundCertificate(models.Model):
    """A citizen certificate (自然人憑證) bound to an account by issuer + serial (manual: 自然人憑證上傳).

    Name + last 4 ID digits is not unique, so only a bound certificate signs its holder in.
    """

    user = models.ForeignKey(
        "identity.User", verbose_name=_("帳號"), on_delete=models.CASCADE, related_name="bound_certificates"
    )
    issuer = models.CharField(_("簽發者"), max_length=500)
    serial = models.CharField(_("序號"), max_length=80)  # lower-case hex, no leading zeros
    subject_name = models.CharField(_("憑證姓名"), max_length=200)
    fingerprint = models.CharField(_("SHA-256 指紋"), max_length=64)
    not_before = models.DateTimeField(_("有效起始"))
    not_after = models.DateTimeField(_("有效期限"))
    created_at = models.DateTimeField(_("上傳時間"), default=clock.now)
    last_used_at = models.DateTimeField(_("上次登入"), null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            # One certificate, one account: a second binding of the same card is refused by the database too.
            models.UniqueConstraint(fields=["issuer", "serial"], name="bound_certificate_issuer_serial_unique"),
        ]
        verbose_name = _("已上傳自然人憑證")
        verbose_name_plural = _("已上傳自然人憑證")

    def __str__(self) -> str:
        return f"{self.subject_name} {self.serial}"

    @property
    def serial_display(self) -> str:
        """The serial in groups of four hex digits, as people read it aloud (and so that a table cell can wrap)."""
        padded = self.serial.upper().rjust(-(-len(self.serial) // 4) * 4, "0")
        return " ".join(padded[i : i + 4] for i in range(0, len(padded), 4))

    @property
    def issuer_display(self) -> str:
        """The issuing CA's common name (e.g. 內政部憑證管理中心), or the whole issuer name when it has none."""
        from cryptography import x509
        from cryptography.x509.oid import NameOID

        try:
            names = x509.Name.from_rfc4514_string(self.issuer).get_attributes_for_oid(NameOID.COMMON_NAME)
        except ValueError:
            return self.issuer
        return str(names[0].value) if names else self.issuer


class CertificateChallenge(models.Model):
    """A one-time value the card signs. Only its hash is stored; it expires in minutes and is used once."""

    SIGNIN = "signin"
    AGENCY_SIGNIN = "agency_signin"
    BIND = "bind"
    PURPOSE_CHOICES = [(SIGNIN, "自然人憑證登入"), (AGENCY_SIGNIN, "機關憑證登入"), (BIND, "自然人憑證上傳")]

    purpose = models.CharField(_("用途"), max_length=16, choices=PURPOSE_CHOICES)
    value_hash = models.CharField(_("挑戰值雜湊"), max_length=64, unique=True)
    # Set for a binding challenge: only the account that asked for it may use it.
    user = models.ForeignKey(
        "identity.User", verbose_name=_("帳號"), null=True, blank=True, on_delete=models.CASCADE, related_name="+"
    )
    created_at = models.DateTimeField(_("建立時間"), default=clock.now)
    expires_at = models.DateTimeField(_("到期時間"))
    used_at = models.DateTimeField(_("使用時間"), null=True, blank=True)

    class Meta:
        indexes = [models.Index(fields=["expires_at"])]
        verbose_name = _("憑證挑戰值")
        verbose_name_plural = _("憑證挑戰值")

    def __str__(self) -> str:
        return f"{self.purpose} {self.created_at:%Y-%m-%d %H:%M:%S}"


class Passkey(models.Model):
    """A WebAuthn discoverable credential (通行金鑰), the modern form of 行動自然人憑證."""

    user = models.ForeignKey("identity.User", verbose_name=_("帳號"), on_delete=models.CASCADE, related_name="passkeys")
    name = models.CharField(_("名稱"), max_length=60)
    credential_id = models.BinaryField(_("憑證識別碼"), max_length=1023)
    # sha256 of credential_id: a unique, indexable key on every database (BinaryField cannot be indexed portably).
    credential_id_hash = models.CharField(_("識別碼雜湊"), max_length=64, unique=True)
    public_key = models.BinaryField(_("公鑰"))
    sign_count = models.BigIntegerField(_("簽章次數"), default=0)
    aaguid = models.CharField("AAGUID", max_length=36, blank=True)
    transports = models.JSONField(_("傳輸方式"), default=list, blank=True)
    backed_up = models.BooleanField(_("已同步備份"), default=False)
    created_at = models.DateTimeField(_("建立時間"), default=clock.now)
    last_used_at = models.DateTimeField(_("上次使用"), null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("通行金鑰")
        verbose_name_plural = _("通行金鑰")

    def __str__(self) -> str:
        return f"{self.user} {self.name}"
