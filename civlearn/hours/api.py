"""JSON API for learning institutions: POST records (per-record results, idempotent), GET their records by year.

Authentication: OAuth 2 client credentials (django-oauth-toolkit, token at /o/token/); the token's application is
mapped to its institution by an InstitutionClient. The records carry the fields of the 25-column upload under English
keys, with ISO 8601 dates. The serializers below parse the request — the same classes the OpenAPI schema is built
from — and a request they refuse is answered 400 naming each field; a well-formed record then goes through the
checks a file row goes through (batch.validate_record) and gets its own result. The same source reference makes a
record sent twice — or sent once by file and once here — count once.
"""

from __future__ import annotations

import re

from django.db import transaction
from django.utils.functional import Promise
from django.utils.text import format_lazy
from django.utils.translation import gettext, gettext_lazy
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiExample, OpenApiResponse, extend_schema, extend_schema_field, inline_serializer
from oauth2_provider.contrib.rest_framework import OAuth2Authentication, TokenHasReadWriteScope
from rest_framework import serializers, status
from rest_framework.parsers import JSONParser
from rest_framework.permissions import BasePermission
from rest_framework.response import Response
from rest_framework.views import APIView

from civlearn.core import clock, rocdate
from civlearn.core.national_id import mask
from civlearn.core.services import audit_record, client_ip
from civlearn.hours import batch, jobs, rules
from civlearn.hours.models import InstitutionClient, LedgerEntry

MAX_RECORDS = 1000
PAGE_SIZE = 500
# A page beyond this holds nothing for any institution (500 million records); the bound keeps the offset inside
# the database's integer range and is part of the schema.
MAX_PAGE = 1_000_000

# API key → the upload columns it stands for. Datetimes stand for a date column and a time column.
_DATETIME_KEYS = ("course_start", "course_end", "actual_start", "actual_end")
_PART_TO_KEY = {f"{key}_{part}": key for key in _DATETIME_KEYS for part in ("date", "time")}

# Messages are lazy: a refusal is written in the request's language (LocaleMiddleware reads Accept-Language).
_REQUIRED = gettext_lazy("必填欄位未填寫")


def _api_label(key: str) -> str:
    return _PART_TO_KEY.get(key, key)


# The years an ROC date of the upload format can carry (民國 1–999 年), as written in the ISO text. A moment near
# either end that falls outside once converted to Taipei time is a record error, reported like any other.
_YEAR_PATTERN = r"^(19(1[2-9]|[2-9][0-9])|2[0-8][0-9]{2}|290[0-9]|2910)-"
_HOURS_PATTERN = r"^[0-9]{1,3}(\.[0-9])?$"


def _messages(**extra: str | Promise) -> dict[str, str | Promise]:
    return {"required": _REQUIRED, "null": _REQUIRED, "blank": _REQUIRED, **extra}


class _Text(serializers.CharField):
    """JSON text only: DRF's CharField would also take numbers and booleans, which the schema does not allow."""

    def __init__(self, **kwargs):
        kwargs.setdefault(
            "error_messages",
            _messages(
                invalid=gettext_lazy("應為文字"),
                max_length=gettext_lazy("長度超過 {max_length} 字"),
                min_length=_REQUIRED,
            ),
        )
        kwargs.setdefault("max_length", 200)
        # Spaces are kept for batch.validate_record, which trims and reports a blank required field per record;
        # the schema's minLength then says exactly what is refused here.
        kwargs.setdefault("trim_whitespace", False)
        if not kwargs.get("allow_blank"):
            kwargs.setdefault("min_length", 1)
        super().__init__(**kwargs)

    def to_internal_value(self, data):
        if not isinstance(data, str):
            self.fail("invalid")
        return super().to_internal_value(data)


class _Integer(serializers.IntegerField):
    """A JSON integer only (not "1", 1.0 or true)."""

    def __init__(self, **kwargs):
        kwargs.setdefault("error_messages", _messages(invalid=gettext_lazy("應為整數")))
        super().__init__(**kwargs)

    def to_internal_value(self, data):
        if isinstance(data, bool) or not isinstance(data, int):
            self.fail("invalid")
        return super().to_internal_value(data)


