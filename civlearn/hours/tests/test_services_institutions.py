"""學習機關(構) applications: apply, ask for changes, resubmit, approve; members; e-mails over real SMTP."""

from __future__ import annotations

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile

from civlearn.core.models import AuditEvent
from civlearn.hours import jobs
from civlearn.hours.institutions import selectors, services
from civlearn.hours.models import Institution, InstitutionMember
from civlearn.registry.models import Agency
from conftest import message_text

pytestmark = pytest.mark.usefixtures("media_root")
PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"


def application(**overrides):
    data = {
        "name": "台中市立人文學苑",
        "kind": "private",
        "contact_name": "周聯絡",
        "contact_email": "contact@example.org",
        "contact_phone": "04-2222-0000",
        "county_code": "40",
        "address": "臺中市西區民權路 1 號",
        "class_modes": ["2", "3"],
    }
    data.update(overrides)
    return data


def pdf(name="立案證書.pdf", content=PDF):
    return SimpleUploadedFile(name, content, "application/pdf")


def test_private_organisation_applies_is_asked_for_changes_then_approved(
    learner, operator, smtp_server, django_capture_on_commit_callbacks
):
    # given a signed-in person applying for a private organisation
    with django_capture_on_commit_callbacks(execute=True):
        institution = services.institution_apply(actor=learner, data=application(), document=pdf())
    assert (institution.status, institution.kind, institution.class_modes) == ("submitted", "private", [2, 3])
    assert institution.name_search == "臺中市立人文學苑"
    assert list(selectors.review_queue()) == [institution]

    # when an operator asks for a change
    with django_capture_on_commit_callbacks(execute=True):
        services.institution_review(
            actor=operator, institution=institution, decision="changes", note="請補立案證書影本"
        )
    institution.refresh_from_db()
    assert institution.status == "changes"
    assert list(selectors.review_queue()) == []

    # and the applicant resubmits, and the operator approves with a code
    services.institution_resubmit(
        actor=learner, institution=institution, data=application(address="臺中市西區民權路 2 號")
    )
    with django_capture_on_commit_callbacks(execute=True):
        services.institution_review(actor=operator, institution=institution, decision="approve", code="p000000001")

    # then the institution has its code (a new registry agency), the applicant is its administrator and may
    # upload hours as it, and every step mailed the contact and left an audit event
    institution.refresh_from_db()
    assert (institution.status, institution.code, institution.address) == (
        "approved",
        "P000000001",
        "臺中市西區民權路 2 號",
    )
    assert Agency.objects.get(code="P000000001").name == "台中市立人文學苑"
    assert selectors.role_in(learner, institution) == "admin"
    assert list(jobs.upload_institutions(learner).values_list("code", flat=True)) == ["P000000001"]
    mails = smtp_server.wait_for(3)
    assert [m["Subject"].strip() for m in mails] == [
        "學習機關(構)申請已收到：台中市立人文學苑",
        "學習機關(構)申請請補正：台中市立人文學苑",
        "學習機關(構)申請已核准：台中市立人文學苑",
    ]
    assert {m["To"] for m in mails} == {"contact@example.org"}
    assert "請補立案證書影本" in message_text(mails[1])
    assert "代碼 P000000001" in message_text(mails[2])
    assert all(m.get_body(preferencelist=("html",)) is not None for m in mails)  # both parts (core.mail)
    assert list(
        AuditEvent.objects.filter(subject_type="hours.institution").order_by("id").values_list("action", flat=True)
    ) == [
        "hours.institution_apply",
        "hours.institution_review",
        "hours.institution_resubmit",
        "hours.institution_review",
    ]


@pytest.mark.parametrize(
    ("overrides", "document", "errors"),
    [
        ({"name": "", "kind": "shop"}, pdf(), {"name": ["請輸入機關(構)名稱"], "kind": ["請選擇機關(構)類型"]}),
        (
            {"contact_email": "not-mail", "county_code": "99"},
            pdf(),
            {"contact_email": ["請輸入正確的電子郵件地址"], "county_code": ["請選擇所在縣市"]},
        ),
        ({"class_modes": []}, pdf(), {"class_modes": ["請勾選開設課程類型（至少一項）"]}),
        ({}, None, {"document": ["請上傳證明文件（立案或設立證明）"]}),
        ({}, pdf("證明.exe"), {"document": ["證明文件限 PDF、PNG 或 JPG 檔"]}),
        ({}, pdf("證明.pdf", b"MZ\x90\x00 not a pdf"), {"document": ["證明文件的內容不是 PDF 檔，請確認檔案"]}),
        ({}, pdf("大.pdf", PDF + b"0" * (5 * 1024 * 1024)), {"document": ["證明文件不可超過 5 MB"]}),
        ({"name": "=HYPERLINK(1)"}, pdf(), {"name": ["機關(構)名稱不可以 =、+、-、@ 開頭"]}),
    ],
)
def test_a_bad_application_is_refused_with_every_reason_and_nothing_is_stored(learner, overrides, document, errors):
    with pytest.raises(ValidationError) as caught:
        services.institution_apply(actor=learner, data=application(**overrides), document=document)
    assert caught.value.message_dict == errors
    assert not Institution.objects.exists()
    assert not AuditEvent.objects.exists()


