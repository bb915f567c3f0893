"""SCORM 2004 sequencing: the manifest's IMS Simple Sequencing elements read into the activity tree that the
sequencing engine of scorm-again (static/vendor/scorm-again, in the player) is configured with.

The engine does the sequencing itself (navigation requests, pre/post/exit condition rules, rollup, limit
conditions, `adl.nav.request_valid`); this module only translates `<imsss:sequencing>` (SCORM 2004 4th ed. CAM
5.1.1, IMS SS 1.0 XML binding), `<adlseq:…>`, `<adlnav:presentation>` and `<adlcp:completionThreshold>` into the
engine's `ActivitySettings` shape. Element and attribute names are matched by local name, as in manifest.py.

What the engine cannot express is left out with a warning to the provider (never silently): a rollup rule whose
conditions combine with `any` or use `operator="not"` where no equivalent rule exists (the engine's rollup
conditions are all-of and without negation)."""

from __future__ import annotations

from xml.etree.ElementTree import Element

from civlearn.learning.scorm.xmlread import attr, child, children, text

_BOOLEAN_CONTROLS = {
    "controlMode": (
        "choice",
        "choiceExit",
        "flow",
        "forwardOnly",
        "useCurrentAttemptObjectiveInfo",
        "useCurrentAttemptProgressInfo",
    ),
    "rollupRules": ("rollupObjectiveSatisfied", "rollupProgressCompletion"),
    "constrainedChoiceConsiderations": ("preventActivation", "constrainChoice"),
    "randomizationControls": ("reorderChildren",),
}
_DELIVERY_CONTROLS = ("tracked", "completionSetByContent", "objectiveSetByContent")
_ROLLUP_CONSIDERATIONS = (
    "requiredForSatisfied",
    "requiredForNotSatisfied",
    "requiredForCompleted",
    "requiredForIncomplete",
)
_MAP_INFO_FLAGS = (
    "readSatisfiedStatus",
    "readNormalizedMeasure",
    "writeSatisfiedStatus",
    "writeNormalizedMeasure",
    "readCompletionStatus",
    "writeCompletionStatus",
    "readProgressMeasure",
    "writeProgressMeasure",
    "readRawScore",
    "writeRawScore",
    "readMinScore",
    "writeMinScore",
    "readMaxScore",
    "writeMaxScore",
    "updateAttemptData",
)
# IMS SS / SCORM 2004 4th ed. CAM 5.1.3 <controlMode>: the values an activity has when the manifest says
# nothing. Stated for every activity because the engine's own defaults differ (it lets flow default to true).
CONTROL_MODE_DEFAULTS = {"choice": True, "choiceExit": True, "flow": False, "forwardOnly": False}
HIDE_LMS_UI = ("continue", "previous", "exit", "exitAll", "abandon", "abandonAll", "suspendAll")
# A rollup rule with a negated condition over "all" / "none" children is the same rule with the other set.
_NEGATED_SET = {"all": "none", "none": "all"}


def _bool(value: str) -> bool | None:
    lowered = value.lower()
    if lowered in ("true", "1"):
        return True
    if lowered in ("false", "0"):
        return False
    return None


def _float(value: str) -> float | None:
    try:
        number = float(value)
    except ValueError:
        return None
    return number if number == number and abs(number) != float("inf") else None


def _int(value: str) -> int | None:
    try:
        return int(value)
    except ValueError:
        return None


def _controls(sequencing: Element) -> dict:
    controls: dict = {}
    for element_name, names in _BOOLEAN_CONTROLS.items():
        element = child(sequencing, element_name)
        if element is None:
            continue
        for name in names:
            value = _bool(attr(element, name))
            if value is not None:
                controls[name] = value
    rollup = child(sequencing, "rollupRules")
    if rollup is not None:
        weight = _float(attr(rollup, "objectiveMeasureWeight"))
        if weight is not None:
            controls["objectiveMeasureWeight"] = weight
    randomization = child(sequencing, "randomizationControls")
    if randomization is not None:
        for name in ("selectionTiming", "randomizationTiming"):
            if attr(randomization, name):
                controls[name] = attr(randomization, name)
        count = _int(attr(randomization, "selectCount"))
        if count is not None:
            controls["selectCount"] = count
    return controls


