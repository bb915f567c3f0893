"""個人專區 services: goals across week/month/year boundaries (Asia/Taipei, Monday first), points and levels,
package progress and visibility, profile and photo."""

from __future__ import annotations

import datetime as dt
import io
import re
import struct
import zlib
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from PIL import Image

from civlearn.core import clock
from civlearn.core.models import AuditEvent
from civlearn.learning.catalogue.services import enrol
from civlearn.learning.completion.services import completion_evaluate
from civlearn.learning.home import goals, packages, points, profile
from civlearn.learning.models import CoursePackage, Enrolment, LearningGoal, MemberProfile

from .conftest import make_course

TAIPEI = ZoneInfo("Asia/Taipei")


def taipei(*args) -> dt.datetime:
    return dt.datetime(*args, tzinfo=TAIPEI)


def move_clock_to(moment: dt.datetime) -> None:
    clock.advance(moment - clock.now())


def completed(user, course, *, at: dt.datetime | None = None, reading_minutes: int | None = None) -> Enrolment:
    enrolment = enrol(user=user, course=course)
    minutes = course.required_reading_minutes if reading_minutes is None else reading_minutes
    Enrolment.objects.filter(pk=enrolment.pk).update(reading_ms=minutes * 60_000)
    assert completion_evaluate(enrolment=enrolment)
    if at is not None:
        Enrolment.objects.filter(pk=enrolment.pk).update(completed_at=at)
    enrolment.refresh_from_db()
    return enrolment


# --- goals ---------------------------------------------------------------------------------------------------


def test_a_week_starts_on_monday_and_a_month_and_year_end_where_the_calendar_says():
    sunday = dt.date(2026, 3, 1)
    assert goals.period_bounds("week", sunday) == (dt.date(2026, 2, 23), dt.date(2026, 3, 2))
    assert goals.period_bounds("week", dt.date(2026, 3, 2)) == (dt.date(2026, 3, 2), dt.date(2026, 3, 9))
    assert goals.period_bounds("month", dt.date(2024, 2, 29)) == (dt.date(2024, 2, 1), dt.date(2024, 3, 1))
    assert goals.period_bounds("month", dt.date(2026, 12, 31)) == (dt.date(2026, 12, 1), dt.date(2027, 1, 1))
    assert goals.period_bounds("year", dt.date(2026, 12, 31)) == (dt.date(2026, 1, 1), dt.date(2027, 1, 1))


def test_goals_count_completions_by_taipei_time_not_utc(consenting_learner, agency):
    # given a course completed on Monday 2 March 2026 at 00:30 in Taipei (Sunday 16:30 UTC) and one the Sunday before
    monday_course = make_course(agency, code="G-1", certified_hours=Decimal("1.5"))
    sunday_course = make_course(agency, code="G-2", certified_hours=Decimal("2.0"))
    completed(consenting_learner, monday_course, at=taipei(2026, 3, 2, 0, 30))
    completed(consenting_learner, sunday_course, at=taipei(2026, 3, 1, 23, 59))
    goals.goals_set(
        user=consenting_learner,
        actor=consenting_learner,
        goals={"week": Decimal("1"), "month": Decimal("4"), "year": Decimal("20")},
    )
    # when the learner looks on Wednesday 4 March
    move_clock_to(taipei(2026, 3, 4, 10, 0))
    progress = {g.period: (g.done, g.target, g.met) for g in goals.goals_progress(user=consenting_learner)}
    # then the week holds only Monday's course, the month both (1 March is March in Taipei), the year both
    assert progress == {
        "week": (Decimal("1.5"), Decimal("1"), True),
        "month": (Decimal("3.5"), Decimal("4"), False),
        "year": (Decimal("3.5"), Decimal("20"), False),
    }


def test_goals_reset_when_the_week_month_and_year_turn(consenting_learner, agency):
    course = make_course(agency, code="G-3", certified_hours=Decimal("2.0"))
    completed(consenting_learner, course, at=taipei(2026, 12, 31, 23, 0))
    move_clock_to(taipei(2026, 12, 31, 23, 30))
    assert [g.done for g in goals.goals_progress(user=consenting_learner)] == [Decimal("2.0")] * 3
    # one hour later it is Friday 1 January 2027: same week (Monday 28 December), new month and new year
    move_clock_to(taipei(2027, 1, 1, 0, 30))
    assert [g.done for g in goals.goals_progress(user=consenting_learner)] == [Decimal("2.0"), 0, 0]
    move_clock_to(taipei(2027, 1, 4, 0, 0))
    assert [g.done for g in goals.goals_progress(user=consenting_learner)] == [0, 0, 0]


