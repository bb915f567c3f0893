"""Cost of checking one certificate sign-in (signature + chain + CRL revocation), in process, by CRL size.

Run from the repository root:

    CIVLEARN_TESTING=1 .venv/bin/python bench/strong_signin.py [--rounds 50] [--revoked 0,10000,100000]

It builds a test CA hierarchy, writes CRLs with the given numbers of revoked serials into a temporary directory
(MOICA's real CRL lists on the order of a hundred thousand serials), and times `check_signed_challenge` on a
PKCS#7 signature from a valid card. It prints milliseconds per check (median and p90). Nothing is asserted.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "civlearn.settings")
os.environ.setdefault("CIVLEARN_TESTING", "1")


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rounds", type=int, default=50)
    parser.add_argument("--revoked", default="0,10000,100000")
    args = parser.parse_args()

    import django

    django.setup()
    from django.conf import settings

    from civlearn.identity import certificates
    from civlearn.identity.tests.strong_pki import build_pki

    pki = build_pki()
    card = pki.citizen_card()
    with tempfile.TemporaryDirectory() as folder:
        anchors, crls = pki.write(Path(folder))
        settings.CERT_TRUST_ANCHORS_DIR = str(anchors)
        settings.CERT_CRL_DIR = str(crls)
        settings.CERT_FETCH_REVOCATION = False
        settings.CERT_REVOCATION_MODE = "require"
        for revoked in [int(n) for n in args.revoked.split(",")]:
            # Serials that are not the card's: the check must still scan a CRL of this size.
            pki.citizen_ca.revoked[:] = range(1_000_000, 1_000_000 + revoked)
            started = time.perf_counter()
            pki.write_crls(crls)
            built = time.perf_counter() - started
            size = (crls / "citizen.crl").stat().st_size
            timings = []
            for _ in range(args.rounds):
                challenge = f"eCPA:signin:bench-{time.perf_counter_ns()}"
                signature = card.sign_pkcs7(challenge)
                started = time.perf_counter()
                certificates.check_signed_challenge(challenge=challenge, signature_b64=signature)
                timings.append((time.perf_counter() - started) * 1000)
            timings.sort()
            p90 = timings[int(len(timings) * 0.9) - 1]
            sys.stdout.write(
                f"revoked={revoked:>7} crl={size / 1024:8.0f} KiB (built in {built:5.1f} s)  "
                f"check median={statistics.median(timings):7.1f} ms  p90={p90:7.1f} ms  rounds={args.rounds}\n"
            )
    return 0


if __name__ == "__main__":
    sys.exit(main())