def _rule_condition(element: Element) -> dict:
    condition: dict = {"condition": attr(element, "condition") or "always"}
    if attr(element, "operator").lower() == "not":
        condition["operator"] = "not"
    if attr(element, "referencedObjective"):
        condition["referencedObjective"] = attr(element, "referencedObjective")
    threshold = _float(attr(element, "measureThreshold"))
    if threshold is not None:
        condition["parameters"] = {"threshold": threshold}
    return condition


def _sequencing_rules(sequencing: Element) -> dict:
    rules_element = child(sequencing, "sequencingRules")
    if rules_element is None:
        return {}
    rules: dict = {}
    for kind in ("preConditionRule", "exitConditionRule", "postConditionRule"):
        found = []
        for rule in children(rules_element, kind):
            conditions = child(rule, "ruleConditions")
            action = child(rule, "ruleAction")
            if conditions is None or action is None or not attr(action, "action"):
                continue
            found.append(
                {
                    "action": attr(action, "action"),
                    "conditionCombination": attr(conditions, "conditionCombination") or "all",
                    "conditions": [_rule_condition(c) for c in children(conditions, "ruleCondition")],
                }
            )
        if found:
            rules[f"{kind[:-4]}Rules"] = found
    return rules


def _rollup_rule(rule: Element, where: str, warnings: list[str]) -> dict | None:
    conditions_element = child(rule, "rollupConditions")
    action = child(rule, "rollupAction")
    if conditions_element is None or action is None or not attr(action, "action"):
        return None
    conditions = children(conditions_element, "rollupCondition")
    child_set = attr(rule, "childActivitySet") or "all"
    combination = attr(conditions_element, "conditionCombination") or "any"
    negated = [c for c in conditions if attr(c, "operator").lower() == "not"]
    if len(conditions) > 1 and combination == "any":
        warnings.append(f"{where}的彙總規則（rollupRule）以 any 組合多個條件，本平臺不支援，已略過此規則")
        return None
    if negated:
        if len(conditions) == 1 and child_set in _NEGATED_SET:
            child_set = _NEGATED_SET[child_set]
        else:
            warnings.append(f"{where}的彙總規則（rollupRule）含有 not 條件，本平臺不支援，已略過此規則")
            return None
    settings: dict = {
        "action": attr(action, "action"),
        "consideration": child_set,
        "conditions": [{"condition": attr(c, "condition") or "always"} for c in conditions],
    }
    count = _int(attr(rule, "minimumCount"))
    if count is not None:
        settings["minimumCount"] = count
    percent = _float(attr(rule, "minimumPercent"))
    if percent is not None:
        # The manifest's minimumPercent is 0.0–1.0; the engine compares it with a percentage.
        settings["minimumPercent"] = percent * 100
    return settings


def _objective(element: Element, primary: bool) -> dict:
    objective: dict = {"objectiveID": attr(element, "objectiveID")}
    if primary:
        objective["isPrimary"] = True
    by_measure = _bool(attr(element, "satisfiedByMeasure"))
    if by_measure is not None:
        objective["satisfiedByMeasure"] = by_measure
    measure = _float(text(child(element, "minNormalizedMeasure")))
    if measure is not None:
        objective["minNormalizedMeasure"] = measure
    maps = []
    for map_info in children(element, "mapInfo"):
        entry: dict = {"targetObjectiveID": attr(map_info, "targetObjectiveID")}
        for flag in _MAP_INFO_FLAGS:
            value = _bool(attr(map_info, flag))
            if value is not None:
                entry[flag] = value
        if entry["targetObjectiveID"]:
            maps.append(entry)
    if maps:
        objective["mapInfo"] = maps
    return objective


