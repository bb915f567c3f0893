"""eCPA as an OpenID Connect provider: django-oauth-toolkit (DOT) does the protocol; this module supplies what DOT
leaves to the site — signing keys with rotation, claims, per-client scopes, `auth_time`/`amr` from the real
sign-in, and a client-secret hasher meant for machine secrets.

Settings point at the pieces here: `OAUTH2_VALIDATOR_CLASS`, `SCOPES_BACKEND_CLASS`, `CLIENT_SECRET_HASHER`,
and `OIDC_RSA_PRIVATE_KEY(S_INACTIVE)` as lazy values read from the `SigningKey` table.
"""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
import hmac
import json
import threading
import time

from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import padding
from django.contrib.auth.hashers import BasePasswordHasher, mask_hash
from django.db import IntegrityError, router, transaction
from django.utils.crypto import constant_time_compare, get_random_string
from jwcrypto import jwk, jws
from oauth2_provider.models import AbstractApplication, AccessToken, Grant, IDToken
from oauth2_provider.oauth2_validators import OAuth2Validator
from oauth2_provider.scopes import BaseScopes
from oauth2_provider.settings import oauth2_settings
from oauthlib.oauth2.rfc6749 import errors

from civlearn.core import clock, national_id, stamps
from civlearn.core.services import audit_record
from civlearn.identity.models import SigninRecord
from civlearn.identity.models_sso import RelyingParty, SigningKey
from civlearn.identity.oidc_clients import cached_application
from civlearn.identity.oidc_server import grant_allowed, redirect_uri_problem

# ---- scopes ------------------------------------------------------------------------------------------------------

OIDC_SCOPES = {
    "openid": "OpenID Connect 登入",
    "profile": "姓名",
    "email": "電子郵件",
    "agency": "服務機關、人員區分及身份別",
    "national_id": "身分證字號",
}
# The hours API's client-credentials tokens predate OIDC and keep DOT's read/write scopes.
API_SCOPES = {"read": "讀取", "write": "寫入"}
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
# How long a process trusts its copy of the key list. A rotation (`oidc_rotate_key`, another process) bumps a stamp in
# the shared cache that every process checks on each use, so it is seen at once; the TTL bounds only the publishing
# window's end (publish_until), which no stamp announces.
KEY_LIST_TTL_SECONDS = 5.0
_KEYS_STAMP = "identity:signing-keys"

_lock = threading.Lock()
_jwks_by_kid: dict[str, jwk.JWK] = {}
_key_list: dict = {"at": 0.0, "stamp": None, "active": None, "published": []}


def _jwk(row: SigningKey) -> jwk.JWK:
    # Parsing a PEM private key costs milliseconds (cryptography checks the key); keys never change, so cache by kid.
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
    with _lock:
        _key_list.update(at=0.0, stamp=None, active=None, published=[])


def _load_keys() -> tuple[SigningKey, list[SigningKey]]:
    now_mono = time.monotonic()
    stamp = stamps.current(_KEYS_STAMP)
    with _lock:
        if (
            _key_list["active"] is not None
            and _key_list["stamp"] == stamp
            and now_mono - _key_list["at"] < KEY_LIST_TTL_SECONDS
        ):
            return _key_list["active"], _key_list["published"]
    now = clock.now()
    rows = list(SigningKey.objects.filter(active=True)) + list(
        SigningKey.objects.filter(active__isnull=True, publish_until__gt=now)
    )
    active = next((r for r in rows if r.active), None)
    if active is None:
        active = _create_first_key()
        rows.insert(0, active)
        # The creation bumped the stamp; what was just read and written is current under the new one.
        stamp = stamps.current(_KEYS_STAMP)
    with _lock:
        _key_list.update(at=now_mono, stamp=stamp, active=active, published=rows)
    return active, rows


def _create_first_key() -> SigningKey:
    """The first use generates a key; a concurrent first use in another process loses the race and reads theirs."""
    row = _new_key_row()
    try:
        with transaction.atomic():
            row.save()
            audit_record(actor=None, action="identity.oidc_key_created", subject=row, changes={"kid": row.kid})
            stamps.bump(_KEYS_STAMP)
    except IntegrityError:
        return SigningKey.objects.get(active=True)
    return row


def signing_key() -> jwk.JWK:
    return _jwk(_load_keys()[0])


