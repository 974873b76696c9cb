/**
 * Cluster mode's Cassandra adapters: the counter rows and their schema ({@link
 * io.tally.cassandra.CounterSchema}, which owns every table, versioned), the read side of the
 * counter store with quorum reads that fall back to ONE and say so ({@link
 * io.tally.cassandra.CassandraCounterStore}, {@link io.tally.cassandra.QuorumReads}), the delta
 * sink that applies batches read back from the deltas topic idempotently by position — a delta only
 * if its position is newer than the row's write time, written with that position as its timestamp
 * ({@link io.tally.cassandra.CassandraDeltaSink} over {@link io.tally.cassandra.CounterWriter} and
 * {@link io.tally.cassandra.TopKWriter}) — the top-K and API-key stores, and the driver settings
 * ({@link io.tally.cassandra.CassandraSettings}). Depends on tally-core only: the consumer of the
 * deltas topic that feeds the sink is tally-kafka's {@code io.tally.kafka.Materializer}.
 */
package io.tally.cassandra;
