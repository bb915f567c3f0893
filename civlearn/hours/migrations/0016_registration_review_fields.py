"""Registration's HR decision uses the review fields it shares with Institution (`models.review.Reviewed`):
hr_decided_by → reviewed_by, hr_reason → review_note (text), and reviewed_at (when the HR office decided; empty for
the decisions made before). Renames keep every value."""

import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("hours", "0015_institution_member_name"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.RenameField(model_name="registration", old_name="hr_decided_by", new_name="reviewed_by"),
        migrations.RenameField(model_name="registration", old_name="hr_reason", new_name="review_note"),
        migrations.AlterField(
            model_name="registration",
            name="reviewed_by",
            field=models.ForeignKey(
                blank=True,
                null=True,
                on_delete=django.db.models.deletion.SET_NULL,
                related_name="+",
                to=settings.AUTH_USER_MODEL,
                verbose_name="審核者",
            ),
        ),
        migrations.AlterField(
            model_name="registration",
            name="review_note",
            field=models.TextField(blank=True, verbose_name="審核意見"),
        ),
        migrations.AddField(
            model_name="registration",
            name="reviewed_at",
            field=models.DateTimeField(blank=True, null=True, verbose_name="審核時間"),
        ),
    ]
