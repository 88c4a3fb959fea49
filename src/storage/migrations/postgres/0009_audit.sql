-- The audit trail. The same meaning as ../sqlite/0009_audit.sql.

-- One record per access or change, appended only. `record` is the
-- record's JSON exactly as hashed; `hash` = SHA-256(prev's 32 bytes ‖
-- record), `prev` the hash of the record before (zeros before the first):
-- a changed, inserted or removed record breaks the chain.
CREATE TABLE audit_log (
    seq    BIGINT PRIMARY KEY,
    at     BIGINT  NOT NULL,   -- wall clock, unix milliseconds
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
    seq  BIGINT  NOT NULL,
    PRIMARY KEY (kind, id, seq)
);
CREATE INDEX audit_ids_seq ON audit_ids (seq);

-- The chain's head, signed with the installation key now and then.
CREATE TABLE audit_checkpoints (
    seq       BIGINT PRIMARY KEY,   -- the record the checkpoint signs
    at        BIGINT  NOT NULL,      -- wall clock, unix milliseconds
    hash      TEXT    NOT NULL,      -- hex, that record's hash
    signature TEXT    NOT NULL       -- hex Ed25519
);

-- Partners' checkpoints, kept so a rewritten chain there is caught here.
CREATE TABLE federation_checkpoints (
    partner     TEXT    NOT NULL,
    seq         BIGINT  NOT NULL,
    at          BIGINT  NOT NULL,
    hash        TEXT    NOT NULL,
    signature   TEXT    NOT NULL,
    received_at BIGINT  NOT NULL,
    PRIMARY KEY (partner, seq)
);

-- The outbox also carries checkpoints to partners: a delivery is of an
-- alert change (event_n, alert_n) or of a checkpoint (checkpoint).
ALTER TABLE deliveries ALTER COLUMN event_n DROP NOT NULL;
ALTER TABLE deliveries ALTER COLUMN alert_n DROP NOT NULL;
ALTER TABLE deliveries ADD COLUMN checkpoint BIGINT REFERENCES audit_checkpoints (seq);
