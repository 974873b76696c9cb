package io.tally.cli.cluster;

import io.tally.cli.cluster.ClusterProcess.Kind;
import io.tally.engines.EngineException;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.Callable;
import java.util.logging.Level;
import java.util.logging.Logger;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/**
 * {@code tally cluster up}: starts Kafka, then Cassandra (or PostgreSQL: two shards and a streaming
 * replica), then the Tally nodes, each as a detached process that outlives this command, recording
 * each in the state file as soon as it runs; then waits until every node answers {@code /healthz}
 * with 200 and prints how to reach everything.
 *
 * <p>Each {@code up} starts afresh: the data and logs of an earlier, stopped cluster in the same
 * directory are removed first (Kafka's storage is formatted for one cluster id, and a reused
 * Cassandra directory remembers its old peers). On a failure what already runs is left running, for
 * {@code status} to show and {@code down} to stop.
 */
@Command(
    name = "up",
    mixinStandardHelpOptions = true,
    description = {
      "Start a local demo cluster in the background: one Kafka, one Cassandra and two Tally nodes in "
          + "cluster mode (with --store postgres: two PostgreSQL shards and a streaming replica of the "
          + "first instead of Cassandra); or with --replicas 3, three Kafka brokers (RF 3, min ISR 2), three Cassandra "
          + "nodes (127.0.0.1-3, RF 3, quorum reads and writes) and three Tally nodes. Prints how to reach "
          + "each; `tally cluster down` stops them.",
      "Each `up` starts with empty data: what an earlier, stopped cluster left in the directory is removed."
    })
final class ClusterUpCommand implements Callable<Integer> {
  /**
   * Held so that the level sticks: the engines' own progress lines would repeat what this prints.
   */
  private static final Logger ENGINES_LOG = Logger.getLogger("io.tally.engines");

  @Mixin ClusterDir clusterDir;

  @Option(
      names = "--replicas",
      defaultValue = "1",
      description =
          "1 (a demo: every engine a single point of failure) or 3 (no single point of failure: "
              + "3 Kafka brokers, 3 Cassandra nodes, 3 Tally nodes). Default: ${DEFAULT-VALUE}.")
  int replicas;

  @Option(
      names = "--kafka-port",
      defaultValue = "9092",
      description =
          "Kafka's broker port; with --replicas 3 the other brokers listen 100 and 200 above it. "
              + "Default: ${DEFAULT-VALUE}.")
  int kafkaPort;

  @Option(
      names = "--kafka-controller-port",
      defaultValue = "9093",
      description =
          "Kafka's controller port; with --replicas 3 the others are 100 and 200 above it. "
              + "Default: ${DEFAULT-VALUE}.")
  int kafkaControllerPort;

  @Option(
      names = "--cassandra-port",
      defaultValue = "9042",
      description =
          "Cassandra's CQL port (on 127.0.0.1, and .2 and .3 with --replicas 3). "
              + "Default: ${DEFAULT-VALUE}.")
  int cassandraPort;

  @Option(
      names = "--cassandra-storage-port",
      defaultValue = "7000",
      description = "Cassandra's inter-node port. Default: ${DEFAULT-VALUE}.")
  int cassandraStoragePort;

  @Option(
      names = "--store",
      defaultValue = "cassandra",
      description =
          "The counter store: cassandra, or postgres (PostgreSQL from the machine's postgresql "
              + "package: two shards and a streaming replica of the first, which the nodes read). "
              + "Default: ${DEFAULT-VALUE}.")
  String store;

  @Option(
      names = "--postgres-port",
      defaultValue = "5432",
      description =
          "With --store postgres: shard 1's port; shard 2 listens 1 above it, shard 1's replica 2 "
              + "above. Default: ${DEFAULT-VALUE}.")
  int postgresPort;

  @Option(
      names = "--node-ports",
      split = ",",
      description =
          "HTTP ports of the Tally nodes, one node per port. Default: 8081,8082 "
              + "(8081,8082,8083 with --replicas 3).")
  List<Integer> nodePorts;

  @Override
  public Integer call() {
    ENGINES_LOG.setLevel(Level.WARNING);
    Path dir = clusterDir.path();
    Optional<ClusterState> previous;
    try {
      previous = ClusterState.read(dir);
      if (previous.isPresent()
          && previous.get().processes().stream().anyMatch(p -> p.find().isPresent())) {
        return alreadyUp(previous.get(), dir);
      }
      if (!store.equals("cassandra") && !store.equals("postgres")) {
        throw new ClusterException("--store must be cassandra or postgres, got " + store);
      }
      ClusterPorts ports =
          new ClusterPorts(
              replicas,
              kafkaPort,
              kafkaControllerPort,
              cassandraPort,
              cassandraStoragePort,
              nodePorts != null
                  ? nodePorts
                  : replicas == 3 ? List.of(8081, 8082, 8083) : List.of(8081, 8082),
              store.equals("postgres") ? postgresPort : 0);
      ports.requireFree();
      ClusterStartup.prepare(dir, previous.isPresent());
      return start(dir, ports);
    } catch (ClusterException | EngineException | UncheckedIOException e) {
      System.err.println("tally cluster up: " + e.getMessage());
      return 1;
    }
  }

  /**
   * {@code ./tally} when run from a directory holding the launcher, else {@code tally}: for hints.
   */
  static String launcher() {
    return Files.isExecutable(Path.of("tally")) ? "./tally" : "tally";
  }

