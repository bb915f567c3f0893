"""SCORM 2004 sequencing: the manifest's sequencing read into the engine's activity tree (sequencing.py), and each
rule played by the real engine — the vendored scorm-again, driven under Node by scorm_engine.js with the same
settings as the player — on packages built in code. The server's part (state per enrolment, resume, new attempts,
the root's rollup as the course condition) is in test_scorm_course_attempt.py; the whole in Chromium in
test_browser_scorm_sequencing.py."""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path

import pytest
from django.conf import settings

from civlearn.learning.scorm.manifest import manifest_parse
from civlearn.learning.tests import scorm_packages as testing
from civlearn.testing.required import skip_needing

HARNESS = Path(__file__).with_name("scorm_engine.js")
# The engine tests run Node (./test installs it); where a leg requires Node, a skip for want of it fails.
needs_node = pytest.mark.node

PASS = [["cmi.score.scaled", "0.9"], ["cmi.success_status", "passed"], ["cmi.completion_status", "completed"]]
FAIL = [["cmi.score.scaled", "0.3"], ["cmi.success_status", "failed"], ["cmi.completion_status", "completed"]]
DONE = [["cmi.completion_status", "completed"]]


def engine(manifest: str, steps: list, state: str = "") -> dict:
    """What the engine did with `steps` on the activity tree read from `manifest`."""
    node = shutil.which("node")
    if node is None:
        skip_needing("node", "the sequencing engine (scorm-again) is driven under Node")
    parsed = manifest_parse(manifest.encode())
    runtime = settings.BASE_DIR / "static" / "vendor" / "scorm-again" / "scorm2004.min.js"
    request = {
        "runtime": str(runtime),
        "tree": parsed.activity_tree(),
        "collections": parsed.collections,
        "state": state,
        "steps": steps,
    }
    done = subprocess.run(
        [node, str(HARNESS)], input=json.dumps(request), capture_output=True, text=True, timeout=60, check=False
    )
    assert done.returncode == 0, done.stderr[-2000:]
    return json.loads(done.stdout)


# ---- the manifest read into the activity tree -----------------------------------------------------------------


def test_forced_order_and_pre_test_rules_are_read_into_the_activity_tree():
    tree = manifest_parse(testing.manifest_2004_pretest().encode()).activity_tree()
    assert (tree["id"], tree["title"]) == ("org", "前測與依序學習")
    assert tree["sequencingControls"] == {"choice": False, "choiceExit": True, "flow": True, "forwardOnly": False}
    assert tree["rollupRules"] == {
        "rules": [{"action": "satisfied", "consideration": "any", "conditions": [{"condition": "satisfied"}]}]
    }
    pre, lesson, _, post = tree["children"]
    assert pre["primaryObjective"] == {
        "objectiveID": "pre_obj",
        "isPrimary": True,
        "satisfiedByMeasure": True,
        "minNormalizedMeasure": 0.8,
        "mapInfo": [{"targetObjectiveID": "mastery", "writeSatisfiedStatus": True}],
    }
    assert lesson == {
        "id": "item_lesson1",
        "title": "第 1 課",
        "sequencingControls": {
            "choice": True,
            "choiceExit": True,
            "flow": False,
            "forwardOnly": False,
            "rollupObjectiveSatisfied": False,
        },
        "sequencingRules": {
            "preConditionRules": [
                {"action": "skip", "conditionCombination": "all", "conditions": [{"condition": "satisfied"}]}
            ]
        },
        "primaryObjective": {
            "objectiveID": "lesson_obj",
            "isPrimary": True,
            "mapInfo": [{"targetObjectiveID": "mastery", "readSatisfiedStatus": True}],
        },
        "rollupConsiderations": {"requiredForCompleted": "ifNotSkipped", "requiredForIncomplete": "ifNotSkipped"},
    }
    assert post["id"] == "item_post"