def test_only_operators_review_and_only_queued_applications(learner, operator, hr_officer):
    institution = services.institution_apply(actor=learner, data=application(), document=pdf())
    with pytest.raises(PermissionDenied):
        services.institution_review(actor=hr_officer, institution=institution, decision="approve", code="P000000001")
    with pytest.raises(ValidationError) as caught:
        services.institution_review(actor=operator, institution=institution, decision="refuse", note="")
    assert caught.value.message_dict == {"note": ["請說明需補正的內容或不予核准的理由"]}
    with pytest.raises(ValidationError) as caught:
        services.institution_review(actor=operator, institution=institution, decision="approve", code="bad")
    assert caught.value.message_dict == {"code": ["機關代碼應為 10 碼英數字（大寫）"]}
    services.institution_review(actor=operator, institution=institution, decision="refuse", note="非訓練機構")
    with pytest.raises(ValidationError) as caught:
        services.institution_review(actor=operator, institution=institution, decision="approve", code="P000000001")
    assert caught.value.message_dict == {"decision": ["此申請目前為「不予核准」，不在審核佇列中"]}
    institution.refresh_from_db()
    assert (institution.status, institution.agency_id) == ("refused", None)
    assert not Agency.objects.filter(code="P000000001").exists()


def test_the_administrator_adds_staff_and_staff_cannot_add_anyone(learner, operator, hr_officer, second_person):
    from conftest import make_account

    institution = services.institution_apply(actor=learner, data=application(), document=pdf())
    services.institution_review(actor=operator, institution=institution, decision="approve", code="P000000001")
    staff_member = services.member_add(actor=learner, institution=institution, login="B220000019", role="staff")
    assert (staff_member.user, selectors.role_in(hr_officer, institution)) == (hr_officer, "staff")
    other = make_account(second_person)
    with pytest.raises(PermissionDenied):
        services.member_add(actor=hr_officer, institution=institution, login=second_person.national_id, role="staff")
    with pytest.raises(ValidationError) as caught:
        services.member_add(actor=learner, institution=institution, login="B220000019", role="staff")
    assert caught.value.message_dict == {"login": ["林人事 已是本機關(構)人員"]}
    with pytest.raises(ValidationError) as caught:
        services.member_add(actor=learner, institution=institution, login="Z999999999", role="staff")
    assert caught.value.message_dict == {"login": ["找不到此帳號（請輸入身分證字號或自訂帳號）"]}
    admin = InstitutionMember.objects.get(user=learner)
    with pytest.raises(ValidationError) as caught:
        services.member_remove(actor=learner, member=admin)
    assert caught.value.message_dict == {"member": ["不能移除唯一的機關(構)管理者"]}
    assert selectors.role_in(other, institution) is None
    assert InstitutionMember.objects.count() == 2


def test_provider_roles_map_onto_institutions_and_uploads_keep_their_agency(provider, agency):
    """The data migration (0012), run on a database that has a provider role: the agency becomes an approved
    institution with that provider as its administrator, and the upload rights are the same agency as before."""
    import importlib

    from django.apps import apps

    before = list(jobs.upload_institutions(provider))
    migration = importlib.import_module("civlearn.hours.migrations.0012_institutions_from_provider_roles")
    migration.forwards(apps, None)
    migration.forwards(apps, None)  # twice: no duplicate

    institution = Institution.objects.get()
    assert (institution.status, institution.agency, institution.name) == ("approved", agency, "國立臺中科技大學")
    assert selectors.role_in(provider, institution) == "admin"
    assert InstitutionMember.objects.count() == 1
    assert list(jobs.upload_institutions(provider)) == before == [agency]
