"""Demo 套裝課程 and learning maps (seed_demo, after the courses), so 個人專區 shows them as the manual does:
公務人員10小時課程 and 科技素養MRT地圖 for everyone, and 國立臺中科技大學's own packages for its 行政人員 and 教師
(an agency-defined package narrowed by 身份別)."""

from __future__ import annotations

from decimal import Decimal

from civlearn.learning.models import Course, CoursePackage
from civlearn.registry.models import Agency

TEN_HOURS = ["DEMO-POL-01", "DEMO-ENV-01", "DEMO-GEN-01", "DEMO-HR-01", "DEMO-NEU-01"]

PACKAGES = [
    # (title, description, agency code, 身份別, course codes, category codes, category hours)
    ("公務人員10小時課程", "每年應完成：當前政府重大政策、環境教育、性別平等、人權教育與行政中立等課程，合計 10 小時。",
     None, "", TEN_HOURS, "", "0"),
    ("科技素養MRT地圖", "像搭捷運一樣依站完成：資通安全通識 → 當前政府重大政策（淨零轉型），走完全線即具備科技素養。",
     None, "", ["DEMO-SEC-01", "DEMO-POL-01"], "", "0"),
    ("國立臺中科技大學 行政人員套裝課程", "本校行政人員年度建議課程。", "A09600000Q", "公務人員",
     ["DEMO-NEU-01", "DEMO-SEC-01"], "", "0"),
    ("國立臺中科技大學 教師套裝課程", "本校教師年度建議課程：環境教育與性別平等。", "A09600000Q", "教師",
     ["DEMO-ENV-01", "DEMO-ENV-02", "DEMO-GEN-01"], "", "0"),
]  # fmt: skip


def seed() -> None:
    for order, (title, description, agency_code, identity_type, codes, categories, hours) in enumerate(PACKAGES):
        agency = Agency.objects.get(code=agency_code) if agency_code else None
        package, _ = CoursePackage.objects.update_or_create(
            title=title,
            defaults={
                "description": description,
                "agency": agency,
                "identity_type": identity_type,
                "category_codes": categories,
                "category_hours": Decimal(hours),
                "order": order,
            },
        )
        wanted = set(Course.objects.filter(code__in=codes).values_list("pk", flat=True))
        if set(package.courses.values_list("pk", flat=True)) != wanted:
            package.courses.set(wanted)
