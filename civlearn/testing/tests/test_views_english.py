"""English on the eCPA, hours-portal, registry and SSO faces: each key page, rendered for a person who chose English,
shows no Han character outside the data (people's and agencies' names, category labels an operator keeps) — and
the English catalogues leave nothing of the tree untranslated (`makemessages -l en`)."""

from __future__ import annotations

import re
from urllib.parse import urlencode

import polib
import pytest
from django.conf import settings
from oauth2_provider.models import get_application_model

from civlearn.hours.models import CategoryTable
from civlearn.hours.tests.factories import record, record_manual_113
from civlearn.testing.translations import clashing_translations, missing_translations

HAN = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]+")
# What is not page text (scripts, styles, comments), and what is Chinese in every language and says so with
# lang="zh-Hant": the language switch's own name, an exchange format's fixed headers, an e-mail sent in zh-Hant.
UNREAD = re.compile(
    r"<script\b.*?</script>|<style\b.*?</style>|<!--.*?-->|<(\w+)\b[^>]*\blang=\"zh-Hant\"[^>]*>.*?</\1>", re.S
)


def data_strings() -> list[str]:
    """What the database holds and a page shows as it is: names of people and agencies, category labels."""
    from civlearn.hours.models import Category, LedgerEntry, ReportingCategory, RequirementRule
    from civlearn.registry.models import Agency, Person
    from civlearn.sso.models import ExternalProvider, RelyingParty

    strings: list[str] = []
    strings += Person.objects.values_list("name", flat=True)
    strings += Agency.objects.values_list("name", flat=True)
    strings += Category.objects.values_list("name", flat=True)
    strings += CategoryTable.objects.values_list("name", flat=True)
    strings += ReportingCategory.objects.values_list("label", flat=True)
    strings += RequirementRule.objects.values_list("label", flat=True)
    strings += LedgerEntry.objects.values_list("course_name", flat=True)
    # Connected systems: the names and descriptions an operator gives them.
    strings += get_application_model().objects.values_list("name", flat=True)
    strings += RelyingParty.objects.values_list("description", flat=True)
    strings += ExternalProvider.objects.values_list("name", flat=True)
    return sorted({s for s in strings if s}, key=len, reverse=True)


def han_outside_data(html: str) -> list[str]:
    text = UNREAD.sub("", html)
    for value in data_strings():
        text = text.replace(value, "")
    return sorted(set(HAN.findall(text)))


@pytest.fixture
def english(client):
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    return client


def assert_english(client, url: str, status: int = 200) -> None:
    response = client.get(url)
    assert response.status_code == status, url
    assert response["Content-Language"] == "en"
    left = han_outside_data(response.content.decode())
    assert left == [], f"{url} shows Chinese outside the data: {'、'.join(left)}"


ANONYMOUS_PAGES = [
    "/",
    "/ecpa/signin",
    "/ecpa/first-signin",
    "/ecpa/first-signin/email",
    "/ecpa/password/forgot",
    "/lifelong/",
    "/lifelong/announcements/",
]


@pytest.mark.django_db
@pytest.mark.parametrize("url", ANONYMOUS_PAGES)
def test_pages_for_everyone_are_english(english, url):
    assert_english(english, url)


LEARNER_PAGES = [
    "/ecpa/my",
    "/ecpa/my/password",
    "/ecpa/my/signins",
    "/ecpa/my/certificates",
    "/ecpa/my/passkeys",
    "/ecpa/my/systems",
    "/lifelong/folder/",
    "/lifelong/folder/hours/?year=113",
    "/lifelong/folder/hours/print/?year=113",
]


@pytest.mark.django_db
@pytest.mark.parametrize("url", LEARNER_PAGES)
def test_a_learners_pages_are_english(english, learner, learner_person, url):
    record_manual_113(learner_person)
    english.force_login(learner)
    assert_english(english, url)


HR_PAGES = [
    "/lifelong/manage/",
    "/lifelong/manage/?year=113",
    "/lifelong/manage/reminders?year=113",
    "/lifelong/manage/rules/",
    "/registry/import",
]


@pytest.mark.django_db
@pytest.mark.parametrize("url", HR_PAGES)
def test_an_hr_officers_pages_are_english(english, hr_officer, learner_person, url):
    record(learner_person, hours="3", code="510")
    english.force_login(hr_officer)
    assert_english(english, url)


@pytest.fixture
def provider(agency):
    """A course provider of 國立臺中科技大學: uploads hours as that institution."""
    from civlearn.identity.models import AgencyRole
    from conftest import make_account, make_person

    user = make_account(make_person(agency, "C220000001", "張課程", email="course@example.tw"))
    AgencyRole.objects.create(user=user, agency=agency, role=AgencyRole.PROVIDER)
    return user


@pytest.mark.django_db
@pytest.mark.parametrize("url", ["/lifelong/institution/upload", "/lifelong/institution/jobs"])
def test_an_institutions_pages_are_english(english, provider, url):
    english.force_login(provider)
    assert_english(english, url)


