-- Where partition 0's records stand at each of its commits, for the
-- leaders of the other partitions. The same meaning as
-- ../postgres/0012_cluster_commits.sql.
--
-- Only partition 0 stores positions, static data and the rest of the
-- engine's records; every partition's leader applies every line. A leader
-- of another partition taking over rebuilds its state from those records
-- as they stood at a stream position it had itself applied: the row with
-- the greatest position not beyond its own gives the last record sequence
-- (seq) and event time (t) to replay up to. Rows older than every
-- partition's position are pruned (one below it is kept).
CREATE TABLE cluster_commits (
    lease    TEXT    NOT NULL,
    position INTEGER NOT NULL,   -- JetStream stream sequence
    seq      INTEGER NOT NULL,   -- store_meta max_seq after the commit
    t        INTEGER,            -- store_meta max_t after the commit
    PRIMARY KEY (lease, position)
);
