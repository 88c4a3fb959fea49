-- A cluster's engine leases and the vessel state its leader publishes. The
-- same meaning as ../sqlite/0011_cluster.sql (a cluster always runs on
-- PostgreSQL; SQLite has the tables so that both stores keep one schema).
--
-- cluster_leases: one row per lease (`<prefix>/engine/<partition>`). The
-- lease itself is a PostgreSQL advisory lock; whoever takes it increments
-- epoch, and every store commit of the leader checks its epoch and records
-- how far into the line stream it has applied (position: a JetStream
-- stream sequence), in the same transaction: a stale leader's commit
-- fails, and a new leader resumes just after position.
CREATE TABLE cluster_leases (
    name     TEXT    PRIMARY KEY,
    node     TEXT    NOT NULL,
    epoch    BIGINT  NOT NULL,
    since    BIGINT  NOT NULL,   -- wall clock, unix milliseconds
    position BIGINT  NOT NULL
);

-- The leader's copy of current vessel state, for api nodes: the engine
-- snapshot as JSON (gzip), its event-time clock and when it was taken.
CREATE TABLE cluster_snapshots (
    name     TEXT    PRIMARY KEY,
    node     TEXT    NOT NULL,
    clock    BIGINT,
    taken_at BIGINT  NOT NULL,   -- wall clock, unix milliseconds
    body     BYTEA   NOT NULL
);
