/* sangaku site: language switch (remembered in localStorage, or carried in ?lang= where a browser keeps no
   storage for file://) and the interactive charts (vega-embed, vendored). Loaded in <head>, so the chosen
   language is applied before the page is painted. */
(function () {
  "use strict";
  var KEY = "sangaku-lang", LANGS = ["ja", "en"];

  function stored() {
    try {
      var q = new URLSearchParams(window.location.search).get("lang");
      if (LANGS.indexOf(q) >= 0) return q;
      var v = window.localStorage.getItem(KEY);
      if (LANGS.indexOf(v) >= 0) return v;
    } catch (e) { /* storage refused: fall back to Japanese */ }
    return "ja";
  }

  function current() { return document.documentElement.getAttribute("data-lang") || "ja"; }

  function apply(lang) {
    var html = document.documentElement;
    html.setAttribute("data-lang", lang);
    html.setAttribute("lang", lang);
    var title = document.querySelector("title");
    if (title && title.getAttribute("data-title-" + lang)) document.title = title.getAttribute("data-title-" + lang);
    var buttons = document.querySelectorAll("[data-set-lang]");
    for (var i = 0; i < buttons.length; i++) {
      buttons[i].setAttribute("aria-pressed", buttons[i].getAttribute("data-set-lang") === lang ? "true" : "false");
    }
  }

  function choose(lang) {
    try { window.localStorage.setItem(KEY, lang); } catch (e) { /* the ?lang= links still carry it */ }
    apply(lang);
    drawCharts();
  }

  // Charts: each .chart holds a JSON spec per language; its data are the figure's CSV carried in the page.
  var views = {};
  window.sangakuViews = views;

  function drawCharts() {
    if (typeof window.vegaEmbed !== "function") return;
    var lang = current(), charts = document.querySelectorAll(".chart[data-csv]");
    for (var i = 0; i < charts.length; i++) {
      (function (el) {
        if (el.getAttribute("data-drawn") === lang) return;
        var specs = JSON.parse(document.getElementById(el.id + "-spec").textContent);
        var spec = specs[lang], csv = document.getElementById(el.getAttribute("data-csv")).textContent;
        spec.data = {values: csv, format: spec.data.format};
        if (views[el.id]) views[el.id].finalize();
        el.setAttribute("data-drawn", lang);
        window.vegaEmbed(el, spec, {actions: false, renderer: "svg", tooltip: {theme: "light"}})
          .then(function (result) { views[el.id] = result.view; el.setAttribute("data-ready", lang); })
          .catch(function (err) { el.setAttribute("data-error", String(err)); console.error(err); });
      })(charts[i]);
    }
  }

  apply(stored());
  document.addEventListener("DOMContentLoaded", function () {
    apply(current());
    document.addEventListener("click", function (ev) {
      var b = ev.target.closest && ev.target.closest("[data-set-lang]");
      if (b) { choose(b.getAttribute("data-set-lang")); return; }
      var a = ev.target.closest && ev.target.closest("a[href]");
      // Carry the language to the next page of the site (file:// may keep no localStorage).
      if (a && !a.hasAttribute("download") && /\.html(#.*)?$/.test(a.getAttribute("href")) &&
          !/^[a-z]+:/i.test(a.getAttribute("href"))) {
        var href = a.getAttribute("href"), hash = href.indexOf("#");
        var path = hash >= 0 ? href.slice(0, hash) : href, frag = hash >= 0 ? href.slice(hash) : "";
        a.setAttribute("href", path + "?lang=" + current() + frag);
      }
    });
    drawCharts();
  });
})();
