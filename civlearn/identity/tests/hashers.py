"""A password hasher that counts its work, so tests can prove a lock costs no hash."""

from django.contrib.auth.hashers import MD5PasswordHasher


class CountingHasher(MD5PasswordHasher):
    """Counts hash computations: one per `encode` (making a hash) or `verify` (checking one)."""

    # Same algorithm name as the test suite's hasher, so hashes made before the swap still verify.
    calls = 0
    _verifying = False

    def encode(self, password, salt):
        # verify() encodes internally: that is the same one computation.
        if not CountingHasher._verifying:
            CountingHasher.calls += 1
        return super().encode(password, salt)

    def verify(self, password, encoded):
        CountingHasher.calls += 1
        CountingHasher._verifying = True
        try:
            return super().verify(password, encoded)
        finally:
            CountingHasher._verifying = False
