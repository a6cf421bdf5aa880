/* Passkeys (WebAuthn) for forms marked data-passkey="create" or "get".

   On submit the form asks its data-options-url for options (POST, CSRF header), lets the
   browser create or use a passkey, puts the challenge id and the credential (as JSON) into
   its hidden fields and submits itself. A "get" form with data-passkey-conditional also
   offers passkeys in the autofill of the page's username field (conditional UI). */
(function () {
  "use strict";
  if (!window.fetch) {
    return;
  }
  var supported = !!(window.PublicKeyCredential && navigator.credentials);

  function toBytes(value) {
    var b64 = value.replace(/-/g, "+").replace(/_/g, "/");
    while (b64.length % 4) {
      b64 += "=";
    }
    var raw = atob(b64);
    var bytes = new Uint8Array(raw.length);
    for (var i = 0; i < raw.length; i += 1) {
      bytes[i] = raw.charCodeAt(i);
    }
    return bytes.buffer;
  }

  function toText(buffer) {
    var bytes = new Uint8Array(buffer);
    var raw = "";
    for (var i = 0; i < bytes.length; i += 1) {
      raw += String.fromCharCode(bytes[i]);
    }
    return btoa(raw).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
  }

  function creationOptions(o) {
    o.challenge = toBytes(o.challenge);
    o.user.id = toBytes(o.user.id);
    (o.excludeCredentials || []).forEach(function (c) {
      c.id = toBytes(c.id);
    });
    return o;
  }

  function requestOptions(o) {
    o.challenge = toBytes(o.challenge);
    (o.allowCredentials || []).forEach(function (c) {
      c.id = toBytes(c.id);
    });
    return o;
  }

  function credentialJson(cred) {
    var r = cred.response;
    var response = { clientDataJSON: toText(r.clientDataJSON) };
    if (r.attestationObject) {
      response.attestationObject = toText(r.attestationObject);
      response.transports = r.getTransports ? r.getTransports() : [];
    } else {
      response.authenticatorData = toText(r.authenticatorData);
      response.signature = toText(r.signature);
      if (r.userHandle) {
        response.userHandle = toText(r.userHandle);
      }
    }
    return JSON.stringify({
      id: cred.id,
      rawId: toText(cred.rawId),
      type: cred.type,
      response: response,
      clientExtensionResults: cred.getClientExtensionResults(),
      authenticatorAttachment: cred.authenticatorAttachment || null,
    });
  }

  function fetchOptions(form) {
    var token = form.querySelector("input[name=csrf_token]");
    return fetch(form.getAttribute("data-options-url"), {
      method: "POST",
      credentials: "same-origin",
      headers: {
        "Content-Type": "application/json",
        "X-CSRFToken": token ? token.value : "",
      },
      body: "{}",
    }).then(function (response) {
      if (!response.ok) {
        throw new Error("options " + response.status);
      }
      return response.json();
    });
  }

  // Words from the page, in its language (the js-messages block of base.html); English without it.
  var words = {};
  try {
    words = JSON.parse(document.getElementById("js-messages").textContent);
  } catch (e) {
    words = {};
  }

  function say(form, text) {
    var box = form.querySelector("[data-passkey-message]");
    if (box) {
      box.textContent = text;
      box.classList.remove("d-none");
    }
  }

  function finish(form, challengeId, cred) {
    form.querySelector("input[name=challenge_id]").value = challengeId;
    form.querySelector("input[name=credential]").value = credentialJson(cred);
    form.submit();
  }

  var conditional = null; // the pending autofill request, aborted by a button press

  function run(form, mediation) {
    var mode = form.getAttribute("data-passkey");
    return fetchOptions(form).then(function (data) {
      var publicKey;
      if (mode === "create") {
        return navigator.credentials
          .create({ publicKey: creationOptions(data.options) })
          .then(function (cred) {
            finish(form, data.challenge_id, cred);
          });
      }
      publicKey = requestOptions(data.options);
      var request = { publicKey: publicKey };
      if (mediation) {
        conditional = new AbortController();
        request.mediation = mediation;
        request.signal = conditional.signal;
      }
      return navigator.credentials.get(request).then(function (cred) {
        if (cred) {
          finish(form, data.challenge_id, cred);
        }
      });
    });
  }

  function failed(form, error) {
    if (error && error.name === "AbortError") {
      return;
    }
    if (error && error.name === "NotAllowedError") {
      say(form, words.passkey_cancelled || "The passkey request was cancelled or timed out.");
    } else if (error && error.name === "SecurityError") {
      say(
        form,
        words.passkey_domain ||
          "Passkeys need this site's domain name (for example localhost, not 127.0.0.1)."
      );
    } else {
      say(form, words.passkey_failed || "The passkey could not be used. Try again.");
    }
  }

  Array.prototype.forEach.call(document.querySelectorAll("form[data-passkey]"), function (form) {
    if (!supported) {
      say(form, words.passkey_unsupported || "This browser does not support passkeys.");
      Array.prototype.forEach.call(form.querySelectorAll("button"), function (b) {
        b.disabled = true;
      });
      return;
    }
    form.addEventListener("submit", function (event) {
      if (form.querySelector("input[name=credential]").value) {
        return; // filled in: a real submit
      }
      event.preventDefault();
      if (conditional) {
        conditional.abort();
        conditional = null;
      }
      run(form).catch(function (error) {
        failed(form, error);
      });
    });
    // The autofill offer is a quiet extra: not on an IP address (browsers refuse WebAuthn
    // there), and its failures say nothing; the button still explains.
    var onIp = /^[0-9.]+$/.test(location.hostname) || location.hostname.indexOf(":") >= 0;
    if (
      form.hasAttribute("data-passkey-conditional") &&
      !onIp &&
      PublicKeyCredential.isConditionalMediationAvailable
    ) {
      PublicKeyCredential.isConditionalMediationAvailable().then(function (available) {
        if (available) {
          run(form, "conditional").catch(function () {});
        }
      });
    }
  });
})();
