"""Small SCORM packages built in code for the tests (and bench/scorm.py): SCORM 1.2 and 2004, single- and
multi-SCO, and broken variants. Each SCO page is a tiny but real SCO: it finds the API, initializes, and offers
buttons that set a status, a score, a bookmark and suspend data, then finishes."""

from __future__ import annotations

import io
import zipfile

NS_12 = 'xmlns="http://www.imsproject.org/xsd/imscp_rootv1p1p2" xmlns:adlcp="http://www.adlnet.org/xsd/adlcp_rootv1p2"'
NS_2004 = (
    'xmlns="http://www.imsglobal.org/xsd/imscp_v1p1" xmlns:adlcp="http://www.adlnet.org/xsd/adlcp_v1p3" '
    'xmlns:imsss="http://www.imsglobal.org/xsd/imsss" xmlns:adlnav="http://www.adlnet.org/xsd/adlnav_v1p3"'
)

SCO_12 = """<!doctype html><html><head><meta charset="utf-8"><title>{title}</title><script>
function findAPI(w){{var n=0;while(!w.API&&w.parent&&w.parent!==w&&n<10){{w=w.parent;n++;}}return w.API;}}
var api=findAPI(window);
function init(){{api.LMSInitialize("");
 document.getElementById("entry").textContent=api.LMSGetValue("cmi.core.entry");
 document.getElementById("where").textContent=api.LMSGetValue("cmi.core.lesson_location");
 document.getElementById("data").textContent=api.LMSGetValue("cmi.suspend_data");
 document.getElementById("launch").textContent=api.LMSGetValue("cmi.launch_data");
 document.getElementById("mastery").textContent=api.LMSGetValue("cmi.student_data.mastery_score");
 document.getElementById("total").textContent=api.LMSGetValue("cmi.core.total_time");}}
function set(k,v){{var ok=api.LMSSetValue(k,v);
 document.getElementById("last").textContent=ok+" "+api.LMSGetLastError();}}
function bookmark(){{set("cmi.core.lesson_location","page-7");set("cmi.suspend_data","{{\\"answers\\":[1,2]}}");
 set("cmi.core.lesson_status","incomplete");api.LMSCommit("");}}
function pass(){{set("cmi.core.score.raw","85");set("cmi.core.lesson_status","passed");api.LMSCommit("");}}
function suspend(){{set("cmi.core.session_time","00:02:30");set("cmi.core.exit","suspend");api.LMSFinish("");}}
function finish(){{set("cmi.core.session_time","00:01:00");set("cmi.core.exit","");api.LMSFinish("");}}
</script></head><body onload="init()"><h1>{title}</h1>
<p>entry=<span id="entry"></span> location=<span id="where"></span> data=<span id="data"></span>
launch=<span id="launch"></span> mastery=<span id="mastery"></span> total=<span id="total"></span>
last=<span id="last"></span></p>
<button id="bookmark" onclick="bookmark()">bookmark</button><button id="pass" onclick="pass()">pass</button>
<button id="bad" onclick="set('cmi.core.lesson_status','excellent')">bad</button>
<button id="suspend" onclick="suspend()">suspend</button><button id="finish" onclick="finish()">finish</button>
<button id="steal" onclick="steal()">steal</button><span id="stolen"></span>
<script>function steal(){{fetch("/ecpa/",{{credentials:"include"}}).then(function(r){{
document.getElementById("stolen").textContent=r.status+" "+document.cookie;}}).catch(function(e){{
document.getElementById("stolen").textContent="blocked "+document.cookie;}});}}</script>
</body></html>"""

SCO_2004 = """<!doctype html><html><head><meta charset="utf-8"><title>{title}</title><script>
function findAPI(w){{var n=0;while(!w.API_1484_11&&w.parent&&w.parent!==w&&n<10){{w=w.parent;n++;}}
return w.API_1484_11;}}
var api=findAPI(window);
function init(){{api.Initialize("");
 document.getElementById("entry").textContent=api.GetValue("cmi.entry");
 document.getElementById("where").textContent=api.GetValue("cmi.location");
 document.getElementById("sps").textContent=api.GetValue("cmi.scaled_passing_score");}}
function set(k,v){{var ok=api.SetValue(k,v);document.getElementById("last").textContent=ok+" "+api.GetLastError();}}
function done(scaled){{set("cmi.location","end");set("cmi.score.scaled",scaled);
 set("cmi.completion_status","completed");set("cmi.session_time","PT1M30S");api.Commit("");}}
function nav(req){{set("cmi.exit","suspend");set("adl.nav.request",req);api.Terminate("");}}
</script></head><body onload="init()"><h1>{title}</h1>
<p>entry=<span id="entry"></span> location=<span id="where"></span> sps=<span id="sps"></span>
last=<span id="last"></span></p>
<button id="pass" onclick="done('0.9')">pass</button><button id="fail" onclick="done('0.3')">fail</button>
<button id="continue" onclick="nav('continue')">continue</button>
<button id="previous" onclick="nav('previous')">previous</button>
<button id="choose-first" onclick="nav('{{target=item_1}}choice')">choice</button>
<button id="suspend" onclick="nav('_none_')">suspend</button>
</body></html>"""


