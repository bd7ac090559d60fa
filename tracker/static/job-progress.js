// A background job's page (templates/staff/admin/job.html) updates its status in place while
// the job runs: every few seconds it fetches itself and swaps in the new #job-status. Without
// JavaScript the page reloads itself instead (a <noscript> refresh), so it works either way.
(function () {
  "use strict";
  var INTERVAL = 3000;
  function update() {
    var current = document.getElementById("job-status");
    if (!current || current.getAttribute("data-active") !== "true") return;
    fetch(window.location.href, { credentials: "same-origin", headers: { "Accept": "text/html" } })
      .then(function (response) { return response.ok ? response.text() : null; })
      .then(function (html) {
        if (html) {
          var fresh = new DOMParser().parseFromString(html, "text/html").getElementById("job-status");
          if (fresh) {
            current.innerHTML = fresh.innerHTML;
            current.setAttribute("data-active", fresh.getAttribute("data-active"));
          }
        }
        window.setTimeout(update, INTERVAL);
      })
      .catch(function () { window.setTimeout(update, INTERVAL * 2); });
  }
  window.setTimeout(update, INTERVAL);
})();
