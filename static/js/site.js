// Every page (templates/base.html). The pages work the same without this script.
(function () {
  "use strict";
  // After a refused form, keyboard and screen-reader focus moves to the error summary, so the person hears what
  // to fix first.
  var summary = document.getElementById("error-summary");
  if (summary) { summary.focus(); }

  // The header's menu is open without JavaScript; on narrow screens (where the CSS shows the button) it folds
  // behind a disclosure button. The button's aria-expanded is the one state the CSS reads.
  var header = document.querySelector(".site-header");
  var button = header && header.querySelector(".menu-toggle");
  if (!button) { return; }
  button.hidden = false;
  button.setAttribute("aria-expanded", "false");
  header.classList.add("menu-ready");
  button.addEventListener("click", function () {
    button.setAttribute("aria-expanded", button.getAttribute("aria-expanded") === "true" ? "false" : "true");
  });
  document.addEventListener("keydown", function (event) {
    if (event.key === "Escape" && button.getAttribute("aria-expanded") === "true") {
      button.setAttribute("aria-expanded", "false");
      button.focus();
    }
  });
})();
