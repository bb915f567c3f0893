"""A certificate hierarchy built for tests with `cryptography`: a root, a citizen-card CA (like MOICA), an agency CA
(like GCA), a CA nobody trusts, and leaf certificates carrying the Subject Directory Attributes Taiwan's cards carry.
"""

from __future__ import annotations

import base64
import datetime as dt
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from asn1crypto import core
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, padding, rsa
from cryptography.hazmat.primitives.serialization import pkcs7, pkcs12
from cryptography.x509.oid import NameOID

from civlearn.identity.certificates import OID_AGENCY_ID, OID_ID_LAST4

PIN = "123456"
DAY = dt.timedelta(days=1)


def _now() -> dt.datetime:
    from civlearn.core import clock

    return clock.now().astimezone(dt.UTC)


def _name(common_name: str, organization: str = "") -> x509.Name:
    parts = [x509.NameAttribute(NameOID.COUNTRY_NAME, "TW")]
    if organization:
        parts.append(x509.NameAttribute(NameOID.ORGANIZATION_NAME, organization))
    parts.append(x509.NameAttribute(NameOID.COMMON_NAME, common_name))
    return x509.Name(parts)


class _Strings(core.SetOf):
    _child_spec = core.PrintableString


class _Attribute(core.Sequence):
    _fields = [("type", core.ObjectIdentifier), ("values", _Strings)]


class _Attributes(core.SequenceOf):
    _child_spec = _Attribute


def directory_attributes(values: dict[str, str]) -> x509.UnrecognizedExtension:
    """Subject Directory Attributes (2.5.29.9) with one PrintableString per OID, as the card certificates have."""
    attributes = _Attributes([_Attribute({"type": oid, "values": [value]}) for oid, value in values.items()])
    return x509.UnrecognizedExtension(x509.ObjectIdentifier("2.5.29.9"), attributes.dump())


@dataclass
class Authority:
    name: str
    key: rsa.RSAPrivateKey
    certificate: x509.Certificate
    crl_url: str = ""
    revoked: list[int] = field(default_factory=list)

    @property
    def pem(self) -> bytes:
        return self.certificate.public_bytes(serialization.Encoding.PEM)

    def crl(self, *, this_update: dt.datetime | None = None) -> bytes:
        this_update = this_update or _now() - dt.timedelta(hours=1)
        builder = (
            x509.CertificateRevocationListBuilder()
            .issuer_name(self.certificate.subject)
            .last_update(this_update)
            .next_update(this_update + 7 * DAY)
            .add_extension(x509.CRLNumber(1), critical=False)
            .add_extension(x509.AuthorityKeyIdentifier.from_issuer_public_key(self.key.public_key()), critical=False)
        )
        for serial in self.revoked:
            builder = builder.add_revoked_certificate(
                x509.RevokedCertificateBuilder().serial_number(serial).revocation_date(this_update).build()
            )
        return builder.sign(self.key, hashes.SHA256()).public_bytes(serialization.Encoding.DER)


def _ca(name: str, *, issuer: Authority | None = None, key_size: int = 2048) -> Authority:
    key = rsa.generate_private_key(public_exponent=65537, key_size=key_size)
    now = _now()
    builder = (
        x509.CertificateBuilder()
        .subject_name(_name(name, "行政院"))
        .issuer_name(issuer.certificate.subject if issuer else _name(name, "行政院"))
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - 3650 * DAY)
        .not_valid_after(now + 3650 * DAY)
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .add_extension(
            x509.KeyUsage(
                digital_signature=False,
                content_commitment=False,
                key_encipherment=False,
                data_encipherment=False,
                key_agreement=False,
                key_cert_sign=True,
                crl_sign=True,
                encipher_only=False,
                decipher_only=False,
            ),
            critical=True,
        )
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), critical=False)
    )
    if issuer:
        builder = builder.add_extension(
            x509.AuthorityKeyIdentifier.from_issuer_public_key(issuer.key.public_key()), critical=False
        )
    certificate = builder.sign(issuer.key if issuer else key, hashes.SHA256())
    return Authority(name=name, key=key, certificate=certificate)


@dataclass
class Card:
    """A card's key and certificate (and the chain the component hands back with a signature)."""

    key: rsa.RSAPrivateKey | ec.EllipticCurvePrivateKey
    certificate: x509.Certificate
    issuer: Authority

    @property
    def serial_hex(self) -> str:
        return format(self.certificate.serial_number, "x")

    def pkcs12(self, password: str = PIN) -> bytes:
        return pkcs12.serialize_key_and_certificates(
            b"card",
            self.key,
            self.certificate,
            [self.issuer.certificate],
            serialization.BestAvailableEncryption(password.encode()),
        )

    def sign_pkcs7(self, challenge: str) -> str:
        """What the local component returns: base64 CMS SignedData with the content attached."""
        der = (
            pkcs7.PKCS7SignatureBuilder()
            .set_data(challenge.encode("utf-8"))
            .add_signer(self.certificate, self.key, hashes.SHA256())
            .sign(serialization.Encoding.DER, [])
        )
        return base64.b64encode(der).decode()

    def sign_pkcs1(self, challenge: str) -> tuple[str, str]:
        """(signature, certificate) in base64: the bare-signature form."""
        if isinstance(self.key, rsa.RSAPrivateKey):
            signature = self.key.sign(challenge.encode("utf-8"), padding.PKCS1v15(), hashes.SHA256())
        else:
            signature = self.key.sign(challenge.encode("utf-8"), ec.ECDSA(hashes.SHA256()))
        certificate = self.certificate.public_bytes(serialization.Encoding.DER)
        return base64.b64encode(signature).decode(), base64.b64encode(certificate).decode()


