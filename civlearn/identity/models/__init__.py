"""eCPA's models: accounts and their sign-in records (accounts.py), strong sign-in credentials (strong_signin.py),
the sign-in throttle's counters and locks (throttle.py)."""

from civlearn.identity.models.accounts import (
    AgencyRole,
    EmailVerification,
    PasswordHistory,
    SigninRecord,
    User,
    UserManager,
)
from civlearn.identity.models.strong_signin import (
    METHOD_AGENCY_CERT,
    METHOD_AMR,
    METHOD_MOICA,
    METHOD_PASSKEY,
    BoundCertificate,
    CertificateChallenge,
    Passkey,
)
from civlearn.identity.models.throttle import ThrottleCounter, ThrottleLock

__all__ = [
    "METHOD_AGENCY_CERT",
    "METHOD_AMR",
    "METHOD_MOICA",
    "METHOD_PASSKEY",
    "AgencyRole",
    "BoundCertificate",
    "CertificateChallenge",
    "EmailVerification",
    "Passkey",
    "PasswordHistory",
    "SigninRecord",
    "ThrottleCounter",
    "ThrottleLock",
    "User",
    "UserManager",
]
