-- Positions in blocks: the same meaning as ../sqlite/0014_position_blocks.sql.
-- Partitioned by UTC day (in hours) so that retention drops whole days;
-- the writer creates the partitions as data arrives. Blocks go in by
-- binary COPY; the key is their duplicate check's way in, the index on
-- (mmsi, hour) a track's, the block-range index on first_seq the restart's.
--
-- The rows of the former positions table are moved into blocks (one per
-- report) when the store opens, then that table is dropped.
CREATE TABLE position_blocks (
    cell      BIGINT NOT NULL,
    hour      BIGINT NOT NULL,
    mmsi      BIGINT NOT NULL,
    first_seq BIGINT NOT NULL,
    last_seq  BIGINT NOT NULL,
    t_min     BIGINT NOT NULL,
    t_max     BIGINT NOT NULL,
    n         BIGINT NOT NULL,
    points    BYTEA  NOT NULL,
    PRIMARY KEY (cell, hour, mmsi, first_seq)
) PARTITION BY RANGE (hour);
CREATE INDEX position_blocks_mmsi ON position_blocks (mmsi, hour);
CREATE INDEX position_blocks_seq ON position_blocks USING brin (first_seq);

CREATE TABLE position_batches (
    first_seq BIGINT PRIMARY KEY,
    last_seq  BIGINT NOT NULL
);

-- Messages heard (0007), packed the same way: one row per written batch.
-- Rows of heard (JSON) written before stay readable until retention
-- removes them.
CREATE TABLE heard_blocks (
    first_seq BIGINT PRIMARY KEY,
    last_seq  BIGINT NOT NULL,
    entries   BYTEA  NOT NULL
);
-- Packed already: compressing a batch's entries (a megabyte or more) on
-- every commit would cost the server more than it saves.
ALTER TABLE heard_blocks ALTER COLUMN entries SET STORAGE EXTERNAL;
