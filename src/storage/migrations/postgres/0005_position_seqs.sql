-- Nothing to change on PostgreSQL: SQLite's 0005 replaces its index on
-- positions (seq) with an append-only table; PostgreSQL's write path is COPY
-- into day partitions with their own indexes. Kept so that both databases
-- number their migrations alike.
SELECT 1;
