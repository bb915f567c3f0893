/*
 * Passkeys (通行金鑰): sign-in ([data-passkey-signin]) and registration in My Area ([data-passkey-register]).
 * The server sends WebAuthn options as JSON (base64url for binary fields); this converts them for
 * navigator.credentials and sends the answer back as JSON.
 */
(function () {
  "use strict";

  var MESSAGES = {
    unsupported: "此瀏覽器不支援通行金鑰，請改用其他登入方式或更新瀏覽器。",
    cancelled: "已取消或逾時，請再試一次。",
    failed: "操作失敗，請再試一次。",
    waiting: "請依裝置提示完成驗證（指紋、臉部辨識或螢幕鎖定）…",
  };

  function toBytes(value) {
    var text = value.replace(/-/g, "+").replace(/_/g, "/");
    while (text.length % 4) text += "=";
    var binary = atob(text);
    var bytes = new Uint8Array(binary.length);
    for (var i = 0; i < binary.length; i++) bytes[i] = binary.charCodeAt(i);
    return bytes.buffer;
  }

  function toText(buffer) {
    if (!buffer) return null;
    var bytes = new Uint8Array(buffer);
    var binary = "";
    for (var i = 0; i < bytes.length; i++) binary += String.fromCharCode(bytes[i]);
    return btoa(binary).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
  }

  function csrfToken(root) {
    var input = root.querySelector("input[name=csrfmiddlewaretoken]");
    return input ? input.value : "";
  }

  function say(root, text, isError) {
    var status = root.querySelector("[data-status]");
    if (!status) return;
    status.textContent = text;
    status.classList.toggle("errorlist", !!isError);
    status.setAttribute("role", isError ? "alert" : "status");
  }

  function post(root, url, payload) {
    return fetch(url, {
      method: "POST",
      credentials: "same-origin",
      headers: { "Content-Type": "application/json", "X-CSRFToken": csrfToken(root) },
      body: JSON.stringify(payload || {}),
    }).then(function (response) {
      return response.json().then(function (data) {
        if (!response.ok) throw new Error(data.error || MESSAGES.failed);
        return data;
      });
    });
  }

  function fail(root, error) {
    var cancelled = error && (error.name === "NotAllowedError" || error.name === "AbortError");
    say(root, cancelled ? MESSAGES.cancelled : error.message || MESSAGES.failed, true);
  }

  function supported() {
    return !!(window.PublicKeyCredential && navigator.credentials);
  }

  function signIn(root, button) {
    if (!supported()) return say(root, MESSAGES.unsupported, true);
    button.disabled = true;
    post(root, root.dataset.optionsUrl)
      .then(function (options) {
        say(root, MESSAGES.waiting, false);
        return navigator.credentials.get({
          publicKey: {
            challenge: toBytes(options.challenge),
            timeout: options.timeout,
            rpId: options.rpId,
            allowCredentials: [],
            userVerification: options.userVerification,
          },
        });
      })
      .then(function (credential) {
        var response = credential.response;
        return post(root, root.dataset.signinUrl, {
          next: root.dataset.next || "",
          credential: {
            id: credential.id,
            rawId: toText(credential.rawId),
            type: credential.type,
            response: {
              clientDataJSON: toText(response.clientDataJSON),
              authenticatorData: toText(response.authenticatorData),
              signature: toText(response.signature),
              userHandle: toText(response.userHandle),
            },
          },
        });
      })
      .then(function (data) {
        window.location.assign(data.redirect);
      })
      .catch(function (error) {
        button.disabled = false;
        fail(root, error);
      });
  }

  function register(form) {
    if (!supported()) return say(form, MESSAGES.unsupported, true);
    var button = form.querySelector("button[type=submit]");
    var nameInput = form.querySelector("input[name=name]");
    button.disabled = true;
    post(form, form.dataset.optionsUrl)
      .then(function (options) {
        say(form, MESSAGES.waiting, false);
        return navigator.credentials.create({
          publicKey: {
            rp: options.rp,
            user: { id: toBytes(options.user.id), name: options.user.name, displayName: options.user.displayName },
            challenge: toBytes(options.challenge),
            pubKeyCredParams: options.pubKeyCredParams,
            timeout: options.timeout,
            excludeCredentials: (options.excludeCredentials || []).map(function (item) {
              return { type: item.type, id: toBytes(item.id), transports: item.transports };
            }),
            authenticatorSelection: options.authenticatorSelection,
            attestation: options.attestation,
          },
        });
      })
      .then(function (credential) {
        var response = credential.response;
        return post(form, form.dataset.registerUrl, {
          name: nameInput ? nameInput.value : "",
          credential: {
            id: credential.id,
            rawId: toText(credential.rawId),
            type: credential.type,
            response: {
              clientDataJSON: toText(response.clientDataJSON),
              attestationObject: toText(response.attestationObject),
              transports: response.getTransports ? response.getTransports() : [],
            },
          },
        });
      })
      .then(function (data) {
        window.location.assign(data.redirect);
      })
      .catch(function (error) {
        button.disabled = false;
        fail(form, error);
      });
  }

  document.querySelectorAll("[data-passkey-signin]").forEach(function (root) {
    var button = root.querySelector("[data-passkey-button]");
    button.addEventListener("click", function () {
      signIn(root, button);
    });
  });
  document.querySelectorAll("form[data-passkey-register]").forEach(function (form) {
    form.addEventListener("submit", function (event) {
      event.preventDefault();
      register(form);
    });
  });
})();
