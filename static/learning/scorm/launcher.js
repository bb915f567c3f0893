/* The platform page around a SCORM player frame: follows the frame's navigation requests (2004
   adl.nav.request continue / previous / choice) and the end of a session. Messages are accepted only from the
   content origin and only from this page's own frame.

   Many SCOs call LMSFinish / Terminate from onbeforeunload or onunload. When the learner clicks 下一個, 上一個,
   an entry of the table of contents or any link away, the SCO finishes *because* this page is leaving; its
   "finished" message must then not send the learner to the 「已離開本單元」 panel instead of where they asked to
   go. So once this page has started to leave, messages from the frame no longer move it. */
(function () {
  "use strict";
  var node = document.getElementById("scorm-frame-config");
  var frame = document.getElementById("scorm-frame");
  if (!node || !frame) return;
  var cfg = JSON.parse(node.textContent);
  var leaving = false;
  var settle = null;

  function markLeaving() {
    leaving = true;
    // A navigation that did not happen after all (a download, a cancelled prompt): follow the frame again.
    if (settle !== null) window.clearTimeout(settle);
    settle = window.setTimeout(function () { leaving = false; settle = null; }, 5000);
  }

  // beforeunload reaches this page before its frames, so the flag is set before a SCO's unload-time finish
  // can post anything; a click on a link is caught even earlier (capture phase).
  window.addEventListener("beforeunload", markLeaving);
  window.addEventListener("pagehide", markLeaving);
  window.addEventListener("pageshow", function (event) { if (event.persisted) leaving = false; });
  document.addEventListener("click", function (event) {
    var target = event.target;
    var link = target && target.closest ? target.closest("a[href]") : null;
    if (link && !link.hasAttribute("download") && (!link.target || link.target === "_self")) markLeaving();
  }, true);

  function go(scoId, ended) {
    if (leaving) return;
    leaving = true;
    var url = cfg.pageUrl + "?sco=" + encodeURIComponent(scoId);
    window.location.assign(ended ? url + "&ended=1" : url);
  }

  window.addEventListener("message", function (event) {
    if (event.origin !== cfg.contentOrigin || event.source !== frame.contentWindow) return;
    var message = event.data || {};
    if (message.sco !== cfg.current || leaving) return;
    if (message.type === "scorm-finished") {
      go(cfg.current, true);
    } else if (message.type === "scorm-nav") {
      if (message.request === "continue") {
        go(cfg.next || cfg.current, !cfg.next);
      } else if (message.request === "previous") {
        go(cfg.previous || cfg.current, !cfg.previous);
      } else if (message.request === "choice" && Object.prototype.hasOwnProperty.call(cfg.identifiers, message.target)) {
        go(cfg.identifiers[message.target], false);
      } else {
        go(cfg.current, true);
      }
    }
  });
})();
