"""Checking a certificate card's signature and certificate: the cryptography and PKI part of certificate sign-in.

Path building, chain validation, validity, key usage, CRL and OCSP checks are pyhanko-certvalidator's; signature
verification is its `DefaultSignatureValidator` (backed by `cryptography`); CMS/PKCS#7 and X.509 structures are read
with asn1crypto. Nothing here hand-rolls X.509 path validation.

Every refusal is a `CertificateError` whose message is zh-Hant and says what is wrong with the certificate.
"""

from __future__ import annotations

import asyncio
import base64
import binascii
import concurrent.futures
import datetime as dt
import hashlib
import logging
import threading
from dataclasses import dataclass
from pathlib import Path

from asn1crypto import algos, cms, core, crl, pem, x509
from cryptography import x509 as cx509
from django.conf import settings
from django.utils import timezone
from django.utils.translation import gettext as _
from pyhanko_certvalidator import CertificateValidator, ValidationContext, errors
from pyhanko_certvalidator.sig_validate import DefaultSignatureValidator, SignatureValidationContext

from civlearn.core import clock, rocdate

logger = logging.getLogger(__name__)

# Subject Directory Attributes (2.5.29.9) entries on Taiwan's government PKI certificates.
OID_ID_LAST4 = "2.16.886.1.100.2.51"  # 自然人憑證: last 4 digits of the national ID
OID_AGENCY_ID = "2.16.886.1.100.2.102"  # 機關憑證 (GCA/XCA): agency identifier

KIND_CITIZEN = "citizen"
KIND_AGENCY = "agency"


class CertificateError(Exception):
    """A refused certificate or signature; `str(exc)` is the zh-Hant message shown to the person."""

    def __init__(self, message: str, *, code: str):
        self.code = code
        super().__init__(message)


@dataclass(frozen=True)
class CertificateFacts:
    """What the sign-in and binding rules read from a certificate."""

    certificate: x509.Certificate
    issuer: str
    issuer_name: str
    serial: str
    subject_name: str
    id_last4: str
    agency_id: str
    fingerprint: str
    not_before: dt.datetime
    not_after: dt.datetime


# ---- reading ---------------------------------------------------------------------------------------------------


def decode_base64(value: str, *, what: str) -> bytes:
    """Base64 (standard or URL-safe, with or without padding and line breaks) → bytes."""
    text = "".join((value or "").split())
    if not text:
        raise CertificateError(_("缺少%(what)s，請重新操作") % {"what": what}, code="missing")
    text = text.replace("-", "+").replace("_", "/")
    try:
        return base64.b64decode(text + "=" * (-len(text) % 4), validate=True)
    except (binascii.Error, ValueError):
        raise CertificateError(_("%(what)s格式不正確") % {"what": what}, code="malformed") from None


def load_certificate(data: bytes) -> x509.Certificate:
    """A DER or PEM certificate."""
    try:
        if pem.detect(data):
            _type, _headers, data = pem.unarmor(data)
        certificate = x509.Certificate.load(data)
        certificate.native  # noqa: B018 (forces a full parse, so a damaged certificate fails here)
    except (ValueError, TypeError):
        raise CertificateError(_("憑證格式不正確"), code="malformed") from None
    return certificate


def _directory_attributes(certificate: x509.Certificate) -> dict[str, str]:
    value = certificate.subject_directory_attributes_value
    found: dict[str, str] = {}
    if value is None:
        return found
    for attribute in value:
        oid = attribute["type"].dotted
        for item in attribute["values"]:
            parsed = core.load(item.dump()) if isinstance(item, core.Any) else item
            native = parsed.native
            if isinstance(native, bytes):
                native = native.decode("utf-8", "replace")
            if isinstance(native, str):
                found.setdefault(oid, native.strip())
    return found


def _common_name(name: x509.Name) -> str:
    common_name = name.native.get("common_name", "")
    if isinstance(common_name, list):
        common_name = common_name[-1]
    return str(common_name).strip()


