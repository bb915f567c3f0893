// Every page (templates/base.html). The pages work the same without this script.
(function () {
  "use strict";
  // On load, keyboard and screen-reader focus moves to what the page is about to say: an element marked
  // data-focus-on-load (an upload's or an import's result), else the error summary of a refused form, so the person
  // hears what happened, or what to fix, first.
  var target = document.querySelector("[data-focus-on-load]") || document.getElementById("error-summary");
  if (target) { target.focus(); }

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
