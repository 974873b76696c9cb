-- Tally's PostgreSQL schema, version 1 (owned by io.tally.postgres.CounterSchema; Flyway applies
-- it once, in the schema of PostgresSettings.schema).

-- One row per (entity, type, granularity, bucket start in epoch ms; 0 for the total).
-- position: the position of the last delta applied to the row (DESIGN.md invariant 5): a delta is
-- added only when its position is higher. sum saturates at 2^63 - 1, "too large to be exact".
-- actors: the row's actor sketch (ActorSketch bytes), null for a row without actors.
--
-- Partitioned by granularity, and the minute, hour and day rows by time range (the ranges of
-- io.tally.core.retention.TimeRanges: a UTC day of minutes, 30 days of hours, 360 days of days),
-- so retention drops whole ranges (DROP TABLE of a partition), never a mass DELETE. The range
-- partitions are made on demand before rows are written to them (io.tally.postgres.TimePartitions),
-- named counters_<granularity>_<range index> (index = range start / span; n<k> for -k).
CREATE TABLE counters (
  entity      text   NOT NULL,
  type        text   NOT NULL,
  granularity text   NOT NULL,
  bucket      bigint NOT NULL,
  count       bigint NOT NULL,
  sum         bigint NOT NULL,
  actors      bytea,
  position    bigint NOT NULL,
  PRIMARY KEY (entity, type, granularity, bucket)
) PARTITION BY LIST (granularity);

CREATE TABLE counters_total PARTITION OF counters FOR VALUES IN ('total');
CREATE TABLE counters_minute PARTITION OF counters FOR VALUES IN ('minute') PARTITION BY RANGE (bucket);
CREATE TABLE counters_hour PARTITION OF counters FOR VALUES IN ('hour') PARTITION BY RANGE (bucket);
CREATE TABLE counters_day PARTITION OF counters FOR VALUES IN ('day') PARTITION BY RANGE (bucket);

-- Each event partition's last materialized checkpoint, written in the transaction of the rows it
-- covers; position: that of the batch that carried it.
CREATE TABLE progress (
  partition   integer PRIMARY KEY,
  next_offset bigint  NOT NULL,
  last_append bigint  NOT NULL,
  as_of       bigint  NOT NULL,
  position    bigint  NOT NULL
);

-- Each deltas-topic partition's last applied position, written in the transaction of the rows it
-- covers and locked (SELECT ... FOR UPDATE) by the transaction that applies the next batches, so
-- writers of one partition are serialized and a replayed batch is recognised whole.
CREATE TABLE delta_positions (
  partition integer PRIMARY KEY,
  position  bigint  NOT NULL
);

-- The deltas topic's id and the generation of its positions: a recreated topic (another id)
-- restarts its offsets, so its positions start the next generation.
CREATE TABLE sources (
  name       text   PRIMARY KEY,
  id         uuid   NOT NULL,
  generation bigint NOT NULL
);

-- API keys, the record as io.tally.core.auth.ApiKeyCodec writes it.
CREATE TABLE api_keys (
  id     text  PRIMARY KEY,
  record bytea NOT NULL
);

-- Top-K: each event partition's frequent-items sketch per (type, window, slot), fed by its minute
-- deltas (io.tally.core.topk.TopKSlots); position: of the last delta applied to the slot.
CREATE TABLE topk_slots (
  partition      integer NOT NULL,
  type           text    NOT NULL,
  window_minutes integer NOT NULL,
  slot_start     bigint  NOT NULL,
  sketch         bytea   NOT NULL,
  position       bigint  NOT NULL,
  PRIMARY KEY (partition, type, window_minutes, slot_start)
);
