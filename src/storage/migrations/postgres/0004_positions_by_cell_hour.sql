-- Nothing to change on PostgreSQL: SQLite's 0004 drops its per-row
-- (mmsi, t) index for small per-hour tables; PostgreSQL keeps its indexes
-- (its write path is COPY into day partitions). Kept so that both
-- databases number their migrations alike.
SELECT 1;
