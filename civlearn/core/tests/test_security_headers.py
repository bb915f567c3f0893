"""Security headers on every face: Content-Security-Policy (django-csp), Permissions-Policy, Referrer-Policy,
X-Content-Type-Options, and Strict-Transport-Security over https."""

from __future__ import annotations

import pytest

from civlearn.core.security_headers import SiteCSPMiddleware, allow_frames_from
from civlearn.core.tests.processes import value_in_fresh_process

POLICY = {
    "default-src": ["'self'"],
    "script-src": ["'self'"],
    "style-src": ["'self'"],
    "img-src": ["'self'", "data:"],
    "font-src": ["'self'"],
    "connect-src": ["'self'", "http://127.0.0.1:61161"],
    "frame-src": ["'self'"],
    "object-src": ["'none'"],
    "base-uri": ["'none'"],
    "frame-ancestors": ["'none'"],
}
PERMISSIONS = (
    "browsing-topics=(), camera=(), display-capture=(), geolocation=(), hid=(), microphone=(), midi=(), payment=(),"
    " serial=(), usb=()"
)


def directives(header: str) -> dict[str, list[str]]:
    parsed = {}
    for part in header.split(";"):
        name, *sources = part.split()
        parsed[name] = sources
    return parsed


def assert_site_headers(response, policy=POLICY):
    assert directives(response["Content-Security-Policy"]) == policy
    assert response["Permissions-Policy"] == PERMISSIONS
    assert response["Referrer-Policy"] == "same-origin"
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["X-Frame-Options"] == "DENY"
    assert "Strict-Transport-Security" not in response  # plain http


@pytest.mark.parametrize(
    ("path", "status"),
    [
        ("/", 200),
        ("/ecpa/signin", 200),  # eCPA
        ("/elearn/", 200),  # e等公務園+
        ("/lifelong/", 200),  # 終身學習入口網站
        ("/admin/login/", 200),
        ("/api/v1/schema", 200),
        ("/api/v1/hours/records", 401),  # the API's refusals too
        ("/no/such/page", 404),
    ],
)
def test_every_face_sends_the_security_headers(client, db, path, status):
    response = client.get(path)
    assert response.status_code == status
    assert_site_headers(response)


@pytest.mark.parametrize("path", ["/ecpa/my", "/elearn/terms/", "/lifelong/folder/", "/admin/"])
def test_signed_in_pages_send_them_too(client, learner, operator, path):
    client.force_login(operator if path == "/admin/" else learner)
    response = client.get(path)
    assert response.status_code == 200
    assert_site_headers(response)


def test_the_signing_component_address_follows_the_setting(client, db, settings):
    settings.CERT_SIGNER_URL = "http://127.0.0.1:50123/api"
    response = client.get("/ecpa/signin")
    assert directives(response["Content-Security-Policy"])["connect-src"] == ["'self'", "http://127.0.0.1:50123"]


def test_a_nonce_is_in_the_policy_only_when_a_template_used_it(rf, settings):
    from django.http import HttpResponse

    middleware = SiteCSPMiddleware(lambda request: HttpResponse("<p>no script</p>"))
    plain = middleware(rf.get("/"))
    assert directives(plain["Content-Security-Policy"])["script-src"] == ["'self'"]

    def page_with_inline_script(request):
        return HttpResponse(f'<script nonce="{request.csp_nonce}">go()</script>')

    request = rf.get("/")
    response = SiteCSPMiddleware(page_with_inline_script)(request)
    nonce = response.content.decode().split('"')[1]
    assert len(nonce) >= 16
    assert directives(response["Content-Security-Policy"])["script-src"] == ["'self'", f"'nonce-{nonce}'"]


def test_a_view_may_allow_one_frame_origin_for_its_own_response(rf):
    from django.http import HttpResponse

    middleware = SiteCSPMiddleware(lambda request: allow_frames_from(HttpResponse(), "http://127.0.0.1:8000"))
    response = middleware(rf.get("/"))
    assert directives(response["Content-Security-Policy"])["frame-src"] == ["'self'", "http://127.0.0.1:8000"]
    assert directives(SiteCSPMiddleware(lambda request: HttpResponse())(rf.get("/"))["Content-Security-Policy"])[
        "frame-src"
    ] == ["'self'"]


def test_a_response_with_its_own_policy_keeps_it(rf):
    from django.http import HttpResponse

    def own(request):
        response = HttpResponse()
        response["Content-Security-Policy"] = "frame-ancestors http://localhost:8000"
        return response

    assert SiteCSPMiddleware(own)(rf.get("/"))["Content-Security-Policy"] == "frame-ancestors http://localhost:8000"


def test_strict_transport_security_over_https(client, db, settings):
    settings.SECURE_HSTS_SECONDS = 31536000
    settings.SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    settings.SECURE_HSTS_PRELOAD = True
    secure = client.get("/ecpa/signin", secure=True)
    assert secure["Strict-Transport-Security"] == "max-age=31536000; includeSubDomains; preload"
    assert "Strict-Transport-Security" not in client.get("/ecpa/signin")


def _settings_from(environ: dict[str, str]) -> object:
    return value_in_fresh_process(
        "[settings.SECURE_HSTS_SECONDS, settings.SECURE_HSTS_INCLUDE_SUBDOMAINS, settings.SECURE_HSTS_PRELOAD, "
        "settings.CONTENT_SECURITY_POLICY['DIRECTIVES']['report-uri']]",
        environ,
        drop_prefixes=("SECURE_", "SITE_", "CSP_"),
    )


def test_hsts_and_the_report_address_come_from_the_environment():
    assert _settings_from({"SITE_URL": "http://127.0.0.1:8000"}) == [0, False, False, None]
    assert _settings_from({"SITE_URL": "https://elearn.example.gov.tw"}) == [31536000, False, False, None]
    assert _settings_from(
        {
            "SITE_URL": "https://elearn.example.gov.tw",
            "SECURE_HSTS_SECONDS": "63072000",
            "SECURE_HSTS_INCLUDE_SUBDOMAINS": "true",
            "SECURE_HSTS_PRELOAD": "true",
            "CSP_REPORT_URI": "https://csp.example.gov.tw/report",
        }
    ) == [63072000, True, True, "https://csp.example.gov.tw/report"]