def test_setting_goals_is_audited_and_an_empty_goal_removes_it(learner):
    goals.goals_set(user=learner, actor=learner, goals={"week": Decimal("1"), "month": None, "year": Decimal("20")})
    assert dict(LearningGoal.objects.filter(user=learner).values_list("period", "hours")) == {
        "week": Decimal("1.0"),
        "year": Decimal("20.0"),
    }
    goals.goals_set(user=learner, actor=learner, goals={"week": None, "month": None, "year": Decimal("20")})
    assert list(LearningGoal.objects.filter(user=learner).values_list("period", flat=True)) == ["year"]
    events = list(
        AuditEvent.objects.filter(action="learning.goals_set").order_by("pk").values_list("changes", flat=True)
    )
    assert events == [{"week": [None, "1"], "year": [None, "20"]}, {"week": ["1.0", None]}]


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("abc", "週目標：請輸入數字（小時）"),
        ("0.2", "週目標：至少 0.5 小時"),
        ("1.25", "週目標：最多一位小數"),
        ("NaN", "週目標：至少 0.5 小時"),
    ],
)
def test_a_bad_goal_is_refused_with_the_field_named(text, message):
    with pytest.raises(goals.GoalError) as refused:
        goals.parse_goal_hours(text, label="週目標")
    assert str(refused.value) == message


def test_a_goal_over_the_hours_in_a_week_is_refused_and_nothing_changes(learner):
    goals.goals_set(user=learner, actor=learner, goals={"month": Decimal("4")})
    with pytest.raises(goals.GoalError) as refused:
        goals.goals_set(user=learner, actor=learner, goals={"month": Decimal("8"), "week": Decimal("169")})
    assert str(refused.value) == "週目標：不可超過 168 小時"
    assert dict(LearningGoal.objects.filter(user=learner).values_list("period", "hours")) == {"month": Decimal("4.0")}


# --- points and levels ---------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("points_", "level"), [(0, 1), (59, 1), (60, 2), (149, 2), (150, 3), (499, 4), (630, 5), (2999, 9), (3000, 10)]
)
def test_levels_follow_the_documented_thresholds(points_, level):
    assert points.level_for(points_) == level


def test_points_are_full_minutes_per_enrolment_plus_twenty_per_completion(consenting_learner, agency):
    # given one completed course read for 10 minutes and one unfinished read for 59.9 minutes
    completed(consenting_learner, make_course(agency, code="P-1"))
    unfinished = enrol(user=consenting_learner, course=make_course(agency, code="P-2", required_reading_minutes=120))
    Enrolment.objects.filter(pk=unfinished.pk).update(reading_ms=59 * 60_000 + 59_999)
    # then points = 10 + 59 + 20
    standing = points.standing_of(user=consenting_learner)
    assert (standing.points, standing.level, standing.next_level_at, standing.to_next_level) == (89, 2, 150, 61)
    # and the header badge's one-query sum agrees
    assert points.badge_of(user=consenting_learner) == ("", standing)


def test_a_new_learner_is_level_one_with_no_points(learner):
    standing = points.standing_of(user=learner)
    assert (standing.points, standing.level, standing.to_next_level) == (0, 1, 60)


# --- packages ------------------------------------------------------------------------------------------------


def test_package_progress_counts_courses_and_category_hours_and_says_what_is_left(consenting_learner, agency, operator):
    env = make_course(agency, code="K-ENV", title="環境教育：海洋", category_code="339", certified_hours=Decimal("2"))
    policy = make_course(agency, code="K-POL", title="當前重大政策", category_code="1", certified_hours=Decimal("1"))
    package = packages.package_save(
        actor=operator,
        agency=None,
        title="公務人員10小時課程",
        course_codes=["K-POL"],
        category_codes="337",
        category_hours=Decimal("4"),
    )
    [before] = packages.package_progress(user=consenting_learner, packages=[package])
    assert (before.percent, before.left) == (0, ["課程「當前重大政策」", "類別 337 尚缺 4 小時"])
    # when the learner completes the environmental course (339 is under 337)
    completed(consenting_learner, env)
    [middle] = packages.package_progress(user=consenting_learner, packages=[package])
    assert (middle.percent, middle.category_hours_done, middle.left) == (
        25,
        Decimal("2"),
        ["課程「當前重大政策」", "類別 337 尚缺 2 小時"],
    )
    completed(consenting_learner, policy)
    [after] = packages.package_progress(user=consenting_learner, packages=[package])
    assert (after.percent, after.complete) == (75, False)


