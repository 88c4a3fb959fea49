-- The audit trail. The same meaning as ../postgres/0009_audit.sql.

-- One record per access or change, appended only. `record` is the
-- record's JSON exactly as hashed; `hash` = SHA-256(prev's 32 bytes ‖
-- record), `prev` the hash of the record before (zeros before the first):
-- a changed, inserted or removed record breaks the chain.
CREATE TABLE audit_log (
    seq    INTEGER PRIMARY KEY,
    at     INTEGER NOT NULL,   -- wall clock, unix milliseconds
    actor  TEXT    NOT NULL,   -- admin, centre:ID, partner:ID, system
    action TEXT    NOT NULL,
    record TEXT    NOT NULL,
    prev   TEXT    NOT NULL,   -- hex
    hash   TEXT    NOT NULL    -- hex
);
CREATE INDEX audit_log_actor ON audit_log (actor, seq);
CREATE INDEX audit_log_action ON audit_log (action, seq);
CREATE INDEX audit_log_at ON audit_log (at);

-- What each record touched, for filtering: kind alert, mmsi or zone.
CREATE TABLE audit_ids (
    kind TEXT    NOT NULL,
    id   TEXT    NOT NULL,
    seq  INTEGER NOT NULL,
    PRIMARY KEY (kind, id, seq)
);
CREATE INDEX audit_ids_seq ON audit_ids (seq);

-- The chain's head, signed with the installation key now and then.
CREATE TABLE audit_checkpoints (
    seq       INTEGER PRIMARY KEY,   -- the record the checkpoint signs
    at        INTEGER NOT NULL,      -- wall clock, unix milliseconds
    hash      TEXT    NOT NULL,      -- hex, that record's hash
    signature TEXT    NOT NULL       -- hex Ed25519
);

-- Partners' checkpoints, kept so a rewritten chain there is caught here.
CREATE TABLE federation_checkpoints (
    partner     TEXT    NOT NULL,
    seq         INTEGER NOT NULL,
    at          INTEGER NOT NULL,
    hash        TEXT    NOT NULL,
    signature   TEXT    NOT NULL,
    received_at INTEGER NOT NULL,
    PRIMARY KEY (partner, seq)
);

-- The outbox also carries checkpoints to partners: a delivery is of an
-- alert change (event_n, alert_n) or of a checkpoint (checkpoint). SQLite
-- cannot relax a column's NOT NULL in place: the table is made anew.
CREATE TABLE deliveries_next (
    id           INTEGER PRIMARY KEY AUTOINCREMENT,
    event_n      INTEGER REFERENCES alert_events (n),
    alert_n      INTEGER REFERENCES alerts (n),
    seq          INTEGER NOT NULL,
    centre       TEXT    NOT NULL,
    channel      TEXT    NOT NULL,   -- webhook, mqtt, nats, partner
    state        TEXT    NOT NULL,   -- pending, delivered, failed
    attempts     INTEGER NOT NULL DEFAULT 0,
    created_at   INTEGER NOT NULL,
    since        INTEGER NOT NULL,
    next_at      INTEGER NOT NULL,
    delivered_at INTEGER,
    last_error   TEXT,
    agreement    TEXT,
    checkpoint   INTEGER REFERENCES audit_checkpoints (seq)
);
INSERT INTO deliveries_next (id, event_n, alert_n, seq, centre, channel, state, attempts,
    created_at, since, next_at, delivered_at, last_error, agreement)
SELECT id, event_n, alert_n, seq, centre, channel, state, attempts,
    created_at, since, next_at, delivered_at, last_error, agreement FROM deliveries;
DROP TABLE deliveries;
ALTER TABLE deliveries_next RENAME TO deliveries;
CREATE INDEX deliveries_pending ON deliveries (centre, channel, alert_n, id) WHERE state = 'pending';
CREATE INDEX deliveries_state ON deliveries (state, id);
