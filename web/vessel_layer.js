// The map's vessels: one canvas for tens of thousands of ships, coloured
// by ship type, those under an open alert ringed.

const TYPE_COLOURS = [
  [30, 30, "#ff9f1c", "fishing"], [31, 32, "#c77dff", "towing"], [35, 35, "#ff4d6d", "military"],
  [36, 37, "#90e0ef", "sailing, pleasure"], [40, 49, "#f4f1de", "high speed"], [50, 59, "#ffd166", "special"],
  [60, 69, "#06d6a0", "passenger"], [70, 79, "#4cc9f0", "cargo"], [80, 89, "#ef476f", "tanker"],
];
function typeColour(t) {
  for (const [lo, hi, c] of TYPE_COLOURS) if (t >= lo && t <= hi) return c;
  return "#b8c4ce";
}

// The canvas sits in a map pane, a margin wider than the view, so a drag
// moves it with the map and it is redrawn only when a move or zoom ends (as
// Leaflet's own canvas renderer does); redraws are coalesced to one per
// animation frame; ships are grouped by colour (one fillStyle each) and each
// is its own small path: one path of thousands of subpaths (a Path2D or the
// context's) costs time quadratic in their number in Chromium (2 s for 20 k,
// see BENCHMARKS.md).
//
// `vessels()`: the vessels to draw ({mmsi, lat, lon, cog, heading_true,
// static}); `flagged()`: the MMSIs to ring; `at()`: the time shown (null:
// live), noted with each draw for the tests.
export const VesselLayer = L.Layer.extend({
  initialize({ vessels, flagged, at }) {
    this._vessels = vessels;
    this._flagged = flagged;
    this._at = at;
  },
  onAdd(m) {
    this._map = m;
    this._canvas = L.DomUtil.create("canvas", "vessels");
    Object.assign(this._canvas.style, { position: "absolute", pointerEvents: "none" });
    const pane = m.getPane("vessels") || m.createPane("vessels");
    pane.style.zIndex = 450;
    pane.appendChild(this._canvas);
    m.on("moveend zoomend resize viewreset", this.redraw, this);
    m.on("zoomstart", this._hide, this);
    this.redraw();
  },
  onRemove(m) {
    m.off("moveend zoomend resize viewreset", this.redraw, this);
    m.off("zoomstart", this._hide, this);
    this._canvas.remove();
  },
  _hide() { this._canvas.style.visibility = "hidden"; },
  redraw() {
    if (this._frame) return;
    this._frame = requestAnimationFrame(() => { this._frame = null; this._draw(); });
  },
  _draw() {
    const m = this._map, c = this._canvas, dpr = window.devicePixelRatio || 1;
    const view = m.getSize(), margin = view.multiplyBy(0.3).round(), size = view.add(margin.multiplyBy(2));
    if (c.width !== size.x * dpr || c.height !== size.y * dpr) {
      c.width = size.x * dpr; c.height = size.y * dpr;
      c.style.width = `${size.x}px`; c.style.height = `${size.y}px`;
    }
    // The canvas's top left, in the pane's coordinates: the view's, less the margin.
    L.DomUtil.setPosition(c, m.containerPointToLayerPoint([0, 0]).subtract(margin));
    c.style.visibility = "";
    const ctx = c.getContext("2d");
    ctx.setTransform(dpr, 0, 0, dpr, dpr * margin.x, dpr * margin.y);
    ctx.clearRect(-margin.x, -margin.y, size.x, size.y);
    const flagged = this._flagged();
    const s = m.getZoom() >= 8 ? 7 : 4.5;
    const t0 = performance.now();
    const byColour = new Map(), ringed = [];
    let drawn = 0;
    for (const v of this._vessels()) {
      const p = m.latLngToContainerPoint([v.lat, v.lon]);
      if (p.x < -margin.x - 10 || p.y < -margin.y - 10 || p.x > view.x + margin.x + 10 || p.y > view.y + margin.y + 10) continue;
      const a = ((v.heading_true ?? v.cog ?? 0) * Math.PI) / 180;
      const ship = [p.x, p.y, Math.sin(a), Math.cos(a)];
      const colour = typeColour(v.static?.ship_type);
      const list = byColour.get(colour);
      if (list) list.push(ship); else byColour.set(colour, [ship]);
      if (flagged.has(v.mmsi)) ringed.push(ship);
      drawn++;
    }
    // The triangle (0, -1.6s), (s, s), (-s, s) turned by the course.
    const triangle = ([x, y, sin, cos]) => {
      ctx.beginPath();
      ctx.moveTo(x + 1.6 * s * sin, y - 1.6 * s * cos);
      ctx.lineTo(x + s * cos - s * sin, y + s * sin + s * cos);
      ctx.lineTo(x - s * cos - s * sin, y - s * sin + s * cos);
      ctx.closePath();
    };
    for (const [colour, ships] of byColour) {
      ctx.fillStyle = colour;
      for (const ship of ships) { triangle(ship); ctx.fill(); }
    }
    ctx.lineWidth = 2.5; ctx.strokeStyle = "#ff3b30";
    for (const ship of ringed) { triangle(ship); ctx.stroke(); }
    window.aiswatchConsole.lastDraw = { vessels: drawn, ms: performance.now() - t0, at: this._at() };
    window.aiswatchConsole.draws = (window.aiswatchConsole.draws || 0) + 1;
  },
});