def test_an_agency_package_shows_to_its_staff_and_sub_agencies_for_the_identity_type_named(
    learner, agency, other_agency, sub_agency, hr_officer, other_hr_officer
):
    from conftest import make_account, make_person

    course = make_course(agency, code="K-1")
    staff = packages.package_save(actor=hr_officer, agency=agency, title="行政人員套裝課程", course_codes=["K-1"])
    teachers = packages.package_save(
        actor=hr_officer, agency=agency, title="教師套裝課程", course_codes=["K-1"], identity_type="教師"
    )
    packages.package_save(actor=other_hr_officer, agency=other_agency, title="臺北市套裝", course_codes=["K-1"])
    assert [p.title for p in packages.packages_for(user=learner)] == ["行政人員套裝課程"]
    teacher = make_account(make_person(sub_agency, "B123456780", "林老師", identity_type="教師"))
    assert [p.title for p in packages.packages_for(user=teacher)] == ["教師套裝課程", "行政人員套裝課程"]
    assert staff.courses.get() == teachers.courses.get() == course


def test_a_package_an_hr_office_defines_shows_to_its_sub_agencies_staff_on_the_next_read_and_to_no_one_else(
    learner, agency, other_agency, sub_agency, hr_officer, operator
):
    from conftest import make_account, make_person

    make_course(agency, code="K-1")
    staff = make_account(make_person(sub_agency, "B123456780", "林專員"))
    elsewhere = make_account(make_person(other_agency, "C123456781", "張專員"))
    # Given every agency's staff read (and cached) their packages while only operators had defined some
    packages.package_save(actor=operator, agency=None, title="全體套裝", course_codes=["K-1"])
    assert [p.title for p in packages.packages_for(user=staff)] == ["全體套裝"]
    assert [p.title for p in packages.packages_for(user=elsewhere)] == ["全體套裝"]

    # When the parent agency's HR office defines one
    packages.package_save(actor=hr_officer, agency=agency, title="行政人員套裝課程", course_codes=["K-1"])

    # Then its sub-agency's staff see it at once, other agencies' staff do not
    assert [p.title for p in packages.packages_for(user=staff)] == ["全體套裝", "行政人員套裝課程"]
    assert [p.title for p in packages.packages_for(user=elsewhere)] == ["全體套裝"]


def test_an_hr_officer_cannot_define_a_package_for_another_agency_and_nothing_is_saved(
    agency, other_agency, other_hr_officer, learner
):
    make_course(agency, code="K-2")
    with pytest.raises(packages.PackageError) as refused:
        packages.package_save(actor=other_hr_officer, agency=agency, title="偷渡", course_codes=["K-2"])
    assert str(refused.value) == "您沒有管理此機關套裝課程的權限"
    with pytest.raises(packages.PackageError) as refused:
        packages.package_save(actor=learner, agency=None, title="全體", course_codes=["K-2"])
    assert str(refused.value) == "您沒有管理此機關套裝課程的權限"
    assert not CoursePackage.objects.exists()


def test_an_unknown_course_code_is_named_and_nothing_is_saved(operator, agency):
    make_course(agency, code="K-3")
    with pytest.raises(packages.PackageError) as refused:
        packages.package_save(actor=operator, agency=None, title="套裝", course_codes=["K-3", "NOPE-1"])
    assert str(refused.value) == "課程代碼：找不到 NOPE-1"
    assert not CoursePackage.objects.exists()


# --- profile -------------------------------------------------------------------------------------------------


def test_the_platform_id_is_a_letter_and_ten_digits_issued_once(learner):
    first = profile.profile_get_or_create(user=learner)
    again = profile.profile_get_or_create(user=learner)
    assert re.fullmatch(r"[A-Z]\d{10}", first.platform_id)
    assert again.platform_id == first.platform_id
    assert first.contact_email == learner.email
    assert AuditEvent.objects.filter(action="learning.profile_created").count() == 1


