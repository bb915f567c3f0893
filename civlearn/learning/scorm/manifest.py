"""Reading imsmanifest.xml (IMS Content Packaging as profiled by SCORM 1.2 and SCORM 2004 2nd–4th edition).

Pure functions: bytes in, a `Manifest` out, or `ManifestError` with a zh-Hant message naming what is wrong.
Element and attribute names are matched by local name (xmlread.py). For SCORM 2004 the items' sequencing is read
into the activity tree the player's sequencing engine is configured with (sequencing.py).
"""

from __future__ import annotations

import posixpath
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from urllib.parse import unquote, urlsplit
from xml.etree.ElementTree import Element, ParseError

from defusedxml import DefusedXmlException
from defusedxml.ElementTree import fromstring

from civlearn.learning.scorm.sequencing import collections_read, item_settings, with_control_defaults
from civlearn.learning.scorm.xmlread import attr as _attr
from civlearn.learning.scorm.xmlread import child as _child
from civlearn.learning.scorm.xmlread import children as _children
from civlearn.learning.scorm.xmlread import descendant as _descendant
from civlearn.learning.scorm.xmlread import local as _local
from civlearn.learning.scorm.xmlread import text as _text

V12, V2004_2, V2004_3, V2004_4 = "1.2", "2004-2", "2004-3", "2004-4"
VERSION_CHOICES = [
    (V12, "SCORM 1.2"),
    (V2004_2, "SCORM 2004 2nd Edition"),
    (V2004_3, "SCORM 2004 3rd Edition"),
    (V2004_4, "SCORM 2004 4th Edition"),
]


class ManifestError(ValueError):
    """The manifest cannot be used; the message is shown to the provider as is."""


@dataclass(frozen=True)
class Item:
    identifier: str
    title: str
    depth: int
    # Path of the launch file relative to the package root, with the item's parameters; "" for an aggregation.
    launch: str = ""
    is_sco: bool = False
    is_visible: bool = True
    launch_data: str = ""
    mastery_score: Decimal | None = None
    scaled_passing_score: Decimal | None = None
    completion_threshold: Decimal | None = None
    max_time_allowed: str = ""
    time_limit_action: str = ""
    # SCORM 2004: the item's sequencing as the engine's activity settings (sequencing.item_settings).
    sequencing: dict = field(default_factory=dict)


@dataclass(frozen=True)
class Manifest:
    identifier: str
    version: str
    title: str
    items: list[Item]
    # Every package path the manifest names (resource hrefs, <file> hrefs): they must exist in the archive.
    files: set[str] = field(default_factory=set)
    # What was accepted although the manifest is not quite right (shown to the provider, zh-Hant).
    warnings: tuple[str, ...] = ()
    # SCORM 2004: the organization (the activity tree's root) and the shared sequencing items refer to.
    organization_id: str = ""
    organization_sequencing: dict = field(default_factory=dict)
    collections: dict = field(default_factory=dict)

    @property
    def launchable(self) -> list[Item]:
        return [item for item in self.items if item.launch]

    def activity_tree(self) -> dict:
        """The organization as the activity tree of the sequencing engine (scorm-again `ActivitySettings`): the
        root is the organization, each item an activity with its children, in manifest order."""
        root = {"id": self.organization_id or "organization", "title": self.title}
        root.update(with_control_defaults(self.organization_sequencing, self.collections))
        stack: list[dict] = [root]
        for item in self.items:
            activity = {"id": item.identifier, "title": item.title}
            activity.update(with_control_defaults(item.sequencing, self.collections))
            del stack[item.depth + 1 :]
            stack[-1].setdefault("children", []).append(activity)
            stack.append(activity)
        return root


def _decimal(value: str, label: str, low: Decimal, high: Decimal) -> Decimal | None:
    if value == "":
        return None
    try:
        number = Decimal(value)
    except InvalidOperation as exc:
        raise ManifestError(f"{label}「{value}」不是數字") from exc
    if not number.is_finite() or not low <= number <= high:
        raise ManifestError(f"{label}「{value}」必須介於 {low} 與 {high} 之間")
    return number


