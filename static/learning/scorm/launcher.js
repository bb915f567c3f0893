/* The platform page around a SCORM player frame: follows the frame's navigation requests (2004
   adl.nav.request continue / previous / choice) and the end of a session. Messages are accepted only from the
   content origin and only from this page's own frame. */
(function () {
  "use strict";
  var node = document.getElementById("scorm-frame-config");
  var frame = document.getElementById("scorm-frame");
  if (!node || !frame) return;
  var cfg = JSON.parse(node.textContent);

  function go(scoId, ended) {
    var url = cfg.pageUrl + "?sco=" + encodeURIComponent(scoId);
    window.location.assign(ended ? url + "&ended=1" : url);
  }

  window.addEventListener("message", function (event) {
    if (event.origin !== cfg.contentOrigin || event.source !== frame.contentWindow) return;
    var message = event.data || {};
    if (message.sco !== cfg.current) return;
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
