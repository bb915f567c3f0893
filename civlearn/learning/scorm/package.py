"""Checking and unpacking an uploaded SCORM .zip.

`package_inspect` checks the archive's structure (a zip, imsmanifest.xml at the root, every path inside the
package, no links, no encryption, limits on file count, size and compression ratio) without extracting anything.
`package_read` adds the manifest (parsed, every file it names present). `package_extract` writes the files,
counting real bytes so a lying header cannot expand past the limits. Every refusal is a `PackageError` whose
message names the file or the limit and is shown to the provider as is.
"""

from __future__ import annotations

import hashlib
import os
import posixpath
import shutil
import stat
import zipfile
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

from django.conf import settings

from civlearn.learning.scorm.manifest import Manifest, ManifestError, manifest_parse

MANIFEST = "imsmanifest.xml"
# The AICC course structure files (.crs course, .au assignable units, .des descriptors, .cst structure).
AICC_EXTENSIONS = {".crs", ".au", ".des", ".cst"}
CHUNK = 64 * 1024


class PackageError(ValueError):
    """The package is refused; the message is shown as is."""


def max_files() -> int:
    return int(getattr(settings, "SCORM_MAX_FILES", 10_000))


def max_bytes() -> int:
    return int(getattr(settings, "SCORM_MAX_BYTES", 1024 * 1024 * 1024))


def max_ratio() -> int:
    return int(getattr(settings, "SCORM_MAX_RATIO", 100))


def scorm_root() -> Path:
    # An empty SCORM_ROOT= line in .env gives Path("") == "."; packages never land in the working directory.
    configured = str(getattr(settings, "SCORM_ROOT", "") or "")
    return Path(configured) if configured not in ("", ".") else Path(settings.VAR_DIR) / "scorm"


def _megabytes(n: int) -> str:
    return f"{n / (1024 * 1024):.0f} MB"


@dataclass(frozen=True)
class Inspection:
    members: dict[str, zipfile.ZipInfo]
    total_bytes: int


@dataclass(frozen=True)
class Package:
    manifest: Manifest
    members: dict[str, zipfile.ZipInfo]
    total_bytes: int
    sha256: str


def member_path(name: str) -> str:
    """The normalised path of an archive member, or PackageError when it would land outside the package."""
    cleaned = name.replace("\\", "/")
    if "\x00" in cleaned:
        raise PackageError(f"壓縮檔內的檔名「{name!r}」含有不允許的字元")
    if cleaned.startswith("/") or (len(cleaned) > 1 and cleaned[1] == ":"):
        raise PackageError(f"壓縮檔內的「{name}」是絕對路徑，超出套件範圍")
    normal = posixpath.normpath(cleaned)
    if normal == ".." or normal.startswith("../") or "/../" in f"/{cleaned}/":
        raise PackageError(f"壓縮檔內的「{name}」含有「../」，超出套件範圍")
    return "" if normal == "." else normal


def package_inspect(archive: zipfile.ZipFile, *, compressed_size: int) -> Inspection:
    """Structure checks that need no extraction. Raises PackageError."""
    infos = archive.infolist()
    if len(infos) > max_files():
        raise PackageError(f"壓縮檔內有 {len(infos)} 個檔案，超過上限 {max_files()} 個")
    members: dict[str, zipfile.ZipInfo] = {}
    total = 0
    for info in infos:
        path = member_path(info.filename)
        mode = info.external_attr >> 16
        if stat.S_ISLNK(mode):
            raise PackageError(f"壓縮檔內的「{info.filename}」是符號連結（link），不允許")
        if info.flag_bits & 0x1:
            raise PackageError(f"壓縮檔內的「{info.filename}」有密碼保護，無法匯入")
        if info.is_dir() or not path:
            continue
        if path.lower() in {name.lower() for name in members}:
            raise PackageError(f"壓縮檔內的「{info.filename}」重複出現")
        total += info.file_size
        if info.compress_size and info.file_size > 1024 * 1024 and info.file_size / info.compress_size > max_ratio():
            raise PackageError(f"壓縮檔內的「{info.filename}」壓縮比超過 {max_ratio()} 倍，疑似壓縮炸彈，不予匯入")
        members[path] = info
    if total > max_bytes():
        raise PackageError(f"壓縮檔解壓縮後共 {_megabytes(total)}，超過上限 {_megabytes(max_bytes())}")
    if compressed_size and total > 1024 * 1024 and total / compressed_size > max_ratio():
        raise PackageError(f"壓縮檔的壓縮比超過 {max_ratio()} 倍，疑似壓縮炸彈，不予匯入")
    if MANIFEST not in members:
        nested = sorted(path for path in members if posixpath.basename(path).lower() == MANIFEST)
        if nested:
            raise PackageError(f"imsmanifest.xml 必須位於壓縮檔的最上層，而不是在「{nested[0]}」")
        aicc = sorted(
            path for path in members if "/" not in path and posixpath.splitext(path)[1].lower() in AICC_EXTENSIONS
        )
        if aicc:
            raise PackageError(
                f"這是 AICC 課程（含「{aicc[0]}」等 AICC 描述檔），本平臺不支援 AICC；"
                "請由製作工具匯出為 SCORM 1.2 或 SCORM 2004 套件"
            )
        raise PackageError("壓縮檔的最上層沒有 imsmanifest.xml，這不是 SCORM 套件")
    return Inspection(members=members, total_bytes=total)


