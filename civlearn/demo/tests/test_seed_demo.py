import io

from django.contrib.auth import authenticate
from django.core.management import call_command

from civlearn.core import national_id, rocdate
from civlearn.demo import registry as demo
from civlearn.demo.management.commands.seed_demo import SEEDERS
from civlearn.identity.models import AgencyRole, PasswordHistory, User
from civlearn.identity.passwords import password_expired, password_problems
from civlearn.registry.models import Agency, Person


def everything():
    return (
        list(Agency.objects.order_by("code").values()),
        list(Person.objects.order_by("national_id").values()),
        list(User.objects.order_by("pk").values()),
        list(AgencyRole.objects.order_by("pk").values()),
        PasswordHistory.objects.count(),
    )


def seed() -> str:
    out = io.StringIO()
    call_command("seed_demo", stdout=out)
    return out.getvalue()


def test_running_twice_changes_nothing(db):
    assert seed() == f"示範資料已就緒（{len(SEEDERS)} 組）\n"
    first = everything()

    seed()

    assert everything() == first
    agencies, persons, users, roles, history = first
    assert (len(agencies), len(persons), len(users), len(roles), history) == (8, 20, 3, 1, 3)


def test_demo_data_has_the_manuals_agencies_and_valid_ids(db):
    seed()

    assert Agency.objects.get(code="A09600000Q").name == "國立臺中科技大學"
    assert Agency.objects.get(code="379000000A").name == "臺北市政府"
    assert Agency.objects.filter(parent__code="A09600000Q").count() == 2
    ids = list(Person.objects.values_list("national_id", flat=True))
    assert len(set(ids)) == 20
    assert all(national_id.kind_of(value) == "national" for value in ids)


def test_the_demo_accounts_sign_in(db):
    seed()

    by_id = authenticate(username="A123456789", password=demo.LEARNER_PASSWORD)
    by_name = authenticate(username="demo01", password=demo.LEARNER_PASSWORD)
    hr = authenticate(username="hr01", password=demo.HR_PASSWORD)
    admin = authenticate(username="admin", password=demo.ADMIN_PASSWORD)

    assert by_id is not None and by_id == by_name
    assert by_id.person.name == "王小明"
    assert not password_expired(by_id)
    assert hr.agency_roles.get().agency.code == "A09600000Q"
    assert admin.is_superuser and admin.is_staff
    assert authenticate(username="demo01", password="wrong") is None


def test_demo_passwords_meet_the_ecpa_policy():
    for password in (demo.LEARNER_PASSWORD, demo.HR_PASSWORD, demo.ADMIN_PASSWORD):
        assert password_problems(password, user=None) == []


def test_the_person_for_the_first_signin_has_no_account_and_an_email(db):
    seed()
    row = demo.person_rows()[demo.NEW_PERSON_INDEX]

    person = Person.objects.get(national_id=row["national_id"])

    assert not User.objects.filter(person=person).exists()
    assert person.email == "person01@example.tw"


def test_print_signins_lists_the_accounts_and_writes_nothing(db):
    out = io.StringIO()

    call_command("seed_demo", "--print-signins", stdout=out)

    text = out.getvalue()
    row = demo.person_rows()[demo.NEW_PERSON_INDEX]
    assert f"身分證字號 A123456789 或自訂帳號 demo01，密碼 {demo.LEARNER_PASSWORD}" in text
    assert f"帳號 admin，密碼 {demo.ADMIN_PASSWORD}" in text
    assert f"帳號 hr01，密碼 {demo.HR_PASSWORD}" in text
    assert (
        f"身分證字號 {row['national_id']}，生日 {rocdate.format_compact(row['birthday'])}，"
        f"任現職之實際到職日期 {rocdate.format_compact(row['post_start_date'])}，Email person01@example.tw" in text
    )
    assert Agency.objects.count() == Person.objects.count() == User.objects.count() == 0


def test_a_changed_demo_password_is_put_back(db):
    seed()
    user = User.objects.get(username="demo01")
    user.set_password("Other!2026x")
    user.save()

    seed()

    assert authenticate(username="demo01", password=demo.LEARNER_PASSWORD) is not None


def test_the_demo_has_the_manuals_screens_content(db, media_root):
    from civlearn.content.models import Announcement, Download, HelpPage
    from civlearn.learning.models import CoursePackage, PartnerAgency
    from civlearn.sso.models import ExternalProvider

    seed()
    seed()

    signin_help = list(HelpPage.objects.filter(section="signin").order_by("order").values_list("title", flat=True))
    assert signin_help == [
        "首次登入與瀏覽器設定", "自然人或機關憑證驅動程式", "MAC及Linux跨平台網站元件", "登入說明文件",
        "安裝健保卡元件", "如何使用自然人憑證註冊", "如何使用行動自然人憑證",
    ]  # fmt: skip
    assert Announcement.objects.count() == 3 and Download.objects.count() == 3
    assert Announcement.objects.get(on_signin_page=True).attachments.count() == 1
    assert dict(CoursePackage.objects.values_list("title", "identity_type")) == {
        "公務人員10小時課程": "",
        "科技素養MRT地圖": "",
        "國立臺中科技大學 行政人員套裝課程": "公務人員",
        "國立臺中科技大學 教師套裝課程": "教師",
    }
    assert CoursePackage.objects.get(title="公務人員10小時課程").courses.count() == 5
    assert sorted(PartnerAgency.objects.values_list("agency__code", "status")) == [
        ("379000000A", "approved"), ("A01000000E", "approved"), ("A09600000Q", "pending"), ("A15000000C", "approved")
    ]  # fmt: skip
    stand_in = ExternalProvider.objects.get(slug="myegov")
    assert (stand_in.name, stand_in.national_id_claim) == ("我的E政府（示範：由本平臺模擬）", "national_id")
