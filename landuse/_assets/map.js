/* landuse outcome map (landuse.maps): layers with escaped popups, title, legend,
   scale bar, full-screen button. Data text arrives HTML-escaped from Python. */
var landuse = (function () {
  "use strict";
  var api = {map: null, layers: {}, order: []};
  function table(spec, p) {
    var rows = "";
    for (var i = 0; i < spec.fields.length; i++) {
      if (p.p[i]) { rows += "<tr><th>" + spec.fields[i] + "</th><td>" + p.p[i] + "</td></tr>"; }
    }
    return '<div class="lu-pop"><h4>' + p.t + "</h4><table>" + rows + "</table></div>";
  }
  function pane(map, name, z, quiet) {
    var el = map.getPane(name) || map.createPane(name);
    el.style.zIndex = z;
    if (quiet) { el.style.pointerEvents = "none"; }
    return name;
  }
  api.layer = function (map, spec, data) {
    api.map = map;
    var geo;
    var opts = {
      pane: pane(map, "lu-" + spec.key, spec.z),
      style: function (f) {
        var s = spec.styles[f.properties.c];
        // Parcels are a few hundred metres across: at city scale a heavier outline keeps them visible.
        if (spec.boost && map.getZoom() < 11) { return L.extend({}, s, {weight: s.weight + 1.2}); }
        return s;
      },
      onEachFeature: function (f, layer) {
        var p = f.properties;
        layer.bindTooltip(p.t, {sticky: true, className: "lu-tip"});
        layer.bindPopup(p.h || table(spec, p), {maxWidth: 520, minWidth: spec.labels ? 380 : 220,
                                                 className: "lu-popup", autoPanPadding: [30, 60]});
        layer.on("mouseover", function () {
          layer.setStyle({weight: opts.style(f).weight + 2});
        });
        layer.on("mouseout", function () { geo.resetStyle(layer); });
      }
    };
    if (spec.canvas) { opts.renderer = L.canvas({pane: opts.pane}); }
    geo = L.geoJSON(data, opts);
    if (spec.boost) {
      map.on("zoomend", function () { if (map.hasLayer(geo)) { geo.setStyle(opts.style); } });
      geo.on("add", function () { geo.setStyle(opts.style); });
    }
    var out = geo;
    if (spec.labels) {
      var labelPane = pane(map, "lu-labels", 590, true);
      var marks = spec.labels.map(function (l) {
        return L.marker([l[0], l[1]], {interactive: false, keyboard: false, pane: labelPane,
          icon: L.divIcon({className: "lu-label", html: "<div>" + l[2] + "</div>", iconSize: null})});
      });
      out = L.featureGroup([geo].concat(marks));
    }
    out.geo = geo;
    api.layers[spec.key] = out;
    api.order.push(spec.key);
    return out;
  };
  api.chrome = function (map, o) {
    api.map = map;
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
          if (map.getSize().y < 640) { d.classList.add("lu-closed"); }
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
      map.fitBounds(o.bounds, {padding: [12, 12], animate: false});
      // Once every control is on the map (the layer control comes last), keep the counties
      // clear of the title and of the side panels.
      setTimeout(api.fit, 0);
    }
  };
  api.fit = function () {
    var map = api.map, c = map.getContainer();
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
