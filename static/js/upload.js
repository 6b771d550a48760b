// The upload page's drop zone: a dropped file goes into the real file input, whose name and
// size are shown; a file over the limit or of the wrong type is refused before it is sent.
(function () {
  "use strict";
  var zone = document.getElementById("dropzone");
  var form = document.getElementById("upload-form");
  if (!zone || !form) {
    return;
  }
  var input = zone.querySelector("input[type=file]");
  var label = document.getElementById("drop-file");
  var error = document.getElementById("file-client-error");
  var submit = document.getElementById("upload-submit");
  var maxBytes = parseInt(zone.getAttribute("data-max-bytes"), 10) || 0;

  function humanSize(bytes) {
    if (bytes >= 1048576) {
      return (bytes / 1048576).toFixed(1) + " MB";
    }
    return Math.max(1, Math.round(bytes / 1024)) + " KB";
  }

  function problem(file) {
    if (!/\.(csv|xlsx)$/i.test(file.name)) {
      return "Choose a .csv or .xlsx file.";
    }
    if (maxBytes && file.size > maxBytes) {
      return "This file is " + humanSize(file.size) + "; the limit is " + humanSize(maxBytes) + ".";
    }
    return "";
  }

  function show() {
    var file = input.files && input.files[0];
    label.textContent = file ? file.name + " · " + humanSize(file.size) : "";
    var message = file ? problem(file) : "";
    error.textContent = message;
    error.hidden = !message;
  }

  ["dragenter", "dragover"].forEach(function (type) {
    zone.addEventListener(type, function (event) {
      event.preventDefault();
      zone.classList.add("is-over");
    });
  });
  ["dragleave", "dragend", "drop"].forEach(function (type) {
    zone.addEventListener(type, function () {
      zone.classList.remove("is-over");
    });
  });
  zone.addEventListener("drop", function (event) {
    event.preventDefault();
    if (event.dataTransfer && event.dataTransfer.files.length) {
      input.files = event.dataTransfer.files;
      show();
    }
  });
  input.addEventListener("change", show);

  form.addEventListener("submit", function (event) {
    var file = input.files && input.files[0];
    if (file && problem(file)) {
      event.preventDefault();
      show();
      return;
    }
    submit.disabled = true;
    submit.textContent = "Uploading…";
  });
})();