class _Boolean(serializers.BooleanField):
    """A JSON true or false only."""

    def __init__(self, **kwargs):
        kwargs.setdefault("error_messages", _messages(invalid=gettext_lazy("應為 true 或 false")))
        super().__init__(**kwargs)

    def to_internal_value(self, data):
        if not isinstance(data, bool):
            self.fail("invalid")
        return data


@extend_schema_field(
    {
        "oneOf": [
            {"type": "string", "pattern": _HOURS_PATTERN},
            {"type": "integer", "minimum": 0, "maximum": 999},
        ],
        "example": "1.5",
    }
)
class _Hours(serializers.Field):
    """Hours as text with at most one decimal ("1.5") or a whole number (2); kept as the upload's text."""

    default_error_messages = _messages(invalid=gettext_lazy('應為 0 至 999.9 的時數（最多 1 位小數），例如 "1.5" 或 2'))

    def to_internal_value(self, data):
        if isinstance(data, bool):
            self.fail("invalid")
        if isinstance(data, int) and 0 <= data <= 999:
            return str(data)
        if isinstance(data, str) and re.match(_HOURS_PATTERN, data):
            return data
        self.fail("invalid")

    def to_representation(self, value):
        return value


class _InRocYears:
    """Text only, and a four-digit year outside 民國 1–999 is named as such (not as a bad format)."""

    def to_internal_value(self, value):
        if not isinstance(value, str):
            self.fail("invalid")
        if re.match(r"^[0-9]{4}-", value) and not re.match(_YEAR_PATTERN, value):
            self.fail("out_of_range")
        return super().to_internal_value(value)


@extend_schema_field({"type": "string", "format": "date-time", "pattern": _YEAR_PATTERN})
class _Moment(_InRocYears, serializers.DateTimeField):
    """An ISO 8601 date and time in 民國 1–999 年 (1912–2910); without an offset it is Taipei time."""

    default_error_messages = _messages(
        invalid=gettext_lazy("應為 ISO 8601 日期時間，例如 2024-03-21T09:00:00+08:00"),
        date=gettext_lazy("應為 ISO 8601 日期時間，例如 2024-03-21T09:00:00+08:00"),
        out_of_range=gettext_lazy("應介於民國 1 年至 999 年之間（西元 1912–2910 年）"),
    )


@extend_schema_field({"type": "string", "format": "date", "pattern": _YEAR_PATTERN})
class _Day(_InRocYears, serializers.DateField):
    default_error_messages = _messages(
        invalid=gettext_lazy("應為 ISO 8601 日期，例如 1972-01-01"),
        datetime=gettext_lazy("應為 ISO 8601 日期，例如 1972-01-01"),
        out_of_range=gettext_lazy("應介於民國 1 年至 999 年之間（西元 1912–2910 年）"),
    )


class RecordIn(serializers.Serializer):
    """One certified learning, as in the 25-column upload (ISO dates; hours as text with one decimal or whole
    numbers). The types are checked here; the rules of the ledger (ID checksum, codes in force, hours adding up)
    are checked by batch.validate_record, as for a file, and reported per record."""

    default_error_messages = {"invalid": gettext_lazy("應為物件")}

    national_id = _Text(max_length=20, help_text="身分證字號")
    name = _Text(max_length=100, help_text="姓名")
    course_name = _Text(help_text="課程名稱")
    course_code = _Text(max_length=50, required=False, allow_blank=True, help_text="課程代碼")
    period = _Text(max_length=50, required=False, allow_blank=True, help_text="期別")
    category_code = _Text(max_length=20, help_text="課程類別代碼（依實際上課結束日期適用之代碼表）")
    county_code = _Text(max_length=20, help_text="上課縣市代碼")
    degree_credit = _Text(max_length=20, required=False, default="6", help_text="學位學分（非學位學分為 6）")
    certified_hours = _Hours(help_text="訓練總數（小時）")
    hours_unit = _Text(max_length=20, required=False, default="1", help_text="訓練總數單位（1 = 小時）")
    digital_hours = _Hours(help_text="數位時數")
    physical_hours = _Hours(help_text="實體時數")
    mode = _Integer(help_text="學習性質：1 數位、2 實體、3 混成、4 遠距")
    course_start = _Moment(help_text="開課起始（ISO 8601；無時區者視為臺北時間）")
    course_end = _Moment(help_text="開課結束")
    actual_start = _Moment(help_text="實際上課起始")
    actual_end = _Moment(help_text="實際上課結束（決定計入的年度）")
    score = _Text(max_length=20, required=False, allow_blank=True, help_text="訓練成績")
    certificate_no = _Text(max_length=100, required=False, allow_blank=True, help_text="證件字號")
    attendance_note = _Text(required=False, allow_blank=True, help_text="出勤上課狀況")
    birthday = _Day(required=False, allow_null=True, help_text="生日")
    job_related = _Boolean(required=False, default=False, help_text="與業務相關")
    self_applied_leave = _Boolean(required=False, default=False, help_text="自行申請公假")


