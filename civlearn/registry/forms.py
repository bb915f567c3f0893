from __future__ import annotations

import os

from django import forms
from django.utils.translation import gettext_lazy as _

from civlearn.registry.importing import AGENCIES, PERSONS

MAX_UPLOAD_BYTES = 20 * 1024 * 1024
ALLOWED_EXTENSIONS = (".csv", ".txt", ".xlsx")


class ImportForm(forms.Form):
    kind = forms.ChoiceField(
        label=_("匯入資料種類"),
        choices=[(PERSONS, _("人員")), (AGENCIES, _("機關"))],
        initial=PERSONS,
        widget=forms.RadioSelect,
    )
    file = forms.FileField(
        label=_("檔案"),
        help_text=_("CSV（UTF-8 或 Big5 編碼）或 Excel .xlsx，第一列為欄位名稱，最大 20 MB。"),
        error_messages={"required": _("請選擇要匯入的檔案"), "empty": _("檔案是空的")},
    )
    dry_run = forms.BooleanField(
        label=_("僅檢查，不寫入"),
        required=False,
        help_text=_("勾選後只檢查檔案並顯示將新增、更新的筆數，不會變更任何資料。"),
    )

    def clean_file(self):
        upload = self.cleaned_data["file"]
        extension = os.path.splitext(upload.name or "")[1].lower()
        if extension not in ALLOWED_EXTENSIONS:
            raise forms.ValidationError(
                _("請上傳 CSV 或 .xlsx 檔案（目前的檔案為 %(ext)s）") % {"ext": extension or "無副檔名"}
            )
        if upload.size > MAX_UPLOAD_BYTES:
            raise forms.ValidationError(_("檔案超過 20 MB，請分批匯入"))
        return upload