# A SCO as many authoring tools write it: it calls LMSInitialize on load and LMSFinish as it unloads, and sets
# nothing else (no status, no score, no exit). {event} is "beforeunload" or "unload".
SCO_12_UNLOAD = """<!doctype html><html><head><meta charset="utf-8"><title>{title}</title><script>
function findAPI(w){{var n=0;while(!w.API&&w.parent&&w.parent!==w&&n<10){{w=w.parent;n++;}}return w.API;}}
var api=findAPI(window);var finished=false;
function finish(){{if(!finished){{finished=true;api.LMSFinish("");}}}}
window.addEventListener("load",function(){{api.LMSInitialize("");
 document.getElementById("entry").textContent=api.LMSGetValue("cmi.core.entry");
 document.getElementById("status").textContent=api.LMSGetValue("cmi.core.lesson_status");}});
window.addEventListener("{event}",finish);
</script></head><body><h1>{title}</h1><p>entry=<span id="entry"></span> status=<span id="status"></span></p>
</body></html>"""


def package_12_unload(*, scos: int = 4, **manifest_options) -> bytes:
    """Multi-SCO SCORM 1.2 whose SCOs only initialise and finish on unload (odd SCOs on beforeunload, even ones
    on unload)."""
    files: dict[str, bytes | str] = {"imsmanifest.xml": manifest_12(scos=scos, **manifest_options)}
    for n in range(1, scos + 1):
        event = "beforeunload" if n % 2 else "unload"
        files[f"sco{n}/index.html"] = SCO_12_UNLOAD.format(title=f"第 {n} 課", event=event)
    return _zip(files)


