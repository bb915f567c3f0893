"""`manage.py oidc_rotate_key`: a new OIDC signing key. The previous one stays in the JWKS until the ID tokens it
signed have expired; keys past that are deleted. Run it on a schedule (e.g. every 90 days) or after a suspected leak
(then also revoke outstanding tokens)."""

from django.core.management.base import BaseCommand

from civlearn.sso import oidc


class Command(BaseCommand):
    help = "Rotate the OpenID Connect ID-token signing key"

    def handle(self, *args, **options):
        key = oidc.rotate_key(actor=None)
        published = [k.thumbprint() for k in oidc.published_keys()]
        self.stdout.write(f"active key {key.kid}; published: {', '.join(published)}")
