"""The portal's 網站宗旨 and 本系統使用對象 become operator-edited help pages (section "site") with stable slugs,
seeded with the text the front page showed until now. A slug already taken is left alone; undoing keeps the pages
(operators may have edited them)."""

from django.db import migrations, models

PAGES = [
    (
        "purpose",
        "網站宗旨",
        1,
        "公務人員終身學習入口網站記錄每位公務人員經認證之終身學習時數，依年度與課程類別統計，"
        "並對照每年應完成之學習時數規定，協助公務人員規劃個人學習，並協助機關人事單位掌握所屬人員之學習情形。\n\n"
        "- 整合數位學習（e等公務園+）與實體課程之學習時數\n"
        "- 學習資訊中心：查詢及報名各學習機關(構)開設之課程\n"
        "- 學習機關(構)專區：學習機關(構)開班及上傳學習時數\n",
    ),
    (
        "audience",
        "本系統使用對象",
        2,
        "- **公務人員**：查詢個人學習時數、報名課程、訂閱行事曆。\n"
        "- **學習機關(構)**：申請成為學習機關(構)、開班、上傳學習時數。\n"
        "- **機關人事單位**：查詢所屬人員學習情形、審核所屬人員之課程報名。\n",
    ),
]


def seed(apps, schema_editor):
    HelpPage = apps.get_model("content", "HelpPage")
    for slug, title, order, body in PAGES:
        if not HelpPage.objects.filter(slug=slug).exists():
            HelpPage.objects.create(slug=slug, section="site", title=title, body=body, order=order, search_text="")


class Migration(migrations.Migration):
    dependencies = [
        ("content", "0002_announcements_from_hours"),
    ]

    operations = [
        migrations.AlterField(
            model_name="helppage",
            name="section",
            field=models.CharField(
                choices=[("guide", "簡易操作"), ("faq", "常見問題"), ("signin", "登入說明"), ("site", "終身學習入口網站頁面")],
                default="guide",
                max_length=10,
                verbose_name="類別",
            ),
        ),
        migrations.RunPython(seed, migrations.RunPython.noop),
    ]
