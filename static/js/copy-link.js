// Buttons marked data-copy-from="<link id>" copy that link's full address (the page works without them: the
// address is shown as a plain link). The status next to the button says it was copied, for screen readers too.
(function () {
  "use strict";
  document.querySelectorAll("button[data-copy-from]").forEach(function (button) {
    var link = document.getElementById(button.getAttribute("data-copy-from"));
    var status = button.parentNode.querySelector(".copy-status");
    if (!link || !navigator.clipboard) { return; }
    button.hidden = false;
    button.addEventListener("click", function () {
      navigator.clipboard.writeText(link.href).then(function () {
        if (status) { status.textContent = status.getAttribute("data-copied"); }
      });
    });
  });
})();
