/* Relais — « Couverture du territoire »: the communes' polygons (the API's GeoJSON) drawn
   by distance class; each class has its pattern (relais.css), each commune a tooltip.
   The tables of the page hold the same information: without JavaScript nothing is lost. */
(function () {
  "use strict";
  var block = document.querySelector("[data-coverage-map]");
  if (!block || !window.L || !window.fetch) return;
  var seuil = parseFloat(block.getAttribute("data-seuil"));
  var note = block.querySelector("[data-map-note]");

  function kind(p) {
    if (p.distance_km === null || p.distance_km === undefined) return "aucun";
    if (p.distance_km > seuil) return "blanche";
    if (p.distance_km < 5) return "proche";
    return p.distance_km < 10 ? "moyen" : "loin";
  }

  function km(value) {
    return value === null || value === undefined
      ? "aucune structure accessible"
      : String(value).replace(".", ",") + " km";
  }

  function draw(data) {
    block.hidden = false;
    var map = window.L.map(block.querySelector(".map"), { scrollWheelZoom: false, zoomControl: false });
    window.L.control.zoom({ zoomInTitle: "Zoomer", zoomOutTitle: "Dézoomer" }).addTo(map);
    map.attributionControl.setPrefix('<a href="https://leafletjs.com">Leaflet</a>');
    var tiles = window.L.tileLayer("https://tile.openstreetmap.org/{z}/{x}/{y}.png", {
      maxZoom: 18,
      attribution: '&copy; <a href="https://www.openstreetmap.org/copyright">OpenStreetMap</a>'
    }).addTo(map);
    tiles.on("tileerror", function () {
      if (note) note.textContent = block.getAttribute("data-tile-error");
    });
    var layer = window.L.geoJSON(data, {
      filter: function (feature) { return feature.geometry !== null; },
      style: function (feature) {
        return {
          className: "coverage-path coverage-path--" + kind(feature.properties),
          color: "#1b1b1f", weight: 0.6, fillOpacity: 0.8
        };
      },
      onEachFeature: function (feature, path) {
        var p = feature.properties;
        var text = p.nom + " : " + km(p.distance_km) + (p.partner_nom ? " (" + p.partner_nom + ")" : "");
        path.bindTooltip(document.createTextNode(text), { sticky: true });
      }
    }).addTo(map);
    var bounds = layer.getBounds();
    if (bounds.isValid()) map.fitBounds(bounds, { padding: [12, 12] });
  }

  window.fetch(block.getAttribute("data-geojson"), { headers: { Accept: "application/geo+json" } })
    .then(function (response) { return response.ok ? response.json() : null; })
    .then(function (data) { if (data) draw(data); })
    .catch(function () { /* the tables stay complete */ });
})();
