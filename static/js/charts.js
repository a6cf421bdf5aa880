/* Draw the Plotly figures that the page embeds as JSON (no inline script: strict CSP).
   Colours follow the colour mode (theme.js announces changes); phones get no mode bar and
   stacked device panels, narrow cards fewer hour labels. */
(function () {
  "use strict";
  var holder = document.getElementById("dashboard-figures");
  if (!holder || !window.Plotly) {
    return;
  }
  var PHONE = window.matchMedia("(max-width: 575.98px)");
  var NARROW = 480; // px: below this width eight hour labels touch
  var HEAT = {
    light: [[0, "#f1f5fb"], [1, "#0d47a1"]],
    dark: [[0, "#1e2a38"], [1, "#6ea8fe"]],
  };
  // The page's one percentage format, as the server writes it: one decimal, the page language's way.
  var PERCENT = new Intl.NumberFormat(document.documentElement.lang || undefined, {
    style: "percent",
    minimumFractionDigits: 1,
    maximumFractionDigits: 1,
  });
  var figures = JSON.parse(holder.textContent);
  var drawn = [];

  function mode() {
    return document.documentElement.getAttribute("data-bs-theme") === "dark" ? "dark" : "light";
  }

  function cssVar(name) {
    return window.getComputedStyle(document.body).getPropertyValue(name).trim();
  }

  // Every axis the figure draws: those its layout names and those its traces refer to
  // ("x2" is xaxis2), so a second panel is recoloured even when the layout leaves it out.
  function axes(figure) {
    var names = Object.keys(figure.layout).filter(function (key) {
      return /^[xy]axis\d*$/.test(key);
    });
    figure.data.forEach(function (trace) {
      [trace.xaxis || "x", trace.yaxis || "y"].forEach(function (ref) {
        var name = ref.charAt(0) + "axis" + ref.slice(1);
        if (names.indexOf(name) < 0) {
          names.push(name);
        }
      });
    });
    return names;
  }

  // Layout and trace updates that put a figure in the current colour mode.
  function themed(figure) {
    var text = cssVar("--bs-body-color");
    var grid = cssVar("--bs-border-color");
    var update = { "font.color": text, "title.font.color": text };
    axes(figure).forEach(function (axis) {
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

  function percent(share) {
    return PERCENT.format(share);
  }

  // Pie slices labelled with the page's percentage format (Plotly's own shows 91.5% next to 8.52%).
  function labelled(figure) {
    figure.data.forEach(function (trace) {
      if (trace.type !== "pie") {
        return;
      }
      var total = trace.values.reduce(function (sum, n) {
        return sum + n;
      }, 0);
      trace.text = trace.values.map(function (n) {
        return percent(total ? n / total : 0);
      });
      trace.textinfo = "text";
      trace.hovertemplate = "%{label}: %{value} (%{text})<extra></extra>";
    });
  }

  // Narrow cards (a phone, a third of a desktop row) get every sixth hour labelled and
  // stacked device panels; the legend already sits below the plot.
  function fitted(figure, element) {
    var layout = figure.layout;
    if (layout.xaxis && layout.xaxis.dtick && element.clientWidth < NARROW) {
      layout.xaxis.dtick *= 2; // every sixth hour: level labels that do not touch
    }
    if (PHONE.matches && layout.grid && layout.grid.columns === 2) {
      // Two panels side by side leave no room for the labels on a phone: stack them.
      layout.grid = { rows: 2, columns: 1, pattern: "independent", ygap: 0.25 };
      layout.height = 2 * (layout.height || 320);
    }
    return layout;
  }

  Object.keys(figures).forEach(function (id) {
    var element = document.getElementById(id);
    if (!element) {
      return;
    }
    var figure = figures[id];
    var look = themed(figure);
    var layout = fitted(figure, element);
    labelled(figure);
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
