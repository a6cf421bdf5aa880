/* Draw the Plotly figures that the page embeds as JSON (no inline script: strict CSP).
   Colours follow the colour mode (theme.js announces changes); phones get no mode bar and
   stacked device panels. */
(function () {
  "use strict";
  var holder = document.getElementById("dashboard-figures");
  if (!holder || !window.Plotly) {
    return;
  }
  var PHONE = window.matchMedia("(max-width: 575.98px)");
  var HEAT = {
    light: [[0, "#f1f5fb"], [1, "#0d47a1"]],
    dark: [[0, "#1e2a38"], [1, "#6ea8fe"]],
  };
  var figures = JSON.parse(holder.textContent);
  var drawn = [];

  function mode() {
    return document.documentElement.getAttribute("data-bs-theme") === "dark" ? "dark" : "light";
  }

  function cssVar(name) {
    return window.getComputedStyle(document.body).getPropertyValue(name).trim();
  }

  function axes(layout) {
    return Object.keys(layout).filter(function (key) {
      return /^[xy]axis\d*$/.test(key);
    });
  }

  // Layout and trace updates that put a figure in the current colour mode.
  function themed(figure) {
    var text = cssVar("--bs-body-color");
    var grid = cssVar("--bs-border-color");
    var update = { "font.color": text, "title.font.color": text };
    var names = axes(figure.layout);
    if (names.indexOf("xaxis") < 0) {
      names.push("xaxis", "yaxis");
    }
    names.forEach(function (axis) {
      update[axis + ".gridcolor"] = grid;
      update[axis + ".linecolor"] = grid;
      update[axis + ".zerolinecolor"] = grid;
    });
    var heat = [];
    figure.data.forEach(function (trace, index) {
      if (trace.type === "heatmap") {
        heat.push(index);
      }
    });
    return { layout: update, heat: heat, scale: HEAT[mode()] };
  }

  function forPhone(figure) {
    var layout = figure.layout;
    if (!PHONE.matches) {
      return layout;
    }
    if (layout.grid && layout.grid.columns === 2) {
      // Two panels side by side leave no room for the labels on a phone: stack them.
      layout.grid = { rows: 2, columns: 1, pattern: "independent", ygap: 0.25 };
      layout.height = 2 * (layout.height || 320);
    }
    if (layout.xaxis && layout.xaxis.dtick) {
      layout.xaxis.dtick *= 2; // every sixth hour: level labels that do not touch
    }
    // Title on its own line at the top, the legend on the next one, left-aligned: side by
    // side they collide on a narrow screen.
    var height = layout.height || 320;
    layout.title = Object.assign({}, layout.title, { y: 1 - 10 / height, yanchor: "top" });
    layout.legend = Object.assign({}, layout.legend, { x: 0, xanchor: "left" });
    layout.margin = Object.assign({}, layout.margin, { t: 76 });
    return layout;
  }

  Object.keys(figures).forEach(function (id) {
    var element = document.getElementById(id);
    if (!element) {
      return;
    }
    var figure = figures[id];
    var look = themed(figure);
    var layout = forPhone(figure);
    Object.keys(look.layout).forEach(function (key) {
      var parts = key.split(".");
      var node = layout;
      for (var i = 0; i < parts.length - 1; i += 1) {
        node[parts[i]] = node[parts[i]] || {};
        node = node[parts[i]];
      }
      node[parts[parts.length - 1]] = look.layout[key];
    });
    look.heat.forEach(function (index) {
      figure.data[index].colorscale = look.scale;
    });
    window.Plotly.newPlot(element, figure.data, layout, {
      displaylogo: false,
      responsive: true,
      // On a phone the mode bar covers the titles; pinch-zoom does its job there.
      displayModeBar: PHONE.matches ? false : "hover",
    }).then(function () {
      element.setAttribute("data-drawn", "true");
      element.setAttribute("data-theme", mode());
      drawn.push({ element: element, figure: figure });
    });
  });

  document.addEventListener("doorman:theme", function () {
    drawn.forEach(function (item) {
      var look = themed(item.figure);
      var updates = [window.Plotly.relayout(item.element, look.layout)];
      if (look.heat.length) {
        updates.push(window.Plotly.restyle(item.element, { colorscale: [look.scale] }, look.heat));
      }
      Promise.all(updates).then(function () {
        item.element.setAttribute("data-theme", mode());
      });
    });
  });
})();
