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
    // (With sequencing the table of contents sends choice requests to the frame instead of leaving.)
    if (cfg.sequenced && link && link.closest(".scorm-outline")) return;
    if (link && !link.hasAttribute("download") && (!link.target || link.target === "_self")) markLeaving();
  }, true);

  function go(scoId, ended) {
    if (leaving) return;
    leaving = true;
    var url = cfg.pageUrl + "?sco=" + encodeURIComponent(scoId);
    window.location.assign(ended ? url + "&ended=1" : url);
  }

  if (cfg.sequenced) {
    sequenced();
    return;
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

  // SCORM 2004: the sequencing engine in the frame decides what is delivered. This page sends it the learner's
  // navigation requests (its buttons, the table of contents) and shows what the engine answers: the activity
  // delivered, which requests are valid now, hideLMSUI, and the end of the session.
  function sequenced() {
    var buttons = Array.prototype.slice.call(document.querySelectorAll(".scorm-nav [data-nav]"));
    var links = Array.prototype.slice.call(document.querySelectorAll(".scorm-outline li[data-identifier] > a"));
    var note = document.getElementById("scorm-nav-message");
    var heading = document.getElementById("sco-title");
    var choice = null;

    function say(text) {
      if (!note) return;
      note.textContent = text || "";
      note.hidden = !text;
    }

    function request(name, target) {
      say("");
      frame.contentWindow.postMessage({ type: "scorm-request", request: name, target: target || "" }, cfg.contentOrigin);
    }

    buttons.forEach(function (button) {
      button.addEventListener("click", function () { request(button.getAttribute("data-nav")); });
    });
    links.forEach(function (link) {
      link.addEventListener("click", function (event) {
        event.preventDefault();
        var identifier = link.parentNode.getAttribute("data-identifier");
        if (!choice || choice[identifier] !== "true") {
          say(note ? note.getAttribute("data-refused-choice") : "");
          return;
        }
        request("choice", identifier);
      });
    });

    function showDelivered(identifier, title) {
      if (heading && title) heading.textContent = title;
      links.forEach(function (link) {
        var item = link.parentNode;
        var current = item.getAttribute("data-identifier") === identifier;
        item.classList.toggle("current", current);
        if (current) link.setAttribute("aria-current", "page"); else link.removeAttribute("aria-current");
      });
    }

    // A SCO's status as the server stored it, in the words the table of contents uses (the note's data-status-*).
    function showStatus(identifier, status) {
      var label = note ? note.getAttribute("data-status-" + status) : "";
      links.forEach(function (link) {
        if (link.parentNode.getAttribute("data-identifier") !== identifier || !label) return;
        var badge = link.parentNode.querySelector(".scorm-status");
        if (!badge) return;
        badge.textContent = label;
        badge.classList.toggle("status-ok", status === "done");
        badge.classList.toggle("status-short", status === "failed");
      });
    }

    function showValidity(message) {
      var hide = message.hide || [];
      choice = message.choice || {};
      buttons.forEach(function (button) {
        var name = button.getAttribute("data-nav");
        var valid = name === "continue" ? message.continue : name === "previous" ? message.previous : true;
        button.hidden = !valid || hide.indexOf(name) !== -1;
      });
      links.forEach(function (link) {
        var allowed = choice[link.parentNode.getAttribute("data-identifier")] === "true";
        if (allowed) link.removeAttribute("aria-disabled"); else link.setAttribute("aria-disabled", "true");
      });
    }

    window.addEventListener("message", function (event) {
      if (event.origin !== cfg.contentOrigin || event.source !== frame.contentWindow || leaving) return;
      var message = event.data || {};
      if (message.type === "scorm-delivered") {
        showDelivered(message.identifier, message.title);
      } else if (message.type === "scorm-validity") {
        showValidity(message);
      } else if (message.type === "scorm-status") {
        showStatus(message.identifier, message.status);
      } else if (message.type === "scorm-refused") {
        say(note ? note.getAttribute("data-refused") : "");
      } else if (message.type === "scorm-session-end") {
        leaving = true;
        window.location.assign(cfg.pageUrl + "?ended=" + (message.reason === "suspend_all" ? "suspend" : "end"));
      }
    });
  }
})();
