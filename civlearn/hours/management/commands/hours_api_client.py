"""Create an OAuth 2 client (client credentials) for a learning institution's hours API, and print its secret once.

manage.py hours_api_client --institution A09600000Q --name "某某學院課程系統"
"""

from __future__ import annotations

import secrets

from django.core.management.base import BaseCommand, CommandError
from django.db import transaction
from oauth2_provider.models import Application

from civlearn.core.services import audit_record
from civlearn.hours.models import InstitutionClient
from civlearn.registry.models import Agency


class Command(BaseCommand):
    help = "Create an OAuth 2 client-credentials application mapped to a learning institution (prints the secret once)."

    def add_arguments(self, parser):
        parser.add_argument("--institution", required=True, help="機關代碼 of the institution")
        parser.add_argument("--name", required=True, help="a name operators recognise")

    def handle(self, *args, institution: str, name: str, **options):
        agency = Agency.objects.filter(code=institution.strip().upper()).first()
        if agency is None:
            raise CommandError(f"查無機關代碼 {institution}")
        secret = secrets.token_urlsafe(32)
        with transaction.atomic():
            application = Application.objects.create(
                name=name,
                client_type=Application.CLIENT_CONFIDENTIAL,
                authorization_grant_type=Application.GRANT_CLIENT_CREDENTIALS,
                client_secret=secret,
            )
            client = InstitutionClient.objects.create(application=application, institution=agency)
            audit_record(
                actor=None,
                action="hours.institutionclient_create",
                subject=client,
                changes={"institution": [None, agency.code], "application": [None, application.client_id]},
            )
        self.stdout.write(f"client_id: {application.client_id}")
        self.stdout.write(f"client_secret: {secret}")
        self.stdout.write("The secret is stored hashed and cannot be shown again.")