def test_control_mode_defaults_are_the_standards_not_the_engines():
    # a package that states no sequencing: choice and choiceExit on, flow and forwardOnly off (IMS SS defaults),
    # although the engine on its own would let flow default to on
    tree = manifest_parse(testing.manifest_2004(scos=2).encode()).activity_tree()
    defaults = {"choice": True, "choiceExit": True, "flow": False, "forwardOnly": False}
    chapter = tree["children"][0]
    assert [tree["sequencingControls"], chapter["sequencingControls"]] == [defaults, defaults]
    assert [child["id"] for child in chapter["children"]] == ["item_1", "item_2"]


def test_rollup_rules_weights_measures_presentation_limits_and_shared_sequencing_are_read():
    manifest = testing.manifest_2004_items(
        [
            (
                "a",
                '<adlcp:completionThreshold completedByMeasure="true" minProgressMeasure="0.8" progressWeight="2"/>'
                "<adlnav:presentation><adlnav:navigationInterface><adlnav:hideLMSUI>previous</adlnav:hideLMSUI>"
                "<adlnav:hideLMSUI>bogus</adlnav:hideLMSUI></adlnav:navigationInterface></adlnav:presentation>"
                '<imsss:sequencing IDRef="shared"><imsss:limitConditions attemptLimit="2"/>'
                '<imsss:rollupRules objectiveMeasureWeight="3"/></imsss:sequencing>',
            ),
            ("b", ""),
        ],
        root=(
            '<imsss:sequencing><imsss:rollupRules rollupProgressCompletion="true">'
            '<imsss:rollupRule childActivitySet="all"><imsss:rollupConditions>'
            '<imsss:rollupCondition operator="not" condition="satisfied"/></imsss:rollupConditions>'
            '<imsss:rollupAction action="notSatisfied"/></imsss:rollupRule>'
            '<imsss:rollupRule childActivitySet="atLeastPercent" minimumPercent="0.5"><imsss:rollupConditions>'
            '<imsss:rollupCondition condition="completed"/></imsss:rollupConditions>'
            '<imsss:rollupAction action="completed"/></imsss:rollupRule>'
            '<imsss:rollupRule childActivitySet="any"><imsss:rollupConditions conditionCombination="any">'
            '<imsss:rollupCondition condition="satisfied"/><imsss:rollupCondition condition="completed"/>'
            '</imsss:rollupConditions><imsss:rollupAction action="satisfied"/></imsss:rollupRule>'
            '<imsss:rollupRule childActivitySet="any"><imsss:rollupConditions>'
            '<imsss:rollupCondition operator="not" condition="attempted"/>'
            '</imsss:rollupConditions><imsss:rollupAction action="incomplete"/></imsss:rollupRule>'
            "</imsss:rollupRules></imsss:sequencing>"
        ),
        collection='<imsss:sequencing ID="shared"><imsss:controlMode forwardOnly="true"/></imsss:sequencing>',
    )
    parsed = manifest_parse(manifest.encode())
    tree = parsed.activity_tree()
    first = tree["children"][0]
    assert first["completionThreshold"] == {"completedByMeasure": True, "minProgressMeasure": 0.8, "progressWeight": 2}
    assert first["hideLmsUi"] == ["previous"]
    assert (first["attemptLimit"], first["sequencingIdRef"]) == (2, "shared")
    # the shared sequencing's forwardOnly is not overridden by a default
    assert first["sequencingControls"] == {
        "choice": True,
        "choiceExit": True,
        "flow": False,
        "forwardOnly": True,
        "objectiveMeasureWeight": 3.0,
    }
    assert parsed.collections == {"shared": {"sequencingControls": {"forwardOnly": True}}}
    # "all children not satisfied" is "no child satisfied"; minimumPercent becomes a percentage; the rules the
    # engine cannot express are left out, and the provider is told which and why
    assert tree["rollupRules"]["rules"] == [
        {"action": "notSatisfied", "consideration": "none", "conditions": [{"condition": "satisfied"}]},
        {
            "action": "completed",
            "consideration": "atLeastPercent",
            "conditions": [{"condition": "completed"}],
            "minimumPercent": 50.0,
        },
    ]
    assert parsed.warnings == (
        "組織「規則」的彙總規則（rollupRule）以 any 組合多個條件，本平臺不支援，已略過此規則",
        "組織「規則」的彙總規則（rollupRule）含有 not 條件，本平臺不支援，已略過此規則",
    )


