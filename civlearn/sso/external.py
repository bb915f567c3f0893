"""Signing in through an external OpenID Connect provider (manual step 三: 我的E政府), as a relying party.

Authlib speaks the protocol (authorization code with PKCE S256, ID token checked against the provider's JWKS,
issuer, audience, nonce and expiry). This module decides whose account it is:
- an identity linked before (issuer + subject) signs in to its account;
- otherwise, when the operator named a claim that carries the national ID, the provider vouches for it and the
  registry says whose it is (an account is created for a registry person who has none yet);
- otherwise the person proves who they are once through eCPA (sign in, or the first sign-in verification) and the
  link is made when that sign-in completes (`link_pending`).
"""

from __future__ import annotations

import hmac
import logging
from dataclasses import dataclass, field

import requests
from authlib.common.security import generate_token
from authlib.integrations.requests_client import OAuth2Session
from authlib.jose import JsonWebKey, JsonWebToken
from authlib.jose.errors import JoseError
from authlib.oidc.core import CodeIDToken
from django.core.cache import cache
from django.db import IntegrityError, transaction
from django.utils.translation import gettext as _

from civlearn.core import clock, national_id
from civlearn.core.services import audit_record
from civlearn.identity import selectors as identity_selectors
from civlearn.identity import services as identity_services
from civlearn.identity.services import signin_record_success
from civlearn.registry.models import Person
from civlearn.sso.models import ExternalIdentity, ExternalProvider

logger = logging.getLogger(__name__)

METHOD = "ext"
ECPA = "eCPA"
HTTP_TIMEOUT = 10
METADATA_CACHE_SECONDS = 3600
# Asymmetric algorithms only: "none" and HMAC-with-the-public-key tricks are refused whatever the token says.
_jwt = JsonWebToken(["RS256", "RS384", "RS512", "PS256", "ES256", "ES384"])


class ExternalSigninError(Exception):
    """A refused external sign-in; the message is for the person (zh-Hant) and names no identifier."""


@dataclass
class Outcome:
    """Either `user` (sign them in) or `pending` (they must prove who they are through eCPA first)."""

    provider: ExternalProvider
    user: identity_selectors.Account | None = None
    pending: dict = field(default_factory=dict)


def metadata(provider: ExternalProvider) -> dict:
    key = f"external-oidc-metadata:{provider.issuer}"
    data = cache.get(key)
    if data is None:
        url = provider.issuer.rstrip("/") + "/.well-known/openid-configuration"
        try:
            response = requests.get(url, timeout=HTTP_TIMEOUT)
            response.raise_for_status()
            data = response.json()
        except (requests.RequestException, ValueError) as exc:
            logger.warning("external provider %s metadata unavailable: %s", provider.slug, exc)
            raise ExternalSigninError(_msg_unavailable(provider)) from None
        # A provider whose discovery names another issuer is misconfigured or impersonated.
        if data.get("issuer") != provider.issuer:
            logger.warning("external provider %s: issuer mismatch %r", provider.slug, data.get("issuer"))
            raise ExternalSigninError(_msg_unavailable(provider))
        cache.set(key, data, METADATA_CACHE_SECONDS)
    return data


def _msg_unavailable(provider: ExternalProvider) -> str:
    return _("目前無法連線至%(name)s，請稍後再試或改用 eCPA 登入") % {"name": provider.name}


def _msg_failed(provider: ExternalProvider) -> str:
    return _("%(name)s登入未完成，請重新操作") % {"name": provider.name}


def _session(provider: ExternalProvider, redirect_uri: str) -> OAuth2Session:
    return OAuth2Session(
        provider.client_id,
        provider.client_secret or None,
        scope=provider.scopes,
        redirect_uri=redirect_uri,
        code_challenge_method="S256",
        token_endpoint_auth_method="client_secret_basic" if provider.client_secret else "none",
    )


def signin_start(*, provider: ExternalProvider, redirect_uri: str) -> tuple[str, dict]:
    """The provider's authorization URL, and what the callback needs (kept in the person's session)."""
    meta = metadata(provider)
    state, nonce, verifier = generate_token(32), generate_token(32), generate_token(64)
    url, _state = _session(provider, redirect_uri).create_authorization_url(
        meta["authorization_endpoint"], state=state, nonce=nonce, code_verifier=verifier
    )
    return url, {"provider": provider.slug, "state": state, "nonce": nonce, "verifier": verifier}


def _id_token_claims(provider: ExternalProvider, meta: dict, token: dict, nonce: str) -> dict:
    try:
        jwks = requests.get(meta["jwks_uri"], timeout=HTTP_TIMEOUT).json()
        claims = _jwt.decode(
            token["id_token"],
            JsonWebKey.import_key_set(jwks),
            claims_cls=CodeIDToken,
            claims_options={
                "iss": {"essential": True, "value": provider.issuer},
                "aud": {"essential": True, "value": provider.client_id},
            },
            claims_params={"nonce": nonce, "client_id": provider.client_id, "access_token": token["access_token"]},
        )
        claims.validate(now=int(clock.now().timestamp()), leeway=60)
    except (requests.RequestException, ValueError, KeyError, JoseError) as exc:
        logger.warning("external provider %s: ID token refused: %s", provider.slug, exc)
        raise ExternalSigninError(_msg_failed(provider)) from None
    return dict(claims)


