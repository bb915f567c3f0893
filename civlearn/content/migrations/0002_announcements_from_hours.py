"""The portal's 重要訊息 (hours.Announcement) become announcements of the one model for the three faces: every row
copied with its dates, flags and author, shown on the portal as before and — as they were public notices — on the
other two faces too; everyone is the audience. hours 0011 then drops the old table."""

from django.db import migrations


def copy_from_hours(apps, schema_editor):
    Old = apps.get_model("hours", "Announcement")
    New = apps.get_model("content", "Announcement")
    New.objects.bulk_create(
        [
            New(
                title=old.title,
                body=old.body,
                link=old.link,
                published_on=old.published_on,
                show_until=old.show_until,
                is_published=old.is_published,
                pinned=old.pinned,
                created_by_id=old.created_by_id,
                on_ecpa=True,
                on_elearn=True,
                on_lifelong=True,
                audience="all",
            )
            for old in Old.objects.order_by("id")
        ]
    )


def copy_back(apps, schema_editor):
    Old = apps.get_model("hours", "Announcement")
    New = apps.get_model("content", "Announcement")
    Old.objects.bulk_create(
        [
            Old(
                title=new.title,
                body=new.body,
                link=new.link,
                published_on=new.published_on,
                show_until=new.show_until,
                is_published=new.is_published,
                pinned=new.pinned,
                created_by_id=new.created_by_id,
            )
            for new in New.objects.filter(on_lifelong=True).order_by("id")
        ]
    )


class Migration(migrations.Migration):
    dependencies = [
        ("content", "0001_initial"),
        ("hours", "0010_import_job_running_index"),
    ]

    operations = [migrations.RunPython(copy_from_hours, copy_back)]