class _Records(serializers.ListField):
    def to_internal_value(self, data):
        # Counted before any record is parsed: a huge list is refused without the work of reading it.
        if isinstance(data, list) and len(data) > MAX_RECORDS:
            raise serializers.ValidationError(
                gettext("每次最多 {limit} 筆，本次 {count} 筆").format(limit=MAX_RECORDS, count=len(data))
            )
        return super().to_internal_value(data)


class RecordsIn(serializers.Serializer):
    records = _Records(
        child=RecordIn(),
        max_length=MAX_RECORDS,
        help_text=f"最多 {MAX_RECORDS} 筆",
        error_messages={
            "required": gettext_lazy("請以 records 陣列傳送紀錄"),
            "null": gettext_lazy("請以 records 陣列傳送紀錄"),
            "not_a_list": gettext_lazy("請以 records 陣列傳送紀錄"),
            # DRF formats the message with its own fields; the limit is put in when the message is read.
            "max_length": format_lazy(gettext_lazy("每次最多 {limit} 筆"), limit=MAX_RECORDS),
        },
    )


class _QueryInteger(serializers.IntegerField):
    """An integer query parameter; `?page=` (present but empty) is an error, not the default."""

    def get_value(self, dictionary):
        return dictionary.get(self.field_name, serializers.empty)


class RecordsQuery(serializers.Serializer):
    year = _QueryInteger(
        min_value=1912,
        max_value=2910,
        help_text="西元年度（依實際上課結束日期）",
        error_messages={
            "required": gettext_lazy("請以 year 指定西元年度，例如 2024"),
            "invalid": gettext_lazy("請以 year 指定西元年度，例如 2024"),
            "min_value": gettext_lazy("year 應介於 1912 與 2910 之間"),
            "max_value": gettext_lazy("year 應介於 1912 與 2910 之間"),
            "max_string_length": gettext_lazy("year 應介於 1912 與 2910 之間"),
        },
    )
    page = _QueryInteger(
        required=False,
        default=1,
        min_value=1,
        max_value=MAX_PAGE,
        help_text="頁碼，自 1 起",
        error_messages={
            "invalid": gettext_lazy("page 應為正整數頁碼，例如 1"),
            "min_value": gettext_lazy("page 應為正整數頁碼，例如 1"),
            "max_value": format_lazy(gettext_lazy("page 最大為 {limit}"), limit=MAX_PAGE),
            "max_string_length": format_lazy(gettext_lazy("page 最大為 {limit}"), limit=MAX_PAGE),
        },
    )


# A refused request. 400: {field: [messages]}, a record's under "records" → its position → field; 401/403:
# {"detail": message}.
_REFUSED = {
    400: OpenApiResponse(OpenApiTypes.OBJECT, description="請求不符格式：依欄位列出錯誤"),
    401: OpenApiResponse(OpenApiTypes.OBJECT, description="缺少或無效的存取權杖"),
    403: OpenApiResponse(OpenApiTypes.OBJECT, description="權杖未對應任何學習機關(構)，或範圍不足"),
}


class FieldError(serializers.Serializer):
    field = serializers.CharField()
    message = serializers.CharField()


class RecordResult(serializers.Serializer):
    index = serializers.IntegerField(help_text="在 records 中的位置（自 0 起）")
    status = serializers.ChoiceField(choices=["created", "duplicate", "invalid"])
    source_reference = serializers.CharField(required=False, help_text="此筆紀錄的來源參考（重送時相同）")
    errors = FieldError(many=True)


