"""eCPA as an OpenID Connect provider: django-oauth-toolkit (DOT) does the protocol; this module supplies what DOT
leaves to the site — signing keys with rotation, claims, per-client scopes, `auth_time`/`amr` from the real
sign-in, and a client-secret hasher meant for machine secrets.

Settings point at the pieces here: `OAUTH2_VALIDATOR_CLASS`, `SCOPES_BACKEND_CLASS`, `CLIENT_SECRET_HASHER`,
and `OIDC_RSA_PRIVATE_KEY(S_INACTIVE)` as lazy values read from the `SigningKey` table.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import json
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass

from django.contrib.auth.hashers import BasePasswordHasher, mask_hash
from django.core.cache import cache
from django.db import IntegrityError, transaction
from django.utils.crypto import constant_time_compare, get_random_string
from django.utils.translation import gettext_lazy as _
from jwcrypto import jwk
from oauth2_provider.models import AbstractApplication, Grant, get_application_model
from oauth2_provider.oauth2_validators import OAuth2Validator
from oauth2_provider.scopes import BaseScopes
from oauth2_provider.settings import oauth2_settings
from oauthlib.oauth2.rfc6749 import errors, utils

from civlearn.core import clock, national_id
from civlearn.core.generations import generation_renew
from civlearn.core.services import audit_record
from civlearn.identity import selectors as identity_selectors
from civlearn.registry.models import Person
from civlearn.sso.clients import grant_allowed, redirect_uri_problem
from civlearn.sso.models import RelyingParty, SigningKey

# ---- scopes ------------------------------------------------------------------------------------------------------

# The labels are what the consent page lists, in the reader's language.
OIDC_SCOPES = {
    "openid": _("OpenID Connect 登入"),
    "profile": _("姓名"),
    "email": _("電子郵件"),
    "agency": _("服務機關、人員區分及身份別"),
    "national_id": _("身分證字號"),
}
# The hours API's client-credentials tokens predate OIDC and keep DOT's read/write scopes.
API_SCOPES = {"read": _("讀取"), "write": _("寫入")}
ALL_SCOPES = {**OIDC_SCOPES, **API_SCOPES}


class ClientScopes(BaseScopes):
    """Scopes per client: a relying party gets what the operator allowed it, `national_id` only when ticked."""

    def get_all_scopes(self):
        return ALL_SCOPES

    def get_available_scopes(self, application=None, request=None, *args, **kwargs):
        if application is None:
            return list(ALL_SCOPES)
        if application.authorization_grant_type == AbstractApplication.GRANT_CLIENT_CREDENTIALS:
            # A machine client signs nobody in: never a relying party, and no query on its hot path.
            return list(API_SCOPES)
        rp = _relying_party(application)
        if rp is None:
            return list(API_SCOPES)
        scopes = [s for s in rp.allowed_scopes.split() if s in ALL_SCOPES]
        if not rp.national_id_allowed:
            scopes = [s for s in scopes if s != "national_id"]
        return scopes

    def get_default_scopes(self, application=None, request=None, *args, **kwargs):
        if application is None or application.authorization_grant_type == AbstractApplication.GRANT_CLIENT_CREDENTIALS:
            return list(API_SCOPES)
        if _relying_party(application) is not None:
            return ["openid"]
        return list(API_SCOPES)


def _relying_party(application) -> RelyingParty | None:
    cached = getattr(application, "_civlearn_rp", False)
    if cached is not False:
        return cached
    rp = RelyingParty.objects.filter(application_id=application.pk).first()
    application._civlearn_rp = rp
    return rp


# ---- client secrets ------------------------------------------------------------------------------------------------


class ClientSecretHasher(BasePasswordHasher):
    """HMAC-SHA-256 with a per-secret salt, for the long random secrets DOT generates.

    A password hasher (Argon2) is slow on purpose because people choose guessable passwords; a 128-character
    machine-generated secret cannot be guessed, and the token endpoint would otherwise pay ≈ 180 ms per request.
    """

    algorithm = "client_hmac_sha256"

    def salt(self):
        return get_random_string(16)

    def encode(self, password, salt):
        self._check_encode_args(password, salt)
        digest = hmac.new(salt.encode(), password.encode(), hashlib.sha256).hexdigest()
        return f"{self.algorithm}${salt}${digest}"

    def decode(self, encoded):
        algorithm, salt, digest = encoded.split("$", 2)
        assert algorithm == self.algorithm
        return {"algorithm": algorithm, "hash": digest, "salt": salt}

    def verify(self, password, encoded):
        decoded = self.decode(encoded)
        return constant_time_compare(encoded, self.encode(password, decoded["salt"]))

    def safe_summary(self, encoded):
        decoded = self.decode(encoded)
        return {
            "algorithm": decoded["algorithm"],
            "salt": mask_hash(decoded["salt"]),
            "hash": mask_hash(decoded["hash"]),
        }

    def must_update(self, encoded):
        return False

    def harden_runtime(self, password, encoded):
        pass


# ---- signing keys --------------------------------------------------------------------------------------------------

KEY_SIZE = 2048
# The key list lives in the shared cache (every process sees a rotation at once: rotate_key deletes the entry when
# its transaction commits); the timeout only bounds how long a change made around rotate_key can go unseen.
KEY_LIST_CACHE_KEY = "oidc:signing-keys:v1"
KEY_LIST_CACHE_SECONDS = 300

# Parsed keys by kid: a kid is the key's own thumbprint, so an entry can never go stale. Parsing a PEM private key
# costs milliseconds (cryptography checks the key).
_jwks_by_kid: dict[str, jwk.JWK] = {}


@dataclass(frozen=True)
class _Key:
    kid: str
    private_pem: str
    active: bool
    publish_until: float | None


def _jwk(row) -> jwk.JWK:
    key = _jwks_by_kid.get(row.kid)
    if key is None:
        key = jwk.JWK.from_pem(row.private_pem.encode())
        _jwks_by_kid[row.kid] = key
    return key


def _new_key_row() -> SigningKey:
    key = jwk.JWK.generate(kty="RSA", size=KEY_SIZE)
    pem = key.export_to_pem(private_key=True, password=None).decode()
    return SigningKey(kid=key.thumbprint(), private_pem=pem, created_at=clock.now(), active=True)


def forget_cached_keys() -> None:
    cache.delete(KEY_LIST_CACHE_KEY)


# The key list read once for the whole of one token request (keys_read_once): DOT asks for the signing key through
# the lazy settings several times while it signs and then re-reads the ID token. The slot is a list holding the
# rows once read, empty until a key is first needed (a client-credentials token needs none).
_request_keys: ContextVar[list[list[_Key]] | None] = ContextVar("civlearn_oidc_request_keys", default=None)


@contextmanager
def keys_read_once() -> Iterator[None]:
    """Within the block (one request), every look-up of the keys answers from one read of the shared cache."""
    token = _request_keys.set([])
    try:
        yield
    finally:
        _request_keys.reset(token)


def _key_rows() -> list[_Key]:
    slot = _request_keys.get()
    if slot:
        return slot[0]
    rows = _shared_key_rows()
    if slot is not None:
        slot.append(rows)
    return rows


def _shared_key_rows() -> list[_Key]:
    rows = cache.get(KEY_LIST_CACHE_KEY)
    if rows is None:
        found = list(SigningKey.objects.filter(active=True)) + list(
            SigningKey.objects.filter(active__isnull=True, publish_until__isnull=False)
        )
        created = not any(r.active for r in found)
        if created:
            found.insert(0, _create_first_key())
        rows = [
            _Key(r.kid, r.private_pem, bool(r.active), r.publish_until.timestamp() if r.publish_until else None)
            for r in found
        ]
        if not created:
            # A key created just now may still be rolled back with the caller's transaction: not shared until read
            # back from the table.
            cache.set(KEY_LIST_CACHE_KEY, rows, KEY_LIST_CACHE_SECONDS)
    return rows


def _load_keys() -> tuple[_Key, list[_Key]]:
    """The signing key and every published one (the signing key, and retired keys whose tokens may be in use)."""
    now = clock.now().timestamp()
    rows = [r for r in _key_rows() if r.active or (r.publish_until is not None and r.publish_until > now)]
    active = next(r for r in rows if r.active)
    return active, rows


def _create_first_key() -> SigningKey:
    """The first use generates a key; a concurrent first use in another process loses the race and reads theirs."""
    row = _new_key_row()
    try:
        with transaction.atomic():
            row.save()
            audit_record(actor=None, action="identity.oidc_key_created", subject=row, changes={"kid": row.kid})
    except IntegrityError:
        return SigningKey.objects.get(active=True)
    return row


def signing_key() -> jwk.JWK:
    return _jwk(_load_keys()[0])


def published_keys() -> list[jwk.JWK]:
    return [_jwk(row) for row in _load_keys()[1]]


def key_for_kid(kid: str | None) -> jwk.JWK | None:
    for row in _load_keys()[1]:
        if row.kid == kid:
            return _jwk(row)
    return None


def active_private_pem() -> str:
    return _load_keys()[0].private_pem


def inactive_private_pems() -> list[str]:
    return [row.private_pem for row in _load_keys()[1] if not row.active]


def rotate_key(*, actor=None) -> SigningKey:
    """A new signing key; the old one is published until its last ID token has expired; expired ones are deleted."""
    now = clock.now()
    lifetime = dt.timedelta(seconds=oauth2_settings.ID_TOKEN_EXPIRE_SECONDS)
    row = _new_key_row()
    with transaction.atomic():
        old = list(SigningKey.objects.select_for_update().filter(active=True))
        SigningKey.objects.filter(active=True).update(active=None, retired_at=now, publish_until=now + lifetime)
        row.save()
        dropped = list(
            SigningKey.objects.filter(active__isnull=True, publish_until__lte=now).values_list("kid", flat=True)
        )
        SigningKey.objects.filter(kid__in=dropped).delete()
        audit_record(
            actor=actor,
            action="identity.oidc_key_rotated",
            subject=row,
            changes={"kid": row.kid, "retired": [k.kid for k in old], "deleted": dropped},
        )
    forget_cached_keys()
    transaction.on_commit(forget_cached_keys)
    return row


def jwks_document() -> dict:
    keys = []
    for key in published_keys():
        data = {"alg": "RS256", "use": "sig", "kid": key.thumbprint()}
        data.update(json.loads(key.export_public()))
        keys.append(data)
    return {"keys": keys}


# ---- amr -------------------------------------------------------------------------------------------------------

# RFC 8176 values for each sign-in method of SigninRecord.method.
AMR_BY_METHOD = {
    identity_selectors.SIGNIN_PASSWORD: ["pwd"],
    "moica": ["hwk", "sc", "pin"],
    "gca": ["hwk", "sc", "pin"],
    "passkey": ["hwk", "user"],
    "ext": ["fed"],
}


def issuer() -> str:
    return oauth2_settings.OIDC_ISS_ENDPOINT


def last_signin(user, *, before: dt.datetime | None = None):
    return identity_selectors.last_signin(user, before=before)


# ---- clients from the shared cache ---------------------------------------------------------------------------------

# Every token request names its client. The rows change only when an operator edits them, so they are kept in the
# shared cache (Redis in production) beside one generation stamp for all clients; any save or delete of a client or
# of its relying-party settings replaces the stamp (sso.apps connects the receivers), which leaves every entry
# stored under the old stamp unread. A reader that loaded a row just before a change commits stores it under the
# stamp it read before the row, which the change has replaced: it cannot bring the old row back.
CLIENT_GENERATION_KEY = "oidc:clients:generation:v1"
CLIENT_CACHE_SECONDS = 300


def _client_key(client_id: str) -> str:
    return "oidc:client:v1:" + hashlib.sha256(client_id.encode()).hexdigest()


def forget_cached_clients(**kwargs) -> None:
    """A new generation stamp, now and again when the caller's transaction commits (a receiver of save/delete)."""
    generation_renew(CLIENT_GENERATION_KEY)


