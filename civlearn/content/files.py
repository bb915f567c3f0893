"""What an operator may upload (下載專區 documents, announcement attachments): one rule, `check_upload`.

The type is decided by the file's content (libmagic through python-magic), not by its name or the browser's claim,
and the name's extension must be one the detected type is known by: a page renamed `.pdf` is refused, and so is a
PDF renamed `.exe`. Files are then only ever served as attachments with `nosniff` (views.py).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import PurePath

import magic
from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import UploadedFile
from django.template.defaultfilters import filesizeformat
from django.utils.translation import gettext as _

# Detected type → the extensions a file of that type may carry.
ALLOWED_TYPES: dict[str, tuple[str, ...]] = {
    "application/pdf": (".pdf",),
    "application/vnd.oasis.opendocument.text": (".odt",),
    "application/vnd.oasis.opendocument.spreadsheet": (".ods",),
    "application/vnd.oasis.opendocument.presentation": (".odp",),
    "application/vnd.openxmlformats-officedocument.wordprocessingml.document": (".docx",),
    "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet": (".xlsx",),
    "application/vnd.openxmlformats-officedocument.presentationml.presentation": (".pptx",),
    "application/msword": (".doc",),
    "application/vnd.ms-excel": (".xls",),
    "application/zip": (".zip",),
    "image/png": (".png",),
    "image/jpeg": (".jpg", ".jpeg"),
    "text/plain": (".txt", ".csv"),
    "text/csv": (".csv",),
}
# libmagic decides from the first bytes; OOXML and ODF packages are recognised well within this.
SNIFF_BYTES = 1024 * 1024


@dataclass(frozen=True)
class CheckedFile:
    file_name: str
    size: int
    content_type: str


def allowed_extensions() -> list[str]:
    return sorted({ext for exts in ALLOWED_TYPES.values() for ext in exts})


def check_upload(upload: UploadedFile) -> CheckedFile:
    """The upload's name, size and detected type, or ValidationError saying why it is refused (zh-Hant)."""
    name = PurePath(upload.name or "").name
    limit = settings.CONTENT_UPLOAD_MAX_BYTES
    if not upload.size:
        raise ValidationError(_("「%(name)s」是空的檔案（0 位元組）") % {"name": name})
    if upload.size > limit:
        raise ValidationError(
            _("「%(name)s」大小 %(size)s，超過上限 %(limit)s")
            % {"name": name, "size": filesizeformat(upload.size), "limit": filesizeformat(limit)}
        )
    upload.seek(0)
    head = upload.read(SNIFF_BYTES)
    upload.seek(0)
    detected = magic.from_buffer(head, mime=True)
    extension = PurePath(name).suffix.lower()
    if detected not in ALLOWED_TYPES:
        raise ValidationError(
            _("「%(name)s」的內容不是允許的檔案類型（可上傳：%(allowed)s）")
            % {"name": name, "allowed": "、".join(allowed_extensions())}
        )
    if extension not in ALLOWED_TYPES[detected]:
        raise ValidationError(
            _("「%(name)s」的副檔名與內容不符：內容是 %(expected)s 檔")
            % {"name": name, "expected": "／".join(ALLOWED_TYPES[detected])}
        )
    return CheckedFile(file_name=name, size=upload.size, content_type=detected)
