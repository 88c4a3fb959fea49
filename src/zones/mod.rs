//! ③ Patrol zones: GeoJSON loading, validation and a spatial index of zones.
