// Buttons marked data-print open the browser's print dialog (the page's print stylesheet hides the controls).
(function () {
  "use strict";
  document.querySelectorAll("button[data-print]").forEach(function (button) {
    button.hidden = false;
    button.addEventListener("click", function () { window.print(); });
  });
})();
