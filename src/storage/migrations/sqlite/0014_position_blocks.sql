-- Positions in blocks: one row per vessel, grid cell, hour and written
-- batch, its reports packed (src/storage/blocks.rs). A row per report
-- cost a B-tree insert and a WAL page per report; a block costs one for
-- all the vessel's reports of that cell and hour in the batch.
--
-- The key leads to a vessel's blocks once its place and hour are known,
-- as before; vessel_cells and position_cells still say where to look.
-- position_blocks_seq (first_seq) and position_batches (the sequence
-- range of each written batch) find the blocks of a sequence range for
-- the restart's replay: a block never spans batches.
--
-- The rows of the former positions table are moved into blocks (one per
-- report: they were written by batches no longer known) when the store
-- opens, then that table is dropped.
CREATE TABLE position_blocks (
    id        INTEGER PRIMARY KEY, -- arrival order
    cell      INTEGER NOT NULL,   -- 0.25 degree grid cell
    hour      INTEGER NOT NULL,   -- floor(t / 3 600 000)
    mmsi      INTEGER NOT NULL,
    first_seq INTEGER NOT NULL,
    last_seq  INTEGER NOT NULL,
    t_min     INTEGER NOT NULL,
    t_max     INTEGER NOT NULL,
    n         INTEGER NOT NULL,   -- reports in the block
    points    BLOB    NOT NULL
);
CREATE UNIQUE INDEX position_blocks_key ON position_blocks (cell, hour, mmsi, first_seq);
CREATE INDEX position_blocks_seq ON position_blocks (first_seq);

CREATE TABLE position_batches (
    first_seq INTEGER PRIMARY KEY,
    last_seq  INTEGER NOT NULL
);
INSERT INTO position_batches (first_seq, last_seq) SELECT first_seq, last_seq FROM position_seqs;
DROP TABLE position_seqs;

-- Messages heard (0007), packed the same way: one row per written batch.
-- Rows of heard (JSON) written before stay readable until retention
-- removes them.
CREATE TABLE heard_blocks (
    first_seq INTEGER PRIMARY KEY,
    last_seq  INTEGER NOT NULL,
    entries   BLOB    NOT NULL
);