def _b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def sign_id_token(claims: dict) -> str:
    """An ID token: a compact JWS (RFC 7515 section 7.1), RS256 with the active key, its kid in the header.

    The cached key's RSA object signs directly; building the token through jwcrypto's JWT
    and JWS objects cost ≈ 0.5 ms per token on top of the ≈ 0.7 ms of the RSA signature itself.
    """
    row = _load_keys()[0]
    private_key = _jwk(row).get_op_key("sign")  # jwcrypto keeps the RSA object it made the first time
    header = {"typ": "JWT", "alg": "RS256", "kid": row.kid}
    signing_input = (
        _b64url(json.dumps(header, separators=(",", ":")).encode())
        + "."
        + _b64url(json.dumps(claims, separators=(",", ":"), ensure_ascii=False, default=str).encode())
    )
    signature = private_key.sign(signing_input.encode("ascii"), padding.PKCS1v15(), hashes.SHA256())
    return signing_input + "." + _b64url(signature)


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
        stamps.bump(_KEYS_STAMP)
    forget_cached_keys()
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
    SigninRecord.PASSWORD: ["pwd"],
    "moica": ["hwk", "sc", "pin"],
    "gca": ["hwk", "sc", "pin"],
    "passkey": ["hwk", "user"],
    "ext": ["fed"],
}


def issuer() -> str:
    return oauth2_settings.OIDC_ISS_ENDPOINT


def last_signin(user, *, before: dt.datetime | None = None) -> SigninRecord | None:
    records = SigninRecord.objects.filter(user=user, success=True)
    if before is not None:
        records = records.filter(at__lte=before)
    return records.order_by("-at", "-id").first()


