/**
 * Cluster mode's PostgreSQL adapters: the counter rows and their Flyway-versioned schema ({@link
 * io.tally.postgres.CounterSchema}), the read side of the counter store on a HikariCP pool ({@link
 * io.tally.postgres.PostgresCounterStore}), the delta sink that applies batches read back from the
 * deltas topic in one transaction each, idempotently by position — the partition's last applied
 * position locked and checked, and every row upserted only if its stored position is older ({@link
 * io.tally.postgres.PostgresDeltaSink}, {@link io.tally.postgres.CounterUpserts}) — the generation
 * of the positions ({@link io.tally.postgres.Generations}), the API-key store, the sharding by
 * partition ({@link io.tally.postgres.PostgresShards}), reads from streaming read replicas ({@link
 * io.tally.postgres.ReplicaReadStore}), and the connection settings ({@link
 * io.tally.postgres.PostgresSettings}). Depends on tally-core only: the consumer of the deltas
 * topic that feeds the sink is tally-kafka's {@code io.tally.kafka.Materializer}.
 */
package io.tally.postgres;
