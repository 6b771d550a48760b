// Sets the colour theme before the page paints (no flash): the remembered choice, or the
// system setting. Loaded synchronously in <head>; the toggle button is wired once the DOM exists.
(function () {
  "use strict";
  var KEY = "carbontrace-theme";
  var root = document.documentElement;
  var media = window.matchMedia ? window.matchMedia("(prefers-color-scheme: dark)") : null;

  function stored() {
    try {
      var value = window.localStorage.getItem(KEY);
      return value === "dark" || value === "light" ? value : null;
    } catch (e) {
      return null;
    }
  }

  function apply(theme) {
    root.setAttribute("data-theme", theme);
    var button = document.getElementById("theme-toggle");
    if (button) {
      var dark = theme === "dark";
      button.setAttribute("aria-pressed", dark ? "true" : "false");
      button.setAttribute("title", dark ? "Switch to light mode" : "Switch to dark mode");
    }
    document.dispatchEvent(new CustomEvent("carbontrace:theme", { detail: { theme: theme } }));
  }

  apply(stored() || (media && media.matches ? "dark" : "light"));

  if (media && media.addEventListener) {
    media.addEventListener("change", function (event) {
      if (!stored()) {
        apply(event.matches ? "dark" : "light");
      }
    });
  }

  document.addEventListener("DOMContentLoaded", function () {
    var button = document.getElementById("theme-toggle");
    if (!button) {
      return;
    }
    apply(root.getAttribute("data-theme"));
    button.addEventListener("click", function () {
      var next = root.getAttribute("data-theme") === "dark" ? "light" : "dark";
      try {
        window.localStorage.setItem(KEY, next);
      } catch (e) {
        /* private mode: the choice lasts for this page only */
      }
      apply(next);
    });
  });
})();
