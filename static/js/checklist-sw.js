// The checklist's service worker (served from /distributions/ so that it controls the checklist
// pages: /distributions/<id>/liste and /distributions/arrets/<id>/liste). A checklist page and
// its JSON list (and a stop's walk-in sales, and the person's list of lists): network first,
// the last copy when offline; a list this phone never opened, reached offline, gets the
// "offline" page that says so. Static files: the cached copy first, refreshed in the
// background. Nothing else is touched; taps and sales are never cached here: the page keeps
// them in its own queue until the server answers, and lays them over the newest copy it has.
"use strict";

// v3: the offline page, walk-in sales and the list of lists are kept too.
// v4: the pages moved to /distributions/ (French addresses); older copies are dropped.
var CACHE = "checklist-v4";
var OFFLINE_URL = new URL("hors-ligne", self.registration.scope).pathname;

self.addEventListener("install", function (event) {
  self.skipWaiting();
  event.waitUntil(
    caches.open(CACHE)
      .then(function (cache) { return cache.add(OFFLINE_URL); })
      .catch(function () {})
  );
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
  return (
    /^\/distributions\/(arrets\/)?\d+\/liste$/.test(url.pathname) ||
    /^\/api\/pickup\/(days|stops)\/\d+\/checklist$/.test(url.pathname) ||
    /^\/api\/pickup\/stops\/\d+\/sales$/.test(url.pathname) ||
    /^\/distributions\/$/.test(url.pathname)
  );
}

function offlinePage(request) {
  if (request.mode !== "navigate") return Promise.resolve(Response.error());
  return caches.match(OFFLINE_URL).then(function (page) {
    return page || Response.error();
  });
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
        return cached || offlinePage(request);
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
