/* Relais — progressive enhancement for the pages (everything works without it):
   commune autocomplete (ARIA 1.2 combobox), results map (Leaflet), search results
   refreshed in place with an aria-live announcement, print of the orientation sheet,
   the fiche de liaison and the carnet « Mes partenaires » (both kept in localStorage only).
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
          document.querySelectorAll("[data-print]").forEach(function (node) { node.hidden = false; });
          initCarnetButtons(document);
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

  /* ---------------------------------------------------------------- device storage */
  // Everything the CIP types for the fiche de liaison or the carnet stays in this browser:
  // localStorage only, never sent to the server.
  var STORE = { orienteur: "relais.liaison.orienteur", carnet: "relais.carnet" };
  function readStore(key, fallback) {
    try {
      var value = JSON.parse(window.localStorage.getItem(key));
      return value === null ? fallback : value;
    } catch (e) { return fallback; }
  }
  function writeStore(key, value) {
    try {
      if (value === null) window.localStorage.removeItem(key);
      else window.localStorage.setItem(key, JSON.stringify(value));
    } catch (e) { /* private browsing or full storage: the page still works */ }
  }
  function frDate(d) {
    return d.toLocaleDateString("fr-FR", { day: "numeric", month: "long", year: "numeric" });
  }

  /* ---------------------------------------------------------------- fiche de liaison */
  function initLiaison() {
    var section = document.querySelector("[data-liaison]");
    var data = document.getElementById("liaison-donnees");
    if (!section || !data) return;
    var payload;
    try { payload = JSON.parse(data.textContent); } catch (e) { return; }
    var partners = {};
    (payload.partenaires || []).forEach(function (p) { partners[p.id] = p; });
    var select = section.querySelector("[data-liaison-partner]");
    var fields = {};
    section.querySelectorAll("[data-liaison-field]").forEach(function (f) { fields[f.getAttribute("data-liaison-field")] = f; });
    var remember = section.querySelector("[data-liaison-remember]");
    var consent = section.querySelector("[data-liaison-consent]");
    var error = section.querySelector("[data-liaison-error]");
    var letter = section.querySelector("[data-liaison-letter]");
    var mail = section.querySelector("[data-liaison-mail]");
    section.hidden = false;

    var saved = readStore(STORE.orienteur, null);
    if (saved) {
      ["nom", "structure", "contact"].forEach(function (k) { if (saved[k]) fields[k].value = saved[k]; });
      remember.checked = true;
    }

    function freins() {
      var out = [];
      section.querySelectorAll("[data-liaison-frein]").forEach(function (box) {
        if (box.checked) out.push(box.nextElementSibling.textContent.trim());
      });
      return out;
    }
    function value(k) { return fields[k].value.trim(); }
    // The letter as [kind, text] lines: one source for the printed page and the e-mail.
    function lines() {
      var p = partners[select.value];
      if (!p) return [];
      var out = [["title", "Fiche de liaison"], ["meta", "Établie le " + frDate(new Date())]];
      out.push(["head", "À l'attention de"]);
      out.push(["text", p.nom]);
      var where = [p.adresse, (p.code_postal + " " + p.commune).trim()].filter(Boolean).join(", ");
      if (where) out.push(["text", where]);
      out.push(["head", "De la part de"]);
      var who = [value("nom"), value("structure"), value("contact")].filter(Boolean);
      out.push(["text", who.length ? who.join(" · ") : "(votre nom, votre structure, votre contact)"]);
      out.push(["head", "Objet : orientation d'une personne que j'accompagne"]);
      out.push(["text", "Bonjour, je vous oriente une personne que j'accompagne" + (freins().length ? " pour : " + freins().join(", ") + "." : ".")]);
      if (value("situation")) {
        out.push(["head", "Éléments de situation"]);
        value("situation").split(/\n+/).forEach(function (l) { if (l.trim()) out.push(["text", l.trim()]); });
      }
      out.push(["consent", "La personne est d'accord pour que je vous transmette ces informations."]);
      out.push(["head", "Vos horaires (d'après Relais)"]);
      if (p.horaires.length) p.horaires.forEach(function (h) { out.push(["text", h]); });
      else out.push(["text", "Horaires non communiqués."]);
      if (p.rendez_vous) out.push(["text", "Accueil " + p.rendez_vous + "."]);
      out.push(["head", "Pour vous mobiliser"]);
      if (p.telephone) out.push(["text", "Téléphone : " + p.telephone]);
      if (p.email) out.push(["text", "Courriel : " + p.email]);
      p.liens_mobilisation.forEach(function (l) { out.push(["text", "En ligne : " + l]); });
      out.push(["text", "Merci de me recontacter pour convenir d'un rendez-vous."]);
      if (value("nom")) out.push(["text", value("nom")]);
      return out;
    }
    function render() {
      letter.textContent = "";
      lines().forEach(function (line) {
        var kind = line[0], tag = kind === "title" ? "h3" : (kind === "head" ? "h4" : "p");
        letter.appendChild(el(tag, kind === "consent" ? "liaison-letter__consent" : null, line[1]));
      });
      var p = partners[select.value];
      var body = lines().slice(2).map(function (l) { return l[0] === "head" ? "\n" + l[1] : l[1]; }).join("\n");
      mail.href = "mailto:" + encodeURIComponent(p && p.email ? p.email : "") +
        "?subject=" + encodeURIComponent("Orientation d'une personne accompagnée" + (p ? " – " + p.nom : "")) +
        "&body=" + encodeURIComponent(body.trim());
      if (remember.checked) writeStore(STORE.orienteur, { nom: value("nom"), structure: value("structure"), contact: value("contact") });
    }
    function consentGiven() {
      error.hidden = consent.checked;
      if (!consent.checked) consent.focus();
      return consent.checked;
    }
    section.addEventListener("input", render);
    section.addEventListener("change", function (e) {
      if (e.target === remember && !remember.checked) writeStore(STORE.orienteur, null);
      if (e.target === consent && consent.checked) error.hidden = true;
      render();
    });
    section.querySelector("[data-liaison-print]").addEventListener("click", function () {
      if (!consentGiven()) return;
      document.body.setAttribute("data-printing", "liaison");
      window.print();
    });
    window.addEventListener("afterprint", function () { document.body.removeAttribute("data-printing"); });
    mail.addEventListener("click", function (e) { if (!consentGiven()) e.preventDefault(); });
    document.addEventListener("click", function (e) {
      var button = e.target.closest && e.target.closest("[data-liaison-choose]");
      if (!button) return;
      select.value = button.getAttribute("data-liaison-choose");
      render();
      section.scrollIntoView();
      document.getElementById("liaison-titre").focus();
    });
    render();
  }

  /* ---------------------------------------------------------------- carnet « Mes partenaires » */
  function carnet() { return readStore(STORE.carnet, []); }
  function saveCarnet(entries) { writeStore(STORE.carnet, entries); }
  function inCarnet(id) { return carnet().some(function (e) { return e.id === id; }); }

  function initCarnetButtons(root) {
    root.querySelectorAll("[data-carnet-save]").forEach(function (button) {
      var partner;
      try { partner = JSON.parse(button.getAttribute("data-carnet-save")); } catch (e) { return; }
      function show() {
        var saved = inCarnet(partner.id);
        button.setAttribute("aria-pressed", saved ? "true" : "false");
        button.textContent = saved ? "Dans mon carnet (retirer)" : "Ajouter à mon carnet";
      }
      show();
      if (button.dataset.carnetReady) return;
      button.dataset.carnetReady = "1";
      button.addEventListener("click", function () {
        var entries = carnet().filter(function (e) { return e.id !== partner.id; });
        if (!inCarnet(partner.id)) {
          partner.referent = ""; partner.notes = ""; partner.ajoute_le = new Date().toISOString().slice(0, 10);
          entries.push(partner);
        }
        saveCarnet(entries);
        show();
      });
    });
    // Saved partners first in every list of results, marked.
    var saved = carnet().map(function (e) { return e.id; });
    root.querySelectorAll("ol.cards").forEach(function (list) {
      var items = Array.prototype.slice.call(list.children);
      items.filter(function (li) {
        var b = li.querySelector("[data-carnet-save]");
        if (!b) return false;
        try { return saved.indexOf(JSON.parse(b.getAttribute("data-carnet-save")).id) !== -1; } catch (e) { return false; }
      }).reverse().forEach(function (li) {
        list.insertBefore(li, list.firstChild);
        var badges = li.querySelector(".badges");
        if (badges && !badges.querySelector(".badge--carnet")) {
          var badge = el("li", "badge badge--carnet", "Dans mon carnet");
          badges.insertBefore(badge, badges.firstChild);
        }
      });
    });
  }

  var CSV_COLUMNS = [["nom", "Nom"], ["type", "Type"], ["adresse", "Adresse"], ["code_postal", "Code postal"], ["commune", "Commune"], ["telephone", "Téléphone"], ["email", "Courriel"], ["site_web", "Site web"], ["referent", "Référent dédié"], ["notes", "Notes"], ["ajoute_le", "Ajouté le"]];
  function toCsv(entries) {
    function cell(v) { return '"' + String(v || "").replace(/"/g, '""') + '"'; }
    var rows = [CSV_COLUMNS.map(function (c) { return cell(c[1]); }).join(";")];
    entries.forEach(function (e) { rows.push(CSV_COLUMNS.map(function (c) { return cell(e[c[0]]); }).join(";")); });
    return "\ufeff" + rows.join("\r\n") + "\r\n";
  }
  function toVcard(entries) {
    function esc(v) { return String(v || "").replace(/\\/g, "\\\\").replace(/\n/g, "\\n").replace(/([,;])/g, "\\$1"); }
    return entries.map(function (e) {
      var note = [e.referent ? "Référent dédié : " + e.referent : "", e.notes].filter(Boolean).join("\n");
      var card = ["BEGIN:VCARD", "VERSION:3.0", "FN:" + esc(e.nom), "ORG:" + esc(e.nom)];
      card.push("ADR;TYPE=WORK:;;" + esc(e.adresse) + ";" + esc(e.commune) + ";;" + esc(e.code_postal) + ";France");
      if (e.telephone) card.push("TEL;TYPE=WORK,VOICE:" + esc(e.telephone));
      if (e.email) card.push("EMAIL;TYPE=INTERNET:" + esc(e.email));
      if (e.site_web) card.push("URL:" + esc(e.site_web));
      if (note) card.push("NOTE:" + esc(note));
      card.push("END:VCARD");
      return card.join("\r\n");
    }).join("\r\n") + "\r\n";
  }
  function download(name, type, text) {
    var url = URL.createObjectURL(new Blob([text], { type: type }));
    var a = el("a");
    a.href = url; a.download = name; a.hidden = true;
    document.body.appendChild(a);
    a.click();
    setTimeout(function () { URL.revokeObjectURL(url); a.remove(); }, 0);
  }

  function initCarnetPage() {
    var page = document.querySelector("[data-carnet-page]");
    if (!page) return;
    page.hidden = false;
    var list = page.querySelector("[data-carnet-list]");
    var empty = page.querySelector("[data-carnet-empty]");
    var status = page.querySelector("[data-carnet-status]");
    function render() {
      var entries = carnet();
      list.textContent = "";
      empty.hidden = entries.length > 0;
      page.querySelectorAll("[data-carnet-export]").forEach(function (b) { b.disabled = !entries.length; });
      entries.forEach(function (e, i) {
        var li = el("li");
        var art = el("article", "carnet-entry");
        art.setAttribute("aria-labelledby", "carnet-" + i);
        var h = el("h2");
        h.id = "carnet-" + i;
        var link = el("a", null, e.nom);
        link.href = e.url;
        h.appendChild(link);
        art.appendChild(h);
        art.appendChild(el("p", "card__meta", e.type));
        var where = [e.adresse, (e.code_postal + " " + e.commune).trim()].filter(Boolean).join(", ");
        if (where) art.appendChild(el("p", null, where));
        if (e.telephone) art.appendChild(el("p", null, "Tél. " + e.telephone));
        if (e.email) art.appendChild(el("p", null, "Courriel : " + e.email));
        [["referent", "Référent dédié (votre contact dans la structure)", "input"], ["notes", "Mes notes", "textarea"]].forEach(function (f) {
          var wrap = el("div", "field");
          var label = el("label", null, f[1]);
          var input = el(f[2]);
          input.id = "carnet-" + f[0] + "-" + i;
          label.htmlFor = input.id;
          if (f[2] === "input") input.type = "text";
          input.maxLength = f[2] === "input" ? 160 : 2000;
          input.value = e[f[0]] || "";
          input.setAttribute("data-carnet-field", f[0]);
          input.addEventListener("input", function () {
            var entries = carnet();
            entries.forEach(function (x) { if (x.id === e.id) x[f[0]] = input.value; });
            saveCarnet(entries);
          });
          wrap.appendChild(label);
          wrap.appendChild(input);
          art.appendChild(wrap);
        });
        var remove = el("button", "button button--secondary", "Retirer du carnet");
        remove.type = "button";
        remove.setAttribute("aria-label", "Retirer " + e.nom + " du carnet");
        remove.addEventListener("click", function () {
          saveCarnet(carnet().filter(function (x) { return x.id !== e.id; }));
          status.textContent = e.nom + " retiré du carnet.";
          render();
        });
        art.appendChild(remove);
        li.appendChild(art);
        list.appendChild(li);
      });
    }
    page.querySelector("[data-carnet-export='csv']").addEventListener("click", function () {
      download("mes-partenaires.csv", "text/csv;charset=utf-8", toCsv(carnet()));
    });
    page.querySelector("[data-carnet-export='vcard']").addEventListener("click", function () {
      download("mes-partenaires.vcf", "text/vcard;charset=utf-8", toVcard(carnet()));
    });
    render();
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
    initLiaison();
    initCarnetButtons(document);
    initCarnetPage();
    var first = document.querySelector("[data-focus-on-load]");
    if (first) first.focus();
  }
  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", init);
  else init();
})();
