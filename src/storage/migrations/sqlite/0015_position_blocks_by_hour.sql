-- The blocks' key leads with the hour: (hour, cell, mmsi, first_seq).
-- Led by the cell, the new blocks of one transaction (one per vessel and
-- cell) landed on a page of the key's index per grid cell, all over it,
-- and every such page went to the WAL again with each commit: in a store
-- of 48 hours, most of what a commit wrote. Led by the hour, they land
-- on the pages of the last hour or two. Box queries seek each hour and
-- cell of the box; tracks and the duplicate check look keys up whole, as
-- before. An existing store's index is built again when it opens: about
-- half a second per million blocks.
DROP INDEX position_blocks_key;
CREATE UNIQUE INDEX position_blocks_key ON position_blocks (hour, cell, mmsi, first_seq);
