/* Drives the vendored scorm-again SCORM 2004 runtime and sequencing engine (static/vendor/scorm-again) under
   Node for the sequencing tests (test_scorm_sequencing.py): the activity tree comes from our manifest reader,
   the steps from the test, and what the engine did comes back as JSON. The same engine and settings as the
   player (static/learning/scorm/player.js); only the content frame is replaced by scripted SCO calls.

   stdin: {"runtime": path, "tree": {...}, "collections": {...}, "state": "" | serialized, "steps": [...]}
   steps: ["request", name, target?]  the LMS's navigation request (processNavigationRequest)
          ["sco", [[element, value], ...], navRequest?]  the delivered SCO initialises, sets values, optionally
                                                          sets adl.nav.request, and terminates
          ["get", element]  a GetValue while a SCO is initialised (answers appear in "values")
          ["init"]  the delivered SCO initialises (and stays open)
   stdout: {"delivered": [...], "ends": [...], "values": [...], "refused": [...], "root": {...},
            "activities": {id: {completion, success, attempts}}, "state": serialized} */
"use strict";
const fs = require("fs");
const vm = require("vm");

const input = JSON.parse(fs.readFileSync(0, "utf8"));
// The engine logs with console.log / info / debug; stdout carries only the answer.
for (const name of ["log", "info", "debug"]) console[name] = (...parts) => process.stderr.write(parts.join(" ") + "\n");
globalThis.window = globalThis;
vm.runInThisContext(fs.readFileSync(input.runtime, "utf8"));

const out = { delivered: [], ends: [], values: [], refused: [], validity: null };
let saved = input.state || null;
let deliveredOnce = false;
let pending = null;
const api = new globalThis.Scorm2004API({
  logLevel: 5,
  autocommit: false,
  lmsCommitUrl: false,
  sequencing: {
    activityTree: input.tree,
    collections: input.collections || {},
    eventListeners: {
      onActivityDelivery: (activity) => { pending = activity.id; out.delivered.push(activity.id); },
      onSequencingSessionEnd: (data) => out.ends.push(data.reason),
      onNavigationValidityUpdate: (update) => {
        out.validity = { continue: update.continue, previous: update.previous, choice: update.choice,
                         hide: update.hideLmsUi };
      },
    },
  },
  sequencingStatePersistence: {
    autoLoadOnInitialize: false,
    persistence: {
      saveState: async (state) => { saved = state; return true; },
      loadState: async () => saved,
      clearState: async () => true,
    },
  },
});

function takeDelivery() {
  if (pending === null) return;
  if (deliveredOnce) api.reset();
  deliveredOnce = true;
  pending = null;
}

(async () => {
  if (input.state) await api.loadSequencingState();
  for (const step of input.steps) {
    const [kind, ...args] = step;
    if (kind === "request") {
      if (!api.processNavigationRequest(args[0], args[1])) out.refused.push(args[0] + (args[1] ? ":" + args[1] : ""));
      takeDelivery();
    } else if (kind === "init") {
      api.lmsInitialize("");
    } else if (kind === "get") {
      out.values.push(api.lmsGetValue(args[0]));
    } else if (kind === "sco") {
      if (!api.isInitialized()) api.lmsInitialize("");
      for (const [element, value] of args[0] || []) api.lmsSetValue(element, value);
      if (args[1]) api.lmsSetValue("adl.nav.request", args[1]);
      api.lmsFinish("");
      takeDelivery();
    }
    await new Promise((resolve) => setTimeout(resolve, 0));
  }
  await api.saveSequencingState();
  const state = api.getSequencingState() || {};
  const root = state.rootActivity || {};
  out.root = { completion: root.completionStatus, success: root.successStatus };
  out.activities = {};
  const walk = (activity) => {
    out.activities[activity.id] = { completion: activity.completionStatus, success: activity.successStatus,
                                     attempts: activity.attemptCount };
    (activity.children || []).forEach(walk);
  };
  walk(root);
  out.state = saved;
  process.stdout.write(JSON.stringify(out));
})().catch((error) => { process.stderr.write(String(error && error.stack || error)); process.exit(1); });
