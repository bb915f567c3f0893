"""The stand-in signing component (tools/signer_standin.py) as a real process: its protocol and its answers."""

import json
import subprocess
import sys
import urllib.request
from pathlib import Path

import pytest

from civlearn.identity import certificates
from civlearn.identity.tests import strong_pki

pki = strong_pki.pki
trust = strong_pki.trust
STANDIN = Path(__file__).resolve().parents[3] / "tools" / "signer_standin.py"


@pytest.fixture
def standin(pki, tmp_path):
    card = pki.citizen_card()
    p12 = tmp_path / "card.p12"
    p12.write_bytes(card.pkcs12())
    process = subprocess.Popen(
        [sys.executable, str(STANDIN), "--p12", str(p12), "--port", "0", "--allow-origin", "http://localhost:8000"],
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
    )
    url = process.stdout.readline().strip().removeprefix("listening on ")
    yield url, card
    process.terminate()
    process.wait(timeout=5)


def _sign(url, request: dict, origin="http://localhost:8000"):
    body = json.dumps(request).replace("+", "%2B").encode()
    http = urllib.request.Request(
        url + "/sign", data=body, headers={"Content-Type": "text/plain;charset=UTF-8", "Origin": origin}
    )
    with urllib.request.urlopen(http, timeout=5) as response:
        return json.loads(response.read()), dict(response.headers)


def _request(tbs, **extra):
    return {"tbs": tbs, "tbsEncoding": "NONE", "hashAlgorithm": "SHA256", "pin": strong_pki.PIN,
            "func": "MakeSignature", "signatureType": "PKCS7", **extra}  # fmt: skip


def test_standin_signs_a_challenge_as_pkcs7_that_the_server_accepts(standin, trust):
    url, card = standin
    answer, headers = _sign(url, _request("eCPA:signin:abc+def"))
    assert answer["ret_code"] == 0
    assert headers["Access-Control-Allow-Origin"] == "http://localhost:8000"
    assert headers["Access-Control-Allow-Private-Network"] == "true"
    # "+" arrives intact although the page escapes it as %2B
    found, _others = certificates.check_signed_challenge(
        challenge="eCPA:signin:abc+def", signature_b64=answer["signature"]
    )
    assert found.serial == card.serial_hex


def test_standin_pkcs1_answer_carries_the_certificate(standin, trust):
    url, _card = standin
    answer, _headers = _sign(url, _request("eCPA:bind:xyz", signatureType="PKCS1"))
    assert answer["signatureType"] == "PKCS1"
    found, _others = certificates.check_signed_challenge(
        challenge="eCPA:bind:xyz", signature_b64=answer["signature"], certificate_b64=answer["certb64"]
    )
    assert found.subject_name == "王小明"


def test_standin_refuses_a_wrong_pin_and_unknown_requests(standin):
    url, _card = standin
    answer, _headers = _sign(url, _request("x", pin="000000"))
    assert (answer["ret_code"], answer["message"]) == (0x76000006, "PIN 碼錯誤")
    answer, _headers = _sign(url, _request("x", signatureType="XML"))
    assert answer["ret_code"] == 0x76000031
    answer, _headers = _sign(url, _request("", func="MakeSignature"))
    assert (answer["ret_code"], answer["message"]) == (0x76000001, "tbs is empty")
