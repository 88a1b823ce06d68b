/*
 * openams-checkout.js: the openams Web SDK. Antom's documented Web SDK classes
 * (AMSCheckoutPage, AMSElement, AMSCashierPayment) and event codes, talking to an
 * openams gateway. Written for openams from Antom's public API reference: no tracker,
 * no fingerprinting, no third-party request; the payment pages are the gateway's own,
 * framed from the gateway's origin.
 *
 * A plain <script src=".../sdk/ams-checkout.js"> defines the classes as globals (like
 * Antom's UMD build); `import { AMSElement } from ".../sdk/ams-checkout.mjs"` is the ES
 * module. The gateway is the origin this script came from, or the `gatewayUrl` option.
 */
(function (root) {
  "use strict";

  var EVENT_CODES = {
    SDK_START_OF_LOADING: "SDK_START_OF_LOADING",
    SDK_END_OF_LOADING: "SDK_END_OF_LOADING",
    SDK_PAYMENT_SUCCESSFUL: "SDK_PAYMENT_SUCCESSFUL",
    SDK_PAYMENT_FAIL: "SDK_PAYMENT_FAIL",
    SDK_PAYMENT_PROCESSING: "SDK_PAYMENT_PROCESSING",
    SDK_PAYMENT_CANCEL: "SDK_PAYMENT_CANCEL",
    SDK_PAYMENT_ERROR: "SDK_PAYMENT_ERROR",
    SDK_CREATEPAYMENT_PARAMETER_ERROR: "SDK_CREATEPAYMENT_PARAMETER_ERROR",
    SDK_INIT_PARAMETER_ERROR: "SDK_INIT_PARAMETER_ERROR",
    SDK_CREATE_COMPONENT_ERROR: "SDK_CREATE_COMPONENT_ERROR",
    SDK_INTERNAL_ERROR: "SDK_INTERNAL_ERROR"
  };
  // The hosted page's final state -> the event code and the status submit() resolves with.
  var RESULTS = {
    PAID: [EVENT_CODES.SDK_PAYMENT_SUCCESSFUL, "SUCCESS", "Payment successful."],
    PENDING: [EVENT_CODES.SDK_PAYMENT_PROCESSING, "PROCESSING", "Paid; the result follows."],
    FAILED: [EVENT_CODES.SDK_PAYMENT_FAIL, "FAIL", "Payment failed."],
    EXPIRED: [EVENT_CODES.SDK_PAYMENT_FAIL, "FAIL", "The payment has expired."],
    CANCELLED: [EVENT_CODES.SDK_PAYMENT_FAIL, "FAIL", "The payment was cancelled."]
  };

  // The origin this file was loaded from: the gateway, unless `gatewayUrl` says otherwise.
  var script = root.document && root.document.currentScript;
  var loadedFrom = script && script.src ? new URL(script.src, root.location.href).origin : null;

  /** {id, config, clientId} from paymentSessionData, or null when it is not one. */
  function parseSessionData(sessionData) {
    if (typeof sessionData !== "string") { return null; }
    var fields = sessionData.split("&&");
    if (fields.length < 4 || !fields[2]) { return null; }
    try {
      var meta = JSON.parse(atob(fields[3]));
      if (!meta || !meta.paymentSessionConfig) { return null; }
      return { id: fields[2], config: meta.paymentSessionConfig, clientId: meta.clientId };
    } catch (error) {
      return null;
    }
  }

  function gatewayOf(options) {
    var base = options.gatewayUrl || sdk.defaultGateway || loadedFrom;
    if (!base) { return null; }
    var url = new URL(base, root.location.href);
    return { origin: url.origin, base: url.origin + url.pathname.replace(/\/+$/, "") };
  }

  function error(code, message) { return { error: { code: code, message: message } }; }

  /** One framed payment page: the iframe, its messages, and what waits for them. */
  function Frame(owner) {
    this.owner = owner;
    this.iframe = null;
    this.waiting = {};   // message type -> [resolve]
    this.listener = null;
  }
  Frame.prototype.open = function (container, path) {
    var owner = this.owner, frame = this;
    var iframe = root.document.createElement("iframe");
    iframe.src = owner.gateway.base + path;
    iframe.title = "Payment";
    iframe.setAttribute("data-openams-frame", "");
    iframe.style.cssText = "width:100%;min-height:420px;border:0;display:block;background:transparent";
    this.listener = function (event) {
      // Only the frame we made, from the gateway's origin, is heard.
      if (event.source !== iframe.contentWindow || event.origin !== owner.gateway.origin) { return; }
      var data = event.data;
      if (!data || data.openams !== 1 || typeof data.type !== "string") { return; }
      frame.receive(data);
    };
    root.addEventListener("message", this.listener);
    owner.emit(EVENT_CODES.SDK_START_OF_LOADING, "Loading the payment page.");
    container.appendChild(iframe);
    this.iframe = iframe;
  };
  Frame.prototype.receive = function (data) {
    if (typeof data.height === "number" && data.height > 0) {
      this.iframe.style.height = Math.min(data.height + 8, 4000) + "px";
    }
    if (data.type === "loaded" && !this.loaded) {
      this.loaded = true;
      this.owner.emit(EVENT_CODES.SDK_END_OF_LOADING, "The payment page is ready.");
    }
    if (data.type === "loaded" && data.checkout && data.error) {
      // The checkout refused what submit() sent (it says why; the buyer may choose again).
      this.settle("done", { status: "FAIL", error: { code: "FORM_INVALID", message: String(data.error) } });
    }
    if (data.type === "result") {
      var outcome = RESULTS[data.state];
      if (!outcome) { return; }
      this.loaded = true;
      var result = { status: outcome[1], resultCode: data.resultCode || "", resultMessage: data.resultMessage || "" };
      this.owner.emit(outcome[0], data.resultMessage || outcome[2], result);
      this.settle("done", { status: outcome[1], result: result });
    }
    if (data.type === "cancel") {
      this.owner.emit(EVENT_CODES.SDK_PAYMENT_CANCEL, "The buyer left the payment page.");
      this.settle("done", { status: "CANCELLED" });
    }
    this.settle(data.type, data);
  };
  Frame.prototype.wait = function (type) {
    var waiting = this.waiting;
    return new Promise(function (resolve) { (waiting[type] = waiting[type] || []).push(resolve); });
  };
  Frame.prototype.settle = function (type, value) {
    var list = this.waiting[type] || [];
    delete this.waiting[type];
    list.forEach(function (resolve) { resolve(value); });
  };
  Frame.prototype.send = function (message) {
    if (!this.iframe || !this.iframe.contentWindow) { return false; }
    message.openams = 1;
    this.iframe.contentWindow.postMessage(message, this.owner.gateway.origin);
    return true;
  };
  Frame.prototype.close = function () {
    if (this.listener) { root.removeEventListener("message", this.listener); }
    if (this.iframe && this.iframe.parentNode) { this.iframe.parentNode.removeChild(this.iframe); }
    this.settle("done", { status: "CANCELLED" });
    this.iframe = null;
    this.listener = null;
  };

  /** What the three classes share: options, callbacks and the one frame they show. */
  function Base(options) {
    this.options = options || {};
    this.gateway = gatewayOf(this.options);
    this.frame = null;
    this.sequence = 0;
  }
  Base.prototype.emit = function (code, message, result) {
    var callback = this.options.onEventCallback;
    if (typeof callback !== "function") { return; }
    var event = { code: code, message: message };
    if (result) { event.result = result; }
    try { callback(event); } catch (ignored) { /* the merchant's callback's own problem */ }
  };
  Base.prototype.fail = function (code, message) {
    this.emit(code, message);
    return Promise.resolve(error(code, message));
  };
  /** Frame the session's checkout into `selector`; resolves when it has loaded. */
  Base.prototype.show = function (sessionData, selector, scenes, query) {
    var session = parseSessionData(sessionData);
    if (!session) {
      return this.fail(EVENT_CODES.SDK_CREATEPAYMENT_PARAMETER_ERROR, "sessionData is not a paymentSessionData value from createPaymentSession.");
    }
    if (scenes.indexOf(session.config.productScene) < 0) {
      return this.fail(EVENT_CODES.SDK_CREATEPAYMENT_PARAMETER_ERROR, "This session's productScene is " + session.config.productScene + "; this class takes " + scenes.join(" or ") + ".");
    }
    if (!this.gateway) {
      return this.fail(EVENT_CODES.SDK_INIT_PARAMETER_ERROR, "No gateway: load the script from the gateway or pass gatewayUrl.");
    }
    var container = typeof selector === "string" ? root.document.querySelector(selector) : selector;
    if (!container) {
      return this.fail(EVENT_CODES.SDK_CREATEPAYMENT_PARAMETER_ERROR, "No element matches " + selector + ".");
    }
    this.close();
    var self = this, frame = this.frame = new Frame(this);
    var waited = this.options.loadTimeoutMs || 20000;
    var ready = Promise.race([frame.wait("loaded"), frame.wait("result"), new Promise(function (resolve) {
      root.setTimeout(function () { resolve("timeout"); }, waited);
    })]);
    frame.open(container, "/checkout/" + encodeURIComponent(session.id) + (query || ""));
    return ready.then(function (outcome) {
      if (outcome !== "timeout" || frame.loaded) { return {}; }
      return self.fail(EVENT_CODES.SDK_CREATE_COMPONENT_ERROR, "The payment page did not load (is this origin registered with the gateway?).");
    });
  };
  Base.prototype.validate = function () {
    if (!this.frame) { return Promise.resolve({ isValid: false, error: { code: "UI_STATE_ERROR", message: "Nothing is mounted." } }); }
    var id = ++this.sequence;
    var answer = this.frame.wait("validated");
    this.frame.send({ type: "validate", id: id });
    return answer.then(function (data) { return { isValid: !!data.valid }; });
  };
  Base.prototype.submitFrame = function () {
    if (!this.frame) { return Promise.resolve({ status: "FAIL", error: { code: "UI_STATE_ERROR", message: "Nothing is mounted." } }); }
    var frame = this.frame;
    var refused = frame.wait("validated").then(function (data) {
      return data.valid ? new Promise(function () {}) : { status: "FAIL", error: { code: "FORM_INVALID", message: "Choose how to pay first." } };
    });
    var done = frame.wait("done");
    frame.send({ type: "submit", id: ++this.sequence });
    return Promise.race([done, refused]);
  };
  Base.prototype.close = function () {
    if (this.frame) { this.frame.close(); }
    this.frame = null;
  };

  function inherit(Child) {
    Child.prototype = Object.create(Base.prototype);
    Child.prototype.constructor = Child;
    return Child;
  }

  /** The hosted Checkout Page in the merchant's page (productScene CHECKOUT_PAYMENT). */
  var AMSCheckoutPage = inherit(function AMSCheckoutPage(options) { Base.call(this, options); });
  AMSCheckoutPage.prototype.mountComponent = function (params, selector) {
    return this.show((params || {}).sessionData, selector, ["CHECKOUT_PAYMENT"], "");
  };
  AMSCheckoutPage.prototype.unmount = function () { this.close(); };

  /** The Payment Element (productScene ELEMENT_PAYMENT): the merchant's button pays. */
  var AMSElement = inherit(function AMSElement(options) {
    Base.call(this, options);
    this.sessionData = this.options.sessionData;
    this.destroyed = false;
    if (!this.sessionData) { this.emit(EVENT_CODES.SDK_CREATE_COMPONENT_ERROR, "sessionData is empty"); }
  });
  AMSElement.prototype.mount = function (renderOptions, selector) {
    if (this.destroyed) { return Promise.resolve(error("UI_STATE_ERROR", "This element was destroyed.")); }
    var type = (renderOptions || {}).type || "payment";
    if (type !== "payment") {
      return Promise.resolve(error("PARAM_INVALID", "Only the payment element is served by openams, not " + type + "."));
    }
    var shown = this.show(this.sessionData, selector, ["ELEMENT_PAYMENT"], "?element=1");
    return shown.then(function (result) {
      return result.error ? error("PARAM_INVALID", result.error.message) : result;
    });
  };
  AMSElement.prototype.validateFields = function () { return this.validate(); };
  AMSElement.prototype.submitPayment = function () { return this.submitFrame(); };
  AMSElement.prototype.updatePayment = function (params) {
    var next = (params && params.sessionData) || this.sessionData;
    if (!this.frame) { return Promise.resolve(error("UI_STATE_ERROR", "Nothing is mounted.")); }
    var container = this.frame.iframe.parentNode;
    this.sessionData = next;
    return this.show(next, container, ["ELEMENT_PAYMENT"], "?element=1");
  };
  AMSElement.prototype.destroy = function () { this.close(); this.destroyed = true; };

  /** Cashier Payment's SDK integration (createPaymentSession without productScene). */
  var AMSCashierPayment = inherit(function AMSCashierPayment(options) { Base.call(this, options); });
  var CASHIER_SCENES = ["CASHIER_PAYMENT", "CHECKOUT_PAYMENT"];
  AMSCashierPayment.prototype.createComponent = function (params) {
    // Shown over the page (Antom's popup display), until the buyer finishes or cancels.
    var overlay = root.document.createElement("div");
    overlay.setAttribute("data-openams-overlay", "");
    overlay.style.cssText = "position:fixed;inset:0;background:rgba(0,0,0,.45);display:flex;align-items:center;justify-content:center;z-index:2147483000";
    var box = root.document.createElement("div");
    box.style.cssText = "background:#fff;border-radius:12px;width:min(440px,94vw);max-height:94vh;overflow:auto";
    overlay.appendChild(box);
    root.document.body.appendChild(overlay);
    this.overlay = overlay;
    var self = this;
    var shown = this.show((params || {}).sessionData, box, CASHIER_SCENES, "");
    return shown.then(function (result) {
      if (result.error) { self.unmount(); }
      return result;
    });
  };
  AMSCashierPayment.prototype.mountComponent = function (params, selector) {
    return this.show((params || {}).sessionData, selector, CASHIER_SCENES, "?element=1");
  };
  AMSCashierPayment.prototype.submit = function () { return this.submitFrame(); };
  AMSCashierPayment.prototype.validateFields = function () { return this.validate(); };
  AMSCashierPayment.prototype.unmount = function () {
    this.close();
    if (this.overlay && this.overlay.parentNode) { this.overlay.parentNode.removeChild(this.overlay); }
    this.overlay = null;
  };

  var sdk = {
    AMSCheckoutPage: AMSCheckoutPage,
    AMSElement: AMSElement,
    AMSCashierPayment: AMSCashierPayment,
    EVENT_CODES: EVENT_CODES,
    parseSessionData: parseSessionData,
    defaultGateway: null
  };
  root.AMSCheckoutPage = AMSCheckoutPage;
  root.AMSElement = AMSElement;
  root.AMSCashierPayment = AMSCashierPayment;
  root.OpenAMSCheckout = sdk;
  if (typeof module === "object" && module && module.exports) { module.exports = sdk; }
})(typeof window !== "undefined" ? window : globalThis);