@pytest.mark.django_db
def test_an_upload_with_row_errors_and_its_report_are_english(
    english, provider, agency, learner_person, media_root, django_capture_on_commit_callbacks
):
    from django.core.files.uploadedfile import SimpleUploadedFile

    from civlearn.hours.tests.batch_fixtures import csv_file, csv_line

    english.force_login(provider)
    data = csv_file(csv_line(mode="7"), csv_line(national_id="A123456788", actual_end_date="113-02-30"))
    with django_capture_on_commit_callbacks(execute=True):
        response = english.post(
            "/lifelong/institution/upload",
            {"institution": agency.pk, "file": SimpleUploadedFile("hours.csv", data, "text/csv")},
        )

    assert_english(english, response["Location"])
    report = english.get(response["Location"] + "/errors.csv").content.decode("utf-8-sig")
    # The column names are the file's own headers; the rest of the report is English.
    for column in ("學習性質", "身分證字號", "實際上課結束日期"):
        report = report.replace(column, "")
    assert HAN.findall(report) == []


@pytest.mark.django_db
def test_a_registry_import_with_row_errors_is_english(english, hr_officer, agency, media_root):
    from django.core.files.uploadedfile import SimpleUploadedFile
    from django.test import TestCase

    from civlearn.registry.tests.files import PERSON_HEADER, csv_file

    rows = [PERSON_HEADER, ["A123456788", "王小明", "0611301", "Z99999999Z", "1040801", "", "", "x@"]]
    english.force_login(hr_officer)
    with TestCase.captureOnCommitCallbacks(execute=True):
        response = english.post(
            "/registry/import", {"kind": "persons", "file": SimpleUploadedFile("p.csv", csv_file(rows).getvalue())}
        )

    assert_english(english, response["Location"])


@pytest.mark.django_db
def test_a_refused_form_is_english_and_its_title_says_error(english):
    response = english.post("/ecpa/signin", {"login": "", "password": ""})

    html = response.content.decode()
    assert han_outside_data(html) == []
    assert re.search(r"<title>\s*Error: ", html)


@pytest.fixture
def relying_party(monkeypatch):
    """A third-party system that signs people in through eCPA (it gets a consent page); plain HTTP for oauthlib."""
    from civlearn.sso.tests.sso_support import REDIRECT, register_rp

    monkeypatch.setenv("OAUTHLIB_INSECURE_TRANSPORT", "1")
    return register_rp(
        name="臺北市政府差勤系統",
        redirect_uri=REDIRECT,
        scopes="openid profile email agency national_id",
        national_id_allowed=True,
    )


def authorize_url(application, **changes) -> str:
    from civlearn.sso.tests.sso_support import CHALLENGE, REDIRECT

    params = {
        "response_type": "code",
        "client_id": application.client_id,
        "redirect_uri": REDIRECT,
        "scope": "openid profile email agency national_id",
        "state": "s1",
        "nonce": "n1",
        "code_challenge": CHALLENGE,
        "code_challenge_method": "S256",
        **changes,
    }
    return "/o/authorize/?" + urlencode(params)


@pytest.mark.django_db
def test_the_consent_page_and_a_refused_sign_in_request_are_english(english, learner, relying_party):
    english.force_login(learner)

    assert_english(english, authorize_url(relying_party))
    assert_english(english, authorize_url(relying_party, redirect_uri="https://evil.example/callback"), status=400)


@pytest.mark.django_db
def test_the_logout_pages_are_english(english, learner, relying_party):
    english.force_login(learner)

    assert_english(english, "/o/logout/")
    assert_english(english, "/o/logout/?" + urlencode({"client_id": relying_party.client_id}))
    assert_english(english, "/o/logout/?id_token_hint=not-a-token", status=400)


@pytest.mark.django_db
def test_the_external_sign_in_error_pages_are_english(english):
    from civlearn.sso.models import ExternalProvider

    # A provider that cannot be reached (nothing listens on the discard port) and a callback with nothing pending.
    ExternalProvider.objects.create(
        slug="myegov", name="我的E政府", issuer="http://127.0.0.1:9", client_id="myegov", client_secret="s"
    )

    assert_english(english, "/ecpa/external/myegov/start", status=503)
    assert_english(english, "/ecpa/external/myegov/callback?code=x&state=y", status=400)


def test_makemessages_leaves_nothing_untranslated():
    problems = missing_translations()

    assert problems == [], "Untranslated English strings:\n" + "\n".join(str(problem) for problem in problems)


def test_no_two_catalogues_translate_one_string_differently():
    clashes = clashing_translations()

    assert clashes == [], "Strings with different English in different catalogues:\n" + "\n".join(map(str, clashes))


def test_a_clash_names_both_catalogues(tmp_path):
    for app, english in (("hours", "Search"), ("learning", "Show")):
        folder = tmp_path / "civlearn" / app / "locale" / "en" / "LC_MESSAGES"
        folder.mkdir(parents=True)
        catalogue = polib.POFile()
        catalogue.append(polib.POEntry(msgid="查詢", msgstr=english))
        if app == "learning":  # a context is its own key: no clash with the plain msgid
            catalogue.append(polib.POEntry(msgid="查詢", msgctxt="chart", msgstr=english))
        catalogue.append(polib.POEntry(msgid="姓名", msgstr="Name"))
        catalogue.save(str(folder / "django.po"))

    clashes = clashing_translations(tmp_path)

    assert [str(clash) for clash in clashes] == [
        "'查詢': civlearn/hours/locale/en/LC_MESSAGES/django.po:5 says 'Search', "
        "civlearn/learning/locale/en/LC_MESSAGES/django.po:5 says 'Show'"
    ]
