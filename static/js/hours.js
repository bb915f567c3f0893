// Behaviour of the hours portal's and the registry's pages, in one file so that no page needs inline script
// (the Content-Security-Policy allows scripts from the site only).
(function () {
  "use strict";

  // A running upload job: its status block is fetched every 2 s until the job is finished, then the page reloads
  // to show the result (the server marks a job whose worker died as failed, so this always ends).
  function pollJob(box) {
    fetch(box.dataset.url, {credentials: "same-origin"}).then(function (response) {
      return response.text();
    }).then(function (html) {
      box.outerHTML = html;
      var now = document.getElementById("job-status");
      if (now.dataset.finished === "1") { window.location.reload(); } else { setTimeout(function () { pollJob(now); }, 2000); }
    }).catch(function () { setTimeout(function () { pollJob(document.getElementById("job-status")); }, 5000); });
  }

  document.addEventListener("DOMContentLoaded", function () {
    var box = document.getElementById("job-status");
    if (box && box.dataset.finished === "0") { setTimeout(function () { pollJob(box); }, 2000); }

    // 列印 buttons.
    document.querySelectorAll("[data-print]").forEach(function (button) {
      button.addEventListener("click", function () { window.print(); });
    });

    // After an import, focus moves to the result so keyboard and screen-reader users land on what it did.
    var result = document.querySelector("[data-focus-on-load]");
    if (result) { result.focus(); }
  });
})();
