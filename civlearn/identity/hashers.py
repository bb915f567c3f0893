"""Argon2id with a cost tuned for a sign-in storm, not Django's default.

Django's default Argon2 (100 MiB, p=8) took ≈ 180 ms per hash on the reference 2-core machine: five or six sign-ins a
second for the whole server. OWASP's minimum for argon2id (19 MiB, t=2, p=1) took ≈ 16.5 ms and is still memory-hard.
Attempts are throttled before any hash is computed (identity.throttle), so the cost only bounds an offline attack
on a stolen database. Operators can raise it with ARGON2_MEMORY_KIB / ARGON2_TIME_COST; existing hashes are upgraded
on the next successful sign-in.
"""

from django.conf import settings
from django.contrib.auth.hashers import Argon2PasswordHasher


class TunedArgon2PasswordHasher(Argon2PasswordHasher):
    # Same algorithm name as Django's, so stored hashes stay readable by either class.
    algorithm = "argon2"

    @property
    def time_cost(self) -> int:  # type: ignore[override]
        return settings.ARGON2_TIME_COST

    @property
    def memory_cost(self) -> int:  # type: ignore[override]
        return settings.ARGON2_MEMORY_KIB

    parallelism = 1
