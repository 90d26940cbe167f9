/* Relais — progressive enhancement for the pages (everything works without it):
   commune autocomplete (ARIA 1.2 combobox), results map (Leaflet), search results
   refreshed in place with an aria-live announcement, print of the orientation sheet.
   Data from the server is always inserted with textContent, never as HTML. */
(function () {
  "use strict";

  function el(tag, className, text) {
    var node = document.createElement(tag);
    if (className) node.className = className;
    if (text !== undefined && text !== null) node.textContent = String(text);
    return node;
  }

  /* ---------------------------------------------------------------- combobox */
  var comboCount = 0;
  function initAutocomplete(field) {
    var input = field.querySelector("input");
    if (!input || input.dataset.comboReady) return;
    input.dataset.comboReady = "1";
    var id = "communes-" + (++comboCount);
    var list = el("ul", "combobox__list");
    list.id = id;
    list.setAttribute("role", "listbox");
    list.setAttribute("aria-label", "Communes suggérées");
    list.hidden = true;
    var status = el("p", "visually-hidden");
    status.setAttribute("role", "status");
    status.setAttribute("aria-live", "polite");
    var help = el("p", "visually-hidden", "Saisissez au moins 2 caractères, puis utilisez les flèches haut et bas pour choisir une commune.");
    help.id = id + "-aide";
    field.appendChild(list);
    field.appendChild(status);
    field.appendChild(help);
    input.setAttribute("role", "combobox");
    input.setAttribute("aria-autocomplete", "list");
    input.setAttribute("aria-expanded", "false");
    input.setAttribute("aria-controls", id);
    var described = input.getAttribute("aria-describedby");
    input.setAttribute("aria-describedby", (described ? described + " " : "") + help.id);

    var items = [], active = -1, timer = null, lastQuery = "", controller = null;

    function close() {
      list.hidden = true;
      input.setAttribute("aria-expanded", "false");
      input.removeAttribute("aria-activedescendant");
      active = -1;
    }
    function highlight(index) {
      var options = list.children;
      for (var i = 0; i < options.length; i++) options[i].setAttribute("aria-selected", i === index ? "true" : "false");
      active = index;
      if (index >= 0 && options[index]) {
        input.setAttribute("aria-activedescendant", options[index].id);
        options[index].scrollIntoView({ block: "nearest" });
      } else {
        input.removeAttribute("aria-activedescendant");
      }
    }
    function choose(index) {
      var c = items[index];
      if (!c) return;
      var cp = (c.codes_postaux && c.codes_postaux[0]) || "";
      input.value = cp ? cp + " " + c.nom : c.nom;
      close();
      status.textContent = c.nom + " sélectionnée.";
    }
    function render(results) {
      items = results;
      list.textContent = "";
      results.forEach(function (c, i) {
        var li = el("li");
        li.id = id + "-opt-" + i;
        li.setAttribute("role", "option");
        li.setAttribute("aria-selected", "false");
        li.appendChild(document.createTextNode(c.nom + " "));
        var cps = (c.codes_postaux || []).slice(0, 2).join(", ");
        li.appendChild(el("span", "option__hint", "(" + c.departement + (cps ? " – " + cps : "") + ")"));
        li.addEventListener("mousedown", function (e) { e.preventDefault(); choose(i); });
        list.appendChild(li);
      });
      var open = results.length > 0;
      list.hidden = !open;
      input.setAttribute("aria-expanded", open ? "true" : "false");
      active = -1;
      status.textContent = open ? results.length + (results.length > 1 ? " communes suggérées." : " commune suggérée.") : "Aucune commune trouvée.";
    }
    function lookup() {
      var q = input.value.trim();
      if (q.length < 2) { close(); return; }
      if (q === lastQuery) return;
      lastQuery = q;
      if (controller) controller.abort();
      controller = window.AbortController ? new AbortController() : null;
      fetch("/api/v1/communes?limit=8&q=" + encodeURIComponent(q), controller ? { signal: controller.signal } : {})
        .then(function (r) { return r.ok ? r.json() : { results: [] }; })
        .then(function (body) { if (input.value.trim() === q) render(body.results || []); })
        .catch(function () { /* network error: the plain text field still works */ });
    }
    input.addEventListener("input", function () {
      clearTimeout(timer);
      lastQuery = lastQuery === input.value.trim() ? "" : lastQuery;
      timer = setTimeout(lookup, 180);
    });
    input.addEventListener("keydown", function (e) {
      var open = !list.hidden;
      if (e.key === "ArrowDown") {
        e.preventDefault();
        if (!open && items.length) { list.hidden = false; input.setAttribute("aria-expanded", "true"); }
        highlight(Math.min(active + 1, items.length - 1));
      } else if (e.key === "ArrowUp") {
        if (open) { e.preventDefault(); highlight(Math.max(active - 1, 0)); }
      } else if (e.key === "Enter") {
        if (open && active >= 0) { e.preventDefault(); choose(active); }
      } else if (e.key === "Escape") {
        if (open) { e.preventDefault(); close(); }
      }
    });
    // The list is in the page's flow: closing it moves what lies below. A pointer press
    // elsewhere (the "Rechercher" button) closes it only once the click is done, so the
    // button does not move between the press and the release.
    var pressing = false;
    document.addEventListener("mousedown", function () { pressing = true; }, true);
    document.addEventListener("mouseup", function () {
      if (!pressing) return;
      pressing = false;
      setTimeout(function () { if (document.activeElement !== input) close(); }, 0);
    }, true);
    input.addEventListener("blur", function () { if (!pressing) close(); });
  }

  /* ---------------------------------------------------------------- filters panel */
  // "Filtres et carte" is a <details>: closed on a phone (it sits above the form), open on
  // a wide screen (a side column); a search refreshed in place keeps the reader's choice.
  var wide = window.matchMedia ? window.matchMedia("(min-width: 64em)") : { matches: true };
  var filtersOpen = null;
  function initFilters() {
    var details = document.querySelector("[data-filters]");
    if (!details) return;
    details.open = filtersOpen === null ? wide.matches : filtersOpen;
    details.addEventListener("toggle", function () { filtersOpen = details.open; });
  }

  /* ---------------------------------------------------------------- map */
  var map = null;
  function initMap(root) {
    var block = root.querySelector("[data-map]");
    var data = root.querySelector("#carte-donnees");
    if (map) { map.remove(); map = null; }
    if (!block || !data || !window.L) return;
    var holder = block.closest("details");
    if (holder && !holder.open) { // Leaflet needs a visible box: draw the map when opened
      holder.addEventListener("toggle", function opened() {
        if (!holder.open) return;
        holder.removeEventListener("toggle", opened);
        initMap(root);
      });
      return;
    }
    var payload;
    try { payload = JSON.parse(data.textContent); } catch (e) { return; }
    var points = payload.points || [];
    if (!points.length) return;
    block.hidden = false;
    var note = block.querySelector("[data-map-note]");
    map = window.L.map(block.querySelector(".map"), { scrollWheelZoom: false, zoomControl: false });
    window.L.control.zoom({ zoomInTitle: "Zoomer", zoomOutTitle: "Dézoomer" }).addTo(map);
    map.on("popupopen", function (e) {
      var close = e.popup.getElement && e.popup.getElement().querySelector(".leaflet-popup-close-button");
      if (close) { close.setAttribute("aria-label", "Fermer"); close.title = "Fermer"; }
    });
    map.attributionControl.setPrefix('<a href="https://leafletjs.com">Leaflet</a>');
    var tiles = window.L.tileLayer("https://tile.openstreetmap.org/{z}/{x}/{y}.png", {
      maxZoom: 18,
      attribution: '&copy; <a href="https://www.openstreetmap.org/copyright">OpenStreetMap</a>'
    }).addTo(map);
    var warned = false;
    tiles.on("tileerror", function () {
      if (warned || !note) return;
      warned = true;
      note.textContent = block.getAttribute("data-tile-error") || "Le fond de carte n'a pas pu être chargé.";
    });
    var bounds = [];
    points.forEach(function (p) {
      var popup = el("div");
      var title = el("p");
      var link = el("a", null, p.nom);
      link.href = p.url;
      var strong = el("strong");
      strong.appendChild(link);
      title.appendChild(strong);
      popup.appendChild(title);
      popup.appendChild(el("p", null, p.type + (p.distance ? " · " + p.distance : "")));
      if (p.adresse) popup.appendChild(el("p", null, p.adresse));
      if (p.telephone) popup.appendChild(el("p", null, "Tél. " + p.telephone));
      if (p.approx) popup.appendChild(el("p", null, "Position approximative (centre de la commune)"));
      window.L.marker([p.lat, p.lon], { title: p.nom, alt: p.nom }).addTo(map).bindPopup(popup);
      bounds.push([p.lat, p.lon]);
    });
    if (payload.center && payload.center.lat !== undefined && payload.center.lat !== null) {
      window.L.circleMarker([payload.center.lat, payload.center.lon], { radius: 7, color: "#1b1b1f", fillColor: "#ffbf47", fillOpacity: 1 })
        .addTo(map).bindTooltip(String(payload.center.nom || ""));
      bounds.push([payload.center.lat, payload.center.lon]);
    }
    if (bounds.length === 1) map.setView(bounds[0], 14);
    else map.fitBounds(bounds, { padding: [24, 24], maxZoom: 14 });
  }

  /* ---------------------------------------------------------------- search in place */
  function initSearch() {
    var form = document.getElementById("form-recherche");
    var zone = document.getElementById("zone-resultats");
    var announce = document.getElementById("annonce");
    if (!form || !zone || !window.fetch || !window.DOMParser || !window.history.pushState) return;

    function load(url, push) {
      zone.setAttribute("aria-busy", "true");
      announce.textContent = "Recherche en cours…";
      fetch(url, { headers: { Accept: "text/html" }, credentials: "same-origin" })
        .then(function (r) { return r.text(); })
        .then(function (html) {
          var doc = new DOMParser().parseFromString(html, "text/html");
          document.querySelectorAll("[data-swap]").forEach(function (node) {
            var fresh = doc.getElementById(node.id);
            if (fresh) node.replaceWith(document.importNode(fresh, true));
          });
          document.title = doc.title;
          zone = document.getElementById("zone-resultats");
          zone.removeAttribute("aria-busy");
          if (push) window.history.pushState({ relais: true }, "", url);
          var heading = document.getElementById("resultats-titre");
          var error = document.querySelector("#erreurs .error-summary");
          if (error) {
            announce.textContent = "";
            error.focus();
          } else if (heading) {
            announce.textContent = heading.textContent.replace(/\s+/g, " ").trim() + ".";
            if (!push) return;
            heading.focus();
          } else {
            announce.textContent = "";
          }
          initFilters();
          initMap(document);
        })
        .catch(function () {
          window.location.href = url; // fall back to a normal page load
        });
    }

    form.addEventListener("submit", function (e) {
      e.preventDefault();
      var params = new URLSearchParams(new FormData(form));
      var clean = new URLSearchParams();
      params.forEach(function (value, key) { if (value !== "") clean.append(key, value); });
      var query = clean.toString();
      load(form.getAttribute("action") + (query ? "?" + query : ""), true);
    });
    document.addEventListener("click", function (e) {
      var a = e.target.closest && e.target.closest("#zone-resultats .pagination a, #filtres .facet-list a, #erreurs a[href^='/?'], #zone-resultats .notice a");
      if (!a || e.ctrlKey || e.metaKey || e.shiftKey || e.button !== 0) return;
      e.preventDefault();
      load(a.getAttribute("href"), true);
      syncForm(a.getAttribute("href"));
    });
    window.addEventListener("popstate", function () {
      syncForm(window.location.href);
      load(window.location.pathname + window.location.search, false);
    });

    function syncForm(href) {
      var params = new URL(href, window.location.href).searchParams;
      var freins = [];
      params.getAll("frein").forEach(function (v) { freins = freins.concat(v.split(",")); });
      form.querySelectorAll("input[name='frein']").forEach(function (box) { box.checked = freins.indexOf(box.value) !== -1; });
      ["commune", "q", "type", "public", "radius_km"].forEach(function (name) {
        var field = form.elements[name];
        if (field) field.value = params.get(name) || "";
      });
    }
  }

  /* ---------------------------------------------------------------- orientation sheet */
  function initPrint() {
    document.querySelectorAll("[data-print]").forEach(function (node) { node.hidden = false; });
    document.querySelectorAll("[data-print-button]").forEach(function (button) {
      button.addEventListener("click", function () { window.print(); });
    });
    function sync(id, checked) {
      document.querySelectorAll("[data-fiche='" + CSS.escape(id) + "']").forEach(function (box) { box.checked = checked; });
      document.querySelectorAll("[data-fiche-item='" + CSS.escape(id) + "']").forEach(function (item) {
        item.classList.toggle("is-excluded", !checked);
      });
    }
    document.addEventListener("change", function (e) {
      var box = e.target;
      if (box.matches && box.matches("[data-fiche]")) sync(box.getAttribute("data-fiche"), box.checked);
    });
  }

  /* ---------------------------------------------------------------- forms sent once */
  function initSubmitOnce() {
    document.querySelectorAll("form[data-submit-once]").forEach(function (form) {
      form.addEventListener("submit", function () {
        form.querySelectorAll("button[type='submit']").forEach(function (b) { b.disabled = true; });
      });
    });
  }

  function init() {
    document.querySelectorAll("[data-autocomplete]").forEach(initAutocomplete);
    initSubmitOnce();
    initFilters();
    initMap(document);
    initSearch();
    initPrint();
    var first = document.querySelector("[data-focus-on-load]");
    if (first) first.focus();
  }
  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", init);
  else init();
})();