def sequencing_settings(sequencing: Element, *, where: str, warnings: list[str]) -> dict:
    """One `<imsss:sequencing>` (of an item, an organization or the sequencing collection) as engine settings."""
    settings: dict = {}
    if attr(sequencing, "IDRef"):
        settings["sequencingIdRef"] = attr(sequencing, "IDRef")
    controls = _controls(sequencing)
    if controls:
        settings["sequencingControls"] = controls
    rules = _sequencing_rules(sequencing)
    if rules:
        settings["sequencingRules"] = rules
    rollup = child(sequencing, "rollupRules")
    if rollup is not None:
        rollup_rules = [
            rule
            for rule in (_rollup_rule(r, where, warnings) for r in children(rollup, "rollupRule"))
            if rule is not None
        ]
        if rollup_rules:
            settings["rollupRules"] = {"rules": rollup_rules}
    limits = child(sequencing, "limitConditions")
    if limits is not None:
        limit = _int(attr(limits, "attemptLimit"))
        if limit is not None and limit > 0:
            settings["attemptLimit"] = limit
        if attr(limits, "attemptAbsoluteDurationLimit"):
            settings["attemptAbsoluteDurationLimit"] = attr(limits, "attemptAbsoluteDurationLimit")
    delivery = child(sequencing, "deliveryControls")
    if delivery is not None:
        flags = {name: _bool(attr(delivery, name)) for name in _DELIVERY_CONTROLS}
        if any(value is not None for value in flags.values()):
            settings["deliveryControls"] = {name: value for name, value in flags.items() if value is not None}
    objectives = child(sequencing, "objectives")
    if objectives is not None:
        primary = child(objectives, "primaryObjective")
        if primary is not None:
            settings["primaryObjective"] = _objective(primary, True)
        others = [_objective(o, False) for o in children(objectives, "objective") if attr(o, "objectiveID")]
        if others:
            settings["objectives"] = others
    considerations = child(sequencing, "rollupConsiderations")
    if considerations is not None:
        found: dict = {
            name: attr(considerations, name) for name in _ROLLUP_CONSIDERATIONS if attr(considerations, name)
        }
        if_active = _bool(attr(considerations, "measureSatisfactionIfActive"))
        if if_active is not None:
            found["measureSatisfactionIfActive"] = if_active
        if found:
            settings["rollupConsiderations"] = found
    return settings


def item_settings(item: Element, *, where: str, warnings: list[str]) -> dict:
    """What an `<item>` (or the `<organization>`) adds to its activity: its sequencing, `isvisible`,
    `adlnav:presentation` (hideLMSUI) and the 4th edition's `adlcp:completionThreshold` attributes."""
    sequencing = child(item, "sequencing")
    settings = sequencing_settings(sequencing, where=where, warnings=warnings) if sequencing is not None else {}
    if attr(item, "isvisible").lower() == "false":
        settings["isVisible"] = False
    presentation = child(item, "presentation")
    interface = child(presentation, "navigationInterface") if presentation is not None else None
    if interface is not None:
        hidden = [text(h) for h in children(interface, "hideLMSUI") if text(h) in HIDE_LMS_UI]
        if hidden:
            settings["hideLmsUi"] = hidden
    threshold = child(item, "completionThreshold")
    if threshold is not None:
        found: dict = {}
        by_measure = _bool(attr(threshold, "completedByMeasure"))
        if by_measure is not None:
            found["completedByMeasure"] = by_measure
        for name in ("minProgressMeasure", "progressWeight"):
            value = _float(attr(threshold, name))
            if value is not None:
                found[name] = value
        if "minProgressMeasure" not in found and _float(text(threshold)) is not None:
            found["minProgressMeasure"] = _float(text(threshold))
        if found:
            settings["completionThreshold"] = found
    return settings


def collections_read(root: Element, *, warnings: list[str]) -> dict[str, dict]:
    """The manifest's `<imsss:sequencingCollection>`: shared sequencing that items name with `IDRef`."""
    collection = child(root, "sequencingCollection")
    if collection is None:
        return {}
    found: dict[str, dict] = {}
    for sequencing in children(collection, "sequencing"):
        identifier = attr(sequencing, "ID")
        if identifier:
            found[identifier] = sequencing_settings(
                sequencing, where=f"共用排序設定「{identifier}」", warnings=warnings
            )
    return found


def with_control_defaults(settings: dict, collections: dict[str, dict]) -> dict:
    """An activity's settings with the standard's controlMode defaults for what neither the activity nor the
    shared sequencing it refers to (IDRef) states."""
    inherited: dict = {}
    refs = settings.get("sequencingIdRef")
    for ref in [refs] if isinstance(refs, str) else refs or []:
        inherited.update(collections.get(ref, {}).get("sequencingControls", {}))
    controls = {**CONTROL_MODE_DEFAULTS, **inherited, **settings.get("sequencingControls", {})}
    return {**settings, "sequencingControls": controls}
