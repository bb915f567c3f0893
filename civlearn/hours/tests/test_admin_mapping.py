"""The admin's mapping upload: a preview of what changes, confirmed before anything is written; the export."""

from __future__ import annotations

import io

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from civlearn.core.models import AuditEvent
from civlearn.hours import mapping
from civlearn.hours.models import ReportingCategory

pytestmark = pytest.mark.django_db

URL = "/admin/hours/reportingcategory/mapping/"


def _upload(text: str, name: str = "mapping.csv") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, text.encode("utf-8"), content_type="text/csv")


def _file_with(change) -> str:
    lines = [line for line in mapping.mapping_rows()[1:] if line[3] != "human-rights"]
    change(lines)
    return "table,code,kind,key,year_from\n" + "".join(",".join(line) + "\n" for line in lines)


def test_upload_previews_then_confirm_applies(client, operator):
    client.force_login(operator)
    text = _file_with(lambda lines: lines.append(["2024", "560", "row", "human-rights", ""]))

    preview = client.post(URL, {"file": _upload(text)})

    page = preview.content.decode()
    assert preview.status_code == 200
    assert 'id="mapping-changes"' in page
    assert "人權教育類學習總時數" in page
    assert "<ins>2024:560</ins>" in page and "<del>2024:550</del>" in page
    assert ReportingCategory.objects.get(key="human-rights").codes == {"2024": ["550"]}  # nothing written yet
    token = preview.context["token"]

    confirmed = client.post(URL, {"confirm": "1", "token": token}, follow=True)

    assert ReportingCategory.objects.get(key="human-rights").codes == {"2024": ["560"]}
    assert "已套用課程類別對應，共 1 項變更" in confirmed.content.decode()
    assert AuditEvent.objects.filter(action="hours.category_mapping_change", actor=operator).count() == 1


def test_a_bad_file_lists_every_problem_and_changes_nothing(client, operator):
    client.force_login(operator)
    text = "table,code,kind,key,year_from\n2024,999,row,human-rights,\n2024,550,rule,policy,\n"

    response = client.post(URL, {"file": _upload(text)})

    page = response.content.decode()
    assert response.status_code == 400
    assert "<title>錯誤：" in page
    assert "檔案有 2 個問題，沒有任何變更：" in page
    assert "<li>第 2 列：代碼表 2024 沒有代碼「999」</li>" in page
    assert "<li>第 3 列：時數規定須填 year_from（適用起始年度，西元四位數）</li>" in page
    assert ReportingCategory.objects.get(key="human-rights").codes == {"2024": ["550"]}
    assert not AuditEvent.objects.filter(action="hours.category_mapping_change").exists()


def test_a_tampered_or_stale_preview_is_refused(client, operator):
    client.force_login(operator)
    text = _file_with(lambda lines: lines.append(["2024", "560", "row", "human-rights", ""]))
    token = client.post(URL, {"file": _upload(text)}).context["token"]

    tampered = client.post(URL, {"confirm": "1", "token": token[:-2] + "xx"}, follow=True)
    assert "預覽已逾時或無效，請重新上傳檔案" in tampered.content.decode()

    ReportingCategory.objects.filter(key="infosec").update(codes={"2024": ["520", "522"]})
    stale = client.post(URL, {"confirm": "1", "token": token}, follow=True)
    assert "課程類別對應在預覽之後已被變更，請重新上傳檔案並確認預覽" in stale.content.decode()
    assert ReportingCategory.objects.get(key="human-rights").codes == {"2024": ["550"]}


def test_export_downloads_and_staff_without_permission_are_refused(client, operator, django_user_model):
    client.force_login(operator)
    response = client.get(URL + "export/xlsx/")
    assert response.status_code == 200
    assert response["Content-Disposition"] == 'attachment; filename="category-mapping.xlsx"'
    plan = mapping.mapping_plan(file=io.BytesIO(response.content), filename="category-mapping.xlsx")
    assert mapping.mapping_changes(plan) == []
    assert "以檔案更新課程類別對應" in client.get("/admin/hours/reportingcategory/").content.decode()

    clerk = django_user_model.objects.create_user("clerk", "Clerk-pass-1234!", is_staff=True)
    client.force_login(clerk)
    assert client.get(URL).status_code == 403
    assert client.post(URL, {"file": _upload("table,code,kind,key,year_from\n")}).status_code == 403
