"""JSON API for learning institutions: POST records (per-record results, idempotent), GET their records by year.

Authentication: OAuth 2 client credentials (django-oauth-toolkit, token at /o/token/); the token's application is
mapped to its institution by an InstitutionClient. The records carry the fields of the 25-column upload under English
keys, with ISO 8601 dates; the same checks apply (batch.validate_record) and the same source reference makes a record
sent twice — or sent once by file and once here — count once.
"""

from __future__ import annotations

from django.db import transaction
from django.utils.dateparse import parse_date, parse_datetime
from drf_spectacular.utils import OpenApiExample, OpenApiParameter, extend_schema, inline_serializer
from oauth2_provider.contrib.rest_framework import OAuth2Authentication, TokenHasReadWriteScope
from rest_framework import serializers, status
from rest_framework.exceptions import ValidationError
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

# API key → the upload columns it stands for. Datetimes stand for a date column and a time column.
_DATETIME_KEYS = ("course_start", "course_end", "actual_start", "actual_end")
_PART_TO_KEY = {f"{key}_{part}": key for key in _DATETIME_KEYS for part in ("date", "time")}
REQUIRED_KEYS = ("national_id", "name", "course_name", "category_code", "county_code", "certified_hours", "mode",
                 "digital_hours", "physical_hours", *_DATETIME_KEYS)  # fmt: skip


def _api_label(key: str) -> str:
    return _PART_TO_KEY.get(key, key)


class RecordIn(serializers.Serializer):
    """One certified learning, as in the 25-column upload (ISO dates; hours as numbers with one decimal)."""

    national_id = serializers.CharField(help_text="身分證字號")
    name = serializers.CharField(help_text="姓名")
    course_name = serializers.CharField(help_text="課程名稱")
    course_code = serializers.CharField(required=False, allow_blank=True, help_text="課程代碼")
    period = serializers.CharField(required=False, allow_blank=True, help_text="期別")
    category_code = serializers.CharField(help_text="課程類別代碼（依實際上課結束日期適用之代碼表）")
    county_code = serializers.CharField(help_text="上課縣市代碼")
    degree_credit = serializers.CharField(required=False, default="6", help_text="學位學分（非學位學分為 6）")
    certified_hours = serializers.DecimalField(max_digits=5, decimal_places=1, help_text="訓練總數（小時）")
    hours_unit = serializers.CharField(required=False, default="1", help_text="訓練總數單位（1 = 小時）")
    digital_hours = serializers.DecimalField(max_digits=5, decimal_places=1, help_text="數位時數")
    physical_hours = serializers.DecimalField(max_digits=5, decimal_places=1, help_text="實體時數")
    mode = serializers.IntegerField(help_text="學習性質：1 數位、2 實體、3 混成、4 遠距")
    course_start = serializers.DateTimeField(help_text="開課起始（ISO 8601；無時區者視為臺北時間）")
    course_end = serializers.DateTimeField(help_text="開課結束")
    actual_start = serializers.DateTimeField(help_text="實際上課起始")
    actual_end = serializers.DateTimeField(help_text="實際上課結束（決定計入的年度）")
    score = serializers.CharField(required=False, allow_blank=True, help_text="訓練成績")
    certificate_no = serializers.CharField(required=False, allow_blank=True, help_text="證件字號")
    attendance_note = serializers.CharField(required=False, allow_blank=True, help_text="出勤上課狀況")
    birthday = serializers.DateField(required=False, allow_null=True, help_text="生日")
    job_related = serializers.BooleanField(required=False, default=False, help_text="與業務相關")
    self_applied_leave = serializers.BooleanField(required=False, default=False, help_text="自行申請公假")


class RecordsIn(serializers.Serializer):
    records = RecordIn(many=True, help_text=f"最多 {MAX_RECORDS} 筆")


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

    message = "此用戶端未對應任何學習機關(構)"

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


