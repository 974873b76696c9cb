/**
 * Real engines for tests: Apache Kafka (KRaft, one node) and Apache Cassandra, each started as a
 * child JVM from the jars Maven Central serves, bound to loopback, on free ports, in a fresh
 * directory. {@link io.tally.engines.RealEngines} starts one {@link io.tally.engines.LocalEngines}
 * pair per test JVM; tests isolate themselves with their own topics and keyspaces. Started detached
 * ({@link io.tally.engines.KafkaServer#startDetached}, {@link
 * io.tally.engines.CassandraServer#startDetached}), the same servers outlive the JVM that started
 * them: {@code tally cluster up} runs its local demo cluster that way.
 *
 * <p>The servers never share a classpath with the tests or with each other: their classpaths are
 * resolved by the {@code tally-engines/kafka-server} and {@code tally-engines/cassandra-server} POM
 * modules (see {@link io.tally.engines.EngineClasspath}).
 *
 * <p>PostgreSQL is no jar: {@link io.tally.engines.PostgresServer} runs the machine's Debian
 * package ({@code initdb}, {@code postgres}) in a fresh directory on a free port, as the {@code
 * postgres} user when the JVM is root ({@link io.tally.engines.PostgresServer#startReplica} makes a
 * streaming replica of one), and {@link io.tally.engines.RealPostgres} starts one per test JVM.
 */
package io.tally.engines;
