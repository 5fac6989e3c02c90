// The checklist's service worker (served from /pickup/ so that it controls the checklist
// pages: /pickup/days/<id>/checklist and /pickup/stops/<id>/checklist). A checklist page and
// its JSON list: network first, the last copy when offline.
// Static files: the cached copy first, refreshed in the background. Nothing else is touched;
// taps are never cached here: the page keeps them in its own queue until the server answers.
"use strict";

// v2: stops of the van have lists too; older caches (and their copy of checklist.js) go.
var CACHE = "checklist-v2";

self.addEventListener("install", function () {
  self.skipWaiting();
});

self.addEventListener("activate", function (event) {
  event.waitUntil(
    caches.keys()
      .then(function (names) {
        return Promise.all(names.map(function (name) {
          if (name.indexOf("checklist-") === 0 && name !== CACHE) return caches.delete(name);
          return null;
        }));
      })
      .then(function () { return self.clients.claim(); })
  );
});

function isChecklist(url) {
  return /^\/(api\/)?pickup\/(days|stops)\/\d+\/checklist$/.test(url.pathname);
}

function networkFirst(request) {
  return fetch(request)
    .then(function (response) {
      if (response.ok) {
        var copy = response.clone();
        caches.open(CACHE).then(function (cache) { cache.put(request, copy); });
      }
      return response;
    })
    .catch(function () {
      return caches.match(request, { ignoreVary: true }).then(function (cached) {
        return cached || Response.error();
      });
    });
}

function cacheFirst(request) {
  return caches.match(request).then(function (cached) {
    var fresh = fetch(request)
      .then(function (response) {
        if (response.ok) {
          var copy = response.clone();
          caches.open(CACHE).then(function (cache) { cache.put(request, copy); });
        }
        return response;
      })
      .catch(function () { return cached || Response.error(); });
    return cached || fresh;
  });
}

self.addEventListener("fetch", function (event) {
  var request = event.request;
  if (request.method !== "GET") return;
  var url = new URL(request.url);
  if (url.origin !== self.location.origin) return;
  if (isChecklist(url)) {
    event.respondWith(networkFirst(request));
  } else if (url.pathname.indexOf("/static/") === 0) {
    event.respondWith(cacheFirst(request));
  }
});
