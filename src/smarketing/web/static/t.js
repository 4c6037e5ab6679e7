/*! smarketing first-party tracking. Apache-2.0. See docs/tracking.md.
 *
 * <script src="https://crm.example/t.js" data-site="www" async></script>
 *
 * Records a page view on load and each submit of a form with an email field, with an
 * anonymous visitor id kept in a first-party cookie (smk_vid). Sends JSON as text/plain
 * (a CORS simple request) to /track next to this script, with a fresh event id per event
 * so a retry is stored once. Never reads password, hidden or card fields.
 */
(function () {
  "use strict";
  var script = document.currentScript;
  if (!script || window.smarketing) return;

  var COOKIE = "smk_vid";
  var YEAR_SECONDS = 365 * 24 * 3600;
  var ID_PATTERN = /^[A-Za-z0-9_-]{8,64}$/;
  var SKIP_TYPES = /^(password|hidden|file|submit|button|reset|image|checkbox|radio)$/;
  var SKIP_NAMES = /pass|pwd|secret|token|csrf|captcha|card|cvv|cvc|iban|ssn|pin$/i;
  var EMAIL_NAME = /e-?mail|correo/i;
  var MAX_FIELDS = 30;
  var MAX_VALUE = 500;
  var RETRY_DELAYS = [2000, 8000];

  var endpoint = script.getAttribute("data-endpoint") || new URL("/track", script.src).href;
  var site = script.getAttribute("data-site") || undefined;
  var cookieDomain = script.getAttribute("data-cookie-domain");

  function uuid() {
    if (window.crypto && crypto.randomUUID) return crypto.randomUUID();
    var bytes = new Uint8Array(16);
    crypto.getRandomValues(bytes);
    bytes[6] = (bytes[6] & 15) | 64;
    bytes[8] = (bytes[8] & 63) | 128;
    var hex = Array.prototype.map.call(bytes, function (b) {
      return (b + 256).toString(16).slice(1);
    }).join("");
    return [hex.slice(0, 8), hex.slice(8, 12), hex.slice(12, 16), hex.slice(16, 20),
            hex.slice(20)].join("-");
  }

  function readCookie() {
    var match = document.cookie.match(new RegExp("(?:^|; )" + COOKIE + "=([^;]*)"));
    return match ? decodeURIComponent(match[1]) : "";
  }

  function visitorId() {
    var id = readCookie();
    if (!ID_PATTERN.test(id)) id = uuid();
    // Written again on every page view: the year runs from the last visit.
    document.cookie = COOKIE + "=" + id + "; Max-Age=" + YEAR_SECONDS + "; Path=/" +
      "; SameSite=Lax" + (location.protocol === "https:" ? "; Secure" : "") +
      (cookieDomain ? "; Domain=" + cookieDomain : "");
    return id;
  }

  function post(body, attempt) {
    var retry = function () {
      if (attempt < RETRY_DELAYS.length) {
        setTimeout(function () { post(body, attempt + 1); }, RETRY_DELAYS[attempt]);
      }
    };
    if (!window.fetch) {
      if (navigator.sendBeacon) navigator.sendBeacon(endpoint, body);
      return;
    }
    fetch(endpoint, {
      method: "POST", body: body, keepalive: true, credentials: "omit", mode: "cors",
      headers: {"Content-Type": "text/plain"}
    }).then(function (response) {
      if (response.status >= 500) retry();
    }, retry);
  }

  function send(event) {
    event.id = uuid();
    event.url = location.href;
    if (document.referrer) event.referrer = document.referrer;
    post(JSON.stringify({visitor: visitorId(), site: site, events: [event]}), 0);
  }

  function page() {
    send({kind: "page_view", title: document.title.slice(0, 500)});
  }

  function fieldName(element) {
    return element.name || element.id || "";
  }

  function emailOf(form) {
    var fields = form.elements;
    for (var i = 0; i < fields.length; i++) {
      var element = fields[i];
      if ((element.type === "email" || EMAIL_NAME.test(fieldName(element))) &&
          element.type !== "password" && element.type !== "hidden" && element.value) {
        return element.value.trim();
      }
    }
    return "";
  }

  function formFields(form) {
    var values = {};
    var count = 0;
    for (var i = 0; i < form.elements.length && count < MAX_FIELDS; i++) {
      var element = form.elements[i];
      var name = fieldName(element);
      if (!name || !element.value || SKIP_TYPES.test(element.type || "") ||
          SKIP_NAMES.test(name) || element.tagName === "TEXTAREA" ||
          element.hasAttribute("data-smk-ignore") ||
          /^cc-/.test(element.getAttribute("autocomplete") || "")) continue;
      values[name.slice(0, 100)] = String(element.value).slice(0, MAX_VALUE);
      count++;
    }
    return values;
  }

  function onSubmit(submitEvent) {
    var form = submitEvent.target;
    if (!form || form.tagName !== "FORM" || form.hasAttribute("data-smk-ignore")) return;
    var email = emailOf(form);
    if (!email) return;
    send({kind: "form_submit", email: email, fields: formFields(form),
          form: (form.getAttribute("name") || form.id || "").slice(0, 200) || undefined,
          title: document.title.slice(0, 500)});
  }

  window.smarketing = {page: page};
  document.addEventListener("submit", onSubmit, true);
  page();
})();
