/* The "recent sign-ins" widget: refreshes every 30 s through the cookie-authenticated API. */
(function () {
  "use strict";
  var box = document.getElementById("live-signins");
  if (!box || !window.fetch) {
    return;
  }
  var list = box.querySelector("ul");
  var stamp = box.querySelector("[data-updated]");
  var zone = box.getAttribute("data-timezone") || "UTC";
  var labels = JSON.parse(box.getAttribute("data-zone-labels") || "{}");
  var lang = document.documentElement.lang || undefined;
  var format = null;
  try {
    // The server's shape: "30 Nov 2026, 09:14 CET", 24-hour, in the user's zone (not the browser's).
    format = new Intl.DateTimeFormat(lang, {
      timeZone: zone,
      day: "numeric",
      month: "short",
      year: "numeric",
      hour: "2-digit",
      minute: "2-digit",
      hourCycle: "h23",
      timeZoneName: "short",
    });
  } catch (error) {
    format = null; // an unknown zone or an old browser: the ISO text below still reads right
  }

  /* An API timestamp (ISO 8601 with the zone's offset) as the server's pages show times. */
  function when(iso) {
    var date = new Date(iso);
    if (!format || isNaN(date.getTime())) {
      return iso.replace("T", " ").slice(0, 16);
    }
    var parts = {};
    format.formatToParts(date).forEach(function (part) {
      parts[part.type] = part.value;
    });
    var offset = /([+-])(\d\d):(\d\d)$/.exec(iso);
    var minutes = offset ? (offset[1] === "-" ? -1 : 1) * (offset[2] * 60 + Number(offset[3])) : 0;
    var label = labels[String(minutes)] || parts.timeZoneName;
    return parts.day + " " + parts.month + " " + parts.year + ", " +
      parts.hour + ":" + parts.minute + " " + label;
  }

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
      left.textContent = when(item.timestamp) + " · " + item.device;
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
    stamp.textContent = new Date().toLocaleTimeString(lang, {
      timeZone: format ? zone : undefined,
      hourCycle: "h23",
    });
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