class RecordsOut(serializers.Serializer):
    created = serializers.IntegerField()
    duplicate = serializers.IntegerField()
    invalid = serializers.IntegerField()
    results = RecordResult(many=True)


class RecordOut(serializers.Serializer):
    source_reference = serializers.CharField()
    national_id_masked = serializers.CharField()
    name = serializers.CharField()
    course_name = serializers.CharField()
    course_code = serializers.CharField()
    period = serializers.CharField()
    category_code = serializers.CharField()
    mode = serializers.IntegerField()
    certified_hours = serializers.DecimalField(max_digits=6, decimal_places=1)
    digital_hours = serializers.DecimalField(max_digits=6, decimal_places=1)
    physical_hours = serializers.DecimalField(max_digits=6, decimal_places=1)
    actual_start = serializers.DateTimeField()
    actual_end = serializers.DateTimeField()
    year = serializers.IntegerField()
    reversed = serializers.BooleanField()


class IsInstitutionClient(BasePermission):
    """The token must belong to an active InstitutionClient; `request.institution_client` is set for the view."""

    message = gettext_lazy("此用戶端未對應任何學習機關(構)")

    def has_permission(self, request, view) -> bool:
        token = request.auth
        application_id = getattr(token, "application_id", None)
        if application_id is None:
            return False
        client = (
            InstitutionClient.objects.select_related("institution", "application")
            .filter(application_id=application_id, is_active=True)
            .first()
        )
        request.institution_client = client
        return client is not None


def _text(value) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "是" if value else "否"
    return str(value)


def to_upload_values(record: dict) -> dict[str, str]:
    """A record RecordIn has parsed → the upload's {key: text}, which batch.validate_record checks like a file row.

    A moment is written as the Taipei date and time it stands for; one that falls outside 民國 1–999 年 there
    (a few hours from either end of the range) is left empty and reported by `moment_errors`.
    """
    values: dict[str, str] = {}
    zone = batch.local_zone()
    for key in batch.KEYS:
        if key in _PART_TO_KEY or key == "birthday":
            continue
        values[key] = _text(record.get(key))
    values["degree_credit"] = values["degree_credit"] or "6"
    values["hours_unit"] = values["hours_unit"] or "1"
    for key in _DATETIME_KEYS:
        local = record[key].astimezone(zone) if record[key].tzinfo else record[key]
        if rocdate.MIN_DATE <= local.date() <= rocdate.MAX_DATE:
            values[f"{key}_date"] = rocdate.format_dashed(local.date())
            values[f"{key}_time"] = local.strftime("%H:%M:%S")
    if record.get("birthday") is not None:
        values["birthday"] = rocdate.format_dashed(record["birthday"])
    return values


def moment_errors(values: dict[str, str]) -> list[dict[str, str]]:
    return [
        {"field": key, "message": gettext("換算為臺北時間後不在民國 1 年至 999 年之間")}
        for key in _DATETIME_KEYS
        if f"{key}_date" not in values
    ]


