"""Who may register, the 主管 and 官等/職等 rules (from the registry person's 主管/官等/職等, blank = not recorded), the
class file's columns for them, and the classes services speaking English to an English request while notices go
out in the site's language."""

from __future__ import annotations

import pytest
from django.core.exceptions import ValidationError
from django.utils import translation

from civlearn.core.models import AuditEvent
from civlearn.hours.classes import attendance, offerings, registration
from civlearn.hours.models import ClassOffering, Registration
from civlearn.hours.tests.classes_fixtures import approved_institution, at_today, two_code_rows
from conftest import make_account, make_person

ASK_HR = "請洽服務機關人事單位更新人事資料"


@pytest.fixture
def institution(operator):
    from civlearn.registry.models import Agency

    staff = make_account(
        make_person(Agency.objects.create(code="P000000009", name="人文學苑本部"), "E123456783", "周承辦")
    )
    institution = approved_institution(staff)
    institution.staff_user = staff
    return institution


def save(institution, **overrides) -> ClassOffering:
    at_today()
    return offerings.offerings_save(
        actor=institution.staff_user, institution=institution, records=two_code_rows(**overrides)
    ).offerings[0]


def refusal(user, offering) -> str:
    before = (Registration.objects.count(), AuditEvent.objects.count())
    with pytest.raises(ValidationError) as caught:
        registration.register(actor=user, offering=offering)
    assert (Registration.objects.count(), AuditEvent.objects.count()) == before  # nothing changed
    return caught.value.message_dict["registration"][0]


def set_person(user, **fields) -> None:
    for name, value in fields.items():
        setattr(user.person, name, value)
    user.person.save()


def test_supervisor_only_class_takes_supervisors_refuses_others_and_asks_unknown_ones_to_see_hr(institution, learner):
    offering = save(institution, supervisor_only="是")
    assert offering.supervisor_only

    assert learner.person.is_supervisor is None
    assert refusal(learner, offering) == f"本班限主管報名，您的人事資料未記載是否為主管，{ASK_HR}"
    set_person(learner, is_supervisor=False)
    assert refusal(learner, offering) == "本班限主管報名"
    set_person(learner, is_supervisor=True)
    assert registration.register(actor=learner, offering=offering).status == Registration.REGISTERED


@pytest.mark.parametrize(
    ("low", "high", "grade", "rank", "expected"),
    [
        ("6", "9", 7, "junior", ""),
        ("6", "9", 6, "junior", ""),
        ("6", "9", 9, "junior", ""),
        ("6", "9", 5, "elementary", "本班限薦任第6職等至第9職等報名"),
        ("6", "9", 10, "senior", "本班限薦任第6職等至第9職等報名"),
        ("5", "7", 4, "elementary", "本班限委任第5職等至薦任第7職等報名"),
        ("10", "", 9, "junior", "本班限簡任第10職等至第14職等報名"),
        ("10", "", 14, "senior", ""),
        ("", "5", 6, "junior", "本班限委任第1職等至第5職等報名"),
        ("9", "9", 8, "junior", "本班限薦任第9職等報名"),
        ("10", "14", None, "special", "本班限簡任第10職等至第14職等報名"),  # 特任 has no 職等
        ("6", "9", None, "", f"本班限薦任第6職等至第9職等報名，您的人事資料未記載官等職等，{ASK_HR}"),
    ],
)
def test_grade_range_is_checked_against_the_registry_grade(institution, learner, low, high, grade, rank, expected):
    offering = save(institution, rank_grade_min=low, rank_grade_max=high)
    set_person(learner, rank_grade=grade, rank_class=rank)
    assert registration.eligibility_problem(offering=offering, person=learner.person) == expected
    if expected:
        assert refusal(learner, offering) == expected
    else:
        assert registration.register(actor=learner, offering=offering).status == Registration.REGISTERED


def test_class_file_rank_and_supervisor_columns_are_checked_naming_row_and_column(institution):
    at_today()
    rows = [
        (2, two_code_rows()[0][1] | {"class_code": "A", "rank_grade_min": "15"}),
        (3, two_code_rows()[0][1] | {"class_code": "B", "rank_grade_min": "9", "rank_grade_max": "6"}),
        (4, two_code_rows()[0][1] | {"class_code": "C", "supervisor_only": "maybe"}),
        (5, two_code_rows()[0][1] | {"class_code": "D", "rank_grade_max": "七"}),
        (6, two_code_rows()[0][1] | {"class_code": "E", "rank_grade_min": "6", "rank_grade_max": "9"}),
    ]
    with pytest.raises(offerings.OfferingErrors) as caught:
        offerings.offerings_save(actor=institution.staff_user, institution=institution, records=rows)
    assert [str(problem) for problem in caught.value.problems] == [
        "第 2 列「職等下限」（15）：應為 1 至 14 的職等",
        "第 3 列「職等上限」（6）：職等上限不可低於職等下限",
        "第 4 列「限主管」（maybe）：應為 是 或 否",
        "第 5 列「職等上限」（七）：應為 1 至 14 的職等",
    ]
    assert not ClassOffering.objects.exists()  # all or nothing: row 6 was right and is not saved either


