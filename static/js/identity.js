// eCPA pages: after a refused form, move keyboard and screen-reader focus to the error summary, so the person
// hears what to fix first. The page works the same without this script.
document.addEventListener("DOMContentLoaded", function () {
  var summary = document.getElementById("error-summary");
  if (summary) {
    summary.focus();
  }
});
