import datetime as dt

import pytest
from django.core.exceptions import PermissionDenied
from django.db import connection
from django.test.utils import CaptureQueriesContext

from civlearn.core.models import AuditEvent
from civlearn.core.national_id import check_digit
from civlearn.registry.models import Agency, Person
from civlearn.registry.services import registry_import
from civlearn.registry.tests.files import AGENCY_HEADER, PERSON_HEADER, csv_file, xlsx_file
from conftest import make_account, make_person

BAD_FORMAT = "日期格式不正確，請輸入民國年月日（例如：0610101 或 061-01-01）或西元日期（例如：1972-01-01）"
ROWS = [
    PERSON_HEADER,
    ["A123456789", "王小明", "0610101", "A09600000Q", "1040801", "11-一般人員", "公務人員", "xiaoming@example.tw"],
    ["F131104093", "陳美玲", "065-03-15", "A09600000Q", "1990-08-01", "11-一般人員", "教師", ""],
]


def import_persons(file, actor=None, **extra):
    return registry_import(kind="persons", file=file, filename=getattr(file, "name", "x.csv"), actor=actor, **extra)


def import_agencies(file, actor=None, **extra):
    return registry_import(kind="agencies", file=file, filename=getattr(file, "name", "x.csv"), actor=actor, **extra)


def errors_of(result):
    return [(e.row, e.column, e.message) for e in result.errors]


def snapshot():
    persons = list(Person.objects.order_by("national_id").values())
    agencies = list(Agency.objects.order_by("code").values())
    return persons, agencies, AuditEvent.objects.count()


def generated_id(n: int) -> str:
    prefix = f"A1{n:07d}"
    return prefix + check_digit(prefix)


# -- persons: the happy path in every encoding ---------------------------------------------------------------------


@pytest.mark.parametrize(
    "make_file",
    [
        lambda: csv_file(ROWS),
        lambda: csv_file(ROWS, encoding="utf-8-sig"),
        lambda: csv_file(ROWS, encoding="cp950"),
        lambda: csv_file(ROWS, encoding="big5"),
        lambda: xlsx_file(ROWS, name="persons.xlsx"),
    ],
    ids=["utf-8", "utf-8-bom", "cp950", "big5", "xlsx"],
)
def test_persons_are_created_from_each_file_type(agency, make_file):
    result = import_persons(make_file())

    assert errors_of(result) == []
    assert (result.rows, result.created, result.updated, result.unchanged) == (2, 2, 0, 0)
    wang = Person.objects.get(national_id="A123456789")
    assert (wang.name, wang.birthday, wang.post_start_date) == ("王小明", dt.date(1972, 1, 1), dt.date(2015, 8, 1))
    assert (wang.agency, wang.personnel_category, wang.identity_type) == (agency, "11-一般人員", "公務人員")
    assert wang.email == "xiaoming@example.tw"
    chen = Person.objects.get(national_id="F131104093")
    assert (chen.birthday, chen.post_start_date, chen.identity_type, chen.email) == (
        dt.date(1976, 3, 15),
        dt.date(1990, 8, 1),
        "教師",
        "",
    )


def test_xlsx_date_and_number_cells_are_read_as_dates(agency):
    # Spreadsheets turn 0610101 typed as a number into 610101 and keep real dates as dates.
    rows = [PERSON_HEADER[:5], ["A123456789", "王小明", 610101, "A09600000Q", dt.datetime(2015, 8, 1)]]

    result = import_persons(xlsx_file(rows))

    assert errors_of(result) == []
    person = Person.objects.get()
    assert (person.birthday, person.post_start_date) == (dt.date(1972, 1, 1), dt.date(2015, 8, 1))


def test_header_aliases_lower_case_ids_full_width_and_blank_rows_are_accepted(agency):
    rows = [
        ["*身分證字號", "姓名", "出生日期", "機關代碼", "到職日期", "備註"],
        ["ａ１２３４５６７８９", " 王小明 ", "61/1/1", "a09600000q", "104/8/1", "x"],
        ["", "", "", "", "", ""],
    ]

    result = import_persons(csv_file(rows))

    assert errors_of(result) == []
    assert result.rows == 1
    assert result.ignored_columns == ["備註"]
    assert Person.objects.get().national_id == "A123456789"
    assert Person.objects.get().name == "王小明"


