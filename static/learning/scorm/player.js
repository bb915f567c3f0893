/* The SCORM runtime page on the content origin. The API objects come from scorm-again (static/vendor/): they
   validate every call against the data model and answer with the standard error codes. This script only
   loads the learner's stored data, tells the server what was committed (a sequence number lets it ignore stale
   or repeated commits), sends reading-time beats while the page is visible, and tells the platform page that
   frames it about navigation requests and the end of the session (postMessage to that one origin). */
(function () {
  "use strict";
  var cfg = JSON.parse(document.getElementById("scorm-config").textContent);
  var is12 = cfg.version === "1.2";
  var seq = 0;
  // Where commits go: the SCO's session (the sequenced player changes it with every delivered activity).
  var commitUrl = cfg.commitUrl || "";
  var afterCommit = null; // the sequenced player tells the platform page each SCO's status as it is stored
  var finished = false;

  function numbered(data) {
    seq += 1;
    return { seq: seq, data: data };
  }

  function showFailure(message) {
    var element = document.getElementById("failed");
    if (element && message) {
      element.textContent = message;
      element.hidden = false;
    }
  }

  // A synchronous request while the page lives (the caller learns the answer before going on), a beacon when
  // the browser forbids that because the page is being dismissed (beforeunload, pagehide, unload).
  function send(url, body) {
    try {
      var xhr = new XMLHttpRequest();
      xhr.open("POST", url, false);
      xhr.setRequestHeader("Content-Type", "text/plain;charset=UTF-8");
      xhr.send(body);
      return JSON.parse(xhr.responseText || "{}");
    } catch (error) {
      var sent = !!(navigator.sendBeacon && navigator.sendBeacon(url, new Blob([body], { type: "text/plain;charset=UTF-8" })));
      return sent ? { result: true, beacon: true } : { result: false, errorCode: 391 };
    }
  }

  // Commits: the SCO learns whether its data was stored.
  var httpService = {
    processHttpRequest: function (url, params) {
      var reply = send(commitUrl, JSON.stringify(numbered(params)));
      if (reply.result === true) {
        if (afterCommit) afterCommit(reply);
        return { result: "true", errorCode: 0 };
      }
      showFailure(reply.message);
      return { result: "false", errorCode: reply.errorCode || 391 };
    },
    updateSettings: function () {},
  };

  var settings = {
    autocommit: true,
    autocommitSeconds: 30,
    lmsCommitUrl: cfg.commitUrl || cfg.stateUrl,
    dataCommitFormat: "json",
    logLevel: 4,
    httpService: httpService,
    scoItemIds: cfg.scoIdentifiers || [],
    // SCORM 1.2 RTE 3.4.4, as Moodle and SCORM Cloud apply it: on LMSFinish a status the SCO never set
    // ("not attempted") becomes "completed", or passed / failed against adlcp:masteryscore when the SCO set a
    // raw score (credit, normal mode); "browsed" in browse mode. The server applies the same mastery rule.
    autoCompleteLessonStatus: true,
    mastery_override: true,
  };
  var api;
  if (cfg.sequenced) {
    api = sequencedPlayer(settings);
  } else {
    api = is12 ? new window.Scorm12API(settings) : new window.Scorm2004API(settings);
    api.loadFromJSON(cfg.cmi);
  }
  if (is12) {
    // scorm-again 3.4.3 starts cmi.core.lesson_status at "not attempted" and, at LMSInitialize, takes any status
    // present as set by the SCO, so its own LMSFinish rule above never runs. The server loads a status only when
    // a previous session stored one (tracking._initial_cmi); otherwise nobody has set it yet.
    var statusLoaded = !!(cfg.cmi && cfg.cmi.core && cfg.cmi.core.lesson_status);
    api.on("LMSInitialize", function () {
      if (!statusLoaded) api.statusSetByModule = false;
    });
    window.API = api;
  } else if (!cfg.sequenced) {
    window.API_1484_11 = api;
  }

  function tellParent(message) {
    if (cfg.parentOrigin && window.parent !== window) {
      message.sco = cfg.scoId;
      window.parent.postMessage(message, cfg.parentOrigin);
    }
  }

  function show(id) {
    var element = document.getElementById(id);
    if (element) element.hidden = false;
  }

  // The end of the session: the terminate commit has been sent by now. The platform page is told after the
  // navigation request listeners had their turn (2004 fires Sequence* right after Terminate).
  var navigation = null;
  if (!cfg.sequenced) api.on(is12 ? "LMSFinish" : "Terminate", function () {
    finished = true;
    stopBeats(true);
    window.setTimeout(function () {
      if (window.parent === window) show("ended");
      tellParent(navigation || { type: "scorm-finished" });
    }, 0);
  });

  if (!is12 && !cfg.sequenced) {
    var requests = { SequenceNext: "continue", SequencePrevious: "previous", SequenceChoice: "choice",
                     SequenceJump: "choice", SequenceExit: "exit", SequenceExitAll: "exitAll",
                     SequenceAbandon: "exit", SequenceAbandonAll: "exitAll" };
    Object.keys(requests).forEach(function (event) {
      api.on(event, function (target) {
        navigation = { type: "scorm-nav", request: requests[event], target: typeof target === "string" ? target : "" };
      });
    });
  }

  // Reading time: the learning app's rules (server clock, gaps not credited, one clock per learner).
  var readingToken = cfg.readingToken;
  var beatTimer = null;

  function beat() {
    if (!readingToken) return;
    fetch(cfg.beatUrl, { method: "POST", body: readingToken, credentials: "omit", keepalive: true })
      .then(function (response) { return response.ok ? response.json() : null; })
      .then(function (reply) { if (reply && reply.token) readingToken = reply.token; })
      .catch(function () { /* offline: the next beat tries again; the gap rule decides what counts */ });
  }

  function startBeats() {
    if (beatTimer === null && readingToken && !finished) {
      beatTimer = window.setInterval(beat, Math.max(1, cfg.beatSeconds) * 1000);
    }
  }

  function stopBeats(final) {
    if (beatTimer !== null) {
      window.clearInterval(beatTimer);
      beatTimer = null;
      if (final && readingToken) {
        var reply = send(cfg.beatUrl, readingToken);
        if (reply && reply.token) readingToken = reply.token;
      }
    }
  }

  document.addEventListener("visibilitychange", function () {
    if (document.visibilityState === "visible") {
      startBeats();
    } else {
      stopBeats(true);
    }
  });
  if (document.visibilityState === "visible") startBeats();

  // Leaving without Finish/Terminate (tab closed, the learner picked another item): one last commit as a
  // beacon, which needs no CSRF header; its token names this attempt and this session only.
  window.addEventListener("pagehide", function () {
    stopBeats(true);
    if (cfg.sequenced) return; // the sequenced player suspends the course attempt instead (sequencedPlayer)
    if (!finished && api.isInitialized() && navigator.sendBeacon) {
      var body = JSON.stringify(numbered(api.getCommitObject(false)));
      navigator.sendBeacon(commitUrl, new Blob([body], { type: "text/plain;charset=UTF-8" }));
    }
  });

  // ---- SCORM 2004: the sequencing engine of scorm-again decides what is delivered -----------------------------
  // The activity tree comes from the manifest (server: sequencing.py); the engine's state is restored from the
  // server before the first request and saved there with every commit (course_attempt.py). Each delivered
  // activity gets its own session on the server (its CMI data, its commit URL) and is loaded into the content
  // frame; the platform page is told what was delivered and which navigation requests are valid.
  function sequencedPlayer(baseSettings) {
    var stateSeq = 0;
    var sessionEnd = "";
    var delivered = false;
    var leavingPage = false;
    var validity = null;
    var current = "";
    afterCommit = function (reply) {
      if (!reply.beacon && current) {
        var failed = reply.success === "failed" || reply.completion === "failed";
        tellParent({ type: "scorm-status", identifier: current,
                     status: reply.done ? "done" : failed ? "failed" : "progress" });
      }
    };

    // This script runs in <head> (the API must exist before content loads): the frame is looked up when used.
    function contentFrame() {
      return document.getElementById("content");
    }

    function post(url, body) {
      return send(url, JSON.stringify(body));
    }

    function stateSave(serialized) {
      var state = sequencing.getSequencingState() || {};
      var root = state.rootActivity || {};
      stateSeq += 1;
      var reply = post(cfg.stateUrl, {
        seq: stateSeq,
        state: serialized,
        root: { completion: root.completionStatus || "", success: root.successStatus || "" },
        suspended: sessionEnd === "suspend_all",
        ended: sessionEnd !== "" && sessionEnd !== "suspend_all",
      });
      if (reply.result !== true) showFailure(reply.message);
      return reply.result === true;
    }

    var settings = Object.assign({}, baseSettings, {
      sequencing: {
        activityTree: cfg.activityTree,
        collections: cfg.collections,
        eventListeners: {
          onActivityDelivery: function (activity) {
            // After the delivering call (Terminate, a request) has returned: the new SCO gets a fresh runtime.
            window.setTimeout(function () { deliver(activity.id); }, 0);
          },
          onNavigationValidityUpdate: function (update) {
            validity = update;
            tellParent({ type: "scorm-validity", continue: !!update.continue, previous: !!update.previous,
                         choice: update.choice || {}, hide: update.hideLmsUi || [] });
          },
          onSequencingSessionEnd: function (data) {
            sessionEnd = (data && data.reason) || "end";
            window.setTimeout(afterSessionEnd, 0);
          },
        },
      },
      sequencingStatePersistence: {
        autoLoadOnInitialize: false,
        autoSaveOn: "commit",
        persistence: {
          saveState: function (serialized) { return Promise.resolve(stateSave(serialized)); },
          loadState: function () { return Promise.resolve(cfg.state || null); },
          clearState: function () { return Promise.resolve(true); },
        },
      },
    });
    var sequencing = new window.Scorm2004API(settings);
    window.API_1484_11 = sequencing;

    // The session is over (suspendAll, exitAll, past the last activity…): once the call that ended it has
    // returned (and the state it saved is on the server), the platform page shows the end.
    function afterSessionEnd() {
      if (sessionEnd && !leavingPage) {
        stopBeats(true);
        contentFrame().src = "about:blank";
        tellParent({ type: "scorm-session-end", reason: sessionEnd });
      }
    }

    function deliver(identifier) {
      if (delivered) sequencing.reset();
      delivered = true;
      var reply = post(cfg.deliverUrl, { identifier: identifier });
      if (reply.result !== true) {
        showFailure(reply.message);
        return;
      }
      commitUrl = reply.commitUrl;
      current = identifier;
      seq = 0;
      sequencing.loadFromJSON(reply.cmi);
      contentFrame().src = reply.contentUrl;
      tellParent({ type: "scorm-delivered", identifier: identifier, title: reply.title, scoId: reply.scoId });
      startBeats();
    }

    function allowed(request, target) {
      if (!validity) return true;
      if (request === "continue") return !!validity.continue;
      if (request === "previous") return !!validity.previous;
      if (request === "choice") return (validity.choice || {})[target] === "true";
      return true;
    }

    // A request from the platform's buttons or table of contents. A running SCO ends its attempt first: it is
    // unloaded (its own unload handlers may still set data and call Terminate, which carries the request);
    // if it did not terminate by the time its frame is empty, the player terminates on its behalf.
    function platformRequest(request, target) {
      if (!allowed(request, target)) {
        tellParent({ type: "scorm-refused", request: request });
        return;
      }
      if (sequencing.isInitialized()) {
        sequencing.adl.nav.request = request === "choice" ? "{target=" + target + "}choice" : request;
        if (request === "suspendAll") suspendExit();
        var frame = contentFrame();
        var settle = function () {
          frame.removeEventListener("load", settle);
          if (sequencing.isInitialized()) sequencing.Terminate("");
        };
        frame.addEventListener("load", settle);
        frame.src = "about:blank";
        return;
      }
      if (request === "suspendAll" || request === "exitAll") {
        if (!sequencing.processNavigationRequest(request)) {
          tellParent({ type: "scorm-refused", request: request });
          return;
        }
        sessionEnd = sessionEnd || (request === "suspendAll" ? "suspend_all" : "exit_all");
        sequencing.saveSequencingState();
        afterSessionEnd();
        return;
      }
      if (!sequencing.processNavigationRequest(request, target || undefined)) {
        tellParent({ type: "scorm-refused", request: request });
      }
      sequencing.saveSequencingState();
    }

    window.addEventListener("message", function (event) {
      if (event.origin !== cfg.parentOrigin || event.source !== window.parent) return;
      var message = event.data || {};
      if (message.type === "scorm-request" && typeof message.request === "string") {
        platformRequest(message.request, typeof message.target === "string" ? message.target : "");
      }
    });

    // Leaving the page (another link, the tab closed) suspends the course attempt: the learner did not ask to
    // end it. beforeunload reaches this page before the content frame unloads, so a SCO finishing as it unloads
    // carries suspendAll; one that does not finish is terminated here.
    function leaveWith(request) {
      if (sessionEnd) return;
      if (sequencing.isInitialized()) {
        var pending = sequencing.adl.nav.request;
        if (["exitAll", "abandonAll", "suspendAll"].indexOf(pending) === -1) {
          sequencing.adl.nav.request = request;
          suspendExit();
        }
      }
    }

    // A SCO suspended by the platform (not by itself) is resumed next time (cmi.entry "resume", its data kept),
    // as when it sets cmi.exit = "suspend"; a SCO that set another exit keeps it.
    function suspendExit() {
      if (sequencing.isInitialized() && !sequencing.cmi.getExitValueInternal()) sequencing.SetValue("cmi.exit", "suspend");
    }
    window.addEventListener("beforeunload", function () { leavingPage = true; leaveWith("suspendAll"); });
    window.addEventListener("pagehide", function () {
      leavingPage = true;
      leaveWith("suspendAll");
      if (sessionEnd) return;
      if (sequencing.isInitialized()) {
        sequencing.Terminate("");
      } else if (delivered && !sessionEnd) {
        sessionEnd = "suspend_all";
        if (sequencing.processNavigationRequest("suspendAll")) sequencing.saveSequencingState();
      }
    });

    // The first delivery: the item chosen in the table of contents when the course allows that choice;
    // otherwise resumeAll (a suspended attempt) or start. A course whose root does not allow flow cannot be
    // started (SN: the learner chooses from the menu): the first item the course lets the learner choose is
    // chosen, as the learner would from the table of contents.
    function begin() {
      var first = cfg.request;
      if (cfg.target) {
        if (sequencing.processNavigationRequest("choice", cfg.target)) return;
        tellParent({ type: "scorm-refused", request: "choice" });
      }
      if (sequencing.processNavigationRequest(first)) return;
      if (first === "start") {
        for (var i = 0; i < cfg.launchable.length; i += 1) {
          if (sequencing.processNavigationRequest("choice", cfg.launchable[i])) return;
        }
      }
      showFailure(document.getElementById("failed").getAttribute("data-nothing"));
    }
    var restored = cfg.state ? sequencing.loadSequencingState({ learnerId: cfg.learnerId, courseId: cfg.courseId,
                                                                attemptNumber: cfg.attemptNumber }) : Promise.resolve(true);
    function whenReady() {
      if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", begin);
      else begin();
    }
    restored.then(whenReady, whenReady);
    return sequencing;
  }
})();
