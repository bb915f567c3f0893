"""The platform's own systems as first-party connected systems (連結系統): e等公務園+ and the hours portal.

Both are served by this site and share the eCPA session, so their entries lead straight to their paths; they are
registered applications so an operator can list, order or hide them like any other system.
"""

from django.db import migrations

FIRST_PARTY = [
    # (name, code, group, entry path, description, order)
    ("e等公務園+學習平臺", "DL1", "非人事總處機關及系統", "/elearn/", "數位學習課程、學習紀錄與證書", 10),
    ("公務人員終身學習入口網站", "LL1", "人事總處系統", "/lifelong/", "終身學習時數查詢、下載與列印", 10),
]


def add(apps, schema_editor):
    Application = apps.get_model("oauth2_provider", "Application")
    RelyingParty = apps.get_model("identity", "RelyingParty")
    for name, code, group, path, description, order in FIRST_PARTY:
        if RelyingParty.objects.filter(entry_url=path).exists():
            continue
        application = Application.objects.create(
            name=name,
            client_type="confidential",
            authorization_grant_type="authorization-code",
            redirect_uris="",
            skip_authorization=True,
            algorithm="RS256",
        )
        RelyingParty.objects.create(
            application=application,
            first_party=True,
            listed=True,
            group=group,
            code=code,
            entry_url=path,
            description=description,
            order=order,
            allowed_scopes="openid profile email agency",
        )


def remove(apps, schema_editor):
    RelyingParty = apps.get_model("identity", "RelyingParty")
    Application = apps.get_model("oauth2_provider", "Application")
    paths = [row[3] for row in FIRST_PARTY]
    ids = list(
        RelyingParty.objects.filter(entry_url__in=paths, first_party=True).values_list("application_id", flat=True)
    )
    Application.objects.filter(pk__in=ids).delete()


class Migration(migrations.Migration):
    dependencies = [
        ("identity", "0004_sso"),
        ("oauth2_provider", "0022_refreshtoken_token_family_index"),
    ]

    operations = [migrations.RunPython(add, remove)]