# ---- each rule, played by the engine ---------------------------------------------------------------------------


@needs_node
def test_a_passed_pre_test_skips_the_lessons():
    played = engine(testing.manifest_2004_pretest(), [["request", "start"], ["sco", PASS, "continue"]])
    assert played["delivered"] == ["item_pre", "item_post"]
    assert (played["activities"]["item_lesson1"]["attempts"], played["activities"]["item_lesson2"]["attempts"]) == (
        0,
        0,
    )


@needs_node
def test_a_failed_pre_test_plays_every_lesson_in_order_and_the_root_rolls_up():
    steps = [["request", "start"], ["sco", FAIL, "continue"], ["sco", DONE, "continue"], ["sco", DONE, "continue"]]
    played = engine(testing.manifest_2004_pretest(), [*steps, ["sco", PASS, "continue"]])
    assert played["delivered"] == ["item_pre", "item_lesson1", "item_lesson2", "item_post"]
    assert played["ends"] == ["end_of_content"]
    assert played["root"] == {"completion": "completed", "success": "passed"}


@needs_node
def test_forced_order_refuses_choice_and_answers_request_valid():
    played = engine(
        testing.manifest_2004_pretest(),
        [
            ["request", "start"],
            ["init"],
            ["get", "adl.nav.request_valid.continue"],
            ["get", "adl.nav.request_valid.previous"],
            ["get", "adl.nav.request_valid.choice.{target=item_post}"],
            ["sco", DONE],
            ["request", "choice", "item_post"],
        ],
    )
    assert played["values"] == ["true", "false", "false"]
    assert played["refused"] == ["choice:item_post"]
    assert played["validity"]["choice"]["item_post"] == "false"


@needs_node
def test_forward_only_refuses_previous():
    manifest = testing.manifest_2004_pretest(control='choice="false" flow="true" forwardOnly="true"')
    played = engine(manifest, [["request", "start"], ["sco", FAIL, "continue"], ["sco", DONE, "previous"]])
    assert played["delivered"] == ["item_pre", "item_lesson1"]
    assert played["validity"]["previous"] is False


@needs_node
def test_without_flow_the_course_cannot_start_and_the_learner_chooses():
    manifest = testing.manifest_2004(scos=3, passing="")
    played = engine(manifest, [["request", "start"], ["request", "choice", "item_2"], ["sco", DONE, "continue"]])
    assert played["refused"] == ["start"]
    assert played["delivered"] == ["item_2"]
    assert played["validity"]["continue"] is False
    assert played["validity"]["choice"]["item_3"] == "true"


@needs_node
def test_hide_lms_ui_reaches_the_platform():
    played = engine(testing.manifest_2004_pretest(hide=("previous", "exitAll")), [["request", "start"]])
    assert played["validity"]["hide"] == ["previous", "exitAll"]


@needs_node
def test_suspend_all_then_resume_all_continues_the_same_attempt():
    manifest = testing.manifest_2004_pretest()
    first = engine(manifest, [["request", "start"], ["sco", FAIL, "continue"], ["sco", [], "suspendAll"]])
    assert first["ends"] == ["suspend_all"]
    again = engine(manifest, [["request", "resumeAll"]], state=first["state"])
    # the restored attempt resumes at the lesson it was suspended in, with the pre-test's result kept
    assert again["refused"] == []
    assert again["delivered"] == ["item_lesson1"]
    assert again["activities"]["item_lesson1"]["attempts"] == 1
    assert again["activities"]["item_pre"]["success"] == "failed"


