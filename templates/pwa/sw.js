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
{% endautoescape %}
