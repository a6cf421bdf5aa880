/* The "recent sign-ins" widget: refreshes every 30 s through the cookie-authenticated API. */
(function () {
  "use strict";
  var box = document.getElementById("live-signins");
  if (!box || !window.fetch) {
    return;
  }
  var list = box.querySelector("ul");
  var stamp = box.querySelector("[data-updated]");
  // Words from the page, in its language (the js-messages block of base.html); English without it.
  var words = {};
  try {
    words = JSON.parse(document.getElementById("js-messages").textContent);
  } catch (e) {
    words = {};
  }

  function render(items) {
    list.textContent = "";
    if (!items.length) {
      var empty = document.createElement("li");
      empty.className = "list-group-item text-muted";
      empty.textContent = words.no_attempts || "No sign-in attempts yet.";
      list.appendChild(empty);
    }
    items.forEach(function (item) {
      var li = document.createElement("li");
      li.className = "list-group-item d-flex justify-content-between gap-2 small";
      var left = document.createElement("span");
      left.textContent = item.timestamp.replace("T", " ").slice(0, 19) + " · " + item.device;
      var badge = document.createElement("span");
      badge.className = "badge " + (item.success ? "text-bg-success" : "text-bg-danger");
      var reasons = JSON.parse(box.getAttribute("data-reasons") || "{}");
      badge.textContent = item.success
        ? words.success || "success"
        : reasons[item.reason] || item.reason.replace(/_/g, " ");
      li.appendChild(left);
      li.appendChild(badge);
      list.appendChild(li);
    });
    stamp.textContent = new Date().toLocaleTimeString();
    box.setAttribute("data-loaded", "true");
  }

  function refresh() {
    fetch(box.getAttribute("data-url"), { credentials: "same-origin" })
      .then(function (response) {
        return response.ok ? response.json() : Promise.reject(response.status);
      })
      .then(function (page) {
        render(page.results);
      })
      .catch(function () {
        stamp.textContent = words.unavailable || "unavailable";
      });
  }

  refresh();
  window.setInterval(refresh, 30000);
})();
