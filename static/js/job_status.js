// Polls the audit's status every second and reloads the page when it ends.
(function () {
  "use strict";
  var panel = document.getElementById("job-progress");
  if (!panel) {
    return;
  }
  var url = panel.getAttribute("data-status-url");
  var stage = document.getElementById("job-stage");
  var percent = document.getElementById("job-percent");
  var bar = document.getElementById("job-progress-bar");

  function poll() {
    fetch(url, { credentials: "same-origin", headers: { Accept: "application/json" } })
      .then(function (response) {
        if (!response.ok) {
          throw new Error("status " + response.status);
        }
        return response.json();
      })
      .then(function (job) {
        stage.textContent = job.stage;
        percent.textContent = job.progress;
        bar.value = job.progress;
        if (job.finished) {
          window.location.reload();
        } else {
          window.setTimeout(poll, 1000);
        }
      })
      .catch(function () {
        window.setTimeout(poll, 3000);
      });
  }

  window.setTimeout(poll, 1000);
})();