@dataclass
class Pki:
    root: Authority
    citizen_ca: Authority
    agency_ca: Authority
    rogue_root: Authority
    rogue_ca: Authority

    def citizen_card(
        self,
        *,
        name: str = "王小明",
        last4: str = "6789",
        issuer: Authority | None = None,
        not_before: dt.datetime | None = None,
        not_after: dt.datetime | None = None,
        digital_signature: bool = True,
        ec_key: bool = False,
    ) -> Card:
        return self._card(
            _name(name),
            {OID_ID_LAST4: last4},
            issuer or self.citizen_ca,
            not_before=not_before,
            not_after=not_after,
            digital_signature=digital_signature,
            ec_key=ec_key,
        )

    def agency_card(self, *, agency_code: str, agency_name: str = "國立臺中科技大學") -> Card:
        return self._card(_name(agency_name, agency_name), {OID_AGENCY_ID: agency_code}, self.agency_ca)

    def _card(
        self,
        subject: x509.Name,
        attributes: dict[str, str],
        issuer: Authority,
        *,
        not_before=None,
        not_after=None,
        digital_signature=True,
        ec_key=False,
    ) -> Card:
        key = ec.generate_private_key(ec.SECP256R1()) if ec_key else rsa.generate_private_key(65537, 2048)
        now = _now()
        builder = (
            x509.CertificateBuilder()
            .subject_name(subject)
            .issuer_name(issuer.certificate.subject)
            .public_key(key.public_key())
            .serial_number(x509.random_serial_number())
            .not_valid_before(not_before or now - 30 * DAY)
            .not_valid_after(not_after or now + 365 * DAY)
            .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
            .add_extension(
                x509.KeyUsage(
                    digital_signature=digital_signature,
                    content_commitment=digital_signature,
                    key_encipherment=not digital_signature,
                    data_encipherment=False,
                    key_agreement=False,
                    key_cert_sign=False,
                    crl_sign=False,
                    encipher_only=False,
                    decipher_only=False,
                ),
                critical=True,
            )
            .add_extension(x509.AuthorityKeyIdentifier.from_issuer_public_key(issuer.key.public_key()), critical=False)
            .add_extension(directory_attributes(attributes), critical=False)
        )
        if issuer.crl_url:
            builder = builder.add_extension(
                x509.CRLDistributionPoints(
                    [
                        x509.DistributionPoint(
                            full_name=[x509.UniformResourceIdentifier(issuer.crl_url)],
                            relative_name=None,
                            reasons=None,
                            crl_issuer=None,
                        )
                    ]
                ),
                critical=False,
            )
        certificate = builder.sign(issuer.key, hashes.SHA256())
        return Card(key=key, certificate=certificate, issuer=issuer)

    def revoke(self, card: Card) -> None:
        card.issuer.revoked.append(card.certificate.serial_number)

    def write(self, directory: Path) -> tuple[Path, Path]:
        """Trust anchors (the root; the two CAs as intermediates) and the current CRLs, as the settings read them."""
        anchors = directory / "anchors"
        crls = directory / "crls"
        anchors.mkdir(parents=True, exist_ok=True)
        crls.mkdir(parents=True, exist_ok=True)
        (anchors / "root.pem").write_bytes(self.root.pem)
        (anchors / "citizen-ca.pem").write_bytes(self.citizen_ca.pem)
        (anchors / "agency-ca.pem").write_bytes(self.agency_ca.pem)
        self.write_crls(crls)
        return anchors, crls

    def write_crls(self, crls: Path) -> None:
        for label, authority in (("root", self.root), ("citizen", self.citizen_ca), ("agency", self.agency_ca)):
            (crls / f"{label}.crl").write_bytes(authority.crl())


def build_pki() -> Pki:
    root = _ca("政府憑證總管理中心 測試")
    rogue_root = _ca("不受信任的根憑證機構")
    return Pki(
        root=root,
        citizen_ca=_ca("內政部憑證管理中心 測試", issuer=root),
        agency_ca=_ca("政府憑證管理中心 測試", issuer=root),
        rogue_root=rogue_root,
        rogue_ca=_ca("內政部憑證管理中心 測試", issuer=rogue_root),
    )


# ---- fixtures (import them into a test module: `from civlearn.identity.tests.strong_pki import pki, trust`) ----


@pytest.fixture(scope="session")
def pki() -> Pki:
    return build_pki()


@dataclass
class Trust:
    anchors: Path
    crls: Path
    pki: Pki

    def refresh_crls(self) -> None:
        self.pki.write_crls(self.crls)


@pytest.fixture
def trust(pki, tmp_path, settings) -> Trust:
    """Settings pointed at this hierarchy: its anchors, its CRLs on disk, no network fetching, fail closed."""
    anchors, crls = pki.write(tmp_path / "pki")
    settings.CERT_TRUST_ANCHORS_DIR = str(anchors)
    settings.CERT_CRL_DIR = str(crls)
    settings.CERT_FETCH_REVOCATION = False
    settings.CERT_REVOCATION_MODE = "require"
    yield Trust(anchors=anchors, crls=crls, pki=pki)
    # Revocations are per test: the hierarchy is shared by the session.
    for authority in (pki.root, pki.citizen_ca, pki.agency_ca):
        authority.revoked.clear()
