// 批次上傳結果: while the job runs, fetch its status fragment every 2 s and show it; reload when it has finished.
// (A <noscript> refresh does the same without JavaScript.)
(function () {
  "use strict";
  function poll() {
    var box = document.getElementById("job-status");
    if (!box) { return; }
    fetch(box.dataset.url, {credentials: "same-origin"}).then(function (r) { return r.text(); }).then(function (html) {
      box.outerHTML = html;
      var now = document.getElementById("job-status");
      if (now.dataset.finished === "1") { window.location.reload(); } else { setTimeout(poll, 2000); }
    }).catch(function () { setTimeout(poll, 5000); });
  }
  setTimeout(poll, 2000);
})();
