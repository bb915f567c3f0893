"""加盟機關一覽表 and a partner's page: approved agencies with the number of their published courses."""

from __future__ import annotations

from django.db.models import Count, Q

from civlearn.learning.models import Course, PartnerAgency


def partners_listed() -> list[PartnerAgency]:
    return list(
        PartnerAgency.objects.filter(status=PartnerAgency.APPROVED)
        .select_related("agency")
        .annotate(course_count=Count("agency__provided_courses", filter=Q(agency__provided_courses__is_published=True)))
        .order_by("agency__code")
    )


def partner_courses(partner: PartnerAgency) -> list[Course]:
    return list(
        Course.objects.filter(provider_agency=partner.agency, is_published=True).order_by("-production_year", "code")
    )
