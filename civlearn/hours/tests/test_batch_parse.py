"""The 25-column upload format: reading, every validation message, the source reference, writing it back."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest

from civlearn.hours import batch
from civlearn.hours.tests.batch_fixtures import ROW

HEADER = ",".join(batch.header_row())
GOOD = dict(ROW)
PEOPLE = {"A123456789": 1, "B220000000": 2}


def line(**changes) -> str:
    values = {**GOOD, **changes}
    return ",".join(values[c.key] for c in batch.COLUMNS)


def parse(text: str, *, encoding: str = "utf-8", codes=frozenset({"339", "337"})) -> batch.ParseResult:
    return batch.parse_upload(
        text.encode(encoding),
        institution_code="A09600000Q",
        category_codes_for=lambda day: codes,
        people_for=lambda ids: {i: PEOPLE[i] for i in ids if i in PEOPLE},
        today=dt.date(2024, 6, 1),
    )


def messages(result: batch.ParseResult) -> list[str]:
    return [e.text for e in result.errors]


def test_a_good_row_becomes_a_clean_record():
    result = parse(HEADER + "\r\n" + line() + "\r\n")

    assert result.errors == []
    assert result.encoding == "UTF-8"
    (row,) = result.rows
    zone = batch.local_zone()
    assert row.person_id == 1
    assert row.national_id == "A123456789"
    assert row.certified_hours == Decimal("2")
    assert row.mode == 1
    assert row.actual_start == dt.datetime(2024, 3, 21, 9, 0, tzinfo=zone)
    assert row.actual_end == dt.datetime(2024, 3, 21, 11, 0, tzinfo=zone)
    assert row.birthday == dt.date(1972, 1, 1)
    assert row.source_reference == batch.source_reference(
        institution_code="A09600000Q",
        national_id="A123456789",
        course_code="C-339-01",
        course_name="環境教育：氣候變遷與調適",
        period="1",
        actual_start=row.actual_start,
        actual_end=row.actual_end,
    )


@pytest.mark.parametrize("encoding", ["utf-8", "utf-8-sig", "cp950"])
def test_utf8_bom_and_big5_files_read_the_same(encoding):
    result = parse(HEADER + "\n" + line() + "\n", encoding=encoding)

    assert result.errors == []
    assert result.rows[0].course_name == "環境教育：氣候變遷與調適"
    assert result.encoding == ("Big5" if encoding == "cp950" else "UTF-8")


def test_headers_without_star_and_in_another_order_are_accepted():
    order = list(reversed(batch.COLUMNS))
    header = ",".join(c.header for c in order)
    values = ",".join(GOOD[c.key] for c in order)

    result = parse(header + "\n" + values + "\n")

    assert result.errors == []
    assert result.rows[0].category_code == "339"


def test_unknown_duplicate_and_missing_headers_are_reported_and_no_row_is_read():
    header = HEADER.replace("*課程類別代碼", "課程類別").replace("期別", "*姓名")

    result = parse(header + "\n" + line() + "\n")

    assert messages(result) == [
        "第 1 列「課程類別」：無法辨識的欄位名稱，請使用 25 欄標準格式的欄位名稱",
        "第 1 列「姓名」：欄位名稱重複",
        "第 1 列「課程類別代碼」：缺少必要欄位",
    ]
    assert result.rows == []


def test_an_optional_column_may_be_left_out():
    columns = [c for c in batch.COLUMNS if c.key != "certificate_no"]
    header = ",".join(c.header for c in columns)
    values = ",".join(GOOD[c.key] for c in columns)

    result = parse(header + "\n" + values + "\n")

    assert result.errors == []
    assert result.rows[0].certificate_no == ""


def test_extension_columns_carry_job_related_and_self_applied_leave():
    header = HEADER + ",與業務相關,*自行申請公假"
    rows = [line() + ",是,N", line(national_id="B220000000") + ",,Y", line(period="2") + ",可能,否"]

    result = parse("\n".join([header, *rows]) + "\n")

    assert [(r.job_related, r.self_applied_leave) for r in result.rows] == [(True, False), (False, True)]
    assert messages(result) == ["第 4 列「與業務相關」值「可能」：應填「是」或「否」（或 Y / N）"]


def test_file_level_problems():
    assert messages(parse("")) == ["檔案：檔案是空的"]
    assert messages(batch.parse_upload(
        b"\xff\xfe\x00\xd8\x00",
        institution_code="A09600000Q",
        category_codes_for=lambda d: set(),
        people_for=lambda ids: {},
    )) == ["檔案：檔案編碼無法辨識，請以 UTF-8 或 Big5 編碼儲存 CSV 檔"]  # fmt: skip


CASES = [
    ({"national_id": "A123456788"}, "第 2 列「身分證字號」值「A12345****」：身分證字號檢查碼不正確"),
    ({"national_id": "A12345"}, "第 2 列「身分證字號」值「A1****」：身分證字號應為 10 碼（1 個英文字母加 9 個數字）"),
    ({"national_id": "C123456781"}, "第 2 列「身分證字號」值「C12345****」：人事資料庫查無此人員"),
    ({"category_code": "999"}, "第 2 列「課程類別代碼」值「999」：不是 2024-03-21 適用之課程類別代碼表中的代碼"),
    (
        {"actual_start_date": "113-02-30"},
        "第 2 列「實際上課起始日期」值「113-02-30」：日期不存在，請檢查月份與日期"
        "（應為民國年月日 YYY-MM-DD，例如 113-03-21）",
    ),
    (
        {"course_start_date": "2024/3/1x"},
        "第 2 列「開課起始日期」值「2024/3/1x」：日期格式不正確，請輸入民國年月日，例如：0610101"
        "（應為民國年月日 YYY-MM-DD，例如 113-03-21）",
    ),
    (
        {"actual_end_time": "25:00:00"},
        "第 2 列「實際上課結束時間」值「25:00:00」：時間不存在，時應為 00–23，分與秒應為 00–59",
    ),
    (
        {"actual_start_time": "9點"},
        "第 2 列「實際上課起始時間」值「9點」：時間格式不正確，應為 HH:MM:SS，例如 09:00:00",
    ),
    (
        {"actual_end_date": "113-03-20"},
        "第 2 列「實際上課結束日期」值「113-03-20」：實際上課結束時間早於實際上課起始時間",
    ),
    ({"course_end_date": "113-02-01"}, "第 2 列「開課結束日期」值「113-02-01」：開課結束時間早於開課起始時間"),
    (
        {"certified_hours": "3"},
        "第 2 列「訓練總數」值「3」：訓練總數應等於數位時數加實體時數（2 + 0 = 2）",
    ),
    ({"digital_hours": "-1"}, "第 2 列「數位時數」值「-1」：應為不小於 0 的數字（最多 1 位小數），例如 2 或 1.5"),
    ({"digital_hours": "1.25"}, "第 2 列「數位時數」值「1.25」：應為不小於 0 的數字（最多 1 位小數），例如 2 或 1.5"),
    ({"physical_hours": "1000"}, "第 2 列「實體時數」值「1000」：時數不可超過 999.9"),
    ({"mode": "5"}, "第 2 列「學習性質」值「5」：學習性質代碼不正確，應為 1 數位、2 實體、3 混成、4 遠距"),
    ({"county_code": "99"}, "第 2 列「上課縣市」值「99」：不是已知的上課縣市代碼"),
    ({"hours_unit": "2"}, "第 2 列「訓練總數單位」值「2」：訓練總數單位應為 1（小時）"),
    ({"degree_credit": "X"}, "第 2 列「學位學分」值「X」：學位學分應為代碼數字，非學位學分為 6"),
    ({"birthday": "114-01-01"}, "第 2 列「生日」值「114-01-01」：生日不可晚於今天"),
    ({"course_name": ""}, "第 2 列「課程名稱」：必填欄位未填寫"),
    ({"course_name": "課" * 201}, "第 2 列「課程名稱」值「" + "課" * 20 + "…」：長度超過 200 字"),
]


@pytest.mark.parametrize(("changes", "expected"), CASES)
def test_every_validation_message(changes, expected):
    result = parse(HEADER + "\n" + line(**changes) + "\n")

    assert messages(result) == [expected]
    assert result.rows == []
    assert result.bad_lines == {2}


def test_every_required_field_is_named_when_missing():
    required = [c for c in batch.COLUMNS if c.required]
    blank = {c.key: "" for c in required}

    result = parse(HEADER + "\n" + line(**blank) + "\n")

    assert messages(result) == [f"第 2 列「{c.header}」：必填欄位未填寫" for c in required]


def test_a_duplicate_row_in_the_file_names_the_first_one():
    result = parse("\n".join([HEADER, line(), line(national_id="B220000000"), line()]) + "\n")

    assert messages(result) == ["第 4 列：與第 2 列重複（同一人員、課程、期別與實際上課起訖時間）"]
    assert [r.line for r in result.rows] == [2, 3]
    assert (result.valid_count, result.invalid_count, result.total_rows) == (2, 1, 3)


def test_a_row_with_the_wrong_number_of_fields_and_blank_lines():
    result = parse("\n".join([HEADER, "", line() + ",extra", line(), ",,,"]) + "\n")

    assert messages(result) == ["第 3 列：欄位數為 26，與標題列的 25 欄不符"]
    assert [r.line for r in result.rows] == [4]
    assert result.total_rows == 2


def test_errors_in_many_rows_are_all_reported_in_row_order():
    text = "\n".join([HEADER, line(mode="9"), line(national_id="B220000000"), line(county_code="00", mode="0")])

    result = parse(text)

    assert [(e.row, e.column) for e in result.errors] == [(2, "學習性質"), (4, "學習性質"), (4, "上課縣市")]
    assert [r.line for r in result.rows] == [3]


def test_the_row_limit():
    result = batch.parse_upload(
        ("\n".join([HEADER, line(), line(national_id="B220000000")])).encode(),
        institution_code="A09600000Q",
        category_codes_for=lambda d: {"339"},
        people_for=lambda ids: PEOPLE,
        max_rows=1,
    )

    assert messages(result) == ["第 3 列：檔案超過 1 列上限，請分批上傳"]


def test_the_category_table_is_chosen_by_the_actual_end_date():
    asked = []

    def codes_for(day):
        asked.append(day)
        return {"522"} if day >= dt.date(2024, 1, 1) else {"54"}

    old = line(category_code="54", actual_start_date="112-12-31", actual_end_date="112-12-31")
    new = line(category_code="54")
    result = batch.parse_upload(
        f"{HEADER}\n{old}\n{new}\n".encode(),
        institution_code="A09600000Q",
        category_codes_for=codes_for,
        people_for=lambda ids: PEOPLE,
    )

    assert asked == [dt.date(2023, 12, 31), dt.date(2024, 3, 21)]
    assert messages(result) == ["第 3 列「課程類別代碼」值「54」：不是 2024-03-21 適用之課程類別代碼表中的代碼"]


def test_source_reference_is_stable_and_tells_runs_apart():
    zone = batch.local_zone()
    start, end = dt.datetime(2024, 3, 21, 9, tzinfo=zone), dt.datetime(2024, 3, 21, 11, tzinfo=zone)
    base = {
        "institution_code": "A09600000Q",
        "national_id": "A123456789",
        "course_code": "C1",
        "course_name": "課",
        "period": "1",
        "actual_start": start,
        "actual_end": end,
    }

    reference = batch.source_reference(**base)

    assert reference == batch.source_reference(**{**base, "actual_start": start.astimezone(dt.UTC)})
    assert reference == batch.source_reference(**{**base, "course_name": "another name, same code"})
    assert reference != batch.source_reference(**{**base, "period": "2"})
    assert reference != batch.source_reference(**{**base, "institution_code": "379000000A"})
    assert reference != batch.source_reference(**{**base, "actual_end": end + dt.timedelta(hours=1)})
    without_code = {**base, "course_code": ""}
    assert batch.source_reference(**without_code) != batch.source_reference(**{**without_code, "course_name": "x"})


@pytest.mark.parametrize("encoding", ["utf-8", "big5"])
def test_an_export_reads_back_as_the_same_rows(encoding):
    parsed = parse(HEADER + "\n" + line() + "\n").rows[0]
    record = {c.key: getattr(parsed, c.key, "") for c in batch.COLUMNS}
    record.update(
        course_start=parsed.course_start,
        course_end=parsed.course_end,
        actual_start=parsed.actual_start,
        actual_end=parsed.actual_end,
        certified_hours=Decimal("2.00"),
    )

    data = b"".join(batch.write_csv([record], encoding=encoding))
    again = batch.parse_upload(
        data,
        institution_code="A09600000Q",
        category_codes_for=lambda d: {"339"},
        people_for=lambda ids: PEOPLE,
    )

    assert data.startswith(b"\xef\xbb\xbf*" if encoding == "utf-8" else "*身分證字號".encode("cp950"))
    assert again.errors == []
    assert again.rows[0].source_reference == parsed.source_reference
    assert batch.row_values(record)[batch.COLUMNS.index(batch.BY_KEY["certified_hours"])] == "2"
    assert batch.row_values(record)[batch.COLUMNS.index(batch.BY_KEY["actual_start_date"])] == "113-03-21"


def test_error_report_csv():
    data = batch.error_report_csv([{"row": 2, "column": "學習性質", "value": "9", "message": "學習性質代碼不正確"}])

    assert data.decode("utf-8-sig").splitlines() == ["列,欄位,值,錯誤說明", "2,學習性質,9,學習性質代碼不正確"]


def test_the_streamed_xlsx_writer_round_trips_text_numbers_and_blanks():
    import io

    from openpyxl import load_workbook

    from civlearn.hours import xlsx_stream

    rows = [["名稱", "時數", "備註"], ['A&B <課程> "引號"', Decimal("1.5"), None], ["  前後空白 ", 2, ""]]

    data = xlsx_stream.write(rows, sheet_name="113年度學習時數")

    sheet = load_workbook(io.BytesIO(data)).active
    assert sheet.title == "113年度學習時數"
    assert list(sheet.iter_rows(values_only=True)) == [
        ("名稱", "時數", "備註"),
        ('A&B <課程> "引號"', 1.5, None),
        ("  前後空白 ", 2, None),
    ]


def test_the_row_limit_is_the_one_every_importer_shares(settings):
    settings.SPREADSHEET_MAX_ROWS = 1
    text = "\n".join([HEADER, line(), line(period="2")]) + "\n"

    result = parse(text)

    assert [e.text for e in result.errors] == ["第 3 列：檔案超過 1 列上限，請分批上傳"]