def test_tab_separated_text_is_accepted(agency):
    data = "\t".join(PERSON_HEADER[:5]) + "\r\nA123456789\t王小明\t0610101\tA09600000Q\t1040801\r\n"
    file = csv_file([])
    file.write(data.encode())
    file.seek(0)

    assert errors_of(import_persons(file)) == []
    assert Person.objects.count() == 1


def test_resident_certificate_numbers_are_accepted(agency):
    rows = [PERSON_HEADER[:5], ["A800000014", "Anna Lee", "0800101", "A09600000Q", "1100101"]]

    assert errors_of(import_persons(csv_file(rows))) == []
    assert Person.objects.get().national_id == "A800000014"


# -- persons: idempotence and updates -------------------------------------------------------------------------------


def test_reimporting_the_same_file_changes_nothing(agency):
    import_persons(csv_file(ROWS))
    before = list(Person.objects.order_by("pk").values())

    result = import_persons(csv_file(ROWS))

    assert (result.created, result.updated, result.unchanged) == (0, 0, 2)
    assert list(Person.objects.order_by("pk").values()) == before


def test_an_update_keeps_the_person_and_their_account(agency, sub_agency):
    person = make_person(agency, "A123456789", "王小明", email="old@example.tw")
    account = make_account(person)
    rows = [
        PERSON_HEADER,
        ["A123456789", "王曉明", "0610101", "A09600001Q", "1120201", "11-一般人員", "公務人員", "new@example.tw"],
    ]

    result = import_persons(csv_file(rows))

    assert (result.created, result.updated, result.unchanged) == (0, 1, 0)
    person.refresh_from_db()
    account.refresh_from_db()
    assert (person.name, person.agency, person.post_start_date, person.email) == (
        "王曉明",
        sub_agency,
        dt.date(2023, 2, 1),
        "new@example.tw",
    )
    assert account.person_id == person.pk
    assert Person.objects.count() == 1


def test_optional_columns_left_out_of_the_file_keep_their_values(agency):
    make_person(agency, "A123456789", "王小明", email="keep@example.tw", identity_type="教師")
    rows = [PERSON_HEADER[:5], ["A123456789", "王小明", "0610101", "A09600000Q", "1040801"]]

    result = import_persons(csv_file(rows))

    assert (result.updated, result.unchanged) == (0, 1)
    person = Person.objects.get()
    assert (person.email, person.identity_type) == ("keep@example.tw", "教師")


def test_a_saved_import_writes_one_audit_event_with_counts_and_filename(agency, operator):
    import_persons(csv_file(ROWS, name="114年人員.csv"), actor=operator)

    event = AuditEvent.objects.get()
    assert (event.action, event.actor, event.subject_type, event.subject_id) == (
        "registry.import_persons",
        operator,
        "registry.import",
        "persons",
    )
    assert event.changes == {"filename": "114年人員.csv", "rows": 2, "created": 2, "updated": 0, "unchanged": 0}
    assert "A123456789" not in str(event.changes)


def test_dry_run_counts_but_saves_nothing(agency):
    before = snapshot()

    result = import_persons(csv_file(ROWS), dry_run=True)

    assert result.ok and result.dry_run and not result.saved
    assert (result.created, result.updated, result.unchanged) == (2, 0, 0)
    assert snapshot() == before


# -- persons: every bad input, with its message, and nothing saved -------------------------------------------------


def person_row(**overrides):
    row = dict(zip(PERSON_HEADER, ROWS[1], strict=True))
    row.update(overrides)
    return list(row.values())