def facts(certificate: x509.Certificate) -> CertificateFacts:
    attributes = _directory_attributes(certificate)
    validity = certificate["tbs_certificate"]["validity"]
    return CertificateFacts(
        certificate=certificate,
        # RFC 4514 form: one canonical spelling of the issuer, so issuer + serial identifies a card.
        issuer=cx509.load_der_x509_certificate(certificate.dump()).issuer.rfc4514_string(),
        issuer_name=_common_name(certificate.issuer),
        serial=format(certificate.serial_number, "x"),
        subject_name=_common_name(certificate.subject),
        id_last4=attributes.get(OID_ID_LAST4, ""),
        agency_id=attributes.get(OID_AGENCY_ID, ""),
        fingerprint=hashlib.sha256(certificate.dump()).hexdigest(),
        not_before=validity["not_before"].native,
        not_after=validity["not_after"].native,
    )


# ---- the signature over the challenge -----------------------------------------------------------------------------


def _msg_bad_signature() -> str:
    return _("簽章驗證失敗：簽章與挑戰值或憑證不符，請重新操作")


def _verify_raw(*, signature: bytes, data: bytes, certificate: x509.Certificate, algorithm, digest: str) -> None:
    try:
        DefaultSignatureValidator().validate_signature(
            signature,
            data,
            certificate.public_key,
            algorithm,
            SignatureValidationContext(contextual_md_algorithm=digest),
        )
    except Exception:  # InvalidSignature, or an algorithm the key cannot do: both mean "not signed by this card"
        raise CertificateError(_msg_bad_signature(), code="bad_signature") from None


def verify_pkcs1(*, signature: bytes, message: bytes, certificate: x509.Certificate) -> None:
    """A bare signature (PKCS#1 v1.5 for RSA keys, ECDSA for EC keys) over `message` with SHA-256."""
    key_algorithm = certificate.public_key.algorithm
    name = {"rsa": "sha256_rsa", "ec": "sha256_ecdsa"}.get(key_algorithm)
    if name is None:
        raise CertificateError(_("不支援此憑證的金鑰演算法"), code="unsupported")
    algorithm = algos.SignedDigestAlgorithm({"algorithm": name})
    _verify_raw(signature=signature, data=message, certificate=certificate, algorithm=algorithm, digest="sha256")


def verify_pkcs7(*, signed_data: bytes, message: bytes) -> tuple[x509.Certificate, list[x509.Certificate]]:
    """A CMS SignedData (PKCS#7) over `message`, attached or detached, as the local component returns it.

    Returns the signer's certificate and the other certificates the SignedData carries (possible intermediates).
    """
    try:
        content_info = cms.ContentInfo.load(signed_data)
        if content_info["content_type"].native != "signed_data":
            raise ValueError("not SignedData")
        signed = content_info["content"]
        signer_infos = list(signed["signer_infos"])
        certificates = [c.chosen for c in signed["certificates"] if c.name == "certificate"]
        encapsulated = signed["encap_content_info"]["content"]
        content = encapsulated.native if encapsulated.native is not None else message
    except (ValueError, TypeError, KeyError):
        raise CertificateError(_("簽章格式不正確"), code="malformed") from None
    if len(signer_infos) != 1:
        raise CertificateError(_("簽章格式不正確"), code="malformed")
    if content != message:
        raise CertificateError(_msg_bad_signature(), code="bad_signature")
    signer = signer_infos[0]
    sid = signer["sid"]
    if sid.name != "issuer_and_serial_number":
        raise CertificateError(_("簽章格式不正確"), code="malformed")
    wanted = (sid.chosen["issuer"].dump(), sid.chosen["serial_number"].native)
    signer_cert = next((c for c in certificates if (c.issuer.dump(), c.serial_number) == wanted), None)
    if signer_cert is None:
        raise CertificateError(_("簽章中沒有簽署者的憑證"), code="malformed")
    digest = signer["digest_algorithm"]["algorithm"].native
    if digest not in ("sha256", "sha384", "sha512"):
        raise CertificateError(_("不支援此簽章的雜湊演算法"), code="unsupported")
    signed_attrs = signer["signed_attrs"]
    if signed_attrs.native is not None and len(signed_attrs):
        digests = [a["values"][0].native for a in signed_attrs if a["type"].native == "message_digest"]
        if digests != [hashlib.new(digest, message).digest()]:
            raise CertificateError(_msg_bad_signature(), code="bad_signature")
        # RFC 5652 §5.4: the signature covers the attributes encoded as a SET OF, not with their [0] tag.
        data = signed_attrs.untag().dump(force=True)
    else:
        data = message
    _verify_raw(
        signature=signer["signature"].native,
        data=data,
        certificate=signer_cert,
        algorithm=signer["signature_algorithm"],
        digest=digest,
    )
    others = [c for c in certificates if c is not signer_cert]
    return signer_cert, others


