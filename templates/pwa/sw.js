{% autoescape off %}/* ivigtrack service worker, generated for this deployment (cache {{ version }}). */
"use strict";
importScripts("{{ outbox_js }}");

var CACHE = "ivigtrack-{{ version }}";
var OFFLINE_URL = "{% url 'offline' %}";
var SHELL = {{ shell_json }};
var STATIC_PREFIX = "{{ static_prefix }}";
// In production static names carry a content hash, so a cached copy is never stale; in development
// (DEBUG, plain names) the network comes first so that edits show up.
var HASHED_STATIC = {{ hashed_static|yesno:"true,false" }};
// Forms whose answers must never be lost: reaction reports, in the app and from a follow-up e-mail.
var KEPT_FORMS = [/^\/infusions\/\d+\/report\/$/, /^\/f\/[^/]+\/report\/$/];

self.addEventListener("install", function (event) {
  event.waitUntil(
    caches.open(CACHE)
      .then(function (cache) { return cache.addAll(SHELL); })
      .then(function () { return self.skipWaiting(); })
  );
});

self.addEventListener("activate", function (event) {
  event.waitUntil(
    caches.keys().then(function (keys) {
      return Promise.all(keys.filter(function (key) {
        return key.indexOf("ivigtrack-") === 0 && key !== CACHE;
      }).map(function (key) { return caches.delete(key); }));
    }).then(function () { return self.clients.claim(); })
  );
});

function offlinePage() {
  return caches.match(OFFLINE_URL);
}

self.addEventListener("fetch", function (event) {
  var request = event.request;
  var url = new URL(request.url);
  if (url.origin !== self.location.origin) {
    return;
  }
  if (request.mode === "navigate" && request.method === "GET") {
    // Pages always come from the network: they hold health data, which is never cached.
    event.respondWith(fetch(request).catch(offlinePage));
  } else if (request.mode === "navigate" && request.method === "POST" &&
             KEPT_FORMS.some(function (pattern) { return pattern.test(url.pathname); })) {
    // The connection failed while sending a report: keep its answers on the device, say so.
    var copy = request.clone();
    event.respondWith(fetch(request).catch(function () {
      return copy.formData().then(function (data) {
        return self.IvigOutbox.add({ url: request.url, fields: Array.from(data.entries()), savedAt: Date.now() });
      }).then(offlinePage);
    }));
  } else if (request.method === "GET" && url.pathname.indexOf(STATIC_PREFIX) === 0) {
    event.respondWith(HASHED_STATIC
      ? caches.match(request).then(function (hit) { return hit || fetch(request); })
      : fetch(request).catch(function () { return caches.match(request); }));
  }
});
// --- Notifications (web push) -------------------------------------------------------------------
// The server sends {title, body, url}: words with no health data, and the page to open on a tap.
var NOTIFICATION_ICON = "{{ notification_icon }}";
var NOTIFICATION_BADGE = "{{ notification_badge }}";

// Only pages of this app are opened from a notification, whatever a payload says.
function notificationUrl(url) {
  try {
    var target = new URL(url || "/", self.location.origin);
    return target.origin === self.location.origin ? target.href : self.location.origin + "/";
  } catch (e) {
    return self.location.origin + "/";
  }
}

self.addEventListener("push", function (event) {
  var data = {};
  try { data = event.data ? event.data.json() : {}; } catch (e) { data = {}; }
  var url = notificationUrl(data.url);
  event.waitUntil(self.registration.showNotification(data.title || "ivigtrack", {
    body: data.body || "",
    icon: NOTIFICATION_ICON,
    badge: NOTIFICATION_BADGE,
    // One notification per page: a message the outbox sends twice replaces itself instead of showing twice,
    // and a reminder for the same page still alerts (renotify).
    tag: url,
    renotify: true,
    data: { url: url }
  }));
});

self.addEventListener("notificationclick", function (event) {
  event.notification.close();
  var url = notificationUrl(event.notification.data && event.notification.data.url);
  event.waitUntil(
    self.clients.matchAll({ type: "window", includeUncontrolled: true }).then(function (windows) {
      var open = windows.find(function (client) { return client.url === url && "focus" in client; });
      return open ? open.focus() : self.clients.openWindow(url);
    })
  );
});
{% endautoescape %}
