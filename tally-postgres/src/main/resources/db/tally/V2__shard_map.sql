-- Version 2: which shard of which sharded store this database is (io.tally.postgres.ShardMap).
-- Written once, when a store's shards are first opened together; checked at every start, so a
-- changed --postgres list (another order, a shard added or removed, another partition count) is
-- refused instead of misrouting partitions: partition p lives on shard p mod shards.
CREATE TABLE shard_map (
  name       text    PRIMARY KEY,
  store_id   uuid    NOT NULL,
  shard      integer NOT NULL,
  shards     integer NOT NULL,
  partitions integer NOT NULL
);
