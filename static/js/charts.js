/* Draw the Plotly figures that the page embeds as JSON (no inline script: strict CSP). */
(function () {
  "use strict";
  var holder = document.getElementById("dashboard-figures");
  if (!holder || !window.Plotly) {
    return;
  }
  var figures = JSON.parse(holder.textContent);
  Object.keys(figures).forEach(function (id) {
    var element = document.getElementById(id);
    if (!element) {
      return;
    }
    var figure = figures[id];
    window.Plotly.newPlot(element, figure.data, figure.layout, {
      displaylogo: false,
      responsive: true,
    }).then(function () {
      element.setAttribute("data-drawn", "true");
    });
  });
})();