def cached_client(client_id: str):
    """The client (DOT's Application) with this id, or None; unknown ids are not remembered."""
    key = _client_key(client_id)
    found = cache.get_many([CLIENT_GENERATION_KEY, key])
    generation = found.get(CLIENT_GENERATION_KEY)
    entry = found.get(key)
    if generation is not None and entry is not None and entry[0] == generation:
        return entry[1]
    if generation is None:
        cache.add(CLIENT_GENERATION_KEY, uuid.uuid4().hex, None)
        generation = cache.get(CLIENT_GENERATION_KEY)
    try:
        application = get_application_model().objects.filter(client_id=client_id).first()
    except ValueError:  # a NUL byte in the id (PostgreSQL refuses it before the query): no such client
        return None
    if application is not None and generation is not None:
        if application.authorization_grant_type == AbstractApplication.GRANT_AUTHORIZATION_CODE:
            _relying_party(application)  # its relying-party settings travel with it (the stamp covers them too)
        cache.set(key, (generation, application), CLIENT_CACHE_SECONDS)
    return application


# ---- the validator -----------------------------------------------------------------------------------------------


class CivlearnValidator(OAuth2Validator):
    oidc_claim_scope = {
        **OAuth2Validator.oidc_claim_scope,
        "agency_code": "agency",
        "agency_name": "agency",
        "personnel_category": "agency",
        "identity_type": "agency",
        "national_id": "national_id",
    }

    # ---- the client from the shared cache ----------------------------------------------------------------------

    def _seed_client(self, client_id, request) -> None:
        # DOT's client lookup reuses request.client when it is the same client (its documented request cache), so a
        # client found here saves its query; DOT still checks the secret and whether the client is usable.
        if request.client is None and client_id:
            request.client = cached_client(client_id)

    def authenticate_client(self, request, *args, **kwargs):
        self._seed_client(request.client_id, request)
        return super().authenticate_client(request, *args, **kwargs)

    def authenticate_client_id(self, client_id, request, *args, **kwargs):
        self._seed_client(client_id, request)
        return super().authenticate_client_id(client_id, request, *args, **kwargs)

    def validate_client_id(self, client_id, request, *args, **kwargs):
        # The authorization endpoint's look-up of the client.
        self._seed_client(client_id, request)
        return super().validate_client_id(client_id, request, *args, **kwargs)

    # ---- the authorization code, read once per request -------------------------------------------------------
    # oauthlib asks for the code's scopes, the code itself, its PKCE challenge and method, its redirect URI and its
    # nonce through six hooks, and DOT reads the grant in each. Here the first hook reads it (with the person and
    # agency the claims need) and the rest answer from that row; the answers are DOT's (same lookups: the code, and
    # the client where DOT filters by it). The memo lives on oauthlib's request, so it never outlives the request,
    # and it is dropped once the code is deleted.

    def _grant(self, code, request, client=None) -> Grant | None:
        memo = getattr(request, "civlearn_grant", None)
        if memo is None or memo[0] != code:
            grant = Grant.objects.select_related("user__person__agency").filter(code=code).first()
            memo = (code, grant)
            request.civlearn_grant = memo
        grant = memo[1]
        if grant is not None and client is not None and grant.application_id != client.pk:
            return None
        return grant

    def get_authorization_code_scopes(self, client_id, code, redirect_uri, request):
        grant = self._grant(code, request)
        return utils.scope_to_list(grant.scope) if grant is not None and grant.scope else []

    def validate_code(self, client_id, code, client, request, *args, **kwargs):
        grant = self._grant(code, request, client)
        if grant is None or grant.is_expired():
            return False
        request.scopes = grant.scope.split(" ")
        request.user = grant.user
        if grant.nonce:
            request.nonce = grant.nonce
        if grant.claims:
            request.claims = json.loads(grant.claims)
        return True

    def get_code_challenge(self, code, request):
        grant = self._grant(code, request, request.client)
        return (grant.code_challenge or None) if grant is not None else None

    def get_code_challenge_method(self, code, request):
        grant = self._grant(code, request, request.client)
        return (grant.code_challenge_method or None) if grant is not None else None

    def confirm_redirect_uri(self, client_id, code, redirect_uri, client, request=None, *args, **kwargs):
        if request is None:
            return super().confirm_redirect_uri(client_id, code, redirect_uri, client, *args, **kwargs)
        grant = self._grant(code, request, client)
        return grant is not None and grant.redirect_uri_allowed(redirect_uri)

    def get_authorization_code_nonce(self, client_id, code, redirect_uri, request):
        grant = self._grant(code, request)
        return (grant.nonce or None) if grant is not None else None

    # ---- what a client may do (oidc_server holds the rules) ----------------------------------------------------

    def validate_grant_type(self, client_id, grant_type, client, request, *args, **kwargs):
        # A client row saved before the rules (or written around the admin) is refused here too.
        if not grant_allowed(client, grant_type):
            return False
        return super().validate_grant_type(client_id, grant_type, client, request, *args, **kwargs)

    def validate_response_type(self, client_id, response_type, client, request, *args, **kwargs):
        if response_type != "code" or not grant_allowed(client, "authorization_code"):
            return False
        return super().validate_response_type(client_id, response_type, client, request, *args, **kwargs)

    def validate_redirect_uri(self, client_id, redirect_uri, request, *args, **kwargs):
        if redirect_uri_problem(redirect_uri) is not None:
            return False
        return super().validate_redirect_uri(client_id, redirect_uri, request, *args, **kwargs)

    def invalidate_authorization_code(self, client_id, code, request, *args, **kwargs):
        request.civlearn_grant = None
        try:
            super().invalidate_authorization_code(client_id, code, request, *args, **kwargs)
        except errors.InvalidGrantError:
            # A concurrent request consumed the code after this one validated it: the tokens minted here must not
            # outlive the refusal. The token view's transaction (oidc_views.TokenView) discards them.
            if transaction.get_connection().in_atomic_block:
                transaction.set_rollback(True)
            raise

    def validate_user(self, username, password, client, request, *args, **kwargs):
        """The password grant is not offered (oidc_server.Server); should it ever be reached, no password is
        checked here, outside the sign-in throttle and record."""
        return False

    def get_additional_claims(self, request):
        user = request.user
        person = None
        if user.person_id and type(user).person.is_cached(user):
            person = user.person  # read with the grant (validate_code), agency included
        elif user.person_id:
            # The person with the agency in one query (an access token's user comes without them).
            person = Person.objects.select_related("agency").filter(pk=user.person_id).first()
        claims = {
            "name": person.name if person else (user.username or ""),
            "preferred_username": user.username or "",
            "email": user.email,
            # An account's address is the one its first sign-in verified (or an operator entered).
            "email_verified": bool(user.email),
        }
        if person is not None:
            claims.update(
                agency_code=person.agency.code if person.agency_id else "",
                agency_name=person.agency.name if person.agency_id else "",
                personnel_category=person.personnel_category,
                identity_type=person.identity_type,
            )
            # Only reaches a client whose token carries the national_id scope, which ClientScopes grants only to
            # clients an operator allowed.
            claims["national_id"] = national_id.normalize(person.national_id)
        return claims

    def get_discovery_claims(self, request):
        return ["sub", "iss", "aud", "exp", "iat", "auth_time", "nonce", "amr", *self.oidc_claim_scope]

    def get_id_token_dictionary(self, token, token_handler, request):
        claims, expiration_time = super().get_id_token_dictionary(token, token_handler, request)
        # DOT takes auth_time from user.last_login; the sign-in record says when and how this person signed in.
        record = last_signin(request.user)
        if record is not None:
            claims["auth_time"] = int(record.at.timestamp())
            claims["amr"] = AMR_BY_METHOD.get(record.method, [record.method])
        return claims, expiration_time
