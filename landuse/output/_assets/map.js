/* landuse outcome map (landuse.maps): layers with escaped popups, title, legend,
   scale bar, full-screen button. Data text arrives HTML-escaped from Python.

   Each layer's data waits in a JSON script element of the page and is read
   when the layer is first shown: a hidden layer costs nothing when the page opens.
   The data is compact: one table of distinct texts, each feature's texts as ids into
   it, and outlines as integers (10^-k degrees), each ring's first point counted from
   an origin and every further point from the one before it.

   A large map draws every layer on one canvas: a canvas takes every pointer event over
   it, so a second one, or an SVG layer beneath it, could never be clicked. Layers then
   keep their order on it by being brought to the front in turn. Its parcels, specks at
   the scale of a province, are dots (one canvas path a class) until the map is first
   zoomed in far enough to tell their outlines: then they are drawn as polygons. */
var landuse = (function () {
  "use strict";
  // ``waiting``: layers to draw once the map has its final view (drawn before, they would be
  // projected and painted twice)
  var api = {map: null, layers: {}, order: [], canvas: null, ready: false, waiting: []};
  var DETAIL = 10;  // on a large map, the zoom from which parcels are outlines, not dots

  function read(id) {
    return JSON.parse(document.getElementById(id).textContent);
  }
  function pane(map, name, z, quiet) {
    var el = map.getPane(name) || map.createPane(name);
    el.style.zIndex = z;
    if (quiet) { el.style.pointerEvents = "none"; }
    return name;
  }
  // Each feature's polygons, as Leaflet takes them: [[ring, hole, ...], ...] of LatLngs.
  function outlines(d) {
    var out = new Array(d.n), unit = Math.pow(10, -d.k), x0 = d.o[0], y0 = d.o[1];
    var xy = d.x, at = 0, polygon = 0, ring = 0;
    for (var i = 0; i < d.n; i++) {
      var polygons = new Array(d.f[i]);
      for (var a = 0; a < polygons.length; a++, polygon++) {
        var rings = new Array(d.q[polygon]);
        for (var b = 0; b < rings.length; b++, ring++) {
          var m = d.r[ring], points = new Array(m), x = x0, y = y0;
          for (var c = 0; c < m; c++) {
            x += xy[at++];
            y += xy[at++];
            points[c] = L.latLng(y * unit, x * unit);
          }
          rings[b] = points;
        }
        polygons[a] = rings;
      }
      out[i] = polygons;
    }
    return out;
  }
  function draw(map, spec, d, texts, out, geo) {
    var s = null;
    function look(c) {
      var st = spec.styles[c];
      // Parcels are a few hundred metres across: at city scale a heavier outline keeps them visible.
      if (spec.boost && map.getZoom() < 11) { return L.extend({}, st, {weight: st.weight + 1.2}); }
      return st;
    }
    function style(i) { return look(d.c[i]); }
    function tip(i) {
      if (!s) { s = read(texts); }
      var parts = [];
      for (var j = 0; j < d.t.length; j++) {
        var text = s[d.t[j][i]];
        if (text) { parts.push(text); }
      }
      return parts.join(" · ");
    }
    function popup(i) {
      if (!s) { s = read(texts); }
      if (d.h) { return s[d.h[i]]; }
      var rows = "";
      for (var j = 0; j < spec.fields.length; j++) {
        var text = s[d.p[j][i]];
        if (text) { rows += "<tr><th>" + spec.fields[j] + "</th><td>" + text + "</td></tr>"; }
      }
      return '<div class="lu-pop"><h4>' + tip(i) + "</h4><table>" + rows + "</table></div>";
    }
    var options = api.canvas ? {pane: "lu-canvas", renderer: api.canvas}
                             : {pane: pane(map, "lu-" + spec.key, spec.z)};
    var shapes = outlines(d), looks = spec.styles.map(function (st, c) {
      return L.extend({}, options, look(c));
    });
    for (var i = 0; i < d.n; i++) {
      if (!shapes[i].length) { continue; }
      var layer = L.polygon(shapes[i], looks[d.c[i]]);
      layer.lu = i;
      geo.addLayer(layer);
    }
    // One tooltip, popup and highlight for the whole layer: texts are made when asked for.
    geo.bindTooltip(function (layer) { return tip(layer.lu); }, {sticky: true, className: "lu-tip"});
    geo.bindPopup(function (layer) { return popup(layer.lu); },
                  {maxWidth: 520, minWidth: spec.labels ? 380 : 220, className: "lu-popup",
                   autoPanPadding: [30, 60]});
    geo.on("mouseover", function (e) { e.layer.setStyle({weight: style(e.layer.lu).weight + 2}); });
    geo.on("mouseout", function (e) { e.layer.setStyle(style(e.layer.lu)); });
    if (spec.boost) {
      var restyle = function () { geo.eachLayer(function (l) { l.setStyle(style(l.lu)); }); };
      map.on("zoomend", function () { if (map.hasLayer(geo)) { restyle(); } });
      out.on("add", restyle);
    }
    if (spec.labels) {
      var labelPane = pane(map, "lu-labels", 590, true);
      spec.labels.forEach(function (l) {
        out.addLayer(L.marker([l[0], l[1]], {interactive: false, keyboard: false, pane: labelPane,
          icon: L.divIcon({className: "lu-label", html: "<div>" + l[2] + "</div>", iconSize: null})}));
      });
    }
  }
  // Where each feature is, for a dot: its first point.
  function firstPoints(d) {
    var out = new Array(d.n), unit = Math.pow(10, -d.k), polygon = 0, ring = 0, at = 0;
    for (var i = 0; i < d.n; i++) {
      out[i] = d.f[i] ? L.latLng((d.o[1] + d.x[at + 1]) * unit, (d.o[0] + d.x[at]) * unit) : null;
      for (var a = 0; a < d.f[i]; a++, polygon++) {
        for (var b = 0; b < d.q[polygon]; b++, ring++) { at += 2 * d.r[ring]; }
      }
    }
    return out;
  }
  // A layer's features as dots on a canvas of their own, by class (not interactive).
  var Dots = L.Layer.extend({
    initialize: function (d) {
      var points = firstPoints(d);
      this._groups = d.spec.styles.map(function (st) {
        return {colour: st.fillOpacity >= 0.3 ? st.fillColor : st.color, points: []};
      });
      for (var i = 0; i < d.n; i++) {
        if (points[i]) { this._groups[d.c[i]].points.push(points[i]); }
      }
    },
    onAdd: function (map) {
      this._canvas = L.DomUtil.create("canvas", "lu-dots leaflet-zoom-hide",
                                      map.getPane(pane(map, "lu-dots", 406, true)));
      map.on("moveend viewreset resize", this._draw, this);
      this._draw();
    },
    onRemove: function (map) {
      map.off("moveend viewreset resize", this._draw, this);
      L.DomUtil.remove(this._canvas);
    },
    _draw: function () {
      var map = this._map, size = map.getSize(), c = this._canvas, ratio = window.devicePixelRatio || 1;
      c.width = size.x * ratio;
      c.height = size.y * ratio;
      c.style.width = size.x + "px";
      c.style.height = size.y + "px";
      L.DomUtil.setPosition(c, map.containerPointToLayerPoint([0, 0]));
      var ctx = c.getContext("2d");
      ctx.scale(ratio, ratio);
      this._groups.forEach(function (g) {
        ctx.fillStyle = g.colour;
        ctx.beginPath();
        g.points.forEach(function (ll) {
          var p = map.latLngToContainerPoint(ll);
          if (p.x > -2 && p.y > -2 && p.x < size.x + 2 && p.y < size.y + 2) { ctx.rect(p.x - 1.25, p.y - 1.25, 2.5, 2.5); }
        });
        ctx.fill();
      });
    }
  });
  // Dots until the map is first zoomed in to DETAIL, then the layer's polygons.
  function dotted(map, d, texts, out, geo) {
    var dots = new Dots(d), drawn = false;
    function update() {
      if (drawn || !map.hasLayer(out)) { return; }
      if (map.getZoom() < DETAIL) {
        if (!out.hasLayer(dots)) { out.addLayer(dots); }
        return;
      }
      drawn = true;
      out.removeLayer(dots);
      map.off("zoomend", update);
      draw(map, d.spec, d, texts, out, geo);
      restack(out);
    }
    map.on("zoomend", update);
    out.on("add", update);
    update();
  }
  // On the canvas, a layer (re)added is drawn last: bring those above it back to the front.
  function restack(layer) {
    if (!api.canvas) { return; }
    api.order.map(function (k) { return api.layers[k]; })
      .filter(function (l) { return l !== layer && l.z > layer.z && api.map.hasLayer(l); })
      .sort(function (a, b) { return a.z - b.z; })
      .forEach(function (l) { l.geo.bringToFront(); });
  }
  api.layer = function (map, key, name, z) {
    api.map = map;
    var geo = L.featureGroup(), out = L.featureGroup([geo]), drawn = false;
    out.geo = geo;
    out.z = z;
    out.on("add", function () {
      if (drawn) { restack(out); return; }
      drawn = true;
      var first = function () {
        var d = read(name + "_data");
        if (api.canvas && key !== "counties") {
          dotted(map, d, name + "_text", out, geo);
        } else {
          draw(map, d.spec, d, name + "_text", out, geo);
        }
        restack(out);
      };
      if (api.ready) { first(); } else { api.waiting.push(first); }
    });
    api.layers[key] = out;
    api.order.push(key);
    return out;
  };
  api.chrome = function (map, id) {
    var o = read(id);
    api.map = map;
    if (o.canvas) { api.canvas = L.canvas({pane: pane(map, "lu-canvas", 405)}); }
    if (o.title) {
      var t = L.DomUtil.create("div", "lu-title", map.getContainer());
      t.innerHTML = o.title;
      L.DomEvent.disableClickPropagation(t);
      L.DomEvent.disableScrollPropagation(t);
    }
    L.control.scale({imperial: false, maxWidth: 180, position: "bottomleft"}).addTo(map);
    if (o.legend) {
      var Legend = L.Control.extend({
        options: {position: "bottomright"},
        onAdd: function () {
          var d = L.DomUtil.create("div", "lu-legend leaflet-control");
          d.innerHTML = o.legend;
          var size = map.getSize().y;
          if (size > 0 && size < 640) { d.classList.add("lu-closed"); }
          var b = d.querySelector("button");
          if (b) { L.DomEvent.on(b, "click", function () { d.classList.toggle("lu-closed"); }); }
          L.DomEvent.disableClickPropagation(d);
          L.DomEvent.disableScrollPropagation(d);
          return d;
        }
      });
      new Legend().addTo(map);
    }
    var doc = document;
    if (doc.fullscreenEnabled && doc.documentElement.requestFullscreen) {
      var Full = L.Control.extend({
        options: {position: "topleft"},
        onAdd: function () {
          var d = L.DomUtil.create("div", "leaflet-bar leaflet-control lu-fs");
          var a = L.DomUtil.create("a", "", d);
          a.href = "#"; a.setAttribute("role", "button");
          a.title = o.fullscreen[0]; a.setAttribute("aria-label", o.fullscreen[0]);
          a.innerHTML = '<svg width="16" height="16" viewBox="0 0 16 16" aria-hidden="true"><path d="M1 5V1h4M11 1h4v4M15 11v4h-4M5 15H1v-4" fill="none" stroke="#333" stroke-width="2"/></svg>';
          L.DomEvent.on(a, "click", function (e) {
            L.DomEvent.preventDefault(e);
            if (doc.fullscreenElement) { doc.exitFullscreen(); } else { doc.documentElement.requestFullscreen(); }
          });
          doc.addEventListener("fullscreenchange", function () {
            var on = !!doc.fullscreenElement;
            a.title = o.fullscreen[on ? 1 : 0]; a.setAttribute("aria-label", a.title);
            setTimeout(function () { map.invalidateSize(); }, 50);
          });
          L.DomEvent.disableClickPropagation(d);
          return d;
        }
      });
      new Full().addTo(map);
    }
    if (o.bounds) {
      api.bounds = o.bounds;
      whenSized(map, function () {
        map.fitBounds(o.bounds, {padding: [12, 12], animate: false});
        // Once every control is on the map (the layer control comes last), keep the counties
        // clear of the title and of the side panels; then draw.
        setTimeout(function () { api.fit(); start(); }, 0);
      });
    } else {
      start();
    }
  };
  function start() {
    api.ready = true;
    var waiting = api.waiting;
    api.waiting = [];
    waiting.forEach(function (draw) { draw(); });
  }
  // Run ``then`` once the map's container has a size: a page that starts in a frame of no
  // size yet (a report laying itself out) cannot fit bounds until it has one.
  function whenSized(map, then) {
    var c = map.getContainer();
    if (c.clientWidth > 0 && c.clientHeight > 0) { then(); return; }
    var done = false, watch = null;
    function check() {
      if (done || !(c.clientWidth > 0 && c.clientHeight > 0)) { return; }
      done = true;
      if (watch) { watch.disconnect(); }
      window.removeEventListener("resize", check);
      map.invalidateSize({animate: false});
      then();
    }
    if (window.ResizeObserver) { watch = new ResizeObserver(check); watch.observe(c); }
    window.addEventListener("resize", check);
  }
  api.fit = function () {
    var map = api.map, c = map.getContainer();
    if (!(c.clientWidth > 0 && c.clientHeight > 0)) { return; }
    var legend = c.querySelector(".lu-legend"), layers = c.querySelector(".leaflet-control-layers");
    var title = c.querySelector(".lu-title");
    var right = Math.max(legend ? legend.offsetWidth : 0, layers ? layers.offsetWidth : 0);
    if (right > c.clientWidth * 0.4) { right = 0; }  // a narrow screen: panels float over the map
    var top = title ? title.offsetHeight + 14 : 12;
    map.fitBounds(api.bounds, {paddingTopLeft: [12, top], paddingBottomRight: [right + 14, 12],
                               animate: false});
  };
  return api;
})();