def _zip(files: dict[str, bytes | str]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, content in files.items():
            archive.writestr(name, content.encode("utf-8") if isinstance(content, str) else content)
    return buffer.getvalue()


def manifest_12(*, scos: int = 1, mastery: str = "", launch_data: str = "", organization: bool = True) -> str:
    items = "".join(
        f'<item identifier="item_{n}" identifierref="res_{n}"><title>第 {n} 課</title>'
        + (f"<adlcp:masteryscore>{mastery}</adlcp:masteryscore>" if mastery else "")
        + (f"<adlcp:datafromlms>{launch_data}</adlcp:datafromlms>" if launch_data else "")
        + "</item>"
        for n in range(1, scos + 1)
    )
    resources = "".join(
        f'<resource identifier="res_{n}" type="webcontent" adlcp:scormtype="sco" href="sco{n}/index.html">'
        f'<file href="sco{n}/index.html"/></resource>'
        for n in range(1, scos + 1)
    )
    organizations = (
        f'<organizations default="org"><organization identifier="org"><title>測試課程 1.2</title>{items}'
        "</organization></organizations>"
        if organization
        else "<organizations/>"
    )
    return (
        f'<?xml version="1.0" encoding="UTF-8"?><manifest identifier="test.12" version="1" {NS_12}>'
        "<metadata><schema>ADL SCORM</schema><schemaversion>1.2</schemaversion></metadata>"
        f"{organizations}<resources>{resources}</resources></manifest>"
    )


def manifest_2004(*, scos: int = 2, edition: str = "4th", passing: str = "0.8", control: str = "") -> str:
    """Items under one chapter. `control`: the attributes of a <controlMode> given to the organization and the
    chapter (e.g. 'flow="true"'); none by default, so the standard's defaults apply (choice, no flow)."""
    sequencing = f"<imsss:sequencing><imsss:controlMode {control}/></imsss:sequencing>" if control else ""
    objectives = (
        '<imsss:sequencing><imsss:objectives><imsss:primaryObjective objectiveID="p" satisfiedByMeasure="true">'
        f"<imsss:minNormalizedMeasure>{passing}</imsss:minNormalizedMeasure></imsss:primaryObjective>"
        "</imsss:objectives></imsss:sequencing>"
        if passing
        else ""
    )
    items = "".join(
        f'<item identifier="item_{n}" identifierref="res_{n}"><title>第 {n} 節</title>{objectives}</item>'
        for n in range(1, scos + 1)
    )
    resources = "".join(
        f'<resource identifier="res_{n}" type="webcontent" adlcp:scormType="sco" href="sco{n}/index.html">'
        f'<file href="sco{n}/index.html"/></resource>'
        for n in range(1, scos + 1)
    )
    return (
        f'<?xml version="1.0" encoding="UTF-8"?><manifest identifier="test.2004" version="1" {NS_2004}>'
        f"<metadata><schema>ADL SCORM</schema><schemaversion>2004 {edition} Edition</schemaversion></metadata>"
        '<organizations default="org"><organization identifier="org"><title>測試課程 2004</title>'
        f'<item identifier="chapter" ><title>第一章</title>{items}{sequencing}</item>{sequencing}'
        f"</organization></organizations><resources>{resources}</resources></manifest>"
    )


def package_12(*, scos: int = 1, **manifest_options) -> bytes:
    files: dict[str, bytes | str] = {"imsmanifest.xml": manifest_12(scos=scos, **manifest_options)}
    for n in range(1, scos + 1):
        files[f"sco{n}/index.html"] = SCO_12.format(title=f"第 {n} 課")
    return _zip(files)


def package_2004(*, scos: int = 2, **manifest_options) -> bytes:
    files: dict[str, bytes | str] = {"imsmanifest.xml": manifest_2004(scos=scos, **manifest_options)}
    for n in range(1, scos + 1):
        files[f"sco{n}/index.html"] = SCO_2004.format(title=f"第 {n} 節")
    return _zip(files)


def package_with(files: dict[str, bytes | str]) -> bytes:
    return _zip(files)


def package_with_symlink() -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("imsmanifest.xml", manifest_12())
        archive.writestr("sco1/index.html", SCO_12.format(title="x"))
        link = zipfile.ZipInfo("sco1/passwd")
        link.external_attr = 0o120777 << 16
        archive.writestr(link, "/etc/passwd")
    return buffer.getvalue()


def package_with_raw_names(names: list[str]) -> bytes:
    """A zip whose member names are written as given (zipfile would otherwise keep them as is too)."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("imsmanifest.xml", manifest_12())
        archive.writestr("sco1/index.html", SCO_12.format(title="x"))
        for name in names:
            archive.writestr(zipfile.ZipInfo(name), "x")
    return buffer.getvalue()


# ---- fixtures (imported by the test modules) -----------------------------------------------------------------

import pytest  # noqa: E402

GOLF_DIR_NAME = "scorm"


def golf_dir():
    """The third-party golf packages (../shared/scorm from the project root), or None where absent."""
    from django.conf import settings

    path = settings.BASE_DIR.parent / "shared" / GOLF_DIR_NAME
    return path if path.is_dir() else None


@pytest.fixture
def scorm_dir(settings, tmp_path):
    settings.SCORM_ROOT = tmp_path / "scorm"
    return settings.SCORM_ROOT


@pytest.fixture
def provider(agency):
    from civlearn.identity.models import AgencyRole, User

    user = User.objects.create_user("provider01", "Prov!der2026", email="provider@example.tw")
    AgencyRole.objects.create(user=user, agency=agency, role=AgencyRole.PROVIDER)
    return user


@pytest.fixture
def scorm_course(agency):
    from decimal import Decimal

    from civlearn.learning.models import Course

    return Course.objects.create(
        code="EL-SCORM-01",
        title="高爾夫入門（SCORM）",
        category_code="339",
        certified_hours=Decimal("1.0"),
        production_year=2025,
        provider_agency=agency,
        required_reading_minutes=0,
    )


@pytest.fixture
def enrolled(learner, scorm_course):
    from civlearn.learning.catalogue.services import enrol
    from civlearn.learning.completion.consent import consent_record

    consent_record(user=learner, share_hours=True)
    return enrol(user=learner, course=scorm_course)


def upload(*, actor, course, data: bytes, name: str = "package.zip", publish: bool = True):
    from civlearn.learning.scorm.services import package_publish, package_upload

    package = package_upload(actor=actor, course=course, upload=io.BytesIO(data), original_name=name)
    if publish:
        package = package_publish(actor=actor, package=package)
    return package


# ---- SCORM 2004 sequencing ------------------------------------------------------------------------------------

# A SCO for sequencing tests: shows what the runtime answers (entry, adl.nav.request_valid.*), reports a pass, a
# fail or a plain completion, asks for navigation through adl.nav.request, and terminates as it unloads when it
# has not yet (as many authoring tools do).
SCO_2004_SEQ = """<!doctype html><html><head><meta charset="utf-8"><title>{title}</title><script>
function findAPI(w){{var n=0;while(!w.API_1484_11&&w.parent&&w.parent!==w&&n<10){{w=w.parent;n++;}}
return w.API_1484_11;}}
var api=findAPI(window);var ended=false;
function show(id,v){{document.getElementById(id).textContent=v;}}
window.addEventListener("load",function(){{api.Initialize("");show("entry",api.GetValue("cmi.entry"));
 show("can-continue",api.GetValue("adl.nav.request_valid.continue"));
 show("can-previous",api.GetValue("adl.nav.request_valid.previous"));
 show("can-choose-post",api.GetValue("adl.nav.request_valid.choice.{{target=item_post}}"));}});
function set(k,v){{api.SetValue(k,v);}}
function report(scaled,success){{set("cmi.score.scaled",scaled);set("cmi.success_status",success);
 set("cmi.completion_status","completed");set("cmi.session_time","PT1M");api.Commit("");show("reported",success);}}
function progress(p){{set("cmi.progress_measure",p);api.Commit("");show("reported",p);}}
function nav(req){{if(req==="suspendAll")set("cmi.exit","suspend");set("adl.nav.request",req);ended=true;
 api.Terminate("");}}
window.addEventListener("unload",function(){{if(!ended){{ended=true;api.Terminate("");}}}});
</script></head><body><h1>{title}</h1>
<p>entry=<span id="entry"></span> continue=<span id="can-continue"></span>
previous=<span id="can-previous"></span> choose-post=<span id="can-choose-post"></span>
reported=<span id="reported"></span></p>
<button id="pass" onclick="report('0.9','passed')">pass</button>
<button id="fail" onclick="report('0.3','failed')">fail</button>
<button id="complete" onclick="report('0.5','unknown')">complete</button>
<button id="half" onclick="progress('0.5')">half</button>
<button id="continue" onclick="nav('continue')">continue</button>
<button id="previous" onclick="nav('previous')">previous</button>
<button id="suspend-all" onclick="nav('suspendAll')">suspendAll</button>
<button id="exit-all" onclick="nav('exitAll')">exitAll</button>
</body></html>"""

SKIP_IF_MASTERED = (
    "<imsss:sequencingRules><imsss:preConditionRule><imsss:ruleConditions>"
    '<imsss:ruleCondition condition="satisfied"/></imsss:ruleConditions>'
    '<imsss:ruleAction action="skip"/></imsss:preConditionRule></imsss:sequencingRules>'
)


def manifest_2004_pretest(*, control: str = 'choice="false" flow="true"', hide: tuple[str, ...] = ()) -> str:
    """Forced sequential order with a pre-test: 前測, 第 1 課, 第 2 課, 後測. Passing the pre-test writes the
    global objective `mastery`; the lessons read it into their primary objective and are skipped when it is
    satisfied (preConditionRule "satisfied → skip"). Lessons do not count for satisfaction and, once skipped,
    not for completion (rollupConsiderations ifNotSkipped); the course is satisfied when a test is passed."""

    def lesson(n: int) -> str:
        return (
            f'<item identifier="item_lesson{n}" identifierref="res_lesson{n}"><title>第 {n} 課</title>'
            f"<imsss:sequencing>{SKIP_IF_MASTERED}"
            '<imsss:rollupRules rollupObjectiveSatisfied="false"/>'
            '<imsss:objectives><imsss:primaryObjective objectiveID="lesson_obj">'
            '<imsss:mapInfo targetObjectiveID="mastery" readSatisfiedStatus="true"/>'
            "</imsss:primaryObjective></imsss:objectives>"
            '<adlseq:rollupConsiderations requiredForCompleted="ifNotSkipped" requiredForIncomplete="ifNotSkipped"/>'
            "</imsss:sequencing></item>"
        )

    hidden = "".join(f"<adlnav:hideLMSUI>{name}</adlnav:hideLMSUI>" for name in hide)
    presentation = (
        f"<adlnav:presentation><adlnav:navigationInterface>{hidden}</adlnav:navigationInterface></adlnav:presentation>"
        if hide
        else ""
    )
    items = (
        '<item identifier="item_pre" identifierref="res_pre"><title>前測</title>'
        f"{presentation}<imsss:sequencing>"
        '<imsss:objectives><imsss:primaryObjective objectiveID="pre_obj" satisfiedByMeasure="true">'
        "<imsss:minNormalizedMeasure>0.8</imsss:minNormalizedMeasure>"
        '<imsss:mapInfo targetObjectiveID="mastery" writeSatisfiedStatus="true"/>'
        "</imsss:primaryObjective></imsss:objectives></imsss:sequencing></item>"
        + lesson(1)
        + lesson(2)
        + '<item identifier="item_post" identifierref="res_post"><title>後測</title><imsss:sequencing>'
        '<imsss:objectives><imsss:primaryObjective objectiveID="post_obj" satisfiedByMeasure="true">'
        "<imsss:minNormalizedMeasure>0.8</imsss:minNormalizedMeasure></imsss:primaryObjective></imsss:objectives>"
        "</imsss:sequencing></item>"
    )
    root_sequencing = (
        f"<imsss:sequencing><imsss:controlMode {control}/>"
        '<imsss:rollupRules><imsss:rollupRule childActivitySet="any"><imsss:rollupConditions>'
        '<imsss:rollupCondition condition="satisfied"/></imsss:rollupConditions>'
        '<imsss:rollupAction action="satisfied"/></imsss:rollupRule></imsss:rollupRules>'
        "</imsss:sequencing>"
    )
    names = ("pre", "lesson1", "lesson2", "post")
    resources = "".join(
        f'<resource identifier="res_{name}" type="webcontent" adlcp:scormType="sco" href="{name}/index.html">'
        f'<file href="{name}/index.html"/></resource>'
        for name in names
    )
    return (
        f'<?xml version="1.0" encoding="UTF-8"?><manifest identifier="test.pretest" version="1" {NS_2004} '
        'xmlns:adlseq="http://www.adlnet.org/xsd/adlseq_v1p3">'
        "<metadata><schema>ADL SCORM</schema><schemaversion>2004 4th Edition</schemaversion></metadata>"
        '<organizations default="org"><organization identifier="org"><title>前測與依序學習</title>'
        f"{items}{root_sequencing}</organization></organizations><resources>{resources}</resources></manifest>"
    )


def package_2004_pretest(**manifest_options) -> bytes:
    titles = {"pre": "前測", "lesson1": "第 1 課", "lesson2": "第 2 課", "post": "後測"}
    files: dict[str, bytes | str] = {"imsmanifest.xml": manifest_2004_pretest(**manifest_options)}
    for name, title in titles.items():
        files[f"{name}/index.html"] = SCO_2004_SEQ.format(title=title)
    return _zip(files)


def manifest_2004_items(items: list[tuple[str, str]], *, root: str = "", collection: str = "") -> str:
    """A SCORM 2004 4th edition manifest with one SCO per (identifier, inner XML of its <item>) — the inner XML
    holds sequencing, presentation, completionThreshold — under an organization whose own sequencing is `root`;
    `collection` is the inner XML of <imsss:sequencingCollection>."""
    body = "".join(
        f'<item identifier="{identifier}" identifierref="res_{identifier}"><title>{identifier}</title>{inner}</item>'
        for identifier, inner in items
    )
    resources = "".join(
        f'<resource identifier="res_{identifier}" type="webcontent" adlcp:scormType="sco" href="{identifier}.html">'
        f'<file href="{identifier}.html"/></resource>'
        for identifier, _ in items
    )
    shared = f"<imsss:sequencingCollection>{collection}</imsss:sequencingCollection>" if collection else ""
    return (
        f'<?xml version="1.0" encoding="UTF-8"?><manifest identifier="test.rules" version="1" {NS_2004} '
        'xmlns:adlseq="http://www.adlnet.org/xsd/adlseq_v1p3">'
        "<metadata><schema>ADL SCORM</schema><schemaversion>2004 4th Edition</schemaversion></metadata>"
        f'<organizations default="org"><organization identifier="org"><title>規則</title>{body}{root}'
        f"</organization></organizations><resources>{resources}</resources>{shared}</manifest>"
    )
