/* Colour mode (Bootstrap 5.3): the saved choice, else the system's. Loaded in <head> so the
   first paint is already right; a plain file because the CSP forbids inline scripts. */
(function () {
  "use strict";
  var KEY = "doorman-theme";
  var media = window.matchMedia("(prefers-color-scheme: dark)");

  function stored() {
    try {
      var value = window.localStorage.getItem(KEY);
      return value === "light" || value === "dark" ? value : "auto";
    } catch (e) {
      return "auto"; // storage refused (private mode): follow the system
    }
  }

  function resolved(choice) {
    return choice === "auto" ? (media.matches ? "dark" : "light") : choice;
  }

  function apply(choice) {
    var mode = resolved(choice);
    var changed = document.documentElement.getAttribute("data-bs-theme") !== mode;
    document.documentElement.setAttribute("data-bs-theme", mode);
    document.querySelectorAll("[data-theme-value]").forEach(function (item) {
      var on = item.getAttribute("data-theme-value") === choice;
      item.classList.toggle("active", on);
      item.setAttribute("aria-pressed", on ? "true" : "false");
    });
    var toggle = document.getElementById("theme-toggle");
    if (toggle) {
      // The page gives the label in its language (data-label-light, -dark, -auto).
      var label = toggle.getAttribute("data-label-" + choice);
      toggle.setAttribute("aria-label", label || "Colour mode (" + choice + ")");
    }
    if (changed) {
      // Charts and anything else drawn in JS re-read their colours.
      document.dispatchEvent(new CustomEvent("doorman:theme", { detail: { mode: mode } }));
    }
  }

  apply(stored());
  media.addEventListener("change", function () {
    apply(stored());
  });
  document.addEventListener("DOMContentLoaded", function () {
    apply(stored());
    document.querySelectorAll("[data-theme-value]").forEach(function (item) {
      item.addEventListener("click", function () {
        var choice = item.getAttribute("data-theme-value");
        try {
          if (choice === "auto") {
            window.localStorage.removeItem(KEY);
          } else {
            window.localStorage.setItem(KEY, choice);
          }
        } catch (e) {
          /* not remembered, still applied */
        }
        apply(choice);
      });
    });
  });
})();
