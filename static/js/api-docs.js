/* Start Swagger UI or ReDoc on the API schema (no inline script: strict CSP). ReDoc takes its
   colours as options, so it is drawn again in the app's colour mode when that changes. */
(function () {
  "use strict";
  var swagger = document.getElementById("swagger-ui");
  if (swagger && window.SwaggerUIBundle) {
    window.SwaggerUIBundle({ url: swagger.getAttribute("data-spec-url"), dom_id: "#swagger-ui" });
  }
  var redoc = document.getElementById("redoc");
  if (!redoc || !window.Redoc) {
    return;
  }
  // Bootstrap's dark palette, as on the app's own pages.
  var DARK = {
    colors: {
      primary: { main: "#6ea8fe" },
      text: { primary: "#dee2e6", secondary: "#adb5bd" },
      border: { dark: "#495057", light: "#343a40" },
    },
    schema: { nestedBackground: "#2b3035", typeNameColor: "#adb5bd", typeTitleColor: "#adb5bd" },
    sidebar: { backgroundColor: "#1a1d20", textColor: "#dee2e6" },
    rightPanel: { backgroundColor: "#16191c" },
    typography: { links: { color: "#6ea8fe", visited: "#6ea8fe", hover: "#9ec5fe" } },
  };

  function draw() {
    var dark = document.documentElement.getAttribute("data-bs-theme") === "dark";
    window.Redoc.init(redoc.getAttribute("data-spec-url"), { theme: dark ? DARK : {} }, redoc);
  }

  draw();
  document.addEventListener("doorman:theme", draw);
})();
