"""Importing SCORM packages as course units: what is accepted, every refusal with its message, all or nothing,
who may do it, publishing and removing."""

from __future__ import annotations

import io
import random
import zipfile

import pytest

from civlearn.core.models import AuditEvent
from civlearn.learning.models import Sco, ScormPackage, Unit
from civlearn.learning.scorm.package import PackageError
from civlearn.learning.scorm.services import (
    ScormPermissionDenied,
    package_publish,
    package_remove,
    package_upload,
)
from civlearn.learning.tests import scorm_packages as testing

scorm_dir, provider, scorm_course = testing.scorm_dir, testing.provider, testing.scorm_course


def do_upload(actor, course, data: bytes, name="course.zip"):
    return package_upload(actor=actor, course=course, upload=io.BytesIO(data), original_name=name)


def assert_nothing_created(course, scorm_dir):
    assert not Unit.objects.filter(course=course).exists()
    assert not ScormPackage.objects.exists()
    assert not AuditEvent.objects.filter(action__startswith="learning.scorm").exists()
    assert not scorm_dir.exists() or list(scorm_dir.iterdir()) == []


def test_scorm12_package_becomes_a_draft_unit_with_its_sco_and_files(provider, scorm_course, scorm_dir):
    # when a provider of the course's agency uploads a one-SCO 1.2 package
    package = do_upload(provider, scorm_course, testing.package_12(mastery="80"))
    # then a new unit of kind scorm holds a draft package, its SCO and the unpacked files
    unit = package.unit
    assert (unit.course, unit.kind, unit.title, unit.order) == (scorm_course, Unit.SCORM, "測試課程 1.2", 1)
    assert (package.version, package.status, package.file_count, package.original_name) == (
        "1.2",
        "draft",
        2,
        "course.zip",
    )
    [sco] = package.scos.all()
    assert (sco.identifier, sco.launch, sco.mastery_score) == ("item_1", "sco1/index.html", 80)
    assert (scorm_dir / package.storage_key / "sco1" / "index.html").read_text().startswith("<!doctype html>")
    event = AuditEvent.objects.get(action="learning.scorm_uploaded")
    assert (event.actor, event.changes["version"], event.changes["course"]) == (
        provider,
        [None, "1.2"],
        [None, "EL-SCORM-01"],
    )


def test_scorm2004_multi_sco_keeps_the_tree_order(provider, scorm_course, scorm_dir):
    package = do_upload(provider, scorm_course, testing.package_2004(scos=3, edition="4th"))
    assert package.version == "2004-4"
    assert list(package.scos.values_list("identifier", "depth", "launch")) == [
        ("chapter", 0, ""),
        ("item_1", 1, "sco1/index.html"),
        ("item_2", 1, "sco2/index.html"),
        ("item_3", 1, "sco3/index.html"),
    ]


def test_title_given_by_the_provider_wins_and_units_go_last(provider, scorm_course, scorm_dir):
    Unit.objects.create(course=scorm_course, order=5, kind=Unit.PAGE, title="導讀")
    package = package_upload(
        actor=provider,
        course=scorm_course,
        upload=io.BytesIO(testing.package_12()),
        original_name="x.zip",
        title="  第一單元：規則  ",
    )
    assert (package.unit.title, package.unit.order) == ("第一單元：規則", 6)


def zip_of(files):
    return testing.package_with(files)


REFUSALS = [
    (b"not a zip at all", "上傳的檔案不是有效的 ZIP 壓縮檔"),
    (b"", "上傳的檔案是空的"),
    (zip_of({"index.html": "<p>hi</p>"}), "壓縮檔的最上層沒有 imsmanifest.xml，這不是 SCORM 套件"),
    (
        zip_of({"course.crs": "[Course]", "course.au": "x", "course.des": "x", "course.cst": "x", "a/x.html": "x"}),
        "這是 AICC 課程（含「course.au」等 AICC 描述檔），本平臺不支援 AICC；"
        "請由製作工具匯出為 SCORM 1.2 或 SCORM 2004 套件",
    ),
    (
        zip_of({"course/imsmanifest.xml": testing.manifest_12(), "course/sco1/index.html": "x"}),
        "imsmanifest.xml 必須位於壓縮檔的最上層，而不是在「course/imsmanifest.xml」",
    ),
    (
        zip_of({"imsmanifest.xml": "<manifest><organizations>"}),
        "imsmanifest.xml 不是格式正確的 XML（第 1 行第 26 字附近）",
    ),
    (
        zip_of({"imsmanifest.xml": testing.manifest_12(organization=False), "sco1/index.html": "x"}),
        "imsmanifest.xml 沒有任何組織（organization），無法得知課程架構",
    ),
    (
        zip_of(
            {
                "imsmanifest.xml": testing.manifest_12().replace('identifierref="res_1"', 'identifierref="res_9"'),
                "sco1/index.html": "x",
            }
        ),
        "項目「第 1 課」引用的資源「res_9」不存在於 imsmanifest.xml",
    ),
    (zip_of({"imsmanifest.xml": testing.manifest_12()}), "imsmanifest.xml 列出的檔案在壓縮檔中找不到：sco1/index.html"),
    (
        testing.package_with_raw_names(["../../etc/cron.d/evil"]),
        "壓縮檔內的「../../etc/cron.d/evil」含有「../」，超出套件範圍",
    ),
    (testing.package_with_raw_names(["/etc/passwd"]), "壓縮檔內的「/etc/passwd」是絕對路徑，超出套件範圍"),
    (testing.package_with_raw_names(["C:/windows/x.dll"]), "壓縮檔內的「C:/windows/x.dll」是絕對路徑，超出套件範圍"),
    (testing.package_with_raw_names(["sco1\\..\\..\\x"]), "壓縮檔內的「sco1\\..\\..\\x」含有「../」，超出套件範圍"),
    (testing.package_with_symlink(), "壓縮檔內的「sco1/passwd」是符號連結（link），不允許"),
    (testing.package_with_raw_names(["SCO1/INDEX.HTML"]), "壓縮檔內的「SCO1/INDEX.HTML」重複出現"),
]


