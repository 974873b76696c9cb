/**
 * Cluster mode's Cassandra adapters: the counter rows and their schema ({@link
 * io.tally.cassandra.CounterSchema}, which owns every table, versioned), the read side of the
 * counter store with quorum reads that fall back to ONE and say so ({@link
 * io.tally.cassandra.CassandraCounterStore}, {@link io.tally.cassandra.QuorumReads}), the
 * materializer that applies the deltas topic to the rows idempotently — a delta only if its offset
 * is newer than the row's write time, written with that offset as its timestamp ({@link
 * io.tally.cassandra.Materializer}, {@link io.tally.cassandra.CounterWriter}, {@link
 * io.tally.cassandra.TopKWriter}) — the top-K and API-key stores, and the driver settings ({@link
 * io.tally.cassandra.CassandraSettings}). The materializer still consumes Kafka itself, which is
 * why this module depends on tally-kafka (issue 16 moves it).
 */
package io.tally.cassandra;