class RecordsView(APIView):
    authentication_classes = [OAuth2Authentication]
    permission_classes = [TokenHasReadWriteScope, IsInstitutionClient]
    # JSON only: the schema then offers no form encodings, which cannot carry a list of records.
    parser_classes = [JSONParser]

    @extend_schema(
        operation_id="hours_records_create",
        summary="上傳學習時數紀錄（每筆各自回報結果；重送不會重複）",
        request=RecordsIn,
        responses={200: RecordsOut, **_REFUSED},
        examples=[
            OpenApiExample(
                "一筆",
                request_only=True,
                value={
                    "records": [
                        {
                            "national_id": "A123456789",
                            "name": "王小明",
                            "course_name": "環境教育：氣候變遷與調適",
                            "course_code": "C-339-01",
                            "period": "1",
                            "category_code": "339",
                            "county_code": "40",
                            "certified_hours": "2",
                            "digital_hours": "2",
                            "physical_hours": "0",
                            "mode": 1,
                            "course_start": "2024-03-01T09:00:00+08:00",
                            "course_end": "2024-03-31T17:00:00+08:00",
                            "actual_start": "2024-03-21T09:00:00+08:00",
                            "actual_end": "2024-03-21T11:00:00+08:00",
                        }
                    ]
                },
            )
        ],
    )
    def post(self, request):
        client = request.institution_client
        incoming = RecordsIn(data=request.data if isinstance(request.data, dict) else {"records": None})
        # A request the schema does not allow (a wrong type, a missing field) is refused whole, naming each
        # record's fields; a well-formed record that breaks a ledger rule is reported on its own below.
        incoming.is_valid(raise_exception=True)
        records = incoming.validated_data["records"]
        institution_code = client.institution.code
        book = rules.book()
        codes_for = jobs.codes_lookup(book)
        results: list[dict] = []
        checked = []
        for index, record in enumerate(records):
            values = to_upload_values(record)
            errors = moment_errors(values)
            row, row_errors = batch.validate_record(
                values,
                line=index,
                institution_code=institution_code,
                category_codes_for=codes_for,
                label=_api_label,
                today=clock.today(),
            )
            named = {e["field"] for e in errors}
            errors += [{"field": e.column, "message": e.message} for e in row_errors if e.column not in named]
            result = {"index": index, "status": "invalid", "errors": errors}
            results.append(result)
            if not errors and row is not None:
                checked.append((result, row))
        people = jobs.people_lookup({row.national_id for _, row in checked})
        seen: set[str] = set()
        to_write = []
        for result, row in checked:
            row.person_id = people.get(row.national_id)
            result["source_reference"] = row.source_reference
            if row.person_id is None:
                result["errors"] = [{"field": "national_id", "message": gettext("人事資料庫查無此人員")}]
            elif row.source_reference in seen:
                result["status"] = "duplicate"
            else:
                seen.add(row.source_reference)
                to_write.append((result, row))
        with transaction.atomic():
            written = jobs.commit_rows(
                [row for _, row in to_write],
                institution_code=institution_code,
                book=book,
                source_kind=LedgerEntry.SOURCE_API,
            )
            for result, row in to_write:
                result["status"] = "created" if row.source_reference in written else "duplicate"
            counts = {
                name: sum(1 for r in results if r["status"] == name) for name in ("created", "duplicate", "invalid")
            }
            audit_record(
                actor=None,
                action="hours.api_records_post",
                subject=client,
                changes={name: [0, count] for name, count in counts.items()},
                ip_address=client_ip(request),
            )
        return Response({**counts, "results": results}, status=status.HTTP_200_OK)

    @extend_schema(
        operation_id="hours_records_list",
        summary="本機關(構)上傳之學習時數紀錄（依年度，每頁 500 筆）",
        parameters=[RecordsQuery],
        responses={
            200: inline_serializer(
                "RecordsPage",
                {
                    "count": serializers.IntegerField(),
                    "page": serializers.IntegerField(),
                    "pages": serializers.IntegerField(),
                    "results": RecordOut(many=True),
                },
            ),
            **_REFUSED,
        },
    )
    def get(self, request):
        client = request.institution_client
        query = RecordsQuery(data=request.query_params)
        query.is_valid(raise_exception=True)
        year, page = query.validated_data["year"], query.validated_data["page"]
        queryset = LedgerEntry.objects.filter(
            institution_code=client.institution.code, year=year, source_kind__in=jobs.INSTITUTION_KINDS
        ).order_by("id")
        count = queryset.count()
        rows = queryset.values(
            "source_reference", "person__national_id", "person__name", "course_name", "course_code", "period",
            "category_code", "mode", "certified_hours", "digital_hours", "physical_hours", "actual_start",
            "actual_end", "year", "reversed_by",
        )[(page - 1) * PAGE_SIZE : page * PAGE_SIZE]  # fmt: skip
        results = []
        for row in rows:
            row["national_id_masked"] = mask(row.pop("person__national_id"))
            row["name"] = row.pop("person__name")
            row["reversed"] = row.pop("reversed_by") is not None
            results.append(row)
        return Response(
            {
                "count": count,
                "page": page,
                "pages": max(1, -(-count // PAGE_SIZE)),
                "results": RecordOut(results, many=True).data,
            }
        )