def signin_finish(
    *, provider: ExternalProvider, pending: dict, params: dict, redirect_uri: str, ip_address: str | None
) -> Outcome:
    """The callback: check state, exchange the code, verify the ID token, find the account."""
    if not pending or pending.get("provider") != provider.slug:
        raise ExternalSigninError(_msg_failed(provider))
    if params.get("error"):
        raise ExternalSigninError(_("您未完成%(name)s的登入或未同意授權") % {"name": provider.name})
    if not hmac.compare_digest(str(params.get("state", "")), pending["state"]) or not params.get("code"):
        raise ExternalSigninError(_msg_failed(provider))
    meta = metadata(provider)
    client = _session(provider, redirect_uri)
    try:
        token = client.fetch_token(
            meta["token_endpoint"],
            grant_type="authorization_code",
            code=params["code"],
            code_verifier=pending["verifier"],
        )
    except Exception as exc:
        logger.warning("external provider %s: code exchange failed: %s", provider.slug, exc)
        raise ExternalSigninError(_msg_failed(provider)) from None
    claims = _id_token_claims(provider, meta, token, pending["nonce"])
    claim_name = provider.national_id_claim
    if claim_name and claim_name not in claims and meta.get("userinfo_endpoint"):
        try:
            info = client.get(meta["userinfo_endpoint"], timeout=HTTP_TIMEOUT).json()
        except (requests.RequestException, ValueError):
            info = {}
        if info.get("sub") == claims["sub"]:
            claims.update({k: v for k, v in info.items() if k not in claims})
    return _resolve(provider=provider, claims=claims, ip_address=ip_address)


def _resolve(*, provider: ExternalProvider, claims: dict, ip_address: str | None) -> Outcome:
    subject = str(claims["sub"])
    identity = ExternalIdentity.objects.select_related("user").filter(provider=provider, subject=subject).first()
    if identity is not None:
        return Outcome(provider=provider, user=_signed_in(identity=identity, ip_address=ip_address))

    raw = claims.get(provider.national_id_claim) if provider.national_id_claim else None
    if raw:
        try:
            nid = national_id.validate(str(raw))
        except national_id.InvalidNationalId:
            logger.warning("external provider %s sent an invalid national ID claim", provider.slug)
            raise ExternalSigninError(_msg_failed(provider)) from None
        person = Person.objects.filter(national_id=nid, is_active=True).first()
        if person is None:
            raise ExternalSigninError(
                _("人事資料庫查無您的資料，無法以%(name)s登入；請洽服務機關人事單位") % {"name": provider.name}
            )
        identity = _link(
            provider=provider,
            subject=subject,
            person=person,
            email=str(claims.get("email") or ""),
            linked_by=ExternalIdentity.BY_NATIONAL_ID,
            ip_address=ip_address,
        )
        return Outcome(provider=provider, user=_signed_in(identity=identity, ip_address=ip_address))

    return Outcome(
        provider=provider,
        pending={"provider": provider.slug, "subject": subject, "name": str(claims.get("name") or "")},
    )


def _link(
    *, provider: ExternalProvider, subject: str, person: Person, email: str, linked_by: str, ip_address: str | None
) -> ExternalIdentity:
    with transaction.atomic():
        # A registry person without an eCPA account yet gets one: the provider's verified national ID stands in for
        # the first sign-in check. No password: they sign in through the provider until they set one.
        user = identity_services.account_for_person(
            person=person, email=email, via=f"external:{provider.slug}", ip_address=ip_address
        )
        if not user.is_active:
            raise ExternalSigninError(_("此帳號已停用，請洽服務機關人事單位"))
        try:
            with transaction.atomic():
                identity = ExternalIdentity.objects.create(
                    provider=provider, subject=subject, user=user, linked_by=linked_by, linked_at=clock.now()
                )
        except IntegrityError:
            # The same person finishing two sign-ins at once: the other request linked it.
            identity = ExternalIdentity.objects.get(provider=provider, subject=subject)
        else:
            audit_record(
                actor=user,
                action="identity.external_linked",
                subject=user,
                changes={"provider": provider.slug, "linked_by": linked_by},
                ip_address=ip_address,
            )
    return identity


def _signed_in(*, identity: ExternalIdentity, ip_address: str | None) -> identity_selectors.Account:
    user = identity.user
    if not user.is_active:
        raise ExternalSigninError(_("此帳號已停用，請洽服務機關人事單位"))
    with transaction.atomic():
        ExternalIdentity.objects.filter(pk=identity.pk).update(last_signin_at=clock.now())
        signin_record_success(
            user=user, method=METHOD, ip_address=ip_address, details={"provider": identity.provider.slug}
        )
    return user


def link_pending(*, user: identity_selectors.Account, pending: dict, ip_address: str | None) -> ExternalIdentity | None:
    """After the person proved who they are through eCPA: link the external identity that sent them there."""
    provider = ExternalProvider.objects.filter(slug=pending.get("provider"), is_active=True).first()
    if provider is None or not pending.get("subject") or user.person_id is None:
        return None
    existing = ExternalIdentity.objects.filter(provider=provider, subject=pending["subject"]).first()
    if existing is not None:
        return existing if existing.user_id == user.pk else None
    return _link(
        provider=provider,
        subject=pending["subject"],
        person=user.person,
        email=user.email,
        linked_by=ExternalIdentity.BY_VERIFICATION,
        ip_address=ip_address,
    )


def account_source(user: identity_selectors.Account) -> str:
    """帳號來源 on the learning platform's profile: the external provider of the latest sign-in, else eCPA."""
    record = identity_selectors.last_signin(user)
    if record is None or record.method != METHOD:
        return ECPA
    identity = (
        ExternalIdentity.objects.select_related("provider")
        .filter(user=user, last_signin_at__isnull=False)
        .order_by("-last_signin_at")
        .first()
    )
    return identity.provider.name if identity else ECPA


def active_providers() -> list[ExternalProvider]:
    return list(ExternalProvider.objects.filter(is_active=True))
