/**
 * leaflet-landuse: a Leaflet (1.9) plug-in that draws a polygon layer sent in landuse's compact
 * encoding, with its styles, tooltips and popups. See README.md in this folder for the format
 * (what landuse.output._layer_encoding writes) and the measured sizes.
 *
 * The encoded layer ("data") is one JSON object:
 *   spec  {key, z, styles: [path style a class], fields: [popup row label (HTML)], boost,
 *          labels?: [[lat, lon, html], ...]}
 *   n     number of features;            c  each feature's class (index into spec.styles)
 *   t     tooltip parts: per part, each feature's id into the string table
 *   p     popup table rows: per field, each feature's id ("" text: the row is left out)
 *   h     (instead of p) each feature's whole popup, an id into the string table
 *   k     digits: coordinates are integers in units of 10^-k degrees
 *   o     [x0, y0]: the origin, in those units (lon, lat)
 *   f     polygons of each feature;   q  rings of each polygon (outer ring first, then holes)
 *   r     points of each ring (its closing point left out: Leaflet closes rings)
 *   x     flat [dx, dy, ...]: a ring's first point counts from the origin, every further point
 *         from the point before it
 * The string table ("texts") is a JSON array of distinct strings, read only when a tooltip or
 * popup first opens. Both may wait in <script type="application/json"> elements, named by id.
 *
 * Usage:
 *   var layer = L.landUseLayer("layer_data", {texts: "layer_text"}).addTo(map);
 *   L.landUseLayer({spec: ..., n: 1, ...}, {texts: ["a", "b"], escape: true}).addTo(map);
 *
 * @class L.LandUseLayer
 * @extends L.FeatureGroup
 * @param {Object|string} data  The encoded layer, or the id of the JSON element holding it (read
 *     when the layer is first added to a map: a hidden layer costs nothing when the page opens).
 * @param {Object} [options]
 * @param {Array<string>|string} [options.texts=[]]  The string table, or the id of its element.
 * @param {boolean} [options.escape=false]  The texts, field labels and label HTML are HTML already
 *     (landuse escapes every data text in Python). Set true for raw text: each string is then
 *     escaped (& < > " ') before it reaches the page.
 * @param {L.Renderer} [options.renderer=null]  Draw the polygons on this renderer (a canvas shared
 *     by several layers) in its pane; by default SVG in a pane of the layer's own, "lu-<spec.key>",
 *     at z-index spec.z.
 * @param {boolean} [options.dots=false]  Show the features as dots (one canvas path a class, not
 *     interactive) until the map is first zoomed in to detailZoom, then as polygons.
 * @param {number} [options.detailZoom=10]  See dots.
 * @param {number} [options.boostBelowZoom=11]  When spec.boost, outlines below this zoom are
 *     boostWeight heavier (small parcels stay visible at city scale).
 * @param {number} [options.boostWeight=1.2]
 * @param {number} [options.hoverWeight=2]  Added to the outline weight under the pointer.
 * @param {string} [options.separator=" · "]  Between the tooltip's parts.
 * @param {Object|false} [options.tooltip]  L.Tooltip options ({sticky: true, className: "lu-tip"}),
 *     or false for none.
 * @param {Object|false} [options.popup]  L.Popup options ({maxWidth: 520, minWidth: 380 when the
 *     layer has labels else 220, className: "lu-popup", autoPanPadding: [30, 60]}), or false.
 * @param {Function} [options.defer=null]  function (build): called on the first add instead of
 *     building at once (a page builds its layers once the map has its final view).
 * @fires drawn  When the polygons (or the dots) have been built.
 *
 * The layer's polygons are in its ``geo`` feature group (each with ``lu``, its feature's index);
 * the labels and dots are beside it. ``L.LandUseLayer.decode(data)`` gives each feature's polygons
 * as Leaflet takes them: [[ring, hole, ...], ...] of L.LatLng.
 */
