-- Nothing to change on PostgreSQL: SQLite's 0003 re-keys its positions
-- table by (cell, t); PostgreSQL already writes each batch in (cell, t)
-- order into day partitions and keeps its indexes. Kept so that both
-- databases number their migrations alike.
SELECT 1;