@pytest.mark.parametrize(("data", "message"), REFUSALS)
def test_refused_packages_say_why_and_leave_nothing(provider, scorm_course, scorm_dir, data, message):
    with pytest.raises(PackageError) as refused:
        do_upload(provider, scorm_course, data)
    assert str(refused.value) == message
    assert_nothing_created(scorm_course, scorm_dir)


def test_more_files_than_the_limit_are_refused(provider, scorm_course, scorm_dir, settings):
    settings.SCORM_MAX_FILES = 3
    data = zip_of({"imsmanifest.xml": testing.manifest_12(), "sco1/index.html": "x", "a.txt": "a", "b.txt": "b"})
    with pytest.raises(PackageError) as refused:
        do_upload(provider, scorm_course, data)
    assert str(refused.value) == "壓縮檔內有 4 個檔案，超過上限 3 個"
    assert_nothing_created(scorm_course, scorm_dir)


def test_archives_expanding_beyond_the_size_limit_are_refused(provider, scorm_course, scorm_dir, settings):
    settings.SCORM_MAX_BYTES = 2 * 1024 * 1024
    data = zip_of(
        {
            "imsmanifest.xml": testing.manifest_12(),
            "sco1/index.html": "x",
            "video.bin": random.Random(1).randbytes(3 * 1024 * 1024),
        }
    )
    with pytest.raises(PackageError) as refused:
        do_upload(provider, scorm_course, data)
    assert str(refused.value) == "壓縮檔解壓縮後共 3 MB，超過上限 2 MB"
    assert_nothing_created(scorm_course, scorm_dir)


def test_a_compression_bomb_is_refused_by_its_ratio(provider, scorm_course, scorm_dir):
    # 20 MB of zeros compresses about a thousandfold
    data = zip_of(
        {"imsmanifest.xml": testing.manifest_12(), "sco1/index.html": "x", "zeros.bin": bytes(20 * 1024 * 1024)}
    )
    with pytest.raises(PackageError) as refused:
        do_upload(provider, scorm_course, data)
    assert str(refused.value) == "壓縮檔內的「zeros.bin」壓縮比超過 100 倍，疑似壓縮炸彈，不予匯入"
    assert_nothing_created(scorm_course, scorm_dir)


def test_an_entry_that_inflates_past_its_declared_size_stops_the_extraction(provider, scorm_course, scorm_dir):
    # given an archive whose central directory understates an entry's size (a lying header)
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_STORED) as archive:
        archive.writestr("imsmanifest.xml", testing.manifest_12())
        archive.writestr("sco1/index.html", "x" * 5000)
    raw = bytearray(buffer.getvalue())
    central = raw.rfind(b"PK\x01\x02")  # the last central directory record: sco1/index.html
    raw[central + 24 : central + 28] = (10).to_bytes(4, "little")  # uncompressed size 5000 → 10
    # when it is uploaded, then it is refused (zipfile's own check or ours) and nothing is left
    with pytest.raises(PackageError) as refused:
        do_upload(provider, scorm_course, bytes(raw))
    assert str(refused.value) in (
        "壓縮檔內的「sco1/index.html」解壓縮後超過宣告的大小，不予匯入",
        "壓縮檔已損毀，無法解壓縮",
    )
    assert_nothing_created(scorm_course, scorm_dir)


def test_someone_without_the_provider_role_is_refused(scorm_course, scorm_dir, learner, other_agency):
    from civlearn.identity.models import AgencyRole

    AgencyRole.objects.create(user=learner, agency=other_agency, role=AgencyRole.PROVIDER)
    with pytest.raises(ScormPermissionDenied) as refused:
        do_upload(learner, scorm_course, testing.package_12())
    assert str(refused.value) == "您不是本課程提供機關的課程提供人員，不能管理本課程的 SCORM 教材"
    assert_nothing_created(scorm_course, scorm_dir)


def test_publish_is_audited_once_and_remove_refuses_published(provider, scorm_course, scorm_dir):
    package = do_upload(provider, scorm_course, testing.package_12())
    package_publish(actor=provider, package=package)
    package_publish(actor=provider, package=package)
    package.refresh_from_db()
    assert package.status == "published" and package.published_at is not None
    assert AuditEvent.objects.filter(action="learning.scorm_published").count() == 1
    with pytest.raises(PackageError) as refused:
        package_remove(actor=provider, package=package)
    assert str(refused.value) == "已發布的 SCORM 教材已有學員紀錄，不能刪除"
    assert ScormPackage.objects.filter(pk=package.pk).exists()


def test_removing_a_draft_deletes_unit_rows_and_files(
    provider, scorm_course, scorm_dir, django_capture_on_commit_callbacks
):
    package = do_upload(provider, scorm_course, testing.package_12())
    folder = scorm_dir / package.storage_key
    # the files go once the transaction commits
    with django_capture_on_commit_callbacks(execute=True):
        package_remove(actor=provider, package=package)
    assert not Unit.objects.filter(course=scorm_course).exists()
    assert not Sco.objects.exists()
    assert not folder.exists()
    assert AuditEvent.objects.filter(action="learning.scorm_removed").count() == 1


@pytest.mark.parametrize("value", ["", "."])
def test_an_empty_scorm_root_setting_falls_back_to_var(settings, value):
    from civlearn.learning.scorm.package import scorm_root

    settings.SCORM_ROOT = value
    assert scorm_root() == settings.VAR_DIR / "scorm"