(function (factory) {
  if (typeof module === "object" && module.exports) {
    module.exports = factory(require("leaflet"));
  } else {
    factory(window.L);
  }
}(function (L) {
  "use strict";

  var LABEL_Z = 590;  // labels above every polygon pane, under the tooltips
  var DOTS_Z = 406;  // dots just above the shared canvas (405)
  var ESCAPES = {"&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#x27;"};

  function escapeHtml(text) {
    return String(text).replace(/[&<>"']/g, function (c) { return ESCAPES[c]; });
  }
  function read(source) {
    return typeof source === "string" ? JSON.parse(document.getElementById(source).textContent) : source;
  }
  function pane(map, name, z, quiet) {
    var el = map.getPane(name) || map.createPane(name);
    el.style.zIndex = z;
    if (quiet) { el.style.pointerEvents = "none"; }
    return name;
  }

  // Each feature's polygons, as Leaflet takes them: [[ring, hole, ...], ...] of LatLngs.
  function decode(d) {
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

  // Where each feature is, for a dot: its first point (null for a feature with no polygon).
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
                                      map.getPane(pane(map, "lu-dots", DOTS_Z, true)));
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

  var LandUseLayer = L.FeatureGroup.extend({
    options: {
      texts: null,
      escape: false,
      renderer: null,
      dots: false,
      detailZoom: 10,
      boostBelowZoom: 11,
      boostWeight: 1.2,
      hoverWeight: 2,
      separator: " · ",
      tooltip: {sticky: true, className: "lu-tip"},
      popup: {maxWidth: 520, className: "lu-popup", autoPanPadding: [30, 60]},
      defer: null
    },

    initialize: function (data, options) {
      L.FeatureGroup.prototype.initialize.call(this, [], options);
      this._source = data;
      this._built = false;
      this._strings = null;
      this.geo = L.featureGroup();
      this.addLayer(this.geo);
    },

    onAdd: function (map) {
      L.FeatureGroup.prototype.onAdd.call(this, map);
      if (this._built) { return; }
      this._built = true;
      var build = L.bind(this._build, this, map);
      if (this.options.defer) { this.options.defer(build); } else { build(); }
    },

    /** The string table (read from its element on first use; escaped if options.escape). */
    strings: function () {
      if (!this._strings) {
        var s = read(this.options.texts || []);
        this._strings = this.options.escape ? s.map(escapeHtml) : s;
      }
      return this._strings;
    },

    /** The tooltip of feature ``i``: its non-empty parts joined by the separator. */
    tooltipText: function (i) {
      var d = this.data, s = this.strings(), parts = [];
      for (var j = 0; j < d.t.length; j++) {
        var text = s[d.t[j][i]];
        if (text) { parts.push(text); }
      }
      return parts.join(this.options.separator);
    },

    /** The popup of feature ``i``: its own HTML (``h``), or a heading and a table of its fields. */
    popupHtml: function (i) {
      var d = this.data, s = this.strings();
      if (d.h) { return s[d.h[i]]; }
      var rows = "", fields = d.spec.fields;
      for (var j = 0; j < fields.length; j++) {
        var text = s[d.p[j][i]];
        var label = this.options.escape ? escapeHtml(fields[j]) : fields[j];
        if (text) { rows += "<tr><th>" + label + "</th><td>" + text + "</td></tr>"; }
      }
      return '<div class="lu-pop"><h4>' + this.tooltipText(i) + "</h4><table>" + rows + "</table></div>";
    },

    _build: function (map) {
      var d = this.data = read(this._source);
      if (this.options.dots) { this._dotted(map, d); } else { this._polygons(map, d); }
      this.fire("drawn");
    },

    // Dots until the map is first zoomed in to detailZoom, then the layer's polygons.
    _dotted: function (map, d) {
      var self = this, dots = new Dots(d), drawn = false;
      function update() {
        if (drawn || !map.hasLayer(self)) { return; }
        if (map.getZoom() < self.options.detailZoom) {
          if (!self.hasLayer(dots)) { self.addLayer(dots); }
          return;
        }
        drawn = true;
        self.removeLayer(dots);
        map.off("zoomend", update);
        self._polygons(map, d);
        self.fire("drawn");
      }
      map.on("zoomend", update);
      this.on("add", update);
      update();
    },

    _polygons: function (map, d) {
      var self = this, o = this.options, spec = d.spec, geo = this.geo;
      function look(c) {
        var st = spec.styles[c];
        if (spec.boost && map.getZoom() < o.boostBelowZoom) {
          return L.extend({}, st, {weight: st.weight + o.boostWeight});
        }
        return st;
      }
      function style(i) { return look(d.c[i]); }
      var where = o.renderer ? {pane: o.renderer.options.pane, renderer: o.renderer}
                             : {pane: pane(map, "lu-" + spec.key, spec.z)};
      var shapes = decode(d), looks = spec.styles.map(function (st, c) {
        return L.extend({}, where, look(c));
      });
      for (var i = 0; i < d.n; i++) {
        if (!shapes[i].length) { continue; }
        var layer = L.polygon(shapes[i], looks[d.c[i]]);
        layer.lu = i;
        geo.addLayer(layer);
      }
      // One tooltip, popup and highlight for the whole layer: texts are made when asked for.
      if (o.tooltip) {
        geo.bindTooltip(function (l) { return self.tooltipText(l.lu); }, o.tooltip);
      }
      if (o.popup) {
        geo.bindPopup(function (l) { return self.popupHtml(l.lu); },
                      L.extend({minWidth: spec.labels ? 380 : 220}, o.popup));
      }
      geo.on("mouseover", function (e) { e.layer.setStyle({weight: style(e.layer.lu).weight + o.hoverWeight}); });
      geo.on("mouseout", function (e) { e.layer.setStyle(style(e.layer.lu)); });
      if (spec.boost) {
        var restyle = function () { geo.eachLayer(function (l) { l.setStyle(style(l.lu)); }); };
        map.on("zoomend", function () { if (map.hasLayer(geo)) { restyle(); } });
        this.on("add", restyle);
      }
      if (spec.labels) {
        var labelPane = pane(map, "lu-labels", LABEL_Z, true);
        spec.labels.forEach(function (l) {
          var text = o.escape ? escapeHtml(l[2]) : l[2];
          self.addLayer(L.marker([l[0], l[1]], {interactive: false, keyboard: false, pane: labelPane,
            icon: L.divIcon({className: "lu-label", html: "<div>" + text + "</div>", iconSize: null})}));
        });
      }
    }
  });

  LandUseLayer.decode = decode;
  LandUseLayer.escapeHtml = escapeHtml;
  LandUseLayer.pane = pane;
  L.LandUseLayer = LandUseLayer;
  L.landUseLayer = function (data, options) { return new LandUseLayer(data, options); };
  return LandUseLayer;
}));
