/*
 * Certificate card signing through the local signing component (HiPKI Local Server, or tools/signer_standin.py).
 *
 * A form marked data-cert-sign gets, on submit: a one-time challenge from the server (data-challenge-url), the
 * card's signature over it from the component (data-signer-url + "/sign", the HiPKI "MakeSignature" request), and
 * then posts the challenge and the signature in its hidden fields. The PIN goes to the component only: its input
 * has no name, so the form never sends it to the server.
 */
(function () {
  "use strict";

  var MESSAGES = {
    pin: "請輸入PinCode",
    challenge: "無法取得挑戰值，請重新整理頁面後再試",
    busy: "正在以憑證卡簽章，請稍候…",
    unreachable: "無法連線至憑證元件。請確認已安裝並啟動跨平台網頁元件（HiPKI Local Server），並已插入憑證卡。",
    component: "憑證元件回報錯誤：",
  };

  function csrfToken(form) {
    var input = form.querySelector("input[name=csrfmiddlewaretoken]");
    return input ? input.value : "";
  }

  function say(form, text, isError) {
    var status = form.querySelector("[data-status]");
    if (!status) return;
    status.textContent = text;
    status.classList.toggle("errorlist", !!isError);
    status.setAttribute("role", isError ? "alert" : "status");
  }

  function fetchChallenge(form) {
    var body = new URLSearchParams();
    body.set("purpose", form.dataset.purpose || "");
    return fetch(form.dataset.challengeUrl, {
      method: "POST",
      credentials: "same-origin",
      headers: { "X-CSRFToken": csrfToken(form) },
      body: body,
    }).then(function (response) {
      return response.json().then(function (data) {
        if (!response.ok || !data.challenge) throw new Error(data.error || MESSAGES.challenge);
        return data.challenge;
      });
    });
  }

  function sign(signerUrl, challenge, pin) {
    // The HiPKI request: a JSON text body (text/plain, so the browser sends it without a preflight).
    var request = {
      tbs: challenge,
      tbsEncoding: "NONE",
      hashAlgorithm: "SHA256",
      withCardSN: "true",
      pin: encodeURIComponent(pin),
      nonce: "",
      func: "MakeSignature",
      signatureType: "PKCS7",
    };
    return fetch(signerUrl.replace(/\/$/, "") + "/sign", {
      method: "POST",
      headers: { "Content-Type": "text/plain;charset=UTF-8" },
      body: JSON.stringify(request).replace(/\+/g, "%2B"),
    }).then(
      function (response) {
        return response.json();
      },
      function () {
        throw new Error(MESSAGES.unreachable);
      }
    ).then(function (answer) {
      if (String(answer.ret_code) !== "0" || !answer.signature) {
        var detail = answer.message || answer.last_error || answer.ret_code;
        throw new Error(MESSAGES.component + detail);
      }
      return answer;
    });
  }

  function attach(form) {
    var pending = false;
    form.addEventListener("submit", function (event) {
      if (form.dataset.signed === "true") return; // second pass: the real post
      event.preventDefault();
      if (pending) return;
      var pinInput = form.querySelector("[data-pin]");
      var pin = pinInput ? pinInput.value : "";
      if (!pin) {
        say(form, MESSAGES.pin, true);
        if (pinInput) pinInput.focus();
        return;
      }
      pending = true;
      say(form, MESSAGES.busy, false);
      var challenge;
      fetchChallenge(form)
        .then(function (value) {
          challenge = value;
          return sign(form.dataset.signerUrl, challenge, pin);
        })
        .then(function (answer) {
          form.querySelector("input[name=challenge]").value = challenge;
          form.querySelector("input[name=signature]").value = answer.signature;
          // A bare PKCS#1 answer carries the certificate separately; a PKCS#7 one has it inside.
          form.querySelector("input[name=certificate]").value = answer.signatureType === "PKCS1" ? answer.certb64 || "" : "";
          if (pinInput) pinInput.value = "";
          form.dataset.signed = "true";
          form.submit();
        })
        .catch(function (error) {
          pending = false;
          say(form, error.message, true);
        });
    });
  }

  document.querySelectorAll("form[data-cert-sign]").forEach(attach);
})();
