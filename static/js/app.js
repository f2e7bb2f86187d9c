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

  // What the report calls for while it cannot reach the server. The server's rule table decides once it
  // is sent; until then nobody can see it, so this errs towards calling: any warning sign, any symptom
  // graded very severe, or severe with another symptom, says "call your clinic now".
  function tierOf(form) {
    var checked = Array.from(form.querySelectorAll(".symptom .symptom-toggle:checked")).map(function (box) {
      return box.closest(".symptom");
    });
    if (checked.some(function (row) { return row.getAttribute("data-tier") === "emergency"; })) { return "emergency"; }
    var grades = checked.map(function (row) {
      var radio = row.querySelector("input[type=radio]:checked");
      return radio ? radio.value : "";
    });
    var care = form.querySelector("input[name=care]:checked");
    if (checked.some(function (row) { return row.getAttribute("data-tier") === "urgent"; }) ||
        grades.indexOf("very_severe") !== -1 || (grades.indexOf("severe") !== -1 && checked.length > 1) ||
        (care && (care.value === "urgent_care" || care.value === "admitted"))) {
      return "urgent";
    }
    return "routine";
  }

  function urgentInfo(form) {
    return {
      tier: tierOf(form),
      emergency: form.getAttribute("data-emergency-number") || "",
      phone: form.getAttribute("data-urgent-number") || ""
    };
  }

  // Shows the one paragraph for this tier (data-outbox-emergency or data-outbox-urgent); offline pages
  // fill in the numbers, which they do not know themselves.
  function showTier(box, info) {
    var emergency = $("[data-outbox-emergency]", box);
    var urgent = $("[data-outbox-urgent]", box);
    if (emergency) { emergency.hidden = info.tier !== "emergency"; }
    if (urgent) { urgent.hidden = info.tier !== "urgent"; }
    box.querySelectorAll("[data-number=emergency]").forEach(function (link) { fillNumber(link, info.emergency); });
    box.querySelectorAll("[data-number=urgent]").forEach(function (link) { fillNumber(link, info.phone); });
  }

  function fillNumber(link, number) {
    if (!number) { return; }
    link.textContent = number;
    link.setAttribute("href", "tel:" + number);
  }

  function showKept(form, info) {
    var box = $("[data-outbox-status]", form.parentNode) || $("[data-outbox-status]");
    var text = t("saved", "Saved on this phone. It will be sent when you are back online.");
    form.querySelectorAll("button[type=submit]").forEach(function (button) { button.disabled = true; });
    if (box) {
      box.hidden = false;
      $("[data-outbox-message]", box).textContent = text;
      showTier(box, info);
      box.focus();
    } else {
      say(text, "warning");
    }
  }

  // --- Notes that name a warning sign --------------------------------------------------------------

  function redFlags(form) {
    var url = form.getAttribute("data-red-flags-url");
    var notes = form.querySelector("textarea[name=notes]");
    var box = $("[data-red-flags]", form);
    if (!url || !notes || !box) { return; }
    var timer = null;
    function show(signs) {
      var missing = signs.filter(function (sign) {
        var toggle = form.querySelector(".symptom[data-code='" + sign.code + "'] .symptom-toggle");
        return toggle && !toggle.checked;
      });
      var buttons = $("[data-red-flags-buttons]", box);
      buttons.textContent = "";
      box.hidden = !missing.length;
      if (!missing.length) { return; }
      var text = $("[data-red-flags-text]", box);
      text.textContent = text.getAttribute("data-template").replace("%(signs)s", missing.map(function (sign) {
        return sign.label;
      }).join(", "));
      missing.forEach(function (sign) {
        var button = document.createElement("button");
        button.type = "button";
        button.className = "btn btn-outline-danger btn-sm me-2 mb-1";
        button.textContent = "✓ " + sign.label;
        button.addEventListener("click", function () {
          var toggle = form.querySelector(".symptom[data-code='" + sign.code + "'] .symptom-toggle");
          toggle.checked = true;
          toggle.dispatchEvent(new Event("change", { bubbles: true }));
          toggle.focus();
          check();
        });
        buttons.appendChild(button);
      });
    }
    function check() {
      if (navigator.onLine === false) { return; }
      var body = new URLSearchParams({ notes: notes.value, csrfmiddlewaretoken: csrfToken() || formToken(form) });
      fetch(url, { method: "POST", body: body, credentials: "same-origin" })
        .then(function (response) { return response.ok ? response.json() : { signs: [] }; })
        .then(function (data) { show(data.signs || []); })
        .catch(function () { /* the server reads the notes anyway when the report is sent */ });
    }
    notes.addEventListener("input", function () {
      window.clearTimeout(timer);
      timer = window.setTimeout(check, 700);
    });
  }

  function formToken(form) {
    var input = form.querySelector("input[name=csrfmiddlewaretoken]");
    return input ? input.value : "";
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
    window.IvigOutbox.add({ url: form.action || location.href, fields: fields, savedAt: Date.now(), info: info })
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
        // The most urgent of what is kept decides what the page says.
        var all = [info].concat(entries.map(function (e) { return e.info || {}; }));
        var rank = { emergency: 2, urgent: 1 };
        var worst = all.reduce(function (a, b) { return (rank[b.tier] || 0) > (rank[a.tier] || 0) ? b : a; }, {});
        showTier(kept, worst);
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
  document.querySelectorAll("form[data-red-flags-url]").forEach(redFlags);

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
