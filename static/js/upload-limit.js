/* Refuse a too-large file in the browser, before the upload, with the limit in words.
   Any <input type=file data-max-bytes> gets it; the server checks again. */
(function () {
  "use strict";
  // Words from the page, in its language (the js-messages block of base.html); English without it.
  var words = {};
  try {
    words = JSON.parse(document.getElementById("js-messages").textContent);
  } catch (e) {
    words = {};
  }

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
        ? (words.image_too_large || "This image is {size}; the limit is {limit}. Choose a smaller one.")
            .replace("{size}", mib(file.size))
            .replace("{limit}", mib(limit))
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
