"""imsmanifest.xml parsing: versions, organization trees, launch URLs, mastery data, refusals."""

from __future__ import annotations

from decimal import Decimal

import pytest

from civlearn.learning.scorm.manifest import ManifestError, manifest_parse, safe_join
from civlearn.learning.tests.scorm_packages import NS_12, NS_2004, manifest_12, manifest_2004


def test_scorm12_single_sco_gives_title_version_launch_mastery_and_launch_data():
    manifest = manifest_parse(manifest_12(mastery="80", launch_data="level=2").encode())
    assert (manifest.version, manifest.title, manifest.identifier) == ("1.2", "測試課程 1.2", "test.12")
    [item] = manifest.items
    assert (item.identifier, item.title, item.launch, item.is_sco) == ("item_1", "第 1 課", "sco1/index.html", True)
    assert (item.mastery_score, item.launch_data) == (Decimal("80"), "level=2")
    assert manifest.files == {"sco1/index.html"}


@pytest.mark.parametrize(("edition", "version"), [("2nd", "2004-2"), ("3rd", "2004-3"), ("4th", "2004-4")])
def test_scorm2004_editions_and_a_nested_organization(edition, version):
    manifest = manifest_parse(manifest_2004(scos=3, edition=edition, passing="0.75").encode())
    assert manifest.version == version
    assert [(i.identifier, i.depth, i.launch) for i in manifest.items] == [
        ("chapter", 0, ""),
        ("item_1", 1, "sco1/index.html"),
        ("item_2", 1, "sco2/index.html"),
        ("item_3", 1, "sco3/index.html"),
    ]
    assert [i.scaled_passing_score for i in manifest.launchable] == [Decimal("0.75")] * 3


def test_cam_13_is_2004_2nd_edition_and_4th_edition_threshold_attribute():
    xml = (
        f'<manifest identifier="m" {NS_2004}><metadata><schemaversion>CAM 1.3</schemaversion></metadata>'
        '<organizations default="o"><organization identifier="o"><title>T</title>'
        '<item identifier="i" identifierref="r" parameters="?page=2"><title>I</title>'
        '<adlcp:completionThreshold minProgressMeasure="0.6"/></item></organization></organizations>'
        '<resources xml:base="content/"><resource identifier="r" adlcp:scormType="sco" href="a%20b.html?x=1">'
        "</resource></resources></manifest>"
    )
    manifest = manifest_parse(xml.encode())
    assert manifest.version == "2004-2"
    [item] = manifest.items
    assert (item.launch, item.completion_threshold) == ("content/a b.html?x=1&page=2", Decimal("0.6"))
    assert manifest.files == {"content/a b.html"}


def test_asset_resources_launch_but_are_not_scos_and_default_organization_is_chosen():
    xml = (
        f'<manifest identifier="m" {NS_12}><metadata><schemaversion>1.2</schemaversion></metadata>'
        '<organizations default="second"><organization identifier="first"><title>A</title>'
        '<item identifier="a" identifierref="r"><title>A</title></item></organization>'
        '<organization identifier="second"><title>B</title>'
        '<item identifier="b" identifierref="r" isvisible="false"><title>B</title></item></organization>'
        '</organizations><resources><resource identifier="r" adlcp:scormtype="asset" href="x.pdf"/></resources>'
        "</manifest>"
    )
    manifest = manifest_parse(xml.encode())
    [item] = manifest.items
    assert (manifest.title, item.identifier, item.is_sco, item.is_visible) == ("B", "b", False, False)


@pytest.mark.parametrize(
    ("xml", "message"),
    [
        ("<manifest", "imsmanifest.xml 不是格式正確的 XML（第 1 行第 1 字附近）"),
        ("<html/>", "imsmanifest.xml 的根元素應為 manifest，而非「html」"),
        (manifest_12(organization=False), "imsmanifest.xml 沒有任何組織（organization），無法得知課程架構"),
        (
            manifest_12().replace('identifierref="res_1"', 'identifierref="nowhere"'),
            "項目「第 1 課」引用的資源「nowhere」不存在於 imsmanifest.xml",
        ),
        (
            manifest_12().replace("<schemaversion>1.2</schemaversion>", "<schemaversion>1.1</schemaversion>"),
            "不支援的 SCORM 版本「1.1」（支援 1.2 與 2004 第 2–4 版）",
        ),
        (manifest_12(mastery="120"), "項目「第 1 課」的及格分數（masteryscore）「120」必須介於 0 與 100 之間"),
        (
            manifest_12().replace('href="sco1/index.html">', 'href="../etc/passwd">'),
            "路徑「../etc/passwd」超出套件範圍",
        ),
        (
            manifest_12().replace('<file href="sco1/index.html"/>', '<file href="/etc/passwd"/>'),
            "路徑「/etc/passwd」是絕對路徑，超出套件範圍",
        ),
        (
            manifest_12().replace('href="sco1/index.html">', 'href="https://evil.example/x.html">'),
            "「https://evil.example/x.html」指向套件以外的網址，不支援",
        ),
    ],
)
def test_refusals_name_the_problem(xml, message):
    with pytest.raises(ManifestError) as refused:
        manifest_parse(xml.encode())
    assert str(refused.value) == message


def test_entity_expansion_is_refused_not_expanded():
    bomb = (
        '<?xml version="1.0"?><!DOCTYPE m [<!ENTITY a "aaaaaaaaaa"><!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;">]>'
        "<manifest>&b;</manifest>"
    )
    with pytest.raises(ManifestError) as refused:
        manifest_parse(bomb.encode())
    assert str(refused.value) == ENTITY_REFUSAL


ENTITY_REFUSAL = (
    "imsmanifest.xml 含有 DTD 實體（ENTITY）或外部參照，基於安全不予處理；請由製作工具重新匯出不含 DTD 的套件"
)


def test_an_external_entity_is_refused_with_a_clear_message_not_the_parsers_text():
    xxe = (
        manifest_12()
        .replace("<manifest ", '<!DOCTYPE manifest [<!ENTITY secret SYSTEM "file:///etc/passwd">]><manifest ', 1)
        .replace("<title>第 1 課</title>", "<title>&secret;</title>")
    )
    with pytest.raises(ManifestError) as refused:
        manifest_parse(xxe.encode())
    assert str(refused.value) == ENTITY_REFUSAL
    assert "EntitiesForbidden" not in str(refused.value) and "system_id" not in str(refused.value)


def test_a_default_naming_no_organization_falls_back_to_the_first_with_a_warning():
    # given a manifest whose <organizations default="…"> names no organization (Moodle plays these)
    xml = manifest_12(scos=2).replace('default="org"', 'default="other"')
    manifest = manifest_parse(xml.encode())
    # then the first organization is used and the provider is told
    assert [item.identifier for item in manifest.launchable] == ["item_1", "item_2"]
    assert manifest.warnings == (
        "imsmanifest.xml 指定的預設組織「other」不存在，已改用第一個組織「測試課程 1.2」；請通知教材製作者修正",
    )
    assert manifest_parse(manifest_12().encode()).warnings == ()


def test_safe_join_normalises_inside_the_package():
    assert safe_join("a/b/", "../c.html") == "a/c.html"
    assert safe_join("", "./x/./y.html#top") == "x/y.html"
    with pytest.raises(ManifestError):
        safe_join("a/", "../../c.html")
    with pytest.raises(ManifestError):
        safe_join("", "C:\\\\windows\\\\x.html")
