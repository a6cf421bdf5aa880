/* The custom date range: the end may not come before the start (the browser then refuses the
   form and says why); the server checks the same and answers 400 with the page drawn. */
(function () {
  "use strict";
  var form = document.getElementById("range-form");
  if (!form) {
    return;
  }
  var start = form.elements.start_date;
  var end = form.elements.end_date;

  function bound() {
    end.min = start.value;
    start.max = end.value;
  }

  start.addEventListener("change", bound);
  end.addEventListener("change", bound);
  bound();
})();