@pytest.mark.parametrize(
    ("overrides", "expected"),
    [
        ({"身分證字號": "A123456788"}, [(3, "身分證字號", "身分證字號檢查碼不正確")]),
        ({"身分證字號": "A12345678"}, [(3, "身分證字號", "身分證字號應為 10 碼（1 個英文字母加 9 個數字）")]),
        ({"身分證字號": ""}, [(3, "身分證字號", "請輸入身分證字號")]),
        ({"姓名": ""}, [(3, "姓名", "此欄必填")]),
        ({"姓名": "王" * 101}, [(3, "姓名", "長度不可超過 100 字")]),
        ({"生日": "0611301"}, [(3, "生日", "「0611301」日期不存在，請檢查月份與日期")]),
        ({"生日": ""}, [(3, "生日", "請輸入日期")]),
        (
            {"任現職之實際到職日期": "2015/8"},
            [
                (
                    3,
                    "任現職之實際到職日期",
                    "「2015/8」" + BAD_FORMAT,
                )
            ],
        ),
        ({"機關代碼": "A0960"}, [(3, "機關代碼", "「A0960」格式不正確：機關代碼應為 10 碼英數字（大寫）")]),
        ({"機關代碼": "A09600009Z"}, [(3, "機關代碼", "「A09600009Z」不存在，請先匯入機關")]),
        ({"電子郵件": "not-an-email"}, [(3, "電子郵件", "「not-an-email」不是有效的電子郵件地址")]),
        ({"人員區分": "1" * 51}, [(3, "人員區分", "長度不可超過 50 字")]),
        ({"身分證字號": "A123456789"}, [(3, "身分證字號", "與第 2 列重複")]),
    ],
)
def test_each_bad_row_is_reported_and_nothing_is_saved(agency, overrides, expected):
    rows = [PERSON_HEADER, ROWS[1], person_row(**{"身分證字號": "F131104093", **overrides})]
    before = snapshot()

    result = import_persons(csv_file(rows))

    assert errors_of(result) == expected
    assert (result.created, result.updated, result.unchanged) == (0, 0, 0)
    assert snapshot() == before


def test_all_bad_rows_are_reported_at_once(agency):
    rows = [PERSON_HEADER, person_row(身分證字號="A123456788"), ROWS[2], person_row(生日="x", 姓名="")]

    result = import_persons(csv_file(rows))

    assert errors_of(result) == [
        (2, "身分證字號", "身分證字號檢查碼不正確"),
        (4, "姓名", "此欄必填"),
        (
            4,
            "生日",
            "「x」" + BAD_FORMAT,
        ),
    ]
    assert str(result.errors[0]) == "第 2 列「身分證字號」：身分證字號檢查碼不正確"
    assert Person.objects.count() == 0


def test_error_messages_never_carry_a_full_id(agency):
    rows = [PERSON_HEADER, ROWS[1], ROWS[1], person_row(身分證字號="A123456788")]

    result = import_persons(csv_file(rows))

    assert len(result.errors) == 2
    assert all("A12345678" not in str(error) for error in result.errors)


@pytest.mark.parametrize(
    ("rows", "expected"),
    [
        ([PERSON_HEADER[1:]], [(1, "身分證字號", "缺少必要欄位：身分證字號")]),
        (
            [["身分證字號", "姓名", "機關代碼"]],
            [(1, "生日", "缺少必要欄位：生日、任現職之實際到職日期")],
        ),
        ([[*PERSON_HEADER, "姓名"]], [(1, "姓名", "欄位「姓名」重複出現")]),
        ([PERSON_HEADER], [(0, "", "檔案沒有資料列")]),
        ([], [(0, "", "檔案是空的")]),
        ([[""], [""]], [(0, "", "檔案是空的")]),
    ],
)
def test_bad_headers_and_empty_files(agency, rows, expected):
    assert errors_of(import_persons(csv_file(rows))) == expected
    assert Person.objects.count() == 0


def test_a_file_neither_utf8_nor_big5_is_refused(agency):
    # 0x80 is neither valid UTF-8 nor a Big5 lead byte: a file in some other encoding.
    file = csv_file([])
    file.write(csv_file(ROWS).getvalue() + b"A1\x80\x80,x\r\n")
    file.seek(0)

    result = import_persons(file)

    assert errors_of(result) == [(1, "", "含有無法以 Big5 解讀的字元，請將檔案另存為 UTF-8 或 Big5 編碼的 CSV")]
    assert str(result.errors[0]) == "第 1 列：含有無法以 Big5 解讀的字元，請將檔案另存為 UTF-8 或 Big5 編碼的 CSV"
    assert Person.objects.count() == 0