@needs_node
def test_objective_measure_weight_decides_the_roots_measure():
    def course(weight_a: str, weight_b: str) -> str:
        def item(weight: str) -> str:
            return (
                f'<imsss:sequencing><imsss:rollupRules objectiveMeasureWeight="{weight}"/>'
                '<imsss:objectives><imsss:primaryObjective objectiveID="o" satisfiedByMeasure="true">'
                "<imsss:minNormalizedMeasure>0.5</imsss:minNormalizedMeasure></imsss:primaryObjective>"
                "</imsss:objectives></imsss:sequencing>"
            )

        root = (
            '<imsss:sequencing><imsss:controlMode flow="true"/><imsss:objectives>'
            '<imsss:primaryObjective objectiveID="root" satisfiedByMeasure="true">'
            "<imsss:minNormalizedMeasure>0.6</imsss:minNormalizedMeasure></imsss:primaryObjective>"
            "</imsss:objectives></imsss:sequencing>"
        )
        return testing.manifest_2004_items([("a", item(weight_a)), ("b", item(weight_b))], root=root)

    steps = [
        ["request", "start"],
        ["sco", [["cmi.score.scaled", "0.9"], ["cmi.completion_status", "completed"]], "continue"],
        ["sco", [["cmi.score.scaled", "0.1"], ["cmi.completion_status", "completed"]], "continue"],
    ]
    # (0.9 × 3 + 0.1 × 1) / 4 = 0.7 ≥ 0.6: satisfied; equal weights: 0.5 < 0.6: not satisfied
    assert engine(course("3", "1"), steps)["root"]["success"] == "passed"
    assert engine(course("1", "1"), steps)["root"]["success"] == "failed"


@needs_node
def test_completed_by_measure_decides_completion_from_progress():
    threshold = '<adlcp:completionThreshold completedByMeasure="true" minProgressMeasure="0.8"/>'
    manifest = testing.manifest_2004_items(
        [("a", threshold)], root='<imsss:sequencing><imsss:controlMode flow="true"/></imsss:sequencing>'
    )
    half = engine(manifest, [["request", "start"], ["sco", [["cmi.progress_measure", "0.5"]]]])
    most = engine(manifest, [["request", "start"], ["sco", [["cmi.progress_measure", "0.9"]]]])
    assert (half["activities"]["a"]["completion"], most["activities"]["a"]["completion"]) == ("incomplete", "completed")
    assert (half["root"]["completion"], most["root"]["completion"]) == ("incomplete", "completed")


@needs_node
def test_rollup_rule_all_satisfied_and_the_negated_rule_read_as_none():
    rules = (
        '<imsss:sequencing><imsss:controlMode flow="true"/><imsss:rollupRules>'
        '<imsss:rollupRule childActivitySet="all"><imsss:rollupConditions>'
        '<imsss:rollupCondition operator="not" condition="satisfied"/></imsss:rollupConditions>'
        '<imsss:rollupAction action="notSatisfied"/></imsss:rollupRule>'
        '<imsss:rollupRule childActivitySet="any"><imsss:rollupConditions>'
        '<imsss:rollupCondition condition="satisfied"/></imsss:rollupConditions>'
        '<imsss:rollupAction action="satisfied"/></imsss:rollupRule></imsss:rollupRules></imsss:sequencing>'
    )
    manifest = testing.manifest_2004_items([("a", ""), ("b", "")], root=rules)
    one = engine(manifest, [["request", "start"], ["sco", PASS, "continue"], ["sco", FAIL, "continue"]])
    none = engine(manifest, [["request", "start"], ["sco", FAIL, "continue"], ["sco", FAIL, "continue"]])
    # any child satisfied → satisfied; no child satisfied → not satisfied
    assert (one["root"]["success"], none["root"]["success"]) == ("passed", "failed")
