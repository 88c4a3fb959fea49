// The Zones page's geometry, apart from the map: a GeoJSON Polygon or
// MultiPolygon as the editor holds it (parts, rings, open positions) and
// back, and where on a geometry a problem the daemon names lies.

const closeRing = (r) => (r.length ? [...r, r[0]] : []);
const sameXY = (a, b) => a && b && a[0] === b[0] && a[1] === b[1];
// A ring as edited: its positions without the closing one.
const openRing = (r) => (r.length > 1 && sameXY(r[0], r[r.length - 1]) ? r.slice(0, -1) : r.slice());

/// The parts (polygons, each rings, each open [lon, lat] positions) of a
/// GeoJSON Polygon or MultiPolygon; throws on anything else.
export function partsOf(geometry) {
  const t = geometry?.type, c = geometry?.coordinates;
  const ring = (r, where) => {
    if (!Array.isArray(r)) throw new Error(`${where}: not a list of positions`);
    return openRing(r.map((p, i) => {
      if (!Array.isArray(p) || p.length < 2 || !p.every((x) => typeof x === "number" && Number.isFinite(x))) {
        throw new Error(`${where}[${i}]: not a [longitude, latitude] position`);
      }
      return p.slice();
    }));
  };
  const polygon = (rings, where) => {
    if (!Array.isArray(rings)) throw new Error(`${where}: not a list of rings`);
    return rings.map((r, i) => ring(r, `${where}[${i}]`));
  };
  if (t === "Polygon") return [polygon(c, "coordinates")];
  if (t === "MultiPolygon") {
    if (!Array.isArray(c)) throw new Error("coordinates: not a list of polygons");
    return c.map((p, i) => polygon(p, `coordinates[${i}]`));
  }
  throw new Error(`type must be "Polygon" or "MultiPolygon", not ${JSON.stringify(t ?? null)}`);
}

/// The GeoJSON geometry of edited parts: a Polygon for one part, else a
/// MultiPolygon; rings closed.
export function geometryOf(parts) {
  const rings = (p) => p.map(closeRing);
  if (parts.length === 1) return { type: "Polygon", coordinates: rings(parts[0]) };
  if (!parts.length) return { type: "Polygon", coordinates: [] };
  return { type: "MultiPolygon", coordinates: parts.map(rings) };
}

/// What a problem's `property` points at in `geometry` ("geometry.coordinates[0][3]"):
/// a [lon, lat] position, or the first position of a ring or polygon; null if nothing.
export function problemPosition(property, geometry) {
  const m = /^geometry\.coordinates((\[\d+\])*)/.exec(property || "");
  if (!m || !geometry) return null;
  let v = geometry.coordinates;
  for (const [, i] of m[1].matchAll(/\[(\d+)\]/g)) {
    if (!Array.isArray(v) || v[Number(i)] === undefined) break;
    v = v[Number(i)];
  }
  while (Array.isArray(v) && Array.isArray(v[0])) v = v[0];
  return Array.isArray(v) && typeof v[0] === "number" && typeof v[1] === "number" ? [v[0], v[1]] : null;
}
