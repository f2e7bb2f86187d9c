/* ivigtrack on the phone: installable app shell, and reaction reports that survive a lost connection.
   Everything works without this script; it only adds the offline behaviour. */
(function () {
  "use strict";
  var script = document.currentScript;
  var swUrl = script && script.getAttribute("data-sw-url");
  var loginPath = (script && script.getAttribute("data-login-path")) || "/accounts/login/";
  var LAST_SUBMIT = "ivigtrack:last-submit";
  // Set while something is kept on the device, so that ordinary page loads never open IndexedDB.
  var KEPT = "ivigtrack:kept";
  var flushing = false;

  function $(selector, root) { return (root || document).querySelector(selector); }

  // Words come from the page (data-*-text attributes rendered by Django), so they are translated.
  function t(name, fallback) {
    var status = $("#connection-status");
    return (status && status.getAttribute("data-" + name + "-text")) || fallback;
  }

  function say(text, kind) {
    var status = $("#connection-status");
    if (!status) { return; }
    status.textContent = text;
    status.className = "alert connection-status alert-" + (kind || "info");
    status.hidden = !text;
  }

  function csrfToken() {
    var meta = $('meta[name="csrf-token"]');
    return meta ? meta.getAttribute("content") : "";
  }

  function markKept(kept) {
    try {
      if (kept) { localStorage.setItem(KEPT, "1"); } else { localStorage.removeItem(KEPT); }
    } catch (e) { /* storage blocked: flush() then always looks */ }
  }

  function maybeKept() {
    try { return localStorage.getItem(KEPT) !== null; } catch (e) { return true; }
  }

  function timeOf(ms) {
    return new Date(ms).toLocaleTimeString([], { hour: "2-digit", minute: "2-digit" });
  }

  // --- Keeping a report on the device ----------------------------------------------------------

  function urgentInfo(form) {
    return {
      urgent: !!form.querySelector(".warning-signs input[type=checkbox]:checked"),
      phone: form.getAttribute("data-emergency-phone") || ""
    };
  }

  function showKept(form, info) {
    var box = $("[data-outbox-status]", form.parentNode) || $("[data-outbox-status]");
    var text = t("saved", "Saved on this phone. It will be sent when you are back online.");
    form.querySelectorAll("button[type=submit]").forEach(function (button) { button.disabled = true; });
    if (box) {
      box.hidden = false;
      $("[data-outbox-message]", box).textContent = text;
      var urgent = $("[data-outbox-urgent]", box);
      if (urgent) { urgent.hidden = !info.urgent; }
      box.focus();
    } else {
      say(text, "warning");
    }
  }

  function onSubmit(event) {
    var form = event.target;
    if (!form.matches || !form.matches("form[data-outbox]")) { return; }
    var info = urgentInfo(form);
    // Remembered for the offline page, in case the connection fails while the report is on its way.
    try { sessionStorage.setItem(LAST_SUBMIT, JSON.stringify(info)); } catch (e) { /* private mode */ }
    if (navigator.onLine !== false || !window.IvigOutbox) { return; }
    event.preventDefault();
    var fields = Array.from(new FormData(form).entries());
    window.IvigOutbox.add({ url: form.action || location.href, fields: fields, savedAt: Date.now(), urgent: info.urgent })
      .then(function () { markKept(true); showKept(form, info); })
      .catch(function () {
        say(t("not-kept", "This phone could not keep your report. Please send it when you are back online."), "danger");
      });
  }

  // --- Sending what was kept ------------------------------------------------------------------

  function showPage(response, html) {
    // The server's answer (thank-you page, urgent-care page or the form with its errors) replaces
    // the current page, so the patient sees what happened to the report.
    var doc = new DOMParser().parseFromString(html, "text/html");
    document.title = doc.title;
    document.body.replaceWith(document.adoptNode(doc.body));
    if (response.redirected) { history.replaceState(null, "", response.url); }
    window.scrollTo(0, 0);
    var alert = $("[role=alert]");
    if (alert) { alert.setAttribute("tabindex", "-1"); alert.focus(); }
  }

  function send(entry, token) {
    var fields = entry.fields.map(function (pair) {
      // The token saved with the form may be stale (a new sign-in rotates it); use this page's.
      return pair[0] === "csrfmiddlewaretoken" ? [pair[0], token] : pair;
    });
    return fetch(entry.url, {
      method: "POST",
      body: new URLSearchParams(fields),
      credentials: "same-origin",
      headers: { "Content-Type": "application/x-www-form-urlencoded" }
    }).then(function (response) {
      if (response.status === 403 || response.status === 429 || response.status >= 500) {
        throw new Error("kept: " + response.status);
      }
      if (new URL(response.url).pathname.indexOf(loginPath) === 0) {
        say(t("sign-in", "Sign in to send the report saved on this phone.") + " (" + timeOf(entry.savedAt) + ")", "warning");
        throw new Error("kept: signed out");
      }
      return window.IvigOutbox.remove(entry.id).then(function () { return response.text(); }).then(function (html) {
        return { response: response, html: html };
      });
    });
  }

  function flush() {
    var token = csrfToken();
    if (flushing || navigator.onLine === false || !token || !window.IvigOutbox || !maybeKept()) { return; }
    flushing = true;
    window.IvigOutbox.all().then(function (entries) {
      if (!entries.length) { markKept(false); return null; }
      say(t("sending", "Sending the report saved on this phone…"), "info");
      var last = null;
      return entries.reduce(function (chain, entry) {
        return chain.then(function () { return send(entry, token); }).then(function (result) { last = result; });
      }, Promise.resolve()).then(function () {
        markKept(false);  // everything was sent
        if (last) { showPage(last.response, last.html); }
      });
    }).catch(function () {
      // Still offline, or the server could not take it: it stays on the device for the next try.
    }).then(function () { flushing = false; });
  }

  // --- The offline page -------------------------------------------------------------------------

  function offlinePage() {
    var page = $("[data-offline-page]");
    if (!page || !window.IvigOutbox) { return; }
    var info = {};
    try { info = JSON.parse(sessionStorage.getItem(LAST_SUBMIT) || "{}"); } catch (e) { info = {}; }
    window.IvigOutbox.all().then(function (entries) {
      var kept = $("[data-outbox-status]", page);
      if (entries.length) { markKept(true); }  // kept by the service worker
      if (entries.length && kept) {
        kept.hidden = false;
        var urgent = $("[data-outbox-urgent]", kept);
        if (urgent) { urgent.hidden = !(info.urgent || entries.some(function (e) { return e.urgent; })); }
      }
    });
    // Back online: leave the offline page for a fresh one, which then sends what was kept. The
    // "online" event can come before the network really works, so check, and keep checking.
    var home = page.getAttribute("data-home-url") || "/";
    function leaveWhenOnline() {
      if (navigator.onLine === false) { return; }
      fetch(home, { method: "HEAD", cache: "no-store", credentials: "same-origin" })
        .then(function (response) { if (response.status < 500) { location.assign(home); } })
        .catch(function () { /* still offline */ });
    }
    window.addEventListener("online", leaveWhenOnline);
    window.setInterval(leaveWhenOnline, 3000);
  }

  document.addEventListener("submit", onSubmit);
  window.addEventListener("online", function () { say("", "info"); flush(); });
  function sayOffline() {
    say(t("offline", "You are offline. A report you send now is kept on this phone and sent when you are back online."),
        "warning");
  }
  window.addEventListener("offline", sayOffline);
  if (navigator.onLine === false) { sayOffline(); }
  // The clinician's queue shows new events without a click, unless someone is typing in it.
  var refresh = $("[data-autorefresh]");
  var seconds = refresh ? parseInt(refresh.getAttribute("data-autorefresh"), 10) : 0;
  if (seconds > 0) {
    window.setInterval(function () {
      var active = document.activeElement;
      var typing = active && /^(INPUT|SELECT|TEXTAREA)$/.test(active.tagName);
      if (document.visibilityState === "visible" && !typing && navigator.onLine !== false) { location.reload(); }
    }, seconds * 1000);
  }
  offlinePage();

  // After the page has loaded, out of the way of the first paint and of the patient's first tap.
  window.addEventListener("load", function () {
    window.setTimeout(function () {
      if (!$("[data-offline-page]")) { flush(); }
      if (swUrl && "serviceWorker" in navigator) {
        navigator.serviceWorker.register(swUrl, { scope: "/" }).catch(function () { /* works without it */ });
      }
    }, 0);
  });
})();
