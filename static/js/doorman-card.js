/* Embeddable Doorman stats card for sites of the same organisation.
   <div class="doorman-card" data-doorman="https://doorman.example.org"></div>
   <script src="https://doorman.example.org/static/js/doorman-card.js"></script>
   The Doorman server must list the site in CORS_ORIGINS; the visitor's Doorman cookies are used. */
(function () {
  "use strict";
  var cards = document.querySelectorAll(".doorman-card[data-doorman]");
  Array.prototype.forEach.call(cards, function (card) {
    var base = card.getAttribute("data-doorman").replace(/\/$/, "");
    fetch(base + "/api/user/dashboard/stats/", { credentials: "include" })
      .then(function (response) {
        return response.ok ? response.json() : Promise.reject(response.status);
      })
      .then(function (stats) {
        card.textContent = "";
        var rows = [
          ["Sign-ins (30 days)", stats.total_successful_logins],
          ["Failed attempts", stats.total_failed_logins],
          ["Success rate", stats.success_rate + " %"],
          ["Last sign-in", stats.last_login ? stats.last_login.replace("T", " ").slice(0, 16) : "–"],
        ];
        rows.forEach(function (row) {
          var line = document.createElement("div");
          var label = document.createElement("strong");
          label.textContent = row[0] + ": ";
          line.appendChild(label);
          line.appendChild(document.createTextNode(String(row[1])));
          card.appendChild(line);
        });
        card.setAttribute("data-loaded", "true");
      })
      .catch(function () {
        card.textContent = "Sign in to Doorman to see your sign-in statistics.";
      });
  });
})();
