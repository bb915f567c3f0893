"""The English catalogues are complete: what `makemessages -l en` finds in the tree, the project's po files translate.

Each app keeps its own `civlearn/<app>/locale/en/LC_MESSAGES/django.po` (strings of its Python code and of its
templates under `templates/<app>/`) and the project's `locale/en` holds the site layout's; Django merges every
catalogue when it translates. `makemessages` itself files a template's strings by folder, not by app, so the check
extracts every string of the tree into one scratch catalogue (a copy of the tree without its locale folders) and
looks each one up in the merged catalogues — and every real po file must hold no fuzzy and no empty entry.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path

import polib

ROOT = Path(__file__).resolve().parents[2]
# What makemessages reads: the Python package and the project's templates.
SOURCES = ("civlearn", "templates")
# A source string with no Han character is English already (e.g. Django's own "Home" in an admin template).
HAN = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]")


@dataclass(frozen=True)
class Missing:
    """One string without an English translation: where it was found and why it fails."""

    where: str
    msgid: str
    reason: str

    def __str__(self) -> str:
        return f"{self.where}: {self.reason}: {self.msgid!r}"


def project_catalogues(root: Path = ROOT) -> list[Path]:
    """Every English po file of the project (the apps' and the project-level one)."""
    found = sorted((root / "civlearn").glob("*/locale/en/LC_MESSAGES/django.po"))
    project = root / "locale" / "en" / "LC_MESSAGES" / "django.po"
    return [project, *found] if project.exists() else found


def _key(entry: polib.POEntry) -> tuple[str, str]:
    return (entry.msgctxt or "", entry.msgid)


def _translated(entry: polib.POEntry) -> bool:
    if "fuzzy" in entry.flags:
        return False
    if entry.msgid_plural:
        return bool(entry.msgstr_plural) and all(entry.msgstr_plural.values())
    return bool(entry.msgstr)


def extract(root: Path = ROOT) -> polib.POFile:
    """Run `makemessages -l en` over a scratch copy of the tree and return what it extracted (untranslated)."""
    with tempfile.TemporaryDirectory(prefix="civlearn-makemessages-") as scratch:
        copy = Path(scratch)
        skip = shutil.ignore_patterns("locale", "__pycache__", "*.pyc", "*.mo", "*.po")
        for name in SOURCES:
            shutil.copytree(root / name, copy / name, ignore=skip)
        shutil.copy2(root / "manage.py", copy / "manage.py")
        env = {**os.environ, "CIVLEARN_TESTING": "1"}
        subprocess.run(
            [sys.executable, "manage.py", "makemessages", "-l", "en", "--no-wrap", "--no-obsolete", "-v", "0"],
            cwd=copy,
            env=env,
            check=True,
            capture_output=True,
        )
        return polib.pofile(str(copy / "locale" / "en" / "LC_MESSAGES" / "django.po"))


def missing_translations(root: Path = ROOT) -> list[Missing]:
    """Every extracted string the merged catalogues do not translate, and every fuzzy or empty entry of a po file."""
    problems: list[Missing] = []
    translated: set[tuple[str, str]] = set()
    for path in project_catalogues(root):
        relative = path.relative_to(root)
        for entry in polib.pofile(str(path)):
            if entry.obsolete:
                continue
            if _translated(entry):
                translated.add(_key(entry))
            else:
                reason = "fuzzy entry" if "fuzzy" in entry.flags else "empty translation"
                problems.append(Missing(where=f"{relative}:{entry.linenum}", msgid=entry.msgid, reason=reason))
    for entry in extract(root):
        if not HAN.search(entry.msgid):
            continue
        if _key(entry) not in translated:
            where = ", ".join(f"{source}:{line}" for source, line in entry.occurrences[:4])
            context = f" (context {entry.msgctxt!r})" if entry.msgctxt else ""
            problems.append(Missing(where=where, msgid=entry.msgid, reason=f"no English translation{context}"))
    return problems


@dataclass(frozen=True)
class Clash:
    """One msgid (with its msgctxt) that two catalogues translate differently: Django would use only the first."""

    msgctxt: str
    msgid: str
    first: str
    first_msgstr: str
    second: str
    second_msgstr: str

    def __str__(self) -> str:
        context = f" (context {self.msgctxt!r})" if self.msgctxt else ""
        return (
            f"{self.msgid!r}{context}: {self.first} says {self.first_msgstr!r}, "
            f"{self.second} says {self.second_msgstr!r}"
        )


def _english(entry: polib.POEntry) -> str | tuple[str, ...]:
    if entry.msgid_plural:
        return tuple(entry.msgstr_plural[index] for index in sorted(entry.msgstr_plural))
    return entry.msgstr


def clashing_translations(root: Path = ROOT) -> list[Clash]:
    """Every msgid (same msgctxt) that two po files translate differently. Django merges the catalogues and keeps
    the first one's English (LOCALE_PATHS, then INSTALLED_APPS order) for every page, so a clash means one app's
    pages read another app's wording: give one wording to both, or a context (pgettext) where the meanings differ."""
    first: dict[tuple[str, str], tuple[str, str | tuple[str, ...]]] = {}
    clashes: list[Clash] = []
    for path in project_catalogues(root):
        relative = path.relative_to(root)
        for entry in polib.pofile(str(path)):
            if entry.obsolete or not _translated(entry):
                continue
            english = _english(entry)
            where = f"{relative}:{entry.linenum}"
            seen = first.setdefault(_key(entry), (where, english))
            if seen[1] != english:
                clashes.append(Clash(entry.msgctxt or "", entry.msgid, seen[0], str(seen[1]), where, str(english)))
    return clashes
