"""Operators' client registrations: the one way a command creates an OAuth client or replaces its secret (the admin
form checks the same rules, oidc_server.client_problems). Learners never create clients."""

from __future__ import annotations

import secrets

from django.db import transaction
from oauth2_provider.models import AbstractApplication, get_application_model

from civlearn.core.services import audit_record
from civlearn.sso.clients import client_problems
from civlearn.sso.models import RelyingParty

Application = get_application_model()


class ClientError(Exception):
    """A refused registration. `errors` maps a field to its zh-Hant messages."""

    def __init__(self, errors: dict[str, list[str]]):
        self.errors = errors
        super().__init__("; ".join(f"{field}: {m}" for field, ms in errors.items() for m in ms))


def client_create(
    *,
    name: str,
    grant_type: str,
    redirect_uris: str = "",
    post_logout_redirect_uris: str = "",
    scopes: str = "openid profile email agency",
    first_party: bool = False,
    national_id_allowed: bool = False,
    actor=None,
) -> tuple[Application, str]:
    """A confidential client and its secret in clear, which is stored hashed and cannot be shown again.

    An authorization-code client is a relying party (RS256 ID tokens, its scopes and consent setting); a
    client-credentials client is a machine client (no ID tokens).
    """
    relying_party = grant_type == AbstractApplication.GRANT_AUTHORIZATION_CODE
    algorithm = AbstractApplication.RS256_ALGORITHM if relying_party else AbstractApplication.NO_ALGORITHM
    redirect_uris = " ".join(redirect_uris.split())
    post_logout_redirect_uris = " ".join(post_logout_redirect_uris.split())
    problems = client_problems(
        grant_type=grant_type,
        algorithm=algorithm,
        redirect_uris=redirect_uris,
        post_logout_redirect_uris=post_logout_redirect_uris,
    )
    if not (name or "").strip():
        problems["name"] = ["請填寫名稱"]
    if problems:
        raise ClientError(problems)
    secret = secrets.token_urlsafe(48)
    with transaction.atomic():
        application = Application.objects.create(
            name=name.strip(),
            client_type=Application.CLIENT_CONFIDENTIAL,
            authorization_grant_type=grant_type,
            algorithm=algorithm,
            redirect_uris=redirect_uris,
            post_logout_redirect_uris=post_logout_redirect_uris,
            client_secret=secret,
            skip_authorization=relying_party and first_party,
        )
        rp = None
        if relying_party:
            rp = RelyingParty.objects.create(
                application=application,
                allowed_scopes=" ".join(scopes.split()),
                first_party=first_party,
                national_id_allowed=national_id_allowed,
            )
        audit_record(
            actor=actor,
            action="identity.oidc_client_created",
            subject=application,
            changes={
                "client_id": application.client_id,
                "name": application.name,
                "grant_type": grant_type,
                "redirect_uris": redirect_uris,
                "post_logout_redirect_uris": post_logout_redirect_uris,
                "allowed_scopes": rp.allowed_scopes if rp else "",
                "first_party": bool(rp and rp.first_party),
            },
        )
    return application, secret


def client_secret_rotate(*, client_id: str, actor=None) -> tuple[Application, str]:
    """A new secret for this client; the old one stops working at once."""
    secret = secrets.token_urlsafe(48)
    with transaction.atomic():
        application = Application.objects.select_for_update().filter(client_id=client_id).first()
        if application is None:
            raise ClientError({"client_id": [f"查無用戶端 {client_id}"]})
        application.client_secret = secret
        application.save(update_fields=["client_secret", "updated"])
        audit_record(
            actor=actor,
            action="identity.oidc_client_secret_rotated",
            subject=application,
            changes={"client_id": client_id},
        )
    return application, secret
