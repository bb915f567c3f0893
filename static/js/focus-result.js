// Move focus to the element marked data-focus-on-load (an upload's result), so keyboard and screen-reader users land
// on what the upload did.
(function () {
  "use strict";
  var target = document.querySelector("[data-focus-on-load]");
  if (target) { target.focus(); }
})();