def _version(root: Element) -> str:
    schema_version = _text(_descendant(root, "metadata", "schemaversion")).lower()
    if schema_version == "1.2":
        return V12
    if schema_version in ("cam 1.3", "2004 2nd edition"):
        return V2004_2
    if schema_version == "2004 3rd edition":
        return V2004_3
    if schema_version == "2004 4th edition":
        return V2004_4
    if schema_version:
        raise ManifestError(f"不支援的 SCORM 版本「{schema_version}」（支援 1.2 與 2004 第 2–4 版）")
    # No <schemaversion>: tell the versions apart by the ADL namespace the manifest declares.
    namespaces = " ".join(
        [root.tag, *(key for element in root.iter() if isinstance(element.tag, str) for key in element.attrib)]
    )
    if "adlcp_v1p3" in namespaces or "imsss" in namespaces:
        return V2004_3
    return V12


def safe_join(base: str, href: str) -> str:
    """`href` resolved against `base` inside the package, or ManifestError when it escapes the package.

    Returns a normalised relative path without query or fragment; `base` is "" or ends with "/"."""
    parts = urlsplit(href)
    if parts.scheme or parts.netloc:
        raise ManifestError(f"「{href}」指向套件以外的網址，不支援")
    path = unquote(parts.path).replace("\\", "/")
    if path.startswith("/") or (len(path) > 1 and path[1] == ":"):
        raise ManifestError(f"路徑「{href}」是絕對路徑，超出套件範圍")
    joined = posixpath.normpath(posixpath.join(base, path)) if path else ""
    if joined == ".." or joined.startswith("../") or "\x00" in joined:
        raise ManifestError(f"路徑「{href}」超出套件範圍")
    return "" if joined == "." else joined


def _base(element: Element, inherited: str = "") -> str:
    base = _attr(element, "base")
    if not base:
        return inherited
    joined = safe_join(inherited, base)
    return f"{joined}/" if joined else ""


def _launch_url(path: str, query: str, parameters: str) -> str:
    """The item's parameters appended to the resource href the way the SCORM CAM says (a leading ? or & kept)."""
    launch = path + (f"?{query}" if query else "")
    parameters = parameters.strip()
    if not parameters:
        return launch
    if parameters.startswith(("?", "&")):
        parameters = parameters[1:]
    if parameters.startswith("#"):
        return launch + parameters
    return launch + ("&" if "?" in launch else "?") + parameters


def manifest_parse(data: bytes) -> Manifest:
    """Parse imsmanifest.xml. Raises ManifestError naming the first problem found."""
    try:
        root = fromstring(data)
    except DefusedXmlException as exc:
        # The exception's own text names parser internals (EntitiesForbidden(name=…, system_id=…)).
        raise ManifestError(
            "imsmanifest.xml 含有 DTD 實體（ENTITY）或外部參照，基於安全不予處理；請由製作工具重新匯出不含 DTD 的套件"
        ) from exc
    except ParseError as exc:
        line, column = getattr(exc, "position", (0, 0))
        raise ManifestError(f"imsmanifest.xml 不是格式正確的 XML（第 {line} 行第 {column + 1} 字附近）") from exc
    if _local(root.tag) != "manifest":
        raise ManifestError(f"imsmanifest.xml 的根元素應為 manifest，而非「{_local(root.tag)}」")
    version = _version(root)

    resources_element = _child(root, "resources")
    resources_base = _base(resources_element, _base(root)) if resources_element is not None else _base(root)
    resources: dict[str, Element] = {}
    bases: dict[str, str] = {}
    files: set[str] = set()
    for resource in _children(resources_element, "resource") if resources_element is not None else []:
        identifier = _attr(resource, "identifier")
        if not identifier:
            raise ManifestError("imsmanifest.xml 有一個資源（resource）沒有 identifier")
        resources[identifier] = resource
        bases[identifier] = _base(resource, resources_base)
        href = _attr(resource, "href")
        if href:
            path = safe_join(bases[identifier], href)
            if path:
                files.add(path)
        for file_element in _children(resource, "file"):
            file_href = _attr(file_element, "href")
            if file_href:
                path = safe_join(bases[identifier], file_href)
                if path:
                    files.add(path)

    organizations = _child(root, "organizations")
    all_organizations = _children(organizations, "organization") if organizations is not None else []
    if not all_organizations:
        raise ManifestError("imsmanifest.xml 沒有任何組織（organization），無法得知課程架構")
    default = _attr(organizations, "default")
    organization = all_organizations[0]
    warnings: list[str] = []
    if default:
        chosen = [org for org in all_organizations if _attr(org, "identifier") == default]
        if chosen:
            organization = chosen[0]
        else:
            # Moodle and other LMSs fall back to the first organization; refusing would turn away packages that
            # play everywhere else.
            warnings.append(
                f"imsmanifest.xml 指定的預設組織「{default}」不存在，已改用第一個組織"
                f"「{_text(_child(organization, 'title')) or _attr(organization, 'identifier')}」；請通知教材製作者修正"
            )
    org_title = _text(_child(organization, "title"))
    sequenced = version != V12

    items: list[Item] = []

    def walk(element: Element, depth: int) -> None:
        for item in _children(element, "item"):
            identifier = _attr(item, "identifier")
            if not identifier:
                raise ManifestError("imsmanifest.xml 有一個項目（item）沒有 identifier")
            title = _text(_child(item, "title")) or identifier
            ref = _attr(item, "identifierref")
            launch, is_sco = "", False
            if ref:
                resource = resources.get(ref)
                if resource is None:
                    raise ManifestError(f"項目「{title}」引用的資源「{ref}」不存在於 imsmanifest.xml")
                href = _attr(resource, "href")
                if not href:
                    raise ManifestError(f"資源「{ref}」沒有啟動檔（href）")
                path = safe_join(bases[ref], href)
                launch = _launch_url(path, urlsplit(href).query, _attr(item, "parameters"))
                is_sco = _attr(resource, "scormtype").lower() == "sco"
            elif not _children(item, "item"):
                raise ManifestError(f"項目「{title}」既沒有引用資源，也沒有子項目")
            sequencing = item_settings(item, where=f"項目「{title}」", warnings=warnings) if sequenced else {}
            items.append(_item(item, identifier, title, depth, launch, is_sco, sequencing))
            walk(item, depth + 1)

    organization_sequencing = (
        item_settings(
            organization, where=f"組織「{org_title or _attr(organization, 'identifier')}」", warnings=warnings
        )
        if sequenced
        else {}
    )
    collections = collections_read(root, warnings=warnings) if sequenced else {}
    walk(organization, 0)
    if not any(item.launch for item in items):
        raise ManifestError(f"組織「{org_title or _attr(organization, 'identifier')}」沒有任何可啟動的項目")
    title = org_title or _text(_descendant(root, "metadata", "lom", "general", "title", "string")) or "SCORM"
    return Manifest(
        identifier=_attr(root, "identifier"),
        version=version,
        title=title[:200],
        items=items,
        files=files,
        warnings=tuple(warnings),
        organization_id=_attr(organization, "identifier"),
        organization_sequencing=organization_sequencing,
        collections=collections,
    )