# ---- the certificate itself -------------------------------------------------------------------------------------


def _load_pem_dir(directory: str, suffixes: tuple[str, ...]) -> list[bytes]:
    if not directory:
        return []
    path = Path(directory)
    if not path.is_dir():
        return []
    blobs: list[bytes] = []
    for file in sorted(path.iterdir()):
        if file.suffix.lower() not in suffixes or not file.is_file():
            continue
        data = file.read_bytes()
        if pem.detect(data):
            blobs.extend(der for _type, _headers, der in pem.unarmor(data, multiple=True))
        else:
            blobs.append(data)
    return blobs


def trust_store() -> tuple[list[x509.Certificate], list[x509.Certificate]]:
    """(anchors, intermediates) from CERT_TRUST_ANCHORS_DIR: self-signed certificates are anchors."""
    anchors: list[x509.Certificate] = []
    intermediates: list[x509.Certificate] = []
    for der in _load_pem_dir(settings.CERT_TRUST_ANCHORS_DIR, (".pem", ".crt", ".cer", ".der")):
        try:
            certificate = x509.Certificate.load(der)
            self_signed = certificate.self_signed
        except ValueError:
            logger.warning("skipping an unreadable certificate in CERT_TRUST_ANCHORS_DIR")
            continue
        (anchors if self_signed != "no" else intermediates).append(certificate)
    return anchors, intermediates


_crl_cache: dict[str, tuple[tuple, list[crl.CertificateList]]] = {}
_crl_lock = threading.Lock()


def _crls() -> list[crl.CertificateList]:
    """The CRLs in CERT_CRL_DIR, loaded once per change of the directory's files and reused by every check.

    pyhanko-certvalidator still scans a CRL's entries on each check (docs/certificate-signin.md has the figures).
    """
    directory = settings.CERT_CRL_DIR
    if not directory or not Path(directory).is_dir():
        return []
    files = sorted(f for f in Path(directory).iterdir() if f.suffix.lower() in (".crl", ".pem", ".der") and f.is_file())
    stamp = tuple((f.name, f.stat().st_mtime_ns, f.stat().st_size) for f in files)
    cached = _crl_cache.get(directory)
    if cached and cached[0] == stamp:
        return cached[1]
    with _crl_lock:
        parsed = []
        for der in _load_pem_dir(directory, (".crl", ".pem", ".der")):
            try:
                crl_object = crl.CertificateList.load(der)
                crl_object["tbs_cert_list"]["issuer"].native  # noqa: B018 (a damaged CRL fails here, not mid-sign-in)
            except ValueError:
                logger.warning("skipping an unreadable CRL in CERT_CRL_DIR")
                continue
            parsed.append(crl_object)
        _crl_cache[directory] = (stamp, parsed)
    return parsed


def _crls_for_path(certificate: x509.Certificate, known: list[x509.Certificate]) -> list[crl.CertificateList]:
    """Only the CRLs issued by a CA on this certificate's way up to its anchor.

    The validator scans every CRL it is given against every certificate it meets (and validates the issuers of
    unrelated CRLs too), so the CRLs of other CAs (GCA's when a citizen card signs in) would only cost time. The
    government PKI issues its CRLs directly (no indirect CRLs), so the issuer names of the path are enough.
    """
    crls = _crls()
    if not crls:
        return crls
    by_subject = {c.subject.hashable: c for c in known}
    issuers: set[str] = set()
    name = certificate.issuer
    while name.hashable not in issuers:
        issuers.add(name.hashable)
        parent = by_subject.get(name.hashable)
        if parent is None or parent.self_signed != "no":
            break
        name = parent.issuer
    return [c for c in crls if c["tbs_cert_list"]["issuer"].hashable in issuers]


def _run(coroutine):
    """Run a coroutine to completion from synchronous code, also when the calling thread has a running loop."""
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        return asyncio.run(coroutine)
    with concurrent.futures.ThreadPoolExecutor(max_workers=1) as pool:
        return pool.submit(asyncio.run, coroutine).result()


def _display(moment: dt.datetime) -> str:
    return rocdate.format_display(timezone.localtime(moment).date())


def msg_expired(not_after: dt.datetime) -> str:
    return _("憑證已逾期（有效期限至 %(date)s），請更換憑證") % {"date": _display(not_after)}


