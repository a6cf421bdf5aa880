/* The time-zone picker: a search box that narrows the list, and "use my browser's zone".
   Without JavaScript the plain list still works; the tools stay hidden. */
(function () {
  "use strict";
  var select = document.getElementById("timezone");
  var tools = document.getElementById("timezone-tools");
  var filter = document.getElementById("timezone-filter");
  var browser = document.getElementById("timezone-browser");
  var status = document.getElementById("timezone-status");
  if (!select || !tools || !filter || !browser) {
    return;
  }
  // Every zone, kept aside: the list is rebuilt (hidden options do not hide everywhere).
  var zones = Array.prototype.map.call(select.options, function (option) {
    return option.value;
  });
  tools.hidden = false;

  function say(key, zone) {
    status.textContent = key ? status.getAttribute("data-" + key).replace("ZONE", zone || "") : "";
  }

  // "new york" finds America/New_York; "berlin" finds Europe/Berlin.
  function normalise(text) {
    return text.toLowerCase().replace(/[\s_]+/g, " ").trim();
  }

  function show(matches) {
    var chosen = select.value;
    select.textContent = "";
    matches.forEach(function (zone) {
      var option = document.createElement("option");
      option.value = option.textContent = zone;
      select.appendChild(option);
    });
    // What the list shows is what is saved: keep the choice if it is still there, else the first.
    select.value = matches.indexOf(chosen) >= 0 ? chosen : matches[0] || "";
  }

  filter.addEventListener("input", function () {
    var wanted = normalise(filter.value);
    var matches = zones.filter(function (zone) {
      return normalise(zone).indexOf(wanted) >= 0;
    });
    if (!matches.length) {
      say("none");
      return; // keep the last useful list rather than an empty one
    }
    say(null);
    show(matches);
  });

  browser.addEventListener("click", function () {
    var zone = "";
    try {
      zone = Intl.DateTimeFormat().resolvedOptions().timeZone || "";
    } catch (error) {
      zone = "";
    }
    if (zones.indexOf(zone) < 0) {
      say("unknown", zone || "?");
      return;
    }
    filter.value = "";
    show(zones);
    select.value = zone;
    say("chosen", zone);
  });
})();
