/* Reading time (閱讀時數): a heartbeat every N seconds while this course page is visible, and a final one
   through navigator.sendBeacon when it is hidden or closed. The server credits time from its own clock; this
   script only says "still here" and shows the running total. Each answer carries the next token. */
(function () {
  "use strict";
  var root = document.querySelector("[data-reading-token]");
  if (!root) return;
  var url = root.getAttribute("data-heartbeat-url");
  var token = root.getAttribute("data-reading-token");
  var seconds = Math.max(1, parseInt(root.getAttribute("data-heartbeat-seconds"), 10) || 60);
  var timer = null;
  var reloading = false;
  // A final beat within a few seconds of the previous one (or of the page opening) would credit almost nothing
  // and only adds a write per click when a learner moves quickly between units.
  var MIN_FINAL_GAP_MS = 5000;
  var lastSent = Date.now();

  function body() {
    return new URLSearchParams({ token: token });
  }

  function show(reply) {
    var reading = document.querySelector("[data-reading]");
    if (reading && reply.reading) {
      // The server's words, in the page's language (e.g. 「1 分鐘 / 2 分鐘」).
      reading.textContent = reply.reading;
    }
    var box = document.querySelector("[data-progress]");
    if (box && reply.progress_html) {
      // The beat that met the reading condition: the server's progress box (conditions, percentage) replaces the
      // old one's content; the box itself stays, so its aria-live announcement is read.
      var fresh = new DOMParser().parseFromString(reply.progress_html, "text/html").querySelector("[data-progress]");
      if (fresh) box.replaceChildren.apply(box, Array.prototype.slice.call(fresh.childNodes));
    }
    if (reply.completed && !reloading) {
      // The beat that met the last condition completed the course: show the certificate.
      reloading = true;
      window.location.reload();
    }
  }

  // Why time is not being credited (the server's own words, e.g. a reading-time store that is down), or nothing.
  function status(text) {
    var element = document.querySelector("[data-reading-status]");
    if (!element) return;
    element.textContent = text || "";
    element.hidden = !text;
  }

  function beat() {
    lastSent = Date.now();
    fetch(url, { method: "POST", body: body(), credentials: "same-origin", keepalive: true })
      .then(function (response) { return response.json().catch(function () { return null; }); })
      .then(function (reply) {
        if (reply && reply.ok) {
          token = reply.token;
          status("");
          show(reply);
        } else if (reply && reply.error) {
          // The token is kept: the next beat tries again and the gap rule decides what the pause costs.
          status(reply.error);
        }
      })
      .catch(function () { /* offline: the next beat tries again; the gap rule decides what counts */ });
  }

  function finalBeat() {
    if (Date.now() - lastSent < MIN_FINAL_GAP_MS) return;
    lastSent = Date.now();
    if (navigator.sendBeacon) {
      navigator.sendBeacon(url, body());
    } else {
      beat();
    }
  }

  function start() {
    if (timer === null) timer = window.setInterval(beat, seconds * 1000);
  }

  function stop() {
    if (timer !== null) {
      window.clearInterval(timer);
      timer = null;
    }
  }

  document.addEventListener("visibilitychange", function () {
    if (document.visibilityState === "hidden") {
      stop();
      finalBeat();
    } else {
      beat();
      start();
    }
  });
  window.addEventListener("pagehide", function () {
    stop();
    finalBeat();
  });
  if (document.visibilityState === "visible") start();
})();
