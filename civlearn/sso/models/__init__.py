"""Single sign-on models: the OIDC provider (signing keys, relying parties) and external providers."""

from civlearn.sso.models.external import ExternalIdentity, ExternalProvider
from civlearn.sso.models.provider import RelyingParty, SigningKey

__all__ = ["ExternalIdentity", "ExternalProvider", "RelyingParty", "SigningKey"]
