/* Encrypt the login password with the server's RSA key (RSA-OAEP, SHA-256) before sending.
   Falls back to a plain POST when WebCrypto or the key is unavailable. */
(function () {
  "use strict";
  var form = document.getElementById("login-form");
  if (!form || !window.crypto || !window.crypto.subtle || !window.fetch) {
    return;
  }
  var keyUrl = form.getAttribute("data-public-key-url");

  function pemToBytes(pem) {
    var body = pem.replace(/-----[^-]+-----/g, "").replace(/\s+/g, "");
    var raw = atob(body);
    var bytes = new Uint8Array(raw.length);
    for (var i = 0; i < raw.length; i += 1) {
      bytes[i] = raw.charCodeAt(i);
    }
    return bytes.buffer;
  }

  function toHex(buffer) {
    return Array.prototype.map
      .call(new Uint8Array(buffer), function (b) {
        return ("0" + b.toString(16)).slice(-2);
      })
      .join("");
  }

  var sending = false;
  form.addEventListener("submit", function (event) {
    var password = form.querySelector("#password");
    var hidden = form.querySelector("#encrypted_password");
    if (sending || !password || !hidden || !password.value) {
      return;
    }
    event.preventDefault();
    sending = true;
    fetch(keyUrl, { credentials: "same-origin" })
      .then(function (response) {
        if (!response.ok) {
          throw new Error("no key");
        }
        return response.json();
      })
      .then(function (data) {
        return window.crypto.subtle.importKey(
          "spki", pemToBytes(data.public_key), { name: "RSA-OAEP", hash: "SHA-256" }, false,
          ["encrypt"]
        );
      })
      .then(function (key) {
        return window.crypto.subtle.encrypt(
          { name: "RSA-OAEP" }, key, new TextEncoder().encode(password.value)
        );
      })
      .then(function (ciphertext) {
        hidden.value = toHex(ciphertext);
        password.value = "";
        form.setAttribute("data-encrypted", "true");
      })
      .catch(function () {
        hidden.value = "";  // plain POST instead
      })
      .then(function () {
        HTMLFormElement.prototype.submit.call(form);  // form.submit is the button named "submit"
      });
  });
})();
