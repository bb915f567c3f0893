"""Content-Security-Policy on every response (django-csp; the policy is settings.CONTENT_SECURITY_POLICY), with the
sources that are known only while answering a request.

Templates load scripts and styles from static files only; an inline `<script>` needs `nonce="{{ request.csp_nonce }}"`,
and inline event handlers, `javascript:` URLs and `style=` attributes are refused by the browser.
"""

from __future__ import annotations

from urllib.parse import urlsplit

from csp.decorators import csp_update
from csp.middleware import CSPMiddleware, PolicyParts
from django.conf import settings
from django.http import HttpRequest, HttpResponseBase


def origin_of(url: str) -> str:
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}" if parts.scheme and parts.netloc else ""


class SiteCSPMiddleware(CSPMiddleware):
    """django-csp's middleware. `connect-src` also names the local signing component (自然人憑證, CERT_SIGNER_URL)
    that the sign-in and certificate pages call from the browser; it is read per response, not copied into the
    policy at start-up, so the policy and the pages always name the same address."""

    def get_policy_parts(
        self, request: HttpRequest, response: HttpResponseBase, report_only: bool = False
    ) -> PolicyParts:
        parts = super().get_policy_parts(request=request, response=response, report_only=report_only)
        signer = origin_of(getattr(settings, "CERT_SIGNER_URL", ""))
        if signer:
            update = dict(parts.update or {})
            sources = update.get("connect-src") or []
            update["connect-src"] = [*([sources] if isinstance(sources, str) else sources), signer]
            parts.update = update
        return parts


def allow_frames_from(response: HttpResponseBase, origin: str) -> HttpResponseBase:
    """Let this one response frame pages of `origin` (frame-src): django-csp's `csp_update`, for an origin known
    only while answering (the SCORM content origin follows SITE_URL on a development machine)."""
    return csp_update({"frame-src": [origin]})(lambda: response)()
