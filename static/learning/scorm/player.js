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
      var reply = send(url, JSON.stringify(numbered(params)));
      if (reply.result === true) return { result: "true", errorCode: 0 };
      showFailure(reply.message);
      return { result: "false", errorCode: reply.errorCode || 391 };
    },
    updateSettings: function () {},
  };

  var settings = {
    autocommit: true,
    autocommitSeconds: 30,
    lmsCommitUrl: cfg.commitUrl,
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
  var api = is12 ? new window.Scorm12API(settings) : new window.Scorm2004API(settings);
  api.loadFromJSON(cfg.cmi);
  if (is12) {
    // scorm-again 3.4.3 starts cmi.core.lesson_status at "not attempted" and, at LMSInitialize, takes any status
    // present as set by the SCO, so its own LMSFinish rule above never runs. The server loads a status only when
    // a previous session stored one (tracking._initial_cmi); otherwise nobody has set it yet.
    var statusLoaded = !!(cfg.cmi && cfg.cmi.core && cfg.cmi.core.lesson_status);
    api.on("LMSInitialize", function () {
      if (!statusLoaded) api.statusSetByModule = false;
    });
    window.API = api;
  } else {
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
  api.on(is12 ? "LMSFinish" : "Terminate", function () {
    finished = true;
    stopBeats(true);
    window.setTimeout(function () {
      if (window.parent === window) show("ended");
      tellParent(navigation || { type: "scorm-finished" });
    }, 0);
  });

  if (!is12) {
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
    if (!finished && api.isInitialized() && navigator.sendBeacon) {
      var body = JSON.stringify(numbered(api.getCommitObject(false)));
      navigator.sendBeacon(cfg.commitUrl, new Blob([body], { type: "text/plain;charset=UTF-8" }));
    }
  });
})();
