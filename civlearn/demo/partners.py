"""Demo 加盟機關 (seed_demo, after the courses): the agencies that provide the demo courses are approved partners;
國立臺中科技大學 has an application waiting for an operator in the admin. Made through the services, so the demo's
audit trail looks like a real one."""

from __future__ import annotations

from civlearn.identity.models import User
from civlearn.learning.models import PartnerAgency
from civlearn.learning.partners import services
from civlearn.registry.models import Agency

APPROVED = {
    "A15000000C": "行政院人事行政總處提供人事法制、政策與公務倫理課程。",
    "A01000000E": "教育部提供環境教育、性別平等與教師研習課程。",
    "379000000A": "臺北市政府提供資通安全與市政課程。",
}
PENDING = {"A09600000Q": "國立臺中科技大學擬提供行政人員與教師的套裝課程。"}


def _apply(agency: Agency, introduction: str, actor: User) -> PartnerAgency:
    return services.partner_apply(
        actor=actor,
        agency=agency,
        introduction=introduction,
        contact_name="示範聯絡人",
        contact_email="partner@example.tw",
        contact_phone="02-2397-9000",
    )


def seed() -> None:
    operator = User.objects.get(username="admin")
    for code, introduction in {**APPROVED, **PENDING}.items():
        agency = Agency.objects.get(code=code)
        partner = PartnerAgency.objects.filter(agency=agency).first() or _apply(agency, introduction, operator)
        if code in APPROVED and partner.status != PartnerAgency.APPROVED:
            services.partner_decide(actor=operator, partner=partner, approve=True, note="示範資料")
