"""The OIDC provider's pages that people see (consent, logout confirmation), the cached JWKS, and 連結系統 in My Area.

The protocol endpoints are django-oauth-toolkit's (the token endpoint's two everyday requests are answered by
`token_fast` over DOT's models, ADR 0009); `provider_urlpatterns` is mounted under /o/ ahead of DOT's own
so these few views take their paths.
"""

from __future__ import annotations

import json
from urllib.parse import urlencode

from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.urls import path
from django.utils.decorators import method_decorator
from django.views.decorators.cache import never_cache
from django.views.decorators.debug import sensitive_post_parameters
from oauth2_provider.settings import oauth2_settings
from oauth2_provider.signals import app_authorized
from oauth2_provider.views import (
    AuthorizationView,
    ConnectDiscoveryInfoView,
    RevokeTokenView,
    RPInitiatedLogoutView,
    UserInfoView,
)
from oauth2_provider.views import TokenView as DotTokenView

from civlearn.core.decorators import session_free
from civlearn.core.front import FRONT_DECLINED
from civlearn.identity import oidc, oidc_server, token_fast
from civlearn.identity.models_sso import RelyingParty
from civlearn.identity.views import _my_context


class ConsentView(AuthorizationView):
    """The consent page third-party systems get (first-party ones skip it: `skip_authorization`)."""

    template_name = "identity/sso/authorize.html"

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        scopes = context.get("scopes") or []
        context["scope_rows"] = [(s, oidc.ALL_SCOPES.get(s, s)) for s in scopes]
        return context


class LogoutView(RPInitiatedLogoutView):
    template_name = "identity/sso/logout_confirm.html"


class TokenView(DotTokenView):
    """The token endpoint: the two everyday requests answered by `token_fast` (ADR 0009); everything else by DOT,
    in one transaction, minus a re-read of the new token for the `app_authorized` signal nobody listens to."""

    @method_decorator(sensitive_post_parameters("password", "client_secret"))
    def post(self, request, *args, **kwargs):
        # In production core.front asked token_fast first; a request it declined is DOT's at once.
        if not request.META.get(FRONT_DECLINED):
            response = token_fast.answer(request)
            if response is not None:
                return response
        return super().post(request, *args, **kwargs)

    @method_decorator(sensitive_post_parameters("password", "client_secret"))
    def authorization_flow_token_response(self, request, *args, **kwargs):
        if app_authorized.has_listeners():
            return super().authorization_flow_token_response(request, *args, **kwargs)
        with token_fast.token_transaction():
            _url, headers, body, status = self.create_token_response(request)
        # Token endpoint answers are JSON and never cached (RFC 6749 5.1, 5.2); oauthlib leaves both headers out of
        # an error raised after validation (a code consumed meanwhile).
        response = HttpResponse(content=body, status=status, content_type="application/json")
        for key, value in headers.items():
            response[key] = value
        response.setdefault("Cache-Control", "no-store")
        # CommonMiddleware would set it; the token endpoint skips that middleware (core.middleware).
        response["Content-Length"] = str(len(response.content))
        return response


# session_free: a client posting with a browser's cookie still makes the token endpoint read no session. The same
# view object serves the URL and core.middleware.ShortcutMiddleware.
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
        data["response_types_supported"] = list(oidc_server.RESPONSE_TYPES)
        data["grant_types_supported"] = list(oidc_server.TOKEN_GRANT_TYPES)
        data["response_modes_supported"] = ["query"]
        data["revocation_endpoint"] = oidc.issuer() + "/revoke_token/"
        fixed = JsonResponse(data)
        fixed["Access-Control-Allow-Origin"] = "*"
        return fixed


provider_urlpatterns = [
    path("authorize/", ConsentView.as_view(), name="authorize"),
    path("token/", token_view, name="token"),
    path("logout/", LogoutView.as_view(), name="logout"),
    path(".well-known/jwks.json", jwks, name="jwks"),
]

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


def _connected_systems() -> list[tuple[str, list[RelyingParty]]]:
    groups: dict[str, list[RelyingParty]] = {}
    for rp in RelyingParty.objects.filter(listed=True).select_related("application").order_by("group", "order", "id"):
        groups.setdefault(rp.group, []).append(rp)
    return list(groups.items())


@login_required
@never_cache
def connected_systems(request):
    """我的專區 → 連結系統 (manual step 十二): the systems eCPA signs a person into."""
    context = {"groups": _connected_systems(), **_my_context(request, "systems")}
    return render(request, "identity/sso/connected_systems.html", context)


@login_required
def connected_system_enter(request, pk: int):
    """Into one connected system. A system served by this platform shares the eCPA session; another system gets
    an OIDC third-party-initiated login (its login-initiation address with `iss`), and the authorization request it
    then sends finds the person signed in."""
    rp = RelyingParty.objects.filter(pk=pk, listed=True).first()
    if rp is None or not rp.entry_url:
        raise Http404
    if rp.entry_url.startswith("/") and not rp.entry_url.startswith("//"):
        return redirect(rp.entry_url)
    separator = "&" if "?" in rp.entry_url else "?"
    return redirect(rp.entry_url + separator + urlencode({"iss": oidc.issuer()}))
