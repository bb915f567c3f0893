"""Every agency where someone holds the course-provider role (課程提供人員) becomes an approved institution linked to
that agency, and each such account its administrator: the upload rights people had keep working from the
institution area. The ledger, upload jobs and API clients keep naming the agency, so nothing uploaded changes."""

from django.db import migrations
from django.utils import timezone


def forwards(apps, schema_editor):
    AgencyRole = apps.get_model("identity", "AgencyRole")
    Institution = apps.get_model("hours", "Institution")
    InstitutionMember = apps.get_model("hours", "InstitutionMember")
    now = timezone.now()
    roles = AgencyRole.objects.filter(role="provider").select_related("agency", "user").order_by("agency_id", "id")
    for role in roles:
        institution = Institution.objects.filter(agency_id=role.agency_id).first()
        if institution is None:
            institution = Institution.objects.create(
                name=role.agency.name,
                name_search=role.agency.name,
                kind="agency",
                contact_name="",
                contact_email=role.user.email or "",
                county_code="",
                address="",
                class_modes=[],
                status="approved",
                review_note="由既有之課程提供人員權限轉入",
                agency_id=role.agency_id,
                created_at=now,
                reviewed_at=now,
            )
        InstitutionMember.objects.get_or_create(
            institution=institution, user_id=role.user_id, defaults={"role": "admin", "added_at": now}
        )


class Migration(migrations.Migration):
    dependencies = [
        ("hours", "0011_institutions_and_classes"),
        ("identity", "0001_initial"),
    ]

    operations = [migrations.RunPython(forwards, migrations.RunPython.noop)]