def test_a_profile_update_saves_the_editable_fields_and_audits_old_and_new(learner):
    profile.profile_get_or_create(user=learner)
    profile.profile_update(
        user=learner,
        actor=learner,
        values={"nickname": "枚枚", "contact_email": "mei@example.org", "teacher_network": True},
    )
    saved = MemberProfile.objects.get(user=learner)
    assert (saved.nickname, saved.contact_email, saved.teacher_network) == ("枚枚", "mei@example.org", True)
    event = AuditEvent.objects.get(action="learning.profile_updated")
    assert event.changes == {
        "nickname": ["", "枚枚"],
        "contact_email": [learner.email, "mei@example.org"],
        "teacher_network": [False, True],
    }


def test_a_profile_update_without_an_email_or_of_someone_else_changes_nothing(learner, hr_officer):
    before = profile.profile_get_or_create(user=learner)
    with pytest.raises(profile.ProfileError) as refused:
        profile.profile_update(user=learner, actor=learner, values={"nickname": "x", "contact_email": " "})
    assert str(refused.value) == "電子郵件：請填寫電子郵件"
    with pytest.raises(profile.ProfileError) as refused:
        profile.profile_update(user=learner, actor=hr_officer, values={"nickname": "x", "contact_email": "a@b.tw"})
    assert str(refused.value) == "只能修改自己的個人資料"
    after = MemberProfile.objects.get(user=learner)
    assert (after.nickname, after.contact_email) == (before.nickname, before.contact_email)
    assert not AuditEvent.objects.filter(action="learning.profile_updated").exists()


def image_upload(fmt="PNG", size=(800, 600), name="me.png") -> SimpleUploadedFile:
    buffer = io.BytesIO()
    Image.new("RGB", size, (200, 30, 30)).save(buffer, format=fmt)
    return SimpleUploadedFile(name, buffer.getvalue(), content_type="image/png")


def png_header(width: int, height: int) -> bytes:
    """A PNG that claims `width` × `height` pixels in a few dozen bytes (header and end only)."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", zlib.compress(b"")) + chunk(b"IEND", b"")


def test_a_photo_is_re_encoded_as_a_small_png(learner):
    profile.photo_set(user=learner, actor=learner, upload=image_upload("JPEG", name="me.jpg"))
    stored = bytes(MemberProfile.objects.get(user=learner).photo_png)
    with Image.open(io.BytesIO(stored)) as image:
        assert (image.format, image.size) == ("PNG", (256, 192))


@pytest.mark.parametrize(
    ("upload", "message"),
    [
        (SimpleUploadedFile("x.png", b"<svg onload=alert(1)>", content_type="image/png"), "個人照片：無法辨識的圖片檔"),
        (SimpleUploadedFile("big.png", b"0" * (2 * 1024 * 1024 + 1)), "個人照片：檔案不可超過 2 MB"),
        ("bmp", "個人照片：請上傳 JPEG、PNG、GIF 或 WebP 圖片"),
        ("huge", "個人照片：圖片尺寸過大（最多 4,000 萬像素，例如 6000 × 6000），請縮小後再上傳"),
        ("large", "個人照片：圖片尺寸過大（最多 4,000 萬像素，例如 6000 × 6000），請縮小後再上傳"),
    ],
)
def test_a_bad_photo_is_refused_and_the_old_one_is_kept(learner, upload, message):
    profile.photo_set(user=learner, actor=learner, upload=image_upload())
    before = bytes(MemberProfile.objects.get(user=learner).photo_png)
    if upload == "bmp":
        upload = image_upload("BMP", name="x.bmp")
    elif upload == "huge":
        upload = SimpleUploadedFile("huge.png", png_header(20000, 20000), content_type="image/png")
    elif upload == "large":
        upload = SimpleUploadedFile("large.png", png_header(7000, 7000), content_type="image/png")
    with pytest.raises(profile.ProfileError) as refused:
        profile.photo_set(user=learner, actor=learner, upload=upload)
    assert str(refused.value) == message
    assert bytes(MemberProfile.objects.get(user=learner).photo_png) == before
