"""Operators' OAuth clients from the command line; the secret is printed once.

manage.py oidc_client create --name "臺北市差勤系統" --redirect-uri https://hr.example.tw/oidc/callback
manage.py oidc_client create --name "某學院課程系統" --machine
manage.py oidc_client rotate-secret CLIENT_ID
manage.py oidc_client list
"""

from __future__ import annotations

from django.core.management.base import BaseCommand, CommandError
from oauth2_provider.models import AbstractApplication, get_application_model

from civlearn.sso.services import ClientError, client_create, client_secret_rotate

Application = get_application_model()


class Command(BaseCommand):
    help = "Create OAuth clients (relying parties or machine clients), replace a secret, or list clients."

    def add_arguments(self, parser):
        sub = parser.add_subparsers(dest="action", required=True)
        create = sub.add_parser("create", help="a new client; prints its id and secret once")
        create.add_argument("--name", required=True, help="a name operators and people recognise")
        create.add_argument(
            "--machine", action="store_true", help="client credentials (system to system) instead of a relying party"
        )
        create.add_argument("--redirect-uri", action="append", default=[], help="exact https URI; repeatable")
        create.add_argument("--post-logout-uri", action="append", default=[], help="exact https URI; repeatable")
        create.add_argument("--scopes", default="openid profile email agency")
        create.add_argument("--first-party", action="store_true", help="a system of this platform: no consent page")
        create.add_argument("--national-id", action="store_true", help="may receive the national_id scope")
        rotate = sub.add_parser("rotate-secret", help="a new secret; the old one stops working")
        rotate.add_argument("client_id")
        sub.add_parser("list", help="clients with their grant type and redirect URIs")

    def handle(self, *args, action: str, **options):
        try:
            if action == "create":
                application, secret = client_create(
                    name=options["name"],
                    grant_type=(
                        AbstractApplication.GRANT_CLIENT_CREDENTIALS
                        if options["machine"]
                        else AbstractApplication.GRANT_AUTHORIZATION_CODE
                    ),
                    redirect_uris=" ".join(options["redirect_uri"]),
                    post_logout_redirect_uris=" ".join(options["post_logout_uri"]),
                    scopes=options["scopes"],
                    first_party=options["first_party"],
                    national_id_allowed=options["national_id"],
                )
            elif action == "rotate-secret":
                application, secret = client_secret_rotate(client_id=options["client_id"])
            else:
                for application in Application.objects.order_by("name"):
                    self.stdout.write(
                        f"{application.client_id}\t{application.authorization_grant_type}\t{application.name}\t"
                        f"{application.redirect_uris}"
                    )
                return
        except ClientError as exc:
            raise CommandError("\n".join(m for ms in exc.errors.values() for m in ms)) from None
        self.stdout.write(f"client_id: {application.client_id}")
        self.stdout.write(f"client_secret: {secret}")
        self.stdout.write("The secret is stored hashed and cannot be shown again.")
