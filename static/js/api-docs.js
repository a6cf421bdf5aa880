/* Start Swagger UI or ReDoc on the API schema (no inline script: strict CSP). */
(function () {
  "use strict";
  var swagger = document.getElementById("swagger-ui");
  if (swagger && window.SwaggerUIBundle) {
    window.SwaggerUIBundle({ url: swagger.getAttribute("data-spec-url"), dom_id: "#swagger-ui" });
  }
  var redoc = document.getElementById("redoc");
  if (redoc && window.Redoc) {
    window.Redoc.init(redoc.getAttribute("data-spec-url"), {}, redoc);
  }
})();
