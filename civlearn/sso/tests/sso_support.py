"""Helpers for the SSO tests: a relying party registered like an operator would, a browser-less person (a
requests session that signs in through the eCPA form), and an ID-token check done with Authlib only."""

from __future__ import annotations

import base64
import contextlib
import hashlib
import json
import os
import re
import shutil
import socket
import subprocess
from pathlib import Path

import requests
from authlib.jose import JsonWebKey, JsonWebToken
from authlib.oidc.core import CodeIDToken
from oauth2_provider.models import get_application_model

from civlearn.sso.models import RelyingParty

Application = get_application_model()
RP_SECRET = "rp-secret-0123456789-abcdefghijklmnopqrstuvwxyz"
# The relying party of the Django-client tests and its PKCE pair.
REDIRECT = "https://rp.example.tw/callback"
VERIFIER = "v" * 64
CHALLENGE = base64.urlsafe_b64encode(hashlib.sha256(VERIFIER.encode()).digest()).rstrip(b"=").decode()


MACHINE_SECRET = "machine-secret-0123456789-abcdefghijklmnopqrstuvwxyz"


def exchange_body(application, code, **changes) -> dict:
    """A relying party's code exchange (client secret in the body, PKCE verifier); a change to None leaves one out."""
    body = {
        "grant_type": "authorization_code",
        "code": code,
        "redirect_uri": REDIRECT,
        "client_id": application.client_id,
        "client_secret": RP_SECRET,
        "code_verifier": VERIFIER,
        **changes,
    }
    return {key: value for key, value in body.items() if value is not None}


def exchange_code(client, application, code):
    """POST the code to the token endpoint as the relying party does."""
    return client.post("/o/token/", exchange_body(application, code))


def register_machine():
    """A learning institution's client-credentials client, as `hours_api_client` registers one."""
    return Application.objects.create(
        name="學習機構",
        client_type=Application.CLIENT_CONFIDENTIAL,
        authorization_grant_type=Application.GRANT_CLIENT_CREDENTIALS,
        client_secret=MACHINE_SECRET,
    )


def register_rp(
    *,
    name: str,
    redirect_uri: str,
    post_logout_uri: str = "",
    scopes: str = "openid profile email agency",
    first_party: bool = False,
    national_id_allowed: bool = False,
    client_type: str = "confidential",
    listed: bool = False,
    entry_url: str = "",
    code: str = "",
):
    application = Application.objects.create(
        name=name,
        client_type=client_type,
        authorization_grant_type=Application.GRANT_AUTHORIZATION_CODE,
        client_secret=RP_SECRET,
        redirect_uris=redirect_uri,
        post_logout_redirect_uris=post_logout_uri,
        algorithm=Application.RS256_ALGORITHM,
        skip_authorization=first_party,
    )
    RelyingParty.objects.create(
        application=application,
        allowed_scopes=scopes,
        first_party=first_party,
        national_id_allowed=national_id_allowed,
        listed=listed,
        entry_url=entry_url,
        code=code,
    )
    return application


def signed_in_session(base_url: str, login: str, password: str) -> requests.Session:
    """A person's browser, minus the browser: GET the sign-in form, POST it with its CSRF token."""
    browser = requests.Session()
    page = browser.get(f"{base_url}/ecpa/signin", timeout=30)
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page.text).group(1)
    response = browser.post(
        f"{base_url}/ecpa/signin",
        data={"csrfmiddlewaretoken": token, "login": login, "password": password},
        headers={"Referer": f"{base_url}/ecpa/signin"},
        allow_redirects=False,
        timeout=30,
    )
    assert response.status_code == 302, response.text[:500]
    return browser


def verify_id_token(id_token: str, *, jwks: dict, issuer: str, client_id: str, nonce: str | None, access_token=None):
    claims = JsonWebToken(["RS256"]).decode(
        id_token,
        JsonWebKey.import_key_set(jwks),
        claims_cls=CodeIDToken,
        claims_options={"iss": {"essential": True, "value": issuer}, "aud": {"essential": True, "value": client_id}},
        claims_params={"nonce": nonce, "client_id": client_id, "access_token": access_token},
    )
    claims.validate(leeway=5)
    return claims


# ---- an independent OIDC provider (oidc-provider 8 on Node) -------------------------------------------------------

NODE_DIR = Path(__file__).resolve().parents[3] / "bench" / "oidc_node"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def node_ready() -> str:
    """Why the Node provider cannot run here ("" when it can); installs its locked dependencies when missing."""
    if not shutil.which("node") or not shutil.which("npm"):
        return "node/npm are not installed: the external-provider tests need Node 20 and npm"
    if not (NODE_DIR / "node_modules" / "oidc-provider").exists():
        result = subprocess.run(
            ["npm", "ci", "--no-audit", "--no-fund"], cwd=NODE_DIR, capture_output=True, text=True, timeout=300
        )
        if result.returncode != 0:
            return f"npm ci failed in bench/oidc_node: {result.stderr[-500:]}"
    return ""


@contextlib.contextmanager
def node_provider(*, clients: list[dict], accounts: dict, bench: bool = False):
    """Start bench/oidc_node/provider.mjs on a free port; yields its issuer (http://localhost:PORT)."""
    port = free_port()
    env = {
        **os.environ,
        "PORT": str(port),
        "CLIENTS": json.dumps(clients),
        "ACCOUNTS": json.dumps(accounts, ensure_ascii=False),
        "BENCH": "1" if bench else "0",
    }
    process = subprocess.Popen(
        ["node", "provider.mjs"], cwd=NODE_DIR, env=env, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True
    )
    try:
        line = process.stdout.readline()
        if not line.startswith("ready "):
            raise RuntimeError(f"the Node OIDC provider did not start: {line!r}")
        yield line.split()[1]
    finally:
        process.terminate()
        try:
            process.wait(timeout=5)
        except subprocess.TimeoutExpired:
            process.kill()


INLINE = "relying_party-"


def admin_client_form(**overrides) -> dict:
    """The admin's 'add application' form for a relying party of 新北市 (a confidential code-flow client), with its
    connected-system inline; `overrides` replace fields, and a field set to None is left out."""
    application = get_application_model()
    data = {
        "client_id": "ntpc-attendance",
        "client_secret": "s" * 40,
        "hash_client_secret": "on",
        "redirect_uris": "https://hr.ntpc.example.tw/oidc/callback",
        "post_logout_redirect_uris": "",
        "allowed_origins": "",
        "client_type": application.CLIENT_CONFIDENTIAL,
        "authorization_grant_type": application.GRANT_AUTHORIZATION_CODE,
        "name": "新北市差勤系統",
        "algorithm": application.RS256_ALGORITHM,
        f"{INLINE}TOTAL_FORMS": "1",
        f"{INLINE}INITIAL_FORMS": "0",
        f"{INLINE}MIN_NUM_FORMS": "0",
        f"{INLINE}MAX_NUM_FORMS": "1",
        f"{INLINE}0-allowed_scopes": "openid profile",
        f"{INLINE}0-group": RelyingParty.GROUP_OTHER,
        f"{INLINE}0-order": "0",
    }
    data.update(overrides)
    return {k: v for k, v in data.items() if v is not None}