def test_offering_form_has_the_supervisor_and_grade_fields(client, institution):
    client.force_login(institution.staff_user)
    page = client.get(f"/lifelong/institutions/{institution.pk}/classes/new").content.decode()
    for name in ("supervisor_only", "rank_grade_min", "rank_grade_max"):
        assert f'name="{name}"' in page


def test_detail_page_states_the_rules(client, institution, learner):
    offering = save(institution, supervisor_only="是", rank_grade_min="6", rank_grade_max="9")
    client.force_login(learner)
    page = client.get(f"/lifelong/classes/{offering.pk}").content.decode()
    assert "限主管" in page and "限薦任第6職等至第9職等" in page
    assert f"本班限主管報名，您的人事資料未記載是否為主管，{ASK_HR}" in page


def test_refusals_and_row_errors_are_in_english_for_an_english_request_and_unchanged_in_chinese(institution, learner):
    offering = save(institution, supervisor_only="是", rank_grade_min="6", rank_grade_max="9")
    set_person(learner, is_supervisor=False)
    with translation.override("en"):
        assert refusal(learner, offering) == "This class is only for supervisors"
        set_person(learner, is_supervisor=True)
        assert refusal(learner, offering) == (
            "This class is only for grades 6 to 9 (junior rank), and your personnel records do not state your rank "
            "and grade. Please ask your agency's HR office to update your personnel records"
        )
        with pytest.raises(ValidationError) as caught:
            attendance.checkin(actor=learner, token="not-a-code")
        assert caught.value.message_dict["checkin"] == [
            "The check-in code is not valid. Please scan the QR code shown at the venue again"
        ]
        with pytest.raises(offerings.OfferingErrors) as errors:
            offerings.offerings_save(
                actor=institution.staff_user,
                institution=institution,
                records=[(2, two_code_rows()[0][1] | {"class_code": "X", "capacity": "0"})],
            )
        assert [str(problem) for problem in errors.value.problems] == [
            "Row 2, column 名額 (0): Capacity must be at least 1"
        ]
    # The same refusals in zh-Hant, word for word as before.
    assert refusal(learner, offering) == f"本班限薦任第6職等至第9職等報名，您的人事資料未記載官等職等，{ASK_HR}"
    with pytest.raises(ValidationError) as caught:
        attendance.checkin(actor=learner, token="not-a-code")
    assert caught.value.message_dict["checkin"] == ["簽到碼不正確，請重新掃描現場顯示的 QR Code"]


def test_notice_goes_out_in_the_site_language_whatever_the_page_language(
    institution, learner, smtp_server, django_capture_on_commit_callbacks
):
    offering = save(institution)
    with translation.override("en"), django_capture_on_commit_callbacks(execute=True):
        registration.register(actor=learner, offering=offering)
    (message,) = smtp_server.wait_for(1)
    assert message["Subject"].strip() == "報名結果：臺中氣候變遷與環境教育研習班（報名成功）"
    body = message.get_body(preferencelist=("plain",)).get_content()
    assert "王小明 您好：" in body
    assert "您報名「臺中氣候變遷與環境教育研習班」（1，115/12/15–115/12/15）的結果：報名成功。" in body


def test_english_notice_text_exists_for_each_message(institution, learner):
    """The notices are translated (for when the registry records a person's language): built under English."""
    offering = save(institution, hr_approval="是")
    mine = registration.register(actor=learner, offering=offering)
    with translation.override("en"):
        subject, body = registration._registered_message(mine)
        assert subject == "Registration result: 臺中氣候變遷與環境教育研習班 (Awaiting HR approval)"
        assert body.startswith("Dear 王小明,\n\n")
        subject, body = registration._promoted_message(mine, offering)
        assert "your agency's HR office still has to approve it" in body
        subject, body = registration._refused_message(mine, offering, "名額已滿")
        assert subject == "HR office did not approve your registration: 臺中氣候變遷與環境教育研習班"