def _sha256(upload: BinaryIO) -> tuple[str, int]:
    digest = hashlib.sha256()
    size = 0
    upload.seek(0)
    for chunk in iter(lambda: upload.read(CHUNK), b""):
        digest.update(chunk)
        size += len(chunk)
    upload.seek(0)
    return digest.hexdigest(), size


def package_read(upload: BinaryIO) -> Package:
    """Check an uploaded archive and its manifest. Raises PackageError; nothing is written anywhere."""
    sha256, size = _sha256(upload)
    if size == 0:
        raise PackageError("上傳的檔案是空的")
    try:
        archive = zipfile.ZipFile(upload)
    except (zipfile.BadZipFile, OSError, ValueError) as exc:
        raise PackageError("上傳的檔案不是有效的 ZIP 壓縮檔") from exc
    with archive:
        inspection = package_inspect(archive, compressed_size=size)
        manifest_info = inspection.members[MANIFEST]
        if manifest_info.file_size > 10 * 1024 * 1024:
            raise PackageError("imsmanifest.xml 超過 10 MB")
        try:
            manifest = manifest_parse(archive.read(manifest_info))
        except ManifestError as exc:
            raise PackageError(str(exc)) from exc
        except (zipfile.BadZipFile, OSError, EOFError) as exc:
            raise PackageError("壓縮檔已損毀，無法讀取 imsmanifest.xml") from exc
    present = {path.lower() for path in inspection.members}
    missing = sorted(path for path in manifest.files if path.lower() not in present)
    if missing:
        shown = "、".join(missing[:5]) + (f" 等 {len(missing)} 個檔案" if len(missing) > 5 else "")
        raise PackageError(f"imsmanifest.xml 列出的檔案在壓縮檔中找不到：{shown}")
    for item in manifest.launchable:
        launch_path = item.launch.split("?", 1)[0].split("#", 1)[0]
        if launch_path.lower() not in present:
            raise PackageError(f"項目「{item.title}」的啟動檔「{launch_path}」在壓縮檔中找不到")
    return Package(manifest=manifest, members=inspection.members, total_bytes=inspection.total_bytes, sha256=sha256)


def package_extract(upload: BinaryIO, package: Package, destination: Path) -> None:
    """Write the package's files under `destination` (which must not exist), all or nothing.

    Bytes are counted as they are written: an entry that inflates past its declared size, or the whole past
    the limit, stops the extraction and removes what was written."""
    staging = destination.with_name(destination.name + ".partial")
    staging.mkdir(parents=True)
    written = 0
    try:
        upload.seek(0)
        with zipfile.ZipFile(upload) as archive:
            for path, info in package.members.items():
                target = staging / path
                target.parent.mkdir(parents=True, exist_ok=True)
                remaining = info.file_size
                with archive.open(info) as source, open(target, "wb") as sink:
                    for chunk in iter(lambda: source.read(CHUNK), b""):
                        remaining -= len(chunk)
                        written += len(chunk)
                        if remaining < 0 or written > max_bytes():
                            raise PackageError(f"壓縮檔內的「{info.filename}」解壓縮後超過宣告的大小，不予匯入")
                        sink.write(chunk)
        os.replace(staging, destination)
    except BaseException as exc:
        shutil.rmtree(staging, ignore_errors=True)
        if isinstance(exc, (zipfile.BadZipFile, OSError, EOFError)) and not isinstance(exc, PackageError):
            raise PackageError("壓縮檔已損毀，無法解壓縮") from exc
        raise