  private int alreadyUp(ClusterState state, Path dir) {
    if (state.isUp()) {
      System.out.println("The Tally demo cluster in " + dir + " is already up.");
      ClusterStatusCommand.print(state, dir, System.out);
      return 0;
    }
    System.out.println(
        "The Tally demo cluster in "
            + dir
            + " is only partly up: `"
            + launcher()
            + " cluster down"
            + clusterDir.hint()
            + "` stops what is left, then `"
            + launcher()
            + " cluster up"
            + clusterDir.hint()
            + "` starts afresh.");
    ClusterStatusCommand.print(state, dir, System.out);
    return 1;
  }

  private int start(Path dir, ClusterPorts ports) {
    long began = System.nanoTime();
    System.out.println("Starting a Tally demo cluster in " + dir);
    ClusterStartup state = new ClusterStartup(dir, ClusterState.starting(Instant.now()));
    state.save();
    Runtime.getRuntime()
        .addShutdownHook(new Thread(() -> state.abort(hint()), "tally-cluster-up-interrupted"));
    try {
      ClusterEngines.startKafka(dir, ports, state);
      List<String> storeOptions;
      if (ports.onPostgres()) {
        storeOptions = postgresOptions(ClusterEngines.startPostgres(dir, ports, state));
      } else {
        ClusterEngines.startCassandra(dir, ports, state);
        storeOptions = List.of("--cassandra", ports.cassandraContactPoints());
      }
      startNodes(state, ports, storeOptions);
    } catch (ClusterException | EngineException | UncheckedIOException e) {
      System.err.println("tally cluster up: " + e.getMessage());
      if (state.current.processes().stream().anyMatch(p -> p.find().isPresent())) {
        System.err.println(
            "What started is still running: `"
                + launcher()
                + " cluster status"
                + clusterDir.hint()
                + "` shows it, `"
                + hint()
                + "` stops it.");
      }
      return 1;
    } finally {
      state.finished = true;
    }
    state.current = state.current.ready(Instant.now());
    state.save();
    ClusterStartup.printSummary(
        state.current, dir, ports, clusterDir.hint(), (System.nanoTime() - began) / 1e9);
    return 0;
  }

  private String hint() {
    return launcher() + " cluster down" + clusterDir.hint();
  }

  /**
   * Starts the nodes one after another, each once the one before answers {@code /healthz} with 200
   * (on two cores, starting them together only makes each slower).
   */
  private static void startNodes(
      ClusterStartup state, ClusterPorts ports, List<String> storeOptions) {
    for (int i = 0; i < ports.nodes().size(); i++) {
      long t = System.nanoTime();
      String name = TallyNodes.name(i);
      int port = ports.nodes().get(i);
      Path dataDir = state.dir.resolve(name);
      Path log = state.dir.resolve("logs").resolve(name + ".log");
      Process node;
      try {
        node =
            TallyNodes.start(
                name,
                port,
                ports.kafkaBootstrap(),
                nodeOptions(storeOptions, ports, state.dir.resolve("raw")),
                dataDir,
                log);
      } catch (IOException e) {
        throw new ClusterException("cannot start " + name + ": " + e.getMessage(), e);
      }
      ClusterProcess recorded =
          ClusterProcess.of(
              name,
              Kind.NODE,
              node.toHandle(),
              dataDir.toString(),
              port,
              TallyNodes.url(port),
              log);
      state.record(recorded);
      TallyNodes.awaitHealthy(name, node, port, log, TallyNodes.HEALTHY_TIMEOUT);
      System.out.printf(
          "  %-11s healthy after %.1f s (pid %d, %s)%n",
          name, (System.nanoTime() - t) / 1e9, node.pid(), recorded.address());
    }
  }

  /**
   * The {@code serve} options of the PostgreSQL store: the shards in order, shard 1's replica for
   * its reads (none for shard 2).
   *
   * @param urls the shards' JDBC URLs, then the replica's
   */
  static List<String> postgresOptions(List<String> urls) {
    List<String> shards = urls.subList(0, ClusterPorts.POSTGRES_SHARDS);
    List<String> replicas = new ArrayList<>();
    replicas.add(urls.get(ClusterPorts.POSTGRES_SHARDS));
    while (replicas.size() < shards.size()) {
      replicas.add("none");
    }
    return List.of(
        "--store",
        "postgres",
        "--postgres",
        String.join(",", shards),
        "--postgres-replica",
        String.join(",", replicas));
  }

  private static List<String> nodeOptions(
      List<String> storeOptions, ClusterPorts ports, Path rawDir) {
    List<String> options = new ArrayList<>(storeOptions);
    options.addAll(List.of("--raw-dir", rawDir.toString())); // one raw store, every node's
    List<String> replication = replicationOptions(ports.replicas());
    // PostgreSQL takes none of Cassandra's replication options: only the topics' factor
    options.addAll(
        ports.onPostgres() ? replication.subList(0, Math.min(2, replication.size())) : replication);
    return options;
  }

  /**
   * The {@code serve} options of a replicated cluster: topics with replication factor 3 (min ISR
   * 2), keyspace RF 3, quorum reads (writes are quorum by default); none for one replica.
   */
  static List<String> replicationOptions(int replicas) {
    if (replicas == 1) {
      return List.of();
    }
    return List.of(
        "--replication-factor",
        Integer.toString(replicas),
        "--replication",
        "SimpleStrategy:" + replicas,
        "--write-consistency",
        "LOCAL_QUORUM",
        "--read-consistency",
        "LOCAL_QUORUM");
  }
}
