"""Re-fold every course's stored search text: 台/臺 and the other variants of core.text now fold alike."""

from django.db import migrations

from civlearn.core.text import search_fold


def refold(apps, schema_editor):
    Course = apps.get_model("learning", "Course")
    changed = []
    for course in Course.objects.select_related("provider_agency").iterator(chunk_size=2000):
        provider = course.provider_agency.name if course.provider_agency_id else ""
        text = search_fold(" ".join([course.title, course.code, course.keywords, course.summary, provider]))
        if text != course.search_text:
            course.search_text = text
            changed.append(course)
    Course.objects.bulk_update(changed, ["search_text"], batch_size=2000)


class Migration(migrations.Migration):
    dependencies = [("learning", "0004_outbound")]

    operations = [migrations.RunPython(refold, migrations.RunPython.noop)]
