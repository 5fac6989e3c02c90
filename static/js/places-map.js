/* The map of the territory's places: it enhances the server-rendered list (each <li> carries
   data-lat, data-lng, data-name, data-address, data-url). Without Leaflet (the script did not
   load) or without coordinates, the map stays hidden and the list is the page. */
(function () {
  "use strict";
  var COLOURS = { pickup: "#2f5d31", producer: "#8a5a00", stop: "#1f5fa8" };

  function start() {
    var container = document.getElementById("places-map");
    if (!container || typeof window.L === "undefined") return;
    var items = document.querySelectorAll("li[data-lat][data-lng]");
    var points = [];
    container.hidden = false;
    var map = window.L.map(container, { scrollWheelZoom: false });
    window.L.tileLayer(container.dataset.tileUrl, {
      attribution: container.dataset.attribution,
      maxZoom: 18,
    }).addTo(map);
    items.forEach(function (item) {
      var lat = parseFloat(item.dataset.lat);
      var lng = parseFloat(item.dataset.lng);
      if (!isFinite(lat) || !isFinite(lng)) return;
      var popup = document.createElement("div");
      var link = document.createElement("a");
      link.href = item.dataset.url;
      link.textContent = item.dataset.name;
      popup.appendChild(link);
      if (item.dataset.address) {
        popup.appendChild(document.createElement("br"));
        popup.appendChild(document.createTextNode(item.dataset.address));
      }
      window.L.circleMarker([lat, lng], {
        radius: 8,
        color: COLOURS[item.dataset.kind] || "#333333",
        fillOpacity: 0.8,
      })
        .bindPopup(popup)
        .addTo(map);
      points.push([lat, lng]);
    });
    if (points.length) {
      map.fitBounds(points, { padding: [24, 24], maxZoom: 13 });
    } else {
      container.hidden = true;
      map.remove();
    }
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", start);
  } else {
    start();
  }
})();
