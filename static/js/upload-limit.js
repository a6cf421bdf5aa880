/* Refuse a too-large file in the browser, before the upload, with the limit in words.
   Any <input type=file data-max-bytes> gets it; the server checks again. */
(function () {
  "use strict";
  function mib(bytes) {
    return (bytes / 1048576).toFixed(1).replace(/\.0$/, "") + " MiB";
  }
  document.querySelectorAll("input[type=file][data-max-bytes]").forEach(function (input) {
    var limit = parseInt(input.getAttribute("data-max-bytes"), 10);
    var form = input.form;
    var message = form && form.querySelector("#" + input.id + "-too-large");

    function check() {
      var file = input.files && input.files[0];
      var tooLarge = Boolean(file && file.size > limit);
      var text = tooLarge
        ? "This image is " + mib(file.size) + "; the limit is " + mib(limit) + ". Choose a smaller one."
        : "";
      input.setCustomValidity(text);
      input.classList.toggle("is-invalid", tooLarge);
      if (message) {
        message.textContent = text;
        message.hidden = !tooLarge;
      }
      return !tooLarge;
    }

    input.addEventListener("change", check);
    if (form) {
      form.addEventListener("submit", function (event) {
        if (!check()) {
          event.preventDefault();
          input.focus();
        }
      });
    }
  });
})();
