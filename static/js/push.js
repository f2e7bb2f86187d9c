/* ivigtrack: notifications on this device (web push). Permission is asked only when the patient presses
   a button: after a report ([data-push=offer]) or on the profile ([data-push=devices]). Words come from the
   page's data-*-text attributes, so they are translated. */
(function () {
  "use strict";
  var DISMISSED = "ivigtrack:push-offer-dismissed";

  function supported() {
    return "serviceWorker" in navigator && "PushManager" in window && "Notification" in window;
  }

  function csrfToken() {
    var meta = document.querySelector('meta[name="csrf-token"]');
    return meta ? meta.getAttribute("content") : "";
  }

  function say(root, name) {
    var status = root.querySelector("[data-push-status]");
    if (status) { status.textContent = root.getAttribute("data-" + name + "-text") || ""; }
  }

  function show(element, shown) {
    if (element) { element.hidden = !shown; }
  }

  // The applicationServerKey: the server's VAPID public key, base64url in the page.
  function keyBytes(base64url) {
    var base64 = (base64url + "===".slice((base64url.length + 3) % 4)).replace(/-/g, "+").replace(/_/g, "/");
    var raw = atob(base64);
    var bytes = new Uint8Array(raw.length);
    for (var i = 0; i < raw.length; i++) { bytes[i] = raw.charCodeAt(i); }
    return bytes;
  }

  // The service worker's registration, or a rejection if it never becomes ready (nothing waits forever).
  function registration() {
    return Promise.race([
      navigator.serviceWorker.ready,
      new Promise(function (resolve, reject) { setTimeout(function () { reject(new Error("no service worker")); }, 10000); })
    ]);
  }

  function currentSubscription() {
    return registration().then(function (reg) { return reg.pushManager.getSubscription(); });
  }

  // Ask, subscribe this browser and give the server its subscription. Rejects with "denied" if refused.
  function subscribe(root) {
    return Notification.requestPermission().then(function (permission) {
      if (permission !== "granted") { throw new Error("denied"); }
      return registration();
    }).then(function (reg) {
      return reg.pushManager.getSubscription().then(function (existing) {
        return existing || reg.pushManager.subscribe({
          userVisibleOnly: true,
          applicationServerKey: keyBytes(root.getAttribute("data-public-key"))
        });
      });
    }).then(function (subscription) {
      var json = subscription.toJSON();
      var body = new FormData();
      body.append("endpoint", json.endpoint);
      body.append("p256dh", json.keys.p256dh);
      body.append("auth", json.keys.auth);
      return fetch(root.getAttribute("data-subscribe-url"), {
        method: "POST", body: body, credentials: "same-origin", headers: { "X-CSRFToken": csrfToken() }
      });
    }).then(function (response) {
      if (!response.ok) { throw new Error("the server refused the subscription: " + response.status); }
    });
  }

  function failed(root, error) {
    say(root, error && error.message === "denied" ? "denied" : "failed");
  }

  function dismissed() {
    try { return localStorage.getItem(DISMISSED) !== null; } catch (e) { return false; }
  }

  // After a report: offered only where it can work, is not on yet, and was not put off.
  function initOffer(root) {
    if (!supported() || Notification.permission === "denied" || dismissed()) { return; }
    currentSubscription().then(function (subscription) {
      root.hidden = Boolean(subscription && Notification.permission === "granted");
    }).catch(function () { /* no service worker: nothing to offer */ });
    var choices = root.querySelector("[data-push-choices]");
    root.querySelector("[data-push-enable]").addEventListener("click", function (event) {
      event.target.disabled = true;
      subscribe(root).then(function () {
        show(choices, false);
        say(root, "on");
      }).catch(function (error) {
        show(choices, false);
        failed(root, error);
      });
    });
    root.querySelector("[data-push-dismiss]").addEventListener("click", function () {
      try { localStorage.setItem(DISMISSED, String(Date.now())); } catch (e) { /* storage blocked */ }
      root.hidden = true;
    });
  }

  // The profile: this device on or off, and the list of devices (each with a remove form).
  function initDevices(root) {
    var device = root.querySelector("[data-push-device]");
    var enable = root.querySelector("[data-push-enable]");
    var disable = root.querySelector("[data-push-disable]");
    if (!supported()) { show(root.querySelector("[data-push-unsupported]"), true); return; }
    if (Notification.permission === "denied") { show(root.querySelector("[data-push-blocked]"), true); return; }
    var row = null;
    currentSubscription().then(function (subscription) {
      row = subscription && Array.from(root.querySelectorAll("[data-push-endpoint]")).find(function (item) {
        return item.getAttribute("data-push-endpoint") === subscription.endpoint;
      });
      var on = Boolean(row) && Notification.permission === "granted";
      show(root.querySelector('[data-push-state="on"]'), on);
      show(root.querySelector('[data-push-state="off"]'), !on);
      show(enable, !on);
      show(disable, on);
      if (row) { show(row.querySelector("[data-push-this-device]"), true); }
      show(device, true);
    }).catch(function () { show(root.querySelector("[data-push-unsupported]"), true); });
    enable.addEventListener("click", function () {
      enable.disabled = true;
      subscribe(root).then(function () { window.location.reload(); }).catch(function (error) {
        enable.disabled = false;
        failed(root, error);
      });
    });
    disable.addEventListener("click", function () {
      disable.disabled = true;
      currentSubscription().then(function (subscription) {
        return subscription ? subscription.unsubscribe() : true;
      }).catch(function () { return true; }).then(function () {
        if (row) { row.querySelector("form").submit(); } else { window.location.reload(); }
      });
    });
  }

  function init() {
    Array.from(document.querySelectorAll("[data-push]")).forEach(function (root) {
      if (root.getAttribute("data-push") === "offer") { initOffer(root); } else { initDevices(root); }
    });
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", init);
  } else {
    init();
  }
}());
