/* landuse outcome map (landuse.output.maps): the page around its layers: title, legend,
   scale bar, full-screen button, the initial view, and the shared canvas. Data text
   arrives HTML-escaped from Python.

   Each layer is an L.LandUseLayer (the plug-in in leaflet-landuse/, loaded before this
   script; its README gives the encoding): its data waits in a JSON script element of
   the page and is read when the layer is first shown, so a hidden layer costs nothing
   when the page opens.

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
  // The map pane of that name at z-index z (made once), from the plug-in.
  var pane = L.LandUseLayer.pane;
  // On the canvas, a layer (re)added is drawn last: bring those above it back to the front.
  function restack(layer) {
    if (!api.canvas) { return; }
    api.order.map(function (k) { return api.layers[k]; })
      .filter(function (l) { return l !== layer && l.z > layer.z && api.map.hasLayer(l); })
      .sort(function (a, b) { return a.z - b.z; })
      .forEach(function (l) { l.geo.bringToFront(); });
  }
  // A layer of the page (an L.LandUseLayer), its data in the JSON elements ``name``_data and
  // ``name``_text; built once the map has its final view.
  api.layer = function (map, key, name, z) {
    api.map = map;
    var out = L.landUseLayer(name + "_data", {
      texts: name + "_text",
      renderer: api.canvas,
      dots: !!api.canvas && key !== "counties",
      detailZoom: DETAIL,
      defer: function (build) { if (api.ready) { build(); } else { api.waiting.push(build); } }
    });
    var first = true;
    out.z = z;
    out.on("add", function () {
      if (first) { first = false; } else { restack(out); }
    });
    out.on("drawn", function () { restack(out); });
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