def test_a_bad_byte_far_into_a_utf8_file_is_reported_at_its_row(agency):
    # Past the first 64 KiB the encoding is already judged UTF-8; the bad row is still found and named.
    rows = [PERSON_HEADER] + [[generated_id(n), "王小明" * 10, "0610101", "A09600000Q", "1040801"] for n in range(1500)]
    file = csv_file([])
    file.write(csv_file(rows).getvalue() + b"A1\x80\x80,x\r\n")
    file.seek(0)

    result = import_persons(file)

    assert errors_of(result) == [(1502, "", "含有無法以 UTF-8 解讀的字元，請將檔案另存為 UTF-8 或 Big5 編碼的 CSV")]
    assert Person.objects.count() == 0


def test_old_excel_and_broken_xlsx_are_refused(agency):
    xls = csv_file([], name="persons.xls")
    xls.write(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\0" * 100)
    xls.seek(0)
    broken = csv_file([], name="persons.xlsx")
    broken.write(b"PK\x03\x04 not really a zip")
    broken.seek(0)

    assert errors_of(import_persons(xls)) == [(0, "", "不支援舊版 Excel（.xls）檔案，請另存為 .xlsx 或 CSV")]
    assert errors_of(import_persons(broken)) == [(0, "", "檔案無法以 Excel（.xlsx）格式開啟，請確認檔案未損壞")]


# -- permissions ----------------------------------------------------------------------------------------------------


def test_hr_officer_imports_staff_of_their_agency_and_sub_agencies(hr_officer, agency, sub_agency):
    rows = [ROWS[0], ROWS[1], person_row(身分證字號="F131104093", 機關代碼="A09600001Q")]

    result = import_persons(csv_file(rows), actor=hr_officer)

    assert errors_of(result) == []
    assert result.created == 2


def test_hr_officer_of_another_agency_is_refused_and_nothing_changes(other_hr_officer, agency):
    make_person(agency, "A123456789", "王小明")
    before = snapshot()

    result = import_persons(csv_file(ROWS), actor=other_hr_officer)

    assert errors_of(result) == [
        (2, "機關代碼", "機關代碼「A09600000Q」不在您管理的機關範圍內"),
        (3, "機關代碼", "機關代碼「A09600000Q」不在您管理的機關範圍內"),
    ]
    assert snapshot() == before


def test_hr_officer_cannot_pull_a_person_from_another_agency(hr_officer, agency, other_agency):
    make_person(other_agency, "F131104093", "陳美玲")
    before = snapshot()

    result = import_persons(csv_file([ROWS[0], ROWS[2]]), actor=hr_officer)

    assert errors_of(result) == [(2, "身分證字號", "此人員目前隸屬您管理範圍以外的機關，請洽該機關人事單位辦理")]
    assert snapshot() == before


def test_hr_scope_reaches_sub_agencies_at_any_depth(hr_officer, agency, sub_agency):
    Agency.objects.create(code="A09600011Q", name="進修部教務組", parent=sub_agency)
    rows = [ROWS[0], person_row(機關代碼="A09600011Q")]

    result = import_persons(csv_file(rows), actor=hr_officer)

    assert errors_of(result) == []
    assert Person.objects.get(national_id="A123456789").agency.code == "A09600011Q"


def test_hr_role_without_sub_agencies_does_not_reach_them(hr_officer, agency, sub_agency):
    hr_officer.agency_roles.update(include_subagencies=False)
    rows = [ROWS[0], person_row(機關代碼="A09600001Q")]

    result = import_persons(csv_file(rows), actor=hr_officer)

    assert errors_of(result) == [(2, "機關代碼", "機關代碼「A09600001Q」不在您管理的機關範圍內")]


def test_cell_errors_and_registry_errors_are_reported_together_in_row_order(hr_officer, agency, other_agency):
    rows = [ROWS[0], person_row(身分證字號="F131104093", 機關代碼="379000000A"), person_row(生日="0611301")]
    before = snapshot()

    result = import_persons(csv_file(rows), actor=hr_officer)

    assert errors_of(result) == [
        (2, "機關代碼", "機關代碼「379000000A」不在您管理的機關範圍內"),
        (3, "生日", "「0611301」日期不存在，請檢查月份與日期"),
    ]
    assert snapshot() == before


def test_a_user_without_an_hr_role_is_refused_before_reading(learner, agency):
    before = snapshot()

    with pytest.raises(PermissionDenied, match="您沒有匯入人事資料的權限"):
        import_persons(csv_file(ROWS), actor=learner)

    assert snapshot() == before


def test_operators_import_for_any_agency(operator, agency, other_agency):
    rows = [ROWS[0], ROWS[1], person_row(身分證字號="F131104093", 機關代碼="379000000A")]

    assert errors_of(import_persons(csv_file(rows), actor=operator)) == []
    assert Person.objects.filter(agency=other_agency).count() == 1


# -- agencies -------------------------------------------------------------------------------------------------------


AGENCY_ROWS = [
    AGENCY_HEADER,
    ["A09600001Q", "國立臺中科技大學附設進修部", "A09600000Q"],  # its parent comes later in the file
    ["A09600000Q", "國立臺中科技大學", ""],
    ["379000000A", "臺北市政府", ""],
]


def test_agencies_are_created_with_parents_from_the_same_file(db):
    result = import_agencies(csv_file(AGENCY_ROWS, name="agencies.csv"))

    assert errors_of(result) == []
    assert (result.rows, result.created, result.updated, result.unchanged) == (3, 3, 0, 0)
    child = Agency.objects.get(code="A09600001Q")
    assert child.parent.code == "A09600000Q"
    assert Agency.objects.get(code="379000000A").parent is None


def test_reimporting_agencies_changes_nothing_and_renames_update(db):
    import_agencies(csv_file(AGENCY_ROWS))
    before = list(Agency.objects.order_by("pk").values())

    again = import_agencies(csv_file(AGENCY_ROWS))
    assert (again.created, again.updated, again.unchanged) == (0, 0, 3)
    assert list(Agency.objects.order_by("pk").values()) == before

    renamed = import_agencies(csv_file([AGENCY_HEADER[:2], ["379000000A", "臺北市政府（新）"]]))
    assert (renamed.created, renamed.updated, renamed.unchanged) == (0, 1, 0)
    assert Agency.objects.get(code="379000000A").name == "臺北市政府（新）"
    # No parent column: the parent stays.
    assert Agency.objects.get(code="A09600001Q").parent.code == "A09600000Q"


@pytest.mark.parametrize(
    ("rows", "expected"),
    [
        ([["A0960000", "x", ""]], [(2, "機關代碼", "「A0960000」格式不正確：機關代碼應為 10 碼英數字（大寫）")]),
        ([["A09600000Q", "", ""]], [(2, "機關名稱", "此欄必填")]),
        (
            [["A09600000Q", "x", "A0960"]],
            [(2, "上級機關代碼", "「A0960」格式不正確：機關代碼應為 10 碼英數字（大寫）")],
        ),
        (
            [["A09600000Q", "x", "Z99999999Z"]],
            [(2, "上級機關代碼", "「Z99999999Z」不存在（系統與本檔案中皆無此機關）")],
        ),
        ([["A09600000Q", "x", "A09600000Q"]], [(2, "上級機關代碼", "不可為機關本身")]),
        ([["A09600000Q", "x", ""], ["A09600000Q", "y", ""]], [(3, "機關代碼", "「A09600000Q」與第 2 列重複")]),
        (
            [["A00000000A", "甲", "B00000000B"], ["B00000000B", "乙", "A00000000A"]],
            [
                (2, "上級機關代碼", "上級機關形成循環：A00000000A → B00000000B → A00000000A"),
                (3, "上級機關代碼", "上級機關形成循環：B00000000B → A00000000A → B00000000B"),
            ],
        ),
    ],
)
def test_each_bad_agency_row_is_reported_and_nothing_is_saved(db, rows, expected):
    before = snapshot()

    result = import_agencies(csv_file([AGENCY_HEADER, *rows]))

    assert errors_of(result) == expected
    assert snapshot() == before


def test_unknown_parents_and_cycles_are_reported_together(db):
    rows = [["A00000000A", "甲", "B00000000B"], ["B00000000B", "乙", "A00000000A"], ["C00000000C", "丙", "Z99999999Z"]]

    result = import_agencies(csv_file([AGENCY_HEADER, *rows]))

    assert errors_of(result) == [
        (2, "上級機關代碼", "上級機關形成循環：A00000000A → B00000000B → A00000000A"),
        (3, "上級機關代碼", "上級機關形成循環：B00000000B → A00000000A → B00000000B"),
        (4, "上級機關代碼", "「Z99999999Z」不存在（系統與本檔案中皆無此機關）"),
    ]
    assert Agency.objects.count() == 0


def test_a_cycle_through_existing_agencies_is_refused(agency, sub_agency):
    # A09600001Q is already under A09600000Q; making A09600000Q its child closes a loop.
    before = snapshot()

    result = import_agencies(csv_file([AGENCY_HEADER, ["A09600000Q", "國立臺中科技大學", "A09600001Q"]]))

    assert errors_of(result) == [(2, "上級機關代碼", "上級機關形成循環：A09600000Q → A09600001Q → A09600000Q")]
    assert snapshot() == before


def test_hr_officer_adds_a_sub_agency_under_their_own(hr_officer, agency):
    rows = [
        AGENCY_HEADER,
        ["A09600002Q", "國立臺中科技大學圖書館", "A09600000Q"],
        ["A09600003Q", "館內組", "A09600002Q"],
    ]

    result = import_agencies(csv_file(rows), actor=hr_officer)

    assert errors_of(result) == []
    assert Agency.objects.get(code="A09600003Q").parent.code == "A09600002Q"


def test_hr_officer_cannot_touch_other_agencies_or_add_top_level_ones(hr_officer, agency, other_agency):
    rows = [
        AGENCY_HEADER,
        ["379000000A", "臺北市政府", ""],
        ["A09600002Q", "新單位", "379000000A"],
        ["A09600003Q", "無上級", ""],
        ["A09600000Q", "國立臺中科技大學", "379000000A"],
    ]
    before = snapshot()

    result = import_agencies(csv_file(rows), actor=hr_officer)

    assert errors_of(result) == [
        (2, "機關代碼", "機關代碼「379000000A」不在您管理的機關範圍內"),
        (3, "上級機關代碼", "須為您管理範圍內的機關"),
        (4, "上級機關代碼", "須為您管理範圍內的機關"),
        (5, "上級機關代碼", "須為您管理範圍內的機關"),
    ]
    assert snapshot() == before


# -- query counts ---------------------------------------------------------------------------------------------------


def _person_file(count: int):
    rows = [PERSON_HEADER] + [
        [generated_id(n), f"人員{n}", "0610101", "A09600000Q", "1040801", "11-一般人員", "公務人員", ""]
        for n in range(count)
    ]
    return csv_file(rows)


def test_query_count_does_not_grow_with_rows_in_a_batch(agency):
    with CaptureQueriesContext(connection) as small:
        assert import_persons(_person_file(10)).created == 10
    Person.objects.all().delete()
    with CaptureQueriesContext(connection) as large:
        assert import_persons(_person_file(400)).created == 400

    def split(queries):
        inserts = [q for q in queries.captured_queries if q["sql"].startswith('INSERT INTO "registry_person"')]
        return len(inserts), len(queries) - len(inserts)

    # Rows go in batches (SQLite's 999-parameter limit over the person's 13 columns caps a batch near 76 persons;
    # PostgreSQL takes BATCH = 500 at once); everything else is constant.
    assert split(small) == (1, len(small) - 1)
    inserts, others = split(large)
    assert inserts <= 6
    assert others <= len(small) - 1 <= 9


def test_reimport_of_many_rows_with_changes_uses_few_queries(agency):
    import_persons(_person_file(600))
    rows = [PERSON_HEADER] + [
        [generated_id(n), f"人員{n}", "0610101", "A09600000Q", "1120801", "11-一般人員", "公務人員", ""]
        for n in range(600)
    ]

    with CaptureQueriesContext(connection) as queries:
        result = import_persons(csv_file(rows))

    assert (result.created, result.updated, result.unchanged) == (0, 600, 0)
    # agencies 1 + lookups 2 + updates 2 + audit 1 + savepoint/transaction bookkeeping.
    assert len(queries) <= 10
    assert Person.objects.filter(post_start_date=dt.date(2023, 8, 1)).count() == 600
