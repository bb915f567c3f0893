"""What an OAuth client may be and do: the grant types, ID-token algorithms and redirect URIs eCPA allows.

One set of rules, used when an operator saves a client (admin form, `oidc_client` command), by the validator on
every authorization and token request (so a row written some other way is refused too), and by the discovery
document, which advertises exactly what these rules allow.

- Relying parties use the authorization code grant with PKCE (and its refresh tokens); machine clients (the hours
  API) use client credentials. No password grant: it lets a client guess people's passwords past every sign-in
  control. No implicit or hybrid response types: tokens in a URL leak.
- ID tokens are RS256 only: HS256 signs with the client secret, which the client also holds, so the client could
  forge tokens for any person it likes, and every client would need a recoverable secret.
- Redirect and post-logout URIs are absolute, exact (no wildcards, no fragment) and https; http only to a loopback
  host, for development.
"""

from __future__ import annotations

import ipaddress
from urllib.parse import urlsplit

from django.utils.translation import gettext as _
from oauth2_provider.models import AbstractApplication
from oauthlib.oauth2.rfc6749.endpoints import AuthorizationEndpoint, TokenEndpoint
from oauthlib.openid import Server as OpenIDServer

ALLOWED_GRANT_TYPES = (AbstractApplication.GRANT_AUTHORIZATION_CODE, AbstractApplication.GRANT_CLIENT_CREDENTIALS)
# NO_ALGORITHM: a client that asks for no ID token (a machine client).
ALLOWED_ALGORITHMS = (AbstractApplication.RS256_ALGORITHM, AbstractApplication.NO_ALGORITHM)
# The token endpoint's grant types and the authorization endpoint's response types; discovery lists these.
TOKEN_GRANT_TYPES = ("authorization_code", "refresh_token", "client_credentials")
RESPONSE_TYPES = ("code",)
LOOPBACK_HOSTS = {"localhost"}


def _is_loopback(host: str) -> bool:
    if host in LOOPBACK_HOSTS:
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def redirect_uri_problem(uri: str) -> str | None:
    """Why `uri` may not be a redirect or post-logout URI, or None when it may."""
    try:
        parts = urlsplit(uri)
        host = parts.hostname or ""
        parts.port  # noqa: B018 — a malformed port raises here
    except ValueError:
        return _("網址格式不正確：%(uri)s") % {"uri": uri}
    if not parts.scheme or not host:
        return _("須為完整網址（含 https:// 與主機名稱）：%(uri)s") % {"uri": uri}
    if parts.fragment or "#" in uri:
        return _("網址不可含 # 片段：%(uri)s") % {"uri": uri}
    if "*" in uri:
        return _("網址須完全相符，不可使用萬用字元：%(uri)s") % {"uri": uri}
    if parts.username or parts.password:
        return _("網址不可含帳號密碼：%(uri)s") % {"uri": uri}
    if parts.scheme == "https":
        return None
    if parts.scheme == "http" and _is_loopback(host):
        return None
    return _("須使用 https（僅本機開發可用 http://localhost 或 127.0.0.1）：%(uri)s") % {"uri": uri}


def client_problems(
    *, grant_type: str, algorithm: str, redirect_uris: str, post_logout_redirect_uris: str
) -> dict[str, list[str]]:
    """The reasons a client with these settings may not be saved, by field name; empty when it may."""
    problems: dict[str, list[str]] = {}
    if grant_type not in ALLOWED_GRANT_TYPES:
        problems["authorization_grant_type"] = [
            _("授權方式僅限「Authorization code」（搭配 PKCE，供登入系統）或「Client credentials」（系統對系統）")
        ]
    if algorithm not in ALLOWED_ALGORITHMS:
        problems["algorithm"] = [_("ID Token 簽章演算法僅限 RS256")]
    redirects = redirect_uris.split()
    if grant_type == AbstractApplication.GRANT_AUTHORIZATION_CODE and not redirects:
        problems.setdefault("redirect_uris", []).append(_("登入系統須至少設定一個導回網址"))
    for field, uris in (("redirect_uris", redirects), ("post_logout_redirect_uris", post_logout_redirect_uris.split())):
        for uri in uris:
            problem = redirect_uri_problem(uri)
            if problem:
                problems.setdefault(field, []).append(problem)
    return problems


def application_problems(application) -> dict[str, list[str]]:
    return client_problems(
        grant_type=application.authorization_grant_type,
        algorithm=application.algorithm,
        redirect_uris=application.redirect_uris or "",
        post_logout_redirect_uris=application.post_logout_redirect_uris or "",
    )


def grant_allowed(application, grant_type: str) -> bool:
    """May this client use this token endpoint grant type? Checked on every token request."""
    if grant_type not in TOKEN_GRANT_TYPES or application is None:
        return False
    if application.authorization_grant_type not in ALLOWED_GRANT_TYPES:
        return False
    return application.algorithm in ALLOWED_ALGORITHMS


class Server(OpenIDServer):
    """oauthlib's OpenID Connect server with only the grants and response types above (setting
    `OAUTH2_SERVER_CLASS`): the password, implicit, hybrid and device grants are not there to be asked for, so
    oauthlib answers `unsupported_grant_type` / `unsupported_response_type` before any validator method runs."""

    def __init__(self, request_validator, *args, **kwargs):
        super().__init__(request_validator, *args, **kwargs)
        AuthorizationEndpoint.__init__(
            self,
            default_response_type="code",
            response_types={"code": self.auth_grant_choice},
            default_token_type=self.bearer,
        )
        TokenEndpoint.__init__(
            self,
            default_grant_type="authorization_code",
            grant_types={
                "authorization_code": self.token_grant_choice,
                "client_credentials": self.credentials_grant,
                "refresh_token": self.refresh_grant,
            },
            default_token_type=self.bearer,
        )
