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
