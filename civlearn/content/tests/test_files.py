"""The upload rule: the type by content (libmagic), the extension must fit it, a size limit, never an empty file."""

from __future__ import annotations

import io

import pytest
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from odf.opendocument import OpenDocumentText
from odf.text import P

from civlearn.content.files import check_upload

PDF = b"%PDF-1.4\n1 0 obj\n<< /Type /Catalog >>\nendobj\ntrailer\n<< /Root 1 0 R >>\n%%EOF\n"


def odt_bytes() -> bytes:
    document = OpenDocumentText()
    document.text.addElement(P(text="申請表"))
    buffer = io.BytesIO()
    document.save(buffer)
    return buffer.getvalue()


def refusal(name: str, data: bytes) -> str:
    with pytest.raises(ValidationError) as caught:
        check_upload(SimpleUploadedFile(name, data))
    return caught.value.messages[0]


def test_documents_are_accepted_with_the_type_their_content_has():
    data = odt_bytes()
    checked = check_upload(SimpleUploadedFile("申請表.odt", data, content_type="text/html"))

    assert (checked.file_name, checked.content_type) == ("申請表.odt", "application/vnd.oasis.opendocument.text")
    assert checked.size == len(data)
    assert check_upload(SimpleUploadedFile("手冊.PDF", PDF)).content_type == "application/pdf"


def test_a_page_renamed_pdf_is_refused_by_its_content():
    message = refusal("手冊.pdf", b"<html><body><script>alert(1)</script></body></html>")

    assert message.startswith("「手冊.pdf」的內容不是允許的檔案類型（可上傳：.csv、.doc、.docx、")


def test_a_pdf_with_another_extension_is_refused():
    assert refusal("setup.exe", PDF) == "「setup.exe」的副檔名與內容不符：內容是 .pdf 檔"
    assert refusal("手冊.odt", PDF) == "「手冊.odt」的副檔名與內容不符：內容是 .pdf 檔"


def test_empty_and_oversized_files_are_refused(settings):
    settings.CONTENT_UPLOAD_MAX_BYTES = 1024

    assert refusal("空白.pdf", b"") == "「空白.pdf」是空的檔案（0 位元組）"
    # filesizeformat's no-break spaces
    assert refusal("大檔.pdf", PDF + b"0" * 2000) == "「大檔.pdf」大小 2.0\xa0KB，超過上限 1.0\xa0KB"


def test_a_path_in_the_name_is_dropped():
    assert check_upload(SimpleUploadedFile("../../etc/手冊.pdf", PDF)).file_name == "手冊.pdf"
