#!/usr/bin/env python3
"""A stand-in for the local signing component (HiPKI Local Server) for development and tests.

It speaks the part of the component's protocol the sign-in page uses: `POST /sign` with the JSON "MakeSignature"
request (tbs, tbsEncoding, hashAlgorithm, pin, signatureType) and answers JSON with `ret_code` 0 and a base64
`signature` (PKCS#7 SignedData with the content and the certificate inside; or, for signatureType "PKCS1", a bare
signature plus the certificate in `certb64`). Instead of a card it signs with a PKCS#12 file whose password is
the PIN, so a wrong PIN fails the way a card would. Never use it with a real person's key.

    python tools/signer_standin.py --p12 var/dev-card.p12            # listens on 127.0.0.1:61161
    python tools/signer_standin.py --p12 card.p12 --port 0           # any free port; the first line says which

See docs/certificate-signin.md.
"""

from __future__ import annotations

import argparse
import base64
import json
import sys
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import unquote

from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, padding, rsa
from cryptography.hazmat.primitives.serialization import pkcs7, pkcs12

# The stand-in's own error codes (the real component has its own list).
ERR_BAD_REQUEST = 0x76000001
ERR_PIN = 0x76000006
ERR_UNSUPPORTED = 0x76000031
MAX_BODY = 64 * 1024


def sign(p12: bytes, request: dict) -> dict:
    """Answer one MakeSignature request as the component would."""
    if request.get("func", "MakeSignature") != "MakeSignature":
        return {"ret_code": ERR_UNSUPPORTED, "message": "unsupported func"}
    pin = unquote(str(request.get("pin", "")))
    # The page escapes "+" as %2B so that the component's URL-decoding keeps it.
    tbs = str(request.get("tbs", "")).replace("%2B", "+")
    if not tbs:
        return {"ret_code": ERR_BAD_REQUEST, "message": "tbs is empty"}
    base64_encoded = str(request.get("tbsEncoding", "NONE")).upper() == "BASE64"
    data = base64.b64decode(tbs) if base64_encoded else tbs.encode("utf-8")
    try:
        key, certificate, chain = pkcs12.load_key_and_certificates(p12, pin.encode("utf-8"))
    except ValueError:
        return {"ret_code": ERR_PIN, "message": "PIN 碼錯誤"}
    digest = {"SHA256": hashes.SHA256(), "SHA384": hashes.SHA384(), "SHA512": hashes.SHA512()}.get(
        str(request.get("hashAlgorithm", "SHA256")).upper()
    )
    if digest is None:
        return {"ret_code": ERR_UNSUPPORTED, "message": "unsupported hashAlgorithm"}
    certb64 = base64.b64encode(certificate.public_bytes(serialization.Encoding.DER)).decode()
    kind = str(request.get("signatureType", "PKCS7")).upper()
    if kind == "PKCS1":
        if isinstance(key, rsa.RSAPrivateKey):
            signature = key.sign(data, padding.PKCS1v15(), digest)
        elif isinstance(key, ec.EllipticCurvePrivateKey):
            signature = key.sign(data, ec.ECDSA(digest))
        else:
            return {"ret_code": ERR_UNSUPPORTED, "message": "unsupported key type"}
    elif kind == "PKCS7":
        builder = pkcs7.PKCS7SignatureBuilder().set_data(data).add_signer(certificate, key, digest)
        for extra in chain or []:
            builder = builder.add_certificate(extra)
        signature = builder.sign(serialization.Encoding.DER, [])
    else:
        return {"ret_code": ERR_UNSUPPORTED, "message": "unsupported signatureType"}
    return {
        "func": "MakeSignature",
        "ret_code": 0,
        "last_error": 0,
        "signatureType": kind,
        "signature": base64.b64encode(signature).decode(),
        "certb64": certb64,
    }


def make_handler(p12: bytes, allow_origin: str):
    class Handler(BaseHTTPRequestHandler):
        server_version = "civlearn-signer-standin/1"

        def _cors(self) -> None:
            origin = self.headers.get("Origin", "")
            allowed = allow_origin == "*" or origin == allow_origin
            self.send_header("Access-Control-Allow-Origin", origin if (allowed and origin) else allow_origin)
            self.send_header("Vary", "Origin")
            self.send_header("Access-Control-Allow-Methods", "POST, GET, OPTIONS")
            self.send_header("Access-Control-Allow-Headers", "Content-Type")
            # Chromium's Private Network Access: a public https page calling a loopback service asks first.
            self.send_header("Access-Control-Allow-Private-Network", "true")

        def _json(self, status: int, payload: dict) -> None:
            body = json.dumps(payload, ensure_ascii=False).encode("utf-8")
            self.send_response(status)
            self._cors()
            self.send_header("Content-Type", "application/json; charset=utf-8")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def do_OPTIONS(self) -> None:
            self.send_response(204)
            self._cors()
            self.send_header("Content-Length", "0")
            self.end_headers()

        def do_GET(self) -> None:
            if self.path.split("?")[0] == "/":
                self._json(200, {"ret_code": 0, "message": "civlearn signer stand-in"})
            else:
                self._json(404, {"ret_code": ERR_UNSUPPORTED, "message": "not found"})

        def do_POST(self) -> None:
            if self.path.split("?")[0] != "/sign":
                self._json(404, {"ret_code": ERR_UNSUPPORTED, "message": "not found"})
                return
            length = int(self.headers.get("Content-Length") or 0)
            if length <= 0 or length > MAX_BODY:
                self._json(400, {"ret_code": ERR_BAD_REQUEST, "message": "bad request size"})
                return
            try:
                request = json.loads(self.rfile.read(length).decode("utf-8"))
                if not isinstance(request, dict):
                    raise ValueError("not an object")
            except (ValueError, UnicodeDecodeError):
                self._json(400, {"ret_code": ERR_BAD_REQUEST, "message": "bad JSON"})
                return
            self._json(200, sign(p12, request))

        def log_message(self, format: str, *args) -> None:
            # One line per request, without the body (it holds the PIN).
            sys.stderr.write("signer-standin: %s\n" % (format % args))

    return Handler


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--p12", required=True, type=Path, help="PKCS#12 file with the key and certificate")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=61161, help="0 picks a free port")
    parser.add_argument("--allow-origin", default="*", help="the site origin allowed to call (default: any)")
    args = parser.parse_args(argv)
    server = ThreadingHTTPServer((args.host, args.port), make_handler(args.p12.read_bytes(), args.allow_origin))
    host, port = server.server_address[:2]
    # The first line of output tells a caller that asked for port 0 where to connect.
    sys.stdout.write(f"listening on http://{host}:{port}\n")
    sys.stdout.flush()
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        server.server_close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
