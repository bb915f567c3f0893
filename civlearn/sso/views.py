"""The OIDC provider's pages that people see (consent, logout confirmation), the cached JWKS, and 連結系統 in My Area.

The protocol endpoints are django-oauth-toolkit's, through its public extension points only (ADR 0011);
`protocol_urlpatterns` mounts just the ones clients need (ADR 0011).
"""

from __future__ import annotations

import json
from urllib.parse import urlencode

from django.contrib.auth.decorators import login_required
from django.db import transaction
from django.http import Http404, JsonResponse
from django.shortcuts import redirect, render
from django.urls import path
from django.utils.decorators import method_decorator
from django.views.decorators.cache import never_cache
from django.views.decorators.debug import sensitive_post_parameters
from oauth2_provider.settings import oauth2_settings
from oauth2_provider.views import (
    AuthorizationView,
    ConnectDiscoveryInfoView,
    RevokeTokenView,
    RPInitiatedLogoutView,
    UserInfoView,
)
from oauth2_provider.views import TokenView as DotTokenView

from civlearn.core.decorators import session_free
from civlearn.identity.sessions import my_area_context
from civlearn.sso import clients, oidc
from civlearn.sso.selectors import connected_system_entry_url, connected_systems_grouped


class ConsentView(AuthorizationView):
    """The consent page third-party systems get (first-party ones skip it: `skip_authorization`)."""

    template_name = "sso/authorize.html"

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        scopes = context.get("scopes") or []
        context["scope_rows"] = [(s, oidc.ALL_SCOPES.get(s, s)) for s in scopes]
        return context


class LogoutView(RPInitiatedLogoutView):
    template_name = "sso/logout_confirm.html"


@method_decorator(sensitive_post_parameters("password", "client_secret"), name="post")
class TokenView(DotTokenView):
    """django-oauth-toolkit's token endpoint, each request in one transaction: a code consumed by a concurrent
    request after this one validated it rolls back the tokens minted here (the validator's
    `invalidate_authorization_code`), where DOT alone would have committed them already."""

    def post(self, request, *args, **kwargs):
        with transaction.atomic(), oidc.keys_read_once():
            response = super().post(request, *args, **kwargs)
        # Token endpoint answers are JSON and never cached (RFC 6749 5.1, 5.2); oauthlib leaves both headers out of
        # an error raised after validation (the code consumed meanwhile).
        response["Content-Type"] = "application/json"
        response.setdefault("Cache-Control", "no-store")
        return response


# session_free: a client posting with a browser's cookie still makes the token endpoint read no session.
token_view = session_free(TokenView.as_view())


def jwks(request):
    """Published keys: the signing key and retired ones whose ID tokens may still be in use."""
    response = JsonResponse(oidc.jwks_document())
    response["Access-Control-Allow-Origin"] = "*"
    response["Cache-Control"] = f"public, max-age={oauth2_settings.OIDC_JWKS_MAX_AGE_SECONDS}"
    return response


class DiscoveryView(ConnectDiscoveryInfoView):
    """DOT's discovery document, saying exactly what oidc_server allows: DOT lists HS256 beside RS256 whenever an
    RSA key is set, and names no grant types."""

    def get(self, request, *args, **kwargs):
        response = super().get(request, *args, **kwargs)
        data = json.loads(response.content)
        data["id_token_signing_alg_values_supported"] = ["RS256"]
        data["response_types_supported"] = list(clients.RESPONSE_TYPES)
        data["grant_types_supported"] = list(clients.TOKEN_GRANT_TYPES)
        data["response_modes_supported"] = ["query"]
        data["revocation_endpoint"] = oidc.issuer() + "/revoke_token/"
        fixed = JsonResponse(data)
        fixed["Access-Control-Allow-Origin"] = "*"
        return fixed


# What relying parties and machine clients need from django-oauth-toolkit, under the names its views reverse. Its
# application-management, authorized-token, device, registration and metadata views are not mounted: clients are
# created by operators only (admin, `manage.py oidc_client`).
protocol_urlpatterns = [
    path("authorize/", ConsentView.as_view(), name="authorize"),
    path("token/", token_view, name="token"),
    path("revoke_token/", RevokeTokenView.as_view(), name="revoke-token"),
    path("userinfo/", UserInfoView.as_view(), name="user-info"),
    path(".well-known/openid-configuration", DiscoveryView.as_view(), name="oidc-connect-discovery-info"),
    path(".well-known/jwks.json", jwks, name="jwks-info"),
    path("logout/", LogoutView.as_view(), name="rp-initiated-logout"),
]


@login_required
@never_cache
def connected_systems(request):
    """我的專區 → 連結系統 (manual step 十二): the systems eCPA signs a person into."""
    context = {"groups": connected_systems_grouped(), **my_area_context(request, "systems")}
    return render(request, "sso/connected_systems.html", context)


@login_required
def connected_system_enter(request, pk: int):
    """Into one connected system. A system served by this platform shares the eCPA session; another system gets
    an OIDC third-party-initiated login (its login-initiation address with `iss`), and the authorization request it
    then sends finds the person signed in."""
    entry_url = connected_system_entry_url(pk)
    if not entry_url:
        raise Http404
    if entry_url.startswith("/") and not entry_url.startswith("//"):
        return redirect(entry_url)
    separator = "&" if "?" in entry_url else "?"
    return redirect(entry_url + separator + urlencode({"iss": oidc.issuer()}))
