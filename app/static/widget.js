/* Relais widget: one script, no library. Partner sites embed it with
     <script src="https://<relais>/widget.js" data-freins="mobilite,logement"
             data-departement="60" data-commune="Beauvais" data-limit="5"
             data-titre="Trouver un partenaire" async></script>
   It renders, in a shadow root placed right after its own tag (so the host's styles cannot
   break it), a frein + commune search and the nearest partners. Every value coming from
   the API is inserted with textContent: never as HTML. */
(function () {
  "use strict";
  var script = document.currentScript;
  if (!script) {
    var all = document.querySelectorAll("script[src*='widget.js']");
    for (var s = 0; s < all.length; s++) if (!all[s].getAttribute("data-relais-ready")) { script = all[s]; break; }
  }
  if (!script || script.getAttribute("data-relais-ready")) return;
  script.setAttribute("data-relais-ready", "1");

  var base = new URL(script.src, window.location.href).origin;
  var conf = {
    freins: (script.getAttribute("data-freins") || "").split(",").map(function (x) { return x.trim(); }).filter(Boolean),
    departement: (script.getAttribute("data-departement") || "").trim(),
    commune: (script.getAttribute("data-commune") || "").trim(),
    limit: Math.max(1, Math.min(20, parseInt(script.getAttribute("data-limit"), 10) || 5)),
    titre: script.getAttribute("data-titre") || "Trouver un partenaire près de chez vous"
  };
  var uid = "rw" + Math.random().toString(36).slice(2, 8);

  var CSS = [
    ":host{all:initial;display:block;font-family:system-ui,-apple-system,'Segoe UI',Roboto,Arial,sans-serif;color:#1b1b1f;line-height:1.5;font-size:16px}",
    "*{box-sizing:border-box}",
    ".w{border:2px solid #0b4f8a;border-radius:8px;padding:16px;background:#fff;max-width:44rem}",
    "h2{margin:0 0 12px;font-size:1.25rem;color:#0b4f8a}",
    "form{display:flex;flex-wrap:wrap;gap:12px;align-items:flex-end}",
    ".f{display:flex;flex-direction:column;gap:4px;flex:1 1 12rem;position:relative}",
    "label{font-weight:600}",
    "select,input{font:inherit;color:#1b1b1f;background:#fff;padding:8px 10px;border:2px solid #6b6f78;border-radius:6px;min-height:44px;width:100%}",
    "button{font:inherit;font-weight:700;color:#fff;background:#0b4f8a;border:2px solid #0b4f8a;border-radius:6px;min-height:44px;padding:8px 16px;cursor:pointer}",
    "button:hover{background:#083a66}",
    ".link{background:none;border:0;color:#0b4f8a;text-decoration:underline;min-height:auto;padding:0;font-weight:600}",
    ":focus-visible{outline:3px solid #1b1b1f;outline-offset:2px;box-shadow:0 0 0 6px #ffbf47}",
    "ul.lb{position:absolute;z-index:10;top:100%;left:0;right:0;margin:2px 0 0;padding:0;list-style:none;background:#fff;border:2px solid #1b1b1f;border-radius:6px;max-height:16rem;overflow-y:auto}",
    "ul.lb li{padding:8px 10px;cursor:pointer}",
    "ul.lb li[aria-selected=true],ul.lb li:hover{background:#0b4f8a;color:#fff}",
    ".st{margin:12px 0 0;font-weight:600}",
    ".err{color:#a3121b}",
    "ol{list-style:none;margin:12px 0 0;padding:0;display:grid;gap:10px}",
    "li.r{border:1px solid #8a8f99;border-left:5px solid #0b4f8a;border-radius:6px;padding:10px 12px}",
    "h3{margin:0;font-size:1.0625rem}",
    "a{color:#0b4f8a}",
    "p{margin:2px 0}",
    ".m{color:#4a4a55}",
    ".d{font-weight:700;color:#083a66}",
    ".b{display:inline-block;font-size:.8125rem;font-weight:700;padding:0 6px;border-radius:4px;background:#fff1cc;color:#6b4500;border:1px solid}",
    ".h{white-space:pre-line;font-size:.9375rem}",
    ".ft{margin-top:12px;font-size:.8125rem;color:#4a4a55}",
    ".vh{position:absolute!important;width:1px;height:1px;margin:-1px;overflow:hidden;clip:rect(0 0 0 0);white-space:nowrap;border:0}"
  ].join("\n");

  function el(tag, attrs, text) {
    var node = document.createElement(tag);
    if (attrs) for (var k in attrs) if (Object.prototype.hasOwnProperty.call(attrs, k)) node.setAttribute(k, attrs[k]);
    if (text !== undefined && text !== null) node.textContent = String(text);
    return node;
  }
  // A person's need and commune go in a POST body (never in an address, which logs keep).
  function api(path, params, body) {
    var url = new URL(base + path);
    Object.keys(params || {}).forEach(function (k) { if (params[k] !== "" && params[k] != null) url.searchParams.set(k, params[k]); });
    var init = { headers: { Accept: "application/json" }, credentials: "omit" };
    if (body) { init.method = "POST"; init.headers["Content-Type"] = "application/json"; init.body = JSON.stringify(body); }
    return fetch(url.toString(), init).then(function (r) {
      return r.json().catch(function () { return {}; }).then(function (body) {
        if (!r.ok) { var e = new Error((body.error && body.error.message) || "Le service Relais ne répond pas."); e.body = body; throw e; }
        return body;
      });
    });
  }
  function km(d) {
    if (d == null) return "";
    if (d < 0.1) return "sur place";
    return "à " + (d >= 100 ? Math.round(d) : (Math.round(d * 10) / 10).toString().replace(".", ",")) + " km";
  }
  function tel(p) {
    var n = String(p || "").split(/[\/,;]| ou /)[0].replace("(0)", "").replace(/[^\d+]/g, "");
    return n.replace("+", "").length >= 3 ? "tel:" + n : "";
  }
  // the record's age, as the API judges it (fiabilite), apart from the verdict on the fit
  function stale(p) {
    var f = p.fiabilite;
    return f && f.niveau === "ancienne" && f.avertissements && f.avertissements.length ? f.avertissements[0] : "";
  }
  var VERDICTS = { compatible: "Compatible", a_verifier: "À vérifier" };

  // ---------------------------------------------------------------- DOM
  var host = el("div", { "class": "relais-widget" });
  script.parentNode.insertBefore(host, script.nextSibling);
  var root = host.attachShadow ? host.attachShadow({ mode: "open" }) : host;
  try {
    var sheet = new CSSStyleSheet();
    sheet.replaceSync(CSS);
    root.adoptedStyleSheets = [sheet];
  } catch (e) {
    root.appendChild(el("style", null, CSS));
  }
  var box = el("section", { "class": "w", "aria-labelledby": uid + "-t", lang: "fr" });
  box.appendChild(el("h2", { id: uid + "-t" }, conf.titre));
  var form = el("form", { role: "search", "aria-label": conf.titre, novalidate: "" });
  var f1 = el("div", { "class": "f" });
  f1.appendChild(el("label", { "for": uid + "-f" }, "Besoin"));
  var select = el("select", { id: uid + "-f", name: "frein" });
  f1.appendChild(select);
  var f2 = el("div", { "class": "f" });
  f2.appendChild(el("label", { "for": uid + "-c" }, "Commune"));
  var input = el("input", {
    id: uid + "-c", name: "commune", type: "text", autocomplete: "off", spellcheck: "false", maxlength: "200",
    role: "combobox", "aria-autocomplete": "list", "aria-expanded": "false", "aria-controls": uid + "-lb",
    "aria-describedby": uid + "-aide"
  });
  input.value = conf.commune;
  var lb = el("ul", { id: uid + "-lb", role: "listbox", "class": "lb", "aria-label": "Communes suggérées" });
  lb.hidden = true;
  f2.appendChild(input);
  f2.appendChild(lb);
  f2.appendChild(el("span", { id: uid + "-aide", "class": "vh" }, "Nom, code postal ou code INSEE ; flèches haut et bas pour choisir une suggestion."));
  var button = el("button", { type: "submit" }, "Rechercher");
  form.appendChild(f1);
  form.appendChild(f2);
  form.appendChild(button);
  box.appendChild(form);
  var status = el("p", { "class": "st", role: "status", "aria-live": "polite" });
  box.appendChild(status);
  var list = el("ol", { "aria-label": "Partenaires trouvés" });
  box.appendChild(list);
  var foot = el("p", { "class": "ft" });
  foot.appendChild(document.createTextNode("Annuaire "));
  var home = el("a", { href: base + "/", target: "_blank", rel: "noopener" }, "Relais");
  foot.appendChild(home);
  foot.appendChild(document.createTextNode(" · données publiques ouvertes, à vérifier auprès des structures."));
  box.appendChild(foot);
  root.appendChild(box);

  function fillFreins(freins) {
    select.textContent = "";
    var wanted = conf.freins.length ? conf.freins : freins.map(function (f) { return f.code; });
    var labels = {};
    freins.forEach(function (f) { labels[f.code] = f.label; });
    if (!conf.freins.length || conf.freins.length > 1) select.appendChild(el("option", { value: conf.freins.join(",") }, conf.freins.length ? "Tous ces besoins" : "Tous les besoins"));
    wanted.forEach(function (code) { select.appendChild(el("option", { value: code }, labels[code] || code)); });
  }
  fillFreins(conf.freins.map(function (c) { return { code: c, label: c }; }));
  api("/api/v1/freins").then(function (b) { var v = select.value; fillFreins(b.freins || []); select.value = v; }).catch(function () {});

  // ---------------------------------------------------------------- autocomplete
  var items = [], active = -1, timer = null;
  function closeList() { lb.hidden = true; input.setAttribute("aria-expanded", "false"); input.removeAttribute("aria-activedescendant"); active = -1; }
  function mark(i) {
    for (var k = 0; k < lb.children.length; k++) lb.children[k].setAttribute("aria-selected", k === i ? "true" : "false");
    active = i;
    if (lb.children[i]) input.setAttribute("aria-activedescendant", lb.children[i].id);
  }
  function pick(i) {
    var c = items[i];
    if (!c) return;
    input.value = ((c.codes_postaux && c.codes_postaux[0]) ? c.codes_postaux[0] + " " : "") + c.nom;
    closeList();
  }
  function suggest() {
    var q = input.value.trim();
    if (q.length < 2) { closeList(); return; }
    api("/api/v1/communes", { q: q, limit: conf.departement ? 20 : 8 }).then(function (b) {
      if (input.value.trim() !== q) return;
      var res = b.results || [];
      if (conf.departement) {
        var local = res.filter(function (c) { return c.departement === conf.departement; });
        res = local.concat(res.filter(function (c) { return c.departement !== conf.departement; }));
      }
      items = res.slice(0, 8);
      lb.textContent = "";
      items.forEach(function (c, i) {
        var li = el("li", { id: uid + "-o" + i, role: "option", "aria-selected": "false" }, c.nom + " (" + c.departement + ")");
        li.addEventListener("mousedown", function (e) { e.preventDefault(); pick(i); });
        lb.appendChild(li);
      });
      lb.hidden = !items.length;
      input.setAttribute("aria-expanded", items.length ? "true" : "false");
    }).catch(function () { closeList(); });
  }
  input.addEventListener("input", function () { clearTimeout(timer); timer = setTimeout(suggest, 200); });
  input.addEventListener("blur", function () { setTimeout(closeList, 150); });
  input.addEventListener("keydown", function (e) {
    var open = !lb.hidden;
    if (e.key === "ArrowDown" && items.length) { e.preventDefault(); lb.hidden = false; input.setAttribute("aria-expanded", "true"); mark(Math.min(active + 1, items.length - 1)); }
    else if (e.key === "ArrowUp" && open) { e.preventDefault(); mark(Math.max(active - 1, 0)); }
    else if (e.key === "Enter" && open && active >= 0) { e.preventDefault(); pick(active); }
    else if (e.key === "Escape" && open) { e.preventDefault(); closeList(); }
  });

  // ---------------------------------------------------------------- results
  function card(p) {
    var li = el("li", { "class": "r" });
    var h = el("h3");
    var a = el("a", { href: base + "/partenaires/" + encodeURIComponent(p.id), target: "_blank", rel: "noopener" }, p.nom);
    a.appendChild(el("span", { "class": "vh" }, " (nouvelle fenêtre)"));
    h.appendChild(a);
    li.appendChild(h);
    var meta = el("p", { "class": "m" }, (p.type && p.type.label) || "");
    if (p.distance_km != null) { meta.appendChild(document.createTextNode(" · ")); meta.appendChild(el("span", { "class": "d" }, km(p.distance_km))); }
    if (VERDICTS[p.verdict]) meta.appendChild(document.createTextNode(" · Orientation : " + VERDICTS[p.verdict].toLowerCase()));
    li.appendChild(meta);
    var old = stale(p);
    if (old) li.appendChild(el("p", null)).appendChild(el("span", { "class": "b" }, old));
    var addr = [p.adresse, [p.code_postal, p.commune && p.commune.nom].filter(Boolean).join(" ")].filter(Boolean).join(", ");
    if (addr) li.appendChild(el("p", null, addr));
    if (p.telephone) {
      var pt = el("p", null, "Tél. ");
      var href = tel(p.telephone);
      pt.appendChild(href ? el("a", { href: href }, p.telephone) : document.createTextNode(p.telephone));
      li.appendChild(pt);
    }
    if (p.email) { var pe = el("p"); pe.appendChild(el("a", { href: "mailto:" + p.email }, p.email)); li.appendChild(pe); }
    if (p.horaires) li.appendChild(el("p", { "class": "h" }, p.horaires));
    return li;
  }
  function search() {
    var commune = input.value.trim();
    list.textContent = "";
    status.className = "st";
    if (!commune) { status.textContent = "Indiquez une commune pour voir les partenaires les plus proches."; input.focus(); return; }
    status.textContent = "Recherche en cours…";
    api("/api/v1/recommendations", null, { freins: [select.value], commune: commune, limit: conf.limit }).then(function (b) {
      var block = (b.freins || [])[0] || {};
      var res = (block.results || []).map(function (r) { var p = r.partner || {}; p.distance_km = r.distance_km; p.verdict = r.verdict; return p; });
      var where = b.location ? " près de " + b.location.nom + " (" + b.location.departement + ")" : "";
      status.textContent = res.length ? res.length + (res.length > 1 ? " partenaires" : " partenaire") + where + "." : "Aucun partenaire trouvé" + where + ".";
      res.forEach(function (p) { list.appendChild(card(p)); });
    }).catch(function (err) {
      status.className = "st err";
      status.textContent = err.message || "Le service Relais ne répond pas.";
      var sugg = err.body && err.body.error && err.body.error.details && err.body.error.details.suggestions;
      if (sugg && sugg.length) {
        var p = el("p", null, "Vouliez-vous dire : ");
        sugg.slice(0, 5).forEach(function (c, i) {
          var name = typeof c === "string" ? c : c.nom + (c.departement ? " (" + c.departement + ")" : "");
          var b2 = el("button", { type: "button", "class": "link" }, name);
          b2.addEventListener("click", function () { input.value = typeof c === "string" ? c : ((c.codes_postaux && c.codes_postaux[0] ? c.codes_postaux[0] + " " : "") + c.nom); search(); });
          if (i) p.appendChild(document.createTextNode(", "));
          p.appendChild(b2);
        });
        status.appendChild(p);
      }
    });
  }
  form.addEventListener("submit", function (e) { e.preventDefault(); closeList(); search(); });
  if (conf.commune) search();
  else status.textContent = "Indiquez une commune" + (conf.departement ? " du département " + conf.departement : "") + " pour voir les partenaires les plus proches.";
})();