_UNREAD = object()


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

    @classmethod
    def _get_additional_claims_is_request_agnostic(cls):
        # DOT asks inspect.signature() twice per ID token whether get_additional_claims takes the request; it does.
        return False

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

    def validate_user(self, username, password, client, request, *args, **kwargs):
        """The password grant is not offered (oidc_server.Server); should it ever be reached, no password is
        checked here, outside the sign-in throttle and record."""
        return False

    def get_additional_claims(self, request):
        user = request.user
        person = user.person if user.person_id else None
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
        # token_fast reads it together with the grant and hands it over (None: never signed in).
        record = getattr(request, "civlearn_last_signin", _UNREAD)
        if record is _UNREAD:
            record = last_signin(request.user)
        if record is not None:
            claims["auth_time"] = int(record.at.timestamp())
            claims["amr"] = AMR_BY_METHOD.get(record.method, [record.method])
        return claims, expiration_time

    def finalize_id_token(self, id_token, token, token_handler, request):
        """DOT's finalize_id_token, signing with the active key of the key table (DOT re-reads the PEM each time)."""
        claims, expiration_time = self.get_id_token_dictionary(token, token_handler, request)
        id_token.update(**claims)
        if "nonce" not in id_token and request.nonce:
            id_token["nonce"] = request.nonce
        if request.client.algorithm != AbstractApplication.RS256_ALGORITHM:
            return super().finalize_id_token(id_token, token, token_handler, request)
        serialized = sign_id_token(id_token)
        # savepoint=False: inside the token endpoint's transaction no savepoint is needed (a failure rolls back the
        # whole response); called on its own, it is still one transaction.
        with transaction.atomic(using=router.db_for_write(IDToken), savepoint=False):
            saved = self._save_id_token(id_token["jti"], request, expiration_time)
        request.access_token = saved
        request.id_token = saved
        request._civlearn_issued_id_token = (serialized, saved)
        return serialized

    # ---- the token endpoint without repeated reads --------------------------------------------------------------

    def _load_application(self, client_id, request):
        # A process-wide cache of clients (oidc_clients says how fresh it is); DOT then finds request.client set
        # and only checks that it is usable. Unknown and CIMD clients go through DOT's own lookup.
        if not request.client and client_id:
            request.client = cached_application(client_id)
        return super()._load_application(client_id, request)

    def _request_grant(self, code, request):
        """The grant behind `code`, read once per request together with the person its claims come from.

        DOT reads the same row up to seven times in one code exchange (scopes, client check, redirect URI, PKCE
        challenge and method, nonce, resource); every read here is answered from this one. The first read comes
        before the client is authenticated, so it is by code only and the client is compared in Python. The latest
        sign-in (auth_time, amr) stays a query of its own: as a subquery here it cost more CPU to build and plan
        than the separate indexed read.
        """
        grant = getattr(request, "_civlearn_grant", None)
        if grant is not None and grant.code == code:
            return grant
        # No ordering: the code is unique, and `.first()` would add an ORDER BY for nothing.
        found = list(Grant.objects.select_related("user__person__agency").filter(code=code)[:1])
        grant = found[0] if found else None
        request._civlearn_grant = grant
        return grant

    def _client_grant(self, code, client, request):
        grant = self._request_grant(code, request)
        if grant is None or client is None or grant.application_id != client.pk:
            return None
        return grant

    def get_authorization_code_scopes(self, client_id, code, redirect_uri, request):
        grant = self._request_grant(code, request)
        return grant.scope.split() if grant is not None and grant.scope else []

    def get_authorization_code_nonce(self, client_id, code, redirect_uri, request):
        grant = self._request_grant(code, request)
        return (grant.nonce or None) if grant is not None else None

    def validate_code(self, client_id, code, client, request, *args, **kwargs):
        grant = self._client_grant(code, client, request)
        if grant is None or grant.is_expired():
            return False
        request.scopes = grant.scope.split(" ")
        request.user = grant.user
        if grant.nonce:
            request.nonce = grant.nonce
        if grant.claims:
            request.claims = json.loads(grant.claims)
        return True

    def confirm_redirect_uri(self, client_id, code, redirect_uri, client, *args, **kwargs):
        request = kwargs.get("request") or (args[0] if args else None)
        grant = self._client_grant(code, client, request) if request is not None else None
        if grant is None:
            # oauthlib calls this only after validate_code succeeded; DOT raises DoesNotExist here too.
            raise Grant.DoesNotExist
        return grant.redirect_uri_allowed(redirect_uri)

    def get_code_challenge(self, code, request):
        grant = self._client_grant(code, request.client, request)
        if grant is None:
            raise Grant.DoesNotExist
        return grant.code_challenge or None

    def get_code_challenge_method(self, code, request):
        grant = self._client_grant(code, request.client, request)
        if grant is None:
            raise Grant.DoesNotExist
        return grant.code_challenge_method or None

    def _check_and_set_request_resource(self, request):
        """RFC 8707 resources of a code exchange from the grant already read; other grants are DOT's."""
        if request.grant_type != "authorization_code":
            return super()._check_and_set_request_resource(request)
        # DOT's method for the other grants normalises request.resource and validates it; it reads the grant only
        # for the code grant, so run it as if no grant applied and do the grant part here.
        grant_type, request.grant_type = request.grant_type, "civlearn-no-grant"
        try:
            super()._check_and_set_request_resource(request)
        finally:
            request.grant_type = grant_type
        grant = self._client_grant(request.code, request.client, request)
        granted = (grant.resource or []) if grant is not None else []
        if request.resource and granted:
            outside = [r for r in request.resource if r not in granted]
            if outside:
                raise errors.CustomOAuth2Error(
                    error="invalid_target",
                    description=f"The requested resource '{outside[0]}' is not allowed. Token request cannot "
                    "escalate resource permissions beyond the original authorization grant",
                    request=request,
                )
        elif granted:
            self._validate_resource_uris(request, granted)
            request.resource = granted

    def invalidate_authorization_code(self, client_id, code, request, *args, **kwargs):
        try:
            super().invalidate_authorization_code(client_id, code, request, *args, **kwargs)
        except errors.InvalidGrantError:
            # A concurrent request consumed the code after this one validated it (its DELETE waited for theirs):
            # the tokens minted here must not outlive the refusal. Inside the token endpoint's transaction this
            # discards them; DOT alone would have committed them already.
            using = router.db_for_write(Grant)
            if transaction.get_connection(using).in_atomic_block:
                transaction.set_rollback(True, using=using)
            raise

    def save_bearer_token(self, token, request, *args, **kwargs):
        # DOT opens a transaction here; inside the token endpoint's own one a savepoint would only cost two
        # statements (a failure rolls back the whole response anyway).
        with transaction.atomic(using=router.db_for_write(AccessToken), savepoint=False):
            return self._save_bearer_token(token, request, *args, **kwargs)

    def _create_access_token(self, expires, request, token, source_refresh_token=None):
        issued = getattr(request, "_civlearn_issued_id_token", None)
        if issued is None or token.get("id_token") != issued[0]:
            return super()._create_access_token(expires, request, token, source_refresh_token)
        # The ID token of this very response: its row is at hand, so DOT's verify-and-read-back is skipped.
        access_token = AccessToken(
            user=request.user,
            scope=token["scope"],
            expires=expires,
            id_token=issued[1],
            application=request.client,
            source_refresh_token=source_refresh_token,
            resource=getattr(request, "resource", []),
        )
        self._set_token_value(access_token, token["access_token"])
        access_token.save()
        return access_token

    def _get_key_for_token(self, token):
        """The key that signed this token, by its kid, among every published key (tokens from before a rotation
        stay valid as id_token_hint)."""
        unverified = jws.JWS()
        unverified.deserialize(token)
        header = unverified.jose_header or {}
        payload = json.loads(unverified.objects["payload"].decode("utf-8"))
        if "aud" not in payload:
            return None
        if header.get("alg") == "RS256":
            return key_for_kid(header.get("kid"))
        application = self._get_client_by_audience(payload["aud"])
        return application.jwk_key if application else None
