package io.tally.cli.cluster;

import io.tally.cli.cluster.ClusterProcess.Kind;
import io.tally.engines.CassandraServer;
import io.tally.engines.EngineProcess;
import io.tally.engines.KafkaServer;
import io.tally.engines.PostgresServer;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * Starts the engines of a demo cluster as detached processes: Kafka first (one node, or a quorum of
 * three brokers that are also its controllers), then the counter store: Cassandra (one node, or a
 * ring of three on 127.0.0.1, .2 and .3, one after another, the first the seed) or PostgreSQL (two
 * shards and a streaming replica of the first). Each engine is handed to a {@link Recorder} once it
 * is ready. Stateless.
 */
final class ClusterEngines {
  /** Takes each engine once it is ready. */
  interface Recorder {
    /**
     * @param startedNanos {@link System#nanoTime()} when its start began, to say how long it took
     */
    void add(ClusterProcess process, long startedNanos);
  }

  private ClusterEngines() {}

  /** {@code kafka} for one node, else {@code kafka-1}, {@code kafka-2}, … */
  static String name(String kind, int index, int replicas) {
    return replicas == 1 ? kind : kind + "-" + (index + 1);
  }

  /** Starts Kafka in {@code <dir>/kafka} or {@code <dir>/kafka-<n>}; returns once all serve. */
  static void startKafka(Path dir, ClusterPorts ports, Recorder recorder) {
    long t = System.nanoTime();
    int n = ports.replicas();
    if (n == 1) {
      KafkaServer kafka =
          KafkaServer.startDetached(dir.resolve("kafka"), ports.kafka(0), ports.kafkaController(0));
      recorder.add(kafka(kafka, 0, 1), t);
      return;
    }
    List<Path> dirs = new ArrayList<>();
    List<Integer> brokers = new ArrayList<>();
    List<Integer> controllers = new ArrayList<>();
    for (int i = 0; i < n; i++) {
      dirs.add(dir.resolve(name("kafka", i, n)));
      brokers.add(ports.kafka(i));
      controllers.add(ports.kafkaController(i));
    }
    List<KafkaServer> quorum = KafkaServer.startQuorum(dirs, brokers, controllers, true);
    for (int i = 0; i < n; i++) {
      recorder.add(kafka(quorum.get(i), i, n), t);
    }
  }

  /** Starts Cassandra's nodes one after another, each once the one before accepts clients. */
  static void startCassandra(Path dir, ClusterPorts ports, Recorder recorder) {
    int n = ports.replicas();
    for (int i = 0; i < n; i++) {
      long t = System.nanoTime();
      String name = name("cassandra", i, n);
      CassandraServer node =
          n == 1
              ? CassandraServer.startDetached(
                  dir.resolve(name), ports.cassandra(), ports.cassandraStorage())
              : CassandraServer.startRingNode(
                  dir.resolve(name),
                  ClusterPorts.cassandraHost(i),
                  ClusterPorts.cassandraHost(0),
                  ports.cassandra(),
                  ports.cassandraStorage(),
                  true);
      recorder.add(
          engine(
              name,
              Kind.CASSANDRA,
              node.process(),
              node.host() + ":" + ports.cassandra(),
              ports.cassandra()),
          t);
    }
  }

  /**
   * Starts PostgreSQL: {@value ClusterPorts#POSTGRES_SHARDS} shards ({@code postgres-1}, {@code
   * postgres-2}, each initdb'd afresh in its directory), then a streaming replica of the first
   * ({@code postgres-1-replica}, from {@code pg_basebackup -R}).
   *
   * @return the shards' JDBC URLs in order, then the replica's
   */
  static List<String> startPostgres(Path dir, ClusterPorts ports, Recorder recorder) {
    List<String> urls = new ArrayList<>();
    PostgresServer first = null;
    for (int i = 0; i < ClusterPorts.POSTGRES_SHARDS; i++) {
      long t = System.nanoTime();
      String name = "postgres-" + (i + 1);
      PostgresServer shard =
          PostgresServer.startDetached(dir.resolve(name), ports.postgresShard(i));
      first = first == null ? shard : first;
      recorder.add(postgres(name, shard), t);
      urls.add(shard.jdbcUrl());
    }
    long t = System.nanoTime();
    PostgresServer replica =
        PostgresServer.startReplicaDetached(
            first, dir.resolve("postgres-1-replica"), ports.postgresReplica());
    recorder.add(postgres("postgres-1-replica", replica), t);
    urls.add(replica.jdbcUrl());
    return urls;
  }

  private static ClusterProcess postgres(String name, PostgresServer server) {
    ProcessHandle handle =
        ProcessHandle.of(server.pid())
            .orElseThrow(
                () ->
                    new ClusterException(
                        name
                            + " (pid "
                            + server.pid()
                            + ") exited right after it was ready; see "
                            + server.dir().resolve("postgres.log")));
    return ClusterProcess.of(
        name,
        Kind.POSTGRES,
        handle,
        server.dataDir().toString(),
        server.port(),
        "127.0.0.1:" + server.port(),
        server.dir().resolve("postgres.log"));
  }

  private static ClusterProcess kafka(KafkaServer kafka, int index, int replicas) {
    return engine(
        name("kafka", index, replicas),
        Kind.KAFKA,
        kafka.process(),
        kafka.bootstrapServers(),
        kafka.brokerPort());
  }

  /** Records an engine's JVM, telling it apart by its argument file. */
  private static ClusterProcess engine(
      String name, Kind kind, EngineProcess process, String address, int port) {
    ProcessHandle handle =
        ProcessHandle.of(process.pid())
            .orElseThrow(
                () ->
                    new ClusterException(
                        name
                            + " (pid "
                            + process.pid()
                            + ") exited right after it was ready; see "
                            + process.logFile()));
    return ClusterProcess.of(
        name, kind, handle, "@" + process.argsFile(), port, address, process.logFile());
  }
}