def to_upload_values(record: dict) -> tuple[dict[str, str], list[dict[str, str]]]:
    """JSON record → the upload's {key: text}, plus type errors (bad ISO date, not an object…)."""
    errors: list[dict[str, str]] = []
    values: dict[str, str] = {}
    zone = batch.local_zone()
    for key in batch.KEYS:
        if key in _PART_TO_KEY or key == "birthday":
            continue
        if key in record and isinstance(record[key], (dict, list)):
            errors.append({"field": key, "message": "應為文字或數字"})
            continue
        values[key] = _text(record.get(key))
    values.setdefault("degree_credit", "6")
    values["degree_credit"] = values["degree_credit"] or "6"
    values["hours_unit"] = values.get("hours_unit") or "1"
    for key in _DATETIME_KEYS:
        raw = record.get(key)
        if raw in (None, ""):
            continue
        moment = parse_datetime(str(raw)) if isinstance(raw, str) else None
        if moment is None:
            errors.append({"field": key, "message": "應為 ISO 8601 日期時間，例如 2024-03-21T09:00:00+08:00"})
            continue
        if moment.tzinfo is None:
            moment = moment.replace(tzinfo=zone)
        local = moment.astimezone(zone)
        values[f"{key}_date"] = rocdate.format_dashed(local.date())
        values[f"{key}_time"] = local.strftime("%H:%M:%S")
    birthday = record.get("birthday")
    if birthday not in (None, ""):
        day = parse_date(str(birthday)) if isinstance(birthday, str) else None
        if day is None:
            errors.append({"field": "birthday", "message": "應為 ISO 8601 日期，例如 1972-01-01"})
        else:
            values["birthday"] = rocdate.format_dashed(day)
    return values, errors


class RecordsView(APIView):
    authentication_classes = [OAuth2Authentication]
    permission_classes = [TokenHasReadWriteScope, IsInstitutionClient]

    @extend_schema(
        operation_id="hours_records_create",
        summary="上傳學習時數紀錄（每筆各自回報結果；重送不會重複）",
        request=RecordsIn,
        responses={200: RecordsOut},
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
        records = request.data.get("records") if isinstance(request.data, dict) else None
        if not isinstance(records, list):
            raise ValidationError({"records": ["請以 records 陣列傳送紀錄"]})
        if len(records) > MAX_RECORDS:
            raise ValidationError({"records": [f"每次最多 {MAX_RECORDS} 筆，本次 {len(records)} 筆"]})
        institution_code = client.institution.code
        book = rules.book()
        codes_for = jobs.codes_lookup(book)
        results: list[dict] = []
        checked = []
        for index, record in enumerate(records):
            if not isinstance(record, dict):
                results.append({"index": index, "status": "invalid", "errors": [{"field": "", "message": "應為物件"}]})
                continue
            values, type_errors = to_upload_values(record)
            missing = [
                {"field": key, "message": "必填欄位未填寫"} for key in REQUIRED_KEYS if record.get(key) in (None, "")
            ]
            row, row_errors = batch.validate_record(
                values,
                line=index,
                institution_code=institution_code,
                category_codes_for=codes_for,
                label=_api_label,
                today=clock.today(),
            )
            reported = {(e["field"], e["message"]) for e in missing}
            errors = type_errors + missing
            errors += [
                {"field": e.column, "message": e.message}
                for e in row_errors
                if (e.column, e.message) not in reported and e.column not in {t["field"] for t in type_errors}
            ]
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
                result["errors"] = [{"field": "national_id", "message": "人事資料庫查無此人員"}]
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
        parameters=[
            OpenApiParameter("year", int, required=True, description="西元年度（依實際上課結束日期）"),
            OpenApiParameter("page", int, required=False, description="頁碼，自 1 起"),
        ],
        responses={
            200: inline_serializer(
                "RecordsPage",
                {
                    "count": serializers.IntegerField(),
                    "page": serializers.IntegerField(),
                    "pages": serializers.IntegerField(),
                    "results": RecordOut(many=True),
                },
            )
        },
    )
    def get(self, request):
        client = request.institution_client
        try:
            year = int(request.query_params.get("year", ""))
            page = max(1, int(request.query_params.get("page", "1")))
        except ValueError as exc:
            raise ValidationError({"year": ["請以 year 指定西元年度，例如 2024"]}) from exc
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
