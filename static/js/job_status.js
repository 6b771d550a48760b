// The progress of a running audit: polls its status as JSON every second, moves the bar and
// the current stage, turns into the dashboard when the job succeeds, or shows what to fix.
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
  var fill = document.getElementById("job-progress-fill");
  var steps = document.querySelectorAll("#job-steps li");
  var error = document.getElementById("job-error");
  var errorActions = document.getElementById("job-error-actions");
  var badge = document.getElementById("job-status-badge");

  function show(progress, text) {
    fill.style.width = progress + "%";
    bar.setAttribute("aria-valuenow", String(progress));
    percent.textContent = progress;
    if (text) {
      stage.textContent = text;
    }
    Array.prototype.forEach.call(steps, function (step) {
      var at = parseInt(step.getAttribute("data-at"), 10);
      step.classList.toggle("done", progress > at);
    });
  }

  function poll() {
    fetch(url, { credentials: "same-origin", headers: { Accept: "application/json" } })
      .then(function (response) {
        if (!response.ok) {
          throw new Error("status " + response.status);
        }
        return response.json();
      })
      .then(function (job) {
        show(job.progress, job.stage);
        if (job.status === "SUCCEEDED") {
          show(100, "Done: opening the dashboard");
          window.location.reload();
        } else if (job.status === "FAILED") {
          // The full page explains the failure (and lists rejected rows when there are any).
          badge.textContent = "Failed";
          badge.className = "status status-failed";
          error.textContent = job.error_message || "The audit failed.";
          error.hidden = false;
          errorActions.hidden = false;
          window.setTimeout(function () {
            window.location.reload();
          }, 1500);
        } else {
          window.setTimeout(poll, 1000);
        }
      })
      .catch(function () {
        window.setTimeout(poll, 3000);
      });
  }

  show(parseInt(fill.getAttribute("data-progress"), 10) || 0, "");
  window.setTimeout(poll, 1000);
})();