def _item(item: Element, identifier: str, title: str, depth: int, launch: str, is_sco: bool, settings: dict) -> Item:
    # SCORM 1.2 puts these in adlcp: children of the item; 2004 renames some and adds sequencing.
    mastery = _decimal(
        _text(_child(item, "masteryscore")), f"項目「{title}」的及格分數（masteryscore）", Decimal(0), Decimal(100)
    )
    launch_data = _text(_child(item, "datafromlms")) or _text(_child(item, "dataFromLMS"))
    max_time = _text(_child(item, "maxtimeallowed"))
    time_action = _text(_child(item, "timelimitaction")) or _text(_child(item, "timeLimitAction"))
    threshold_element = _child(item, "completionThreshold")
    threshold = None
    if threshold_element is not None:
        # 2nd/3rd edition: the value is the element's text; 4th edition: the minProgressMeasure attribute.
        raw = _attr(threshold_element, "minProgressMeasure") or _text(threshold_element)
        threshold = _decimal(raw, f"項目「{title}」的完成門檻（completionThreshold）", Decimal(0), Decimal(1))
    scaled = None
    sequencing = _child(item, "sequencing")
    if sequencing is not None:
        primary = _descendant(sequencing, "objectives", "primaryObjective")
        if primary is not None and _attr(primary, "satisfiedByMeasure").lower() == "true":
            measure = _text(_child(primary, "minNormalizedMeasure")) or "1.0"
            scaled = _decimal(measure, f"項目「{title}」的及格門檻（minNormalizedMeasure）", Decimal(-1), Decimal(1))
        limits = _child(sequencing, "limitConditions")
        if limits is not None and not max_time:
            max_time = _attr(limits, "attemptAbsoluteDurationLimit")
    return Item(
        identifier=identifier[:200],
        title=title[:300],
        depth=depth,
        launch=launch,
        is_sco=is_sco,
        is_visible=_attr(item, "isvisible").lower() != "false",
        launch_data=launch_data,
        mastery_score=mastery,
        scaled_passing_score=scaled,
        completion_threshold=threshold,
        max_time_allowed=max_time[:50],
        time_limit_action=time_action[:30],
        sequencing=settings,
    )
