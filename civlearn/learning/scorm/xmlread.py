"""Reading manifest XML by local name: authoring tools disagree on namespace URIs and prefixes (and SCORM 1.2 spells
`adlcp:scormtype` where 2004 spells `adlcp:scormType`), so elements and attributes are matched by local name."""

from __future__ import annotations

from xml.etree.ElementTree import Element


def local(tag: str) -> str:
    return tag.rsplit("}", 1)[-1]


def children(element: Element, name: str) -> list[Element]:
    return [found for found in element if isinstance(found.tag, str) and local(found.tag) == name]


def child(element: Element, name: str) -> Element | None:
    found = children(element, name)
    return found[0] if found else None


def descendant(element: Element, *path: str) -> Element | None:
    current: Element | None = element
    for name in path:
        if current is None:
            return None
        current = child(current, name)
    return current


def attr(element: Element, name: str) -> str:
    """An attribute by local name, case-insensitively (scormtype / scormType), stripped."""
    wanted = name.lower()
    for key, value in element.attrib.items():
        if local(key).lower() == wanted:
            return value.strip()
    return ""


def text(element: Element | None) -> str:
    return (element.text or "").strip() if element is not None else ""