def msg_not_yet_valid(not_before: dt.datetime) -> str:
    return _("憑證尚未生效（自 %(date)s 起有效）") % {"date": _display(not_before)}


def msg_revoked() -> str:
    return _("憑證已廢止，無法使用")


def msg_untrusted() -> str:
    return _("憑證不是由本系統信任的憑證機構所簽發")


def msg_key_usage() -> str:
    return _("憑證用途不符：此憑證不能用於數位簽章")


def msg_revocation_unknown() -> str:
    return _("目前無法確認憑證是否已廢止，請稍後再試")


def validate(certificate: x509.Certificate, *, intermediates: list[x509.Certificate] | None = None) -> None:
    """Chain to a configured trust anchor, validity at `clock.now()`, key usage (digital signature), revocation.

    Revocation follows CERT_REVOCATION_MODE: "require" (the default) refuses when no CRL or OCSP answer covers
    every certificate in the path, so an unreachable CRL server means no sign-in rather than an unchecked one.
    """
    now = clock.now()
    info = facts(certificate)
    # Dates first, from the certificate itself: the most common refusal gets the most specific message.
    if now > info.not_after:
        raise CertificateError(msg_expired(info.not_after), code="expired")
    if now < info.not_before:
        raise CertificateError(msg_not_yet_valid(info.not_before), code="not_yet_valid")
    anchors, configured = trust_store()
    if not anchors:
        logger.error("certificate sign-in has no trust anchors: CERT_TRUST_ANCHORS_DIR is empty or missing")
        raise CertificateError(msg_untrusted(), code="untrusted")
    fetcher_backend = None
    if settings.CERT_FETCH_REVOCATION:
        from pyhanko_certvalidator.fetchers.requests_fetchers import RequestsFetcherBackend

        fetcher_backend = RequestsFetcherBackend(per_request_timeout=5)
    context = ValidationContext(
        trust_roots=anchors,
        other_certs=configured + list(intermediates or []),
        moment=now,
        allow_fetching=settings.CERT_FETCH_REVOCATION,
        fetcher_backend=fetcher_backend,
        # A list (even empty) rather than None: "require" with nothing to check must fail at validation, not here.
        crls=_crls_for_path(certificate, anchors + configured + list(intermediates or [])),
        ocsps=[],
        revocation_mode=settings.CERT_REVOCATION_MODE,
    )
    validator = CertificateValidator(certificate, validation_context=context)
    try:
        _run(validator.async_validate_usage({"digital_signature"}))
    except errors.RevokedError:
        raise CertificateError(msg_revoked(), code="revoked") from None
    except errors.ExpiredError as exc:
        raise CertificateError(msg_expired(exc.expired_dt), code="expired") from None
    except errors.NotYetValidError as exc:
        raise CertificateError(msg_not_yet_valid(exc.valid_from), code="not_yet_valid") from None
    except errors.InsufficientRevinfoError as exc:
        logger.warning("certificate revocation status unknown: %s", exc)
        raise CertificateError(msg_revocation_unknown(), code="revocation_unknown") from None
    except errors.PathBuildingError:
        raise CertificateError(msg_untrusted(), code="untrusted") from None
    except errors.InvalidCertificateError as exc:
        logger.info("certificate refused: %s", exc)
        raise CertificateError(msg_key_usage(), code="key_usage") from None
    except errors.PathValidationError as exc:
        logger.info("certificate path refused: %s", exc)
        raise CertificateError(msg_untrusted(), code="untrusted") from None


def check_signed_challenge(
    *, challenge: str, signature_b64: str, certificate_b64: str = ""
) -> tuple[CertificateFacts, list[x509.Certificate]]:
    """The local component's answer to "sign this challenge": verify the signature, then the certificate.

    `signature_b64` is a PKCS#7 SignedData, or a bare PKCS#1 signature when `certificate_b64` carries the certificate.
    """
    message = challenge.encode("utf-8")
    signature = decode_base64(signature_b64, what=_("簽章"))
    extra: list[x509.Certificate] = []
    if certificate_b64:
        certificate = load_certificate(decode_base64(certificate_b64, what=_("憑證")))
        verify_pkcs1(signature=signature, message=message, certificate=certificate)
    else:
        certificate, extra = verify_pkcs7(signed_data=signature, message=message)
    validate(certificate, intermediates=extra)
    return facts(certificate), extra
