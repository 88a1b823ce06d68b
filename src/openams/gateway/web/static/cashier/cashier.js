/* openams hosted cashier: a little progressive enhancement. Every page works without it. */
(function () {
  "use strict";

  function pad(n) { return (n < 10 ? "0" : "") + n; }
  function countdown(s) {
    var d = Math.floor(s / 86400), h = Math.floor(s % 86400 / 3600);
    var m = Math.floor(s % 3600 / 60), rest = pad(s % 60);
    if (d) { return d + "d " + h + ":" + pad(m) + ":" + rest; }
    if (h) { return h + ":" + pad(m) + ":" + rest; }
    return m + ":" + rest;
  }

  // Expiry countdown: <x data-countdown data-seconds="840">
  document.querySelectorAll("[data-countdown]").forEach(function (el) {
    var left = parseInt(el.getAttribute("data-seconds"), 10) || 0;
    var tick = function () {
      el.textContent = countdown(left);
      if (left <= 0) { window.location.reload(); return; }
      left -= 1;
      window.setTimeout(tick, 1000);
    };
    tick();
  });

  // A moment in the buyer's own time zone: <time datetime="2026-12-06T17:39:00+00:00" data-local-time>
  // (the server writes it in UTC for pages read without script).
  document.querySelectorAll("time[data-local-time]").forEach(function (el) {
    var moment = new Date(el.getAttribute("datetime"));
    if (isNaN(moment.getTime())) { return; }
    var sameDay = moment.toDateString() === new Date().toDateString();
    var options = sameDay ? { hour: "numeric", minute: "2-digit" }
      : { day: "numeric", month: "short", hour: "numeric", minute: "2-digit" };
    el.textContent = moment.toLocaleString([], options);
    el.title = moment.toLocaleString([], { dateStyle: "full", timeStyle: "long" });
  });

  // Watch the payment and move on when it is final: <x data-poll-status=url data-result-url=url>
  document.querySelectorAll("[data-poll-status]").forEach(function (el) {
    var url = el.getAttribute("data-poll-status");
    var next = el.getAttribute("data-result-url");
    var poll = function () {
      fetch(url, { cache: "no-store", credentials: "same-origin" })
        .then(function (r) { return r.json(); })
        .then(function (s) {
          if (s.final) { window.location.assign(next); } else { window.setTimeout(poll, 1000); }
        })
        .catch(function () { window.setTimeout(poll, 3000); });
    };
    window.setTimeout(poll, 1000);
  });

  // Submit a form by itself after a delay: <form data-auto-submit="1000">
  document.querySelectorAll("form[data-auto-submit]").forEach(function (form) {
    var wait = parseInt(form.getAttribute("data-auto-submit"), 10) || 1000;
    window.setTimeout(function () { form.submit(); }, wait);
  });

  // applinkUrl opened in a browser means the app is not installed (an installed app
  // takes the link before the browser does): continue with the H5 pages. The page still
  // offers the schemeUrl as a button; it is not opened by itself, since a browser
  // without the app would only show an error or a prompt.
  document.querySelectorAll("[data-app-launch]").forEach(function (el) {
    var wait = parseInt(el.getAttribute("data-wait"), 10) || 1200;
    window.setTimeout(function () { window.location.replace(el.getAttribute("data-fallback")); }, wait);
  });

  // Embed mode (a payment session's pages inside the merchant's page, framed through
  // openams-checkout.js): talk to the parent only. Messages go to the merchant's
  // registered origins (never "*"), and a message counts only when it comes from the
  // parent window with one of those origins.
  var registered = (document.body.getAttribute("data-frame-origins") || "").split(" ").filter(Boolean);
  if (registered.length && window.parent !== window) {
    var ancestors = window.location.ancestorOrigins;
    var parentOrigin = ancestors && ancestors.length ? ancestors[0] : null;
    var targets = parentOrigin ? registered.filter(function (o) { return o === parentOrigin; }) : registered;
    var post = function (message) {
      message.openams = 1;
      message.height = Math.ceil(document.body.getBoundingClientRect().height);
      targets.forEach(function (origin) { window.parent.postMessage(message, origin); });
    };
    document.body.classList.add("embedded");  // as tall as its content: the frame follows
    document.querySelectorAll("[data-embed-only]").forEach(function (el) { el.hidden = false; });
    document.querySelectorAll("[data-embed-cancel]").forEach(function (button) {
      button.addEventListener("click", function () { post({ type: "cancel" }); });
    });
    var result = document.querySelector("[data-embed-result]");
    if (result) {
      post({
        type: "result",
        state: result.getAttribute("data-state"),
        resultCode: result.getAttribute("data-result-code") || "",
        resultMessage: result.getAttribute("data-result-message") || ""
      });
    } else {
      var problem = document.querySelector("[role=alert]");
      post({
        type: "loaded",
        checkout: !!document.querySelector("form[data-embed-submit]"),
        error: problem ? problem.textContent.trim() : ""
      });
    }
    window.addEventListener("message", function (event) {
      if (event.source !== window.parent || registered.indexOf(event.origin) < 0) { return; }
      var data = event.data || {};
      if (data.openams !== 1) { return; }
      var form = document.querySelector("form[data-embed-submit]");
      if (data.type === "validate") {
        post({ type: "validated", id: data.id, valid: !form || form.checkValidity() });
      } else if (data.type === "submit" && form) {
        if (form.checkValidity()) { form.requestSubmit(); }
        else { post({ type: "validated", id: data.id, valid: false }); }
      }
    });
  }

  // Card form checks (the server checks again): Luhn, brand length, expiry, CVV length.
  function digits(s) { return (s || "").replace(/[\s-]/g, ""); }
  function luhn(n) {
    var sum = 0;
    for (var i = 0; i < n.length; i++) {
      var d = parseInt(n.charAt(n.length - 1 - i), 10);
      if (i % 2) { d = d * 2; if (d > 9) { d -= 9; } }
      sum += d;
    }
    return sum % 10 === 0;
  }
  function brand(n) {
    if (/^3[47]/.test(n)) { return "AMEX"; }
    if (/^4/.test(n)) { return "VISA"; }
    if (/^(5[1-5]|2[2-7])/.test(n)) { return "MASTERCARD"; }
    return "OTHER";
  }
  document.querySelectorAll("form[data-card-form]").forEach(function (form) {
    var show = function (field, message) {
      var slot = form.querySelector('[data-error-for="' + field + '"]');
      if (slot) { slot.textContent = message; }
    };
    form.addEventListener("submit", function (event) {
      ["number", "expiry", "cvv"].forEach(function (f) { show(f, ""); });
      var summary = form.querySelector("[data-testid=server-error]");
      if (summary) { summary.remove(); }
      var ok = true;
      var n = digits(form.elements.number.value);
      var b = brand(n);
      if (!/^\d{12,19}$/.test(n)) { show("number", "Card number must have 12 to 19 digits."); ok = false; }
      else if (!luhn(n)) { show("number", "Card number is not valid (check the digits)."); ok = false; }
      else if (b === "AMEX" && n.length !== 15) { show("number", "An AMEX card number has 15 digits."); ok = false; }
      var m = form.elements.expiry_month.value.trim();
      var y = form.elements.expiry_year.value.trim();
      if (!/^\d{1,2}$/.test(m) || +m < 1 || +m > 12) { show("expiry", "Expiry month must be 01 to 12."); ok = false; }
      else if (!/^(\d{2}|\d{4})$/.test(y)) { show("expiry", "Expiry year must have 2 or 4 digits."); ok = false; }
      else {
        var year = y.length === 2 ? 2000 + (+y) : +y;
        var now = new Date();
        if (year < now.getFullYear() || (year === now.getFullYear() && +m < now.getMonth() + 1)) {
          show("expiry", "This card has expired."); ok = false;
        }
      }
      var want = b === "AMEX" ? 4 : 3;
      var cvv = form.elements.cvv.value.trim();
      if (!new RegExp("^\\d{" + want + "}$").test(cvv)) {
        show("cvv", "Security code must have " + want + " digits."); ok = false;
      }
      if (!ok) { event.preventDefault(); }
    });
  });
})();
