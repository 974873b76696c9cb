package io.tally.cli.cluster;

import io.tally.cli.cluster.ClusterProcess.Kind;
import io.tally.engines.EngineProcess;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Set;
import java.util.stream.Collectors;
import java.util.stream.Stream;

/**
 * What {@code cluster up} does around starting the processes: it {@link #prepare}s the directory,
 * builds the state, saved after each process starts, and {@link #printSummary prints} the result.
 * An instance is written by the command's thread and read by the shutdown hook that {@link
 * #abort}s.
 */
final class ClusterStartup implements ClusterEngines.Recorder {
  final Path dir;
  volatile ClusterState current;
  volatile boolean finished;

  ClusterStartup(Path dir, ClusterState current) {
    this.dir = dir;
    this.current = current;
  }

  void save() {
    current.write(dir);
  }

  /**
   * On Ctrl-C or SIGTERM before {@code up} has finished: SIGTERM to any process started here that
   * the state file does not name yet (an engine is recorded once it is ready, as only then is its
   * pid known), so that nothing runs which {@code down} would not find. What is recorded keeps
   * running.
   */
  void abort(String downHint) {
    if (finished) {
      return;
    }
    Set<Long> recorded =
        current.processes().stream().map(ClusterProcess::pid).collect(Collectors.toSet());
    ProcessHandle.allProcesses()
        .filter(
            p ->
                !recorded.contains(p.pid())
                    && ClusterProcess.commandLine(p).filter(this::startedHere).isPresent())
        .forEach(
            p -> {
              p.destroy();
              System.err.println(
                  "tally cluster up: interrupted; stopped pid "
                      + p.pid()
                      + ", which was still starting");
            });
    if (!recorded.isEmpty()) {
      System.err.println(
          "tally cluster up: interrupted; what was ready keeps running: `"
              + downHint
              + "` stops it");
    }
  }

  /**
   * A Java engine's command line names its argument file in here; PostgreSQL's and a node's name
   * their data directories.
   */
  private boolean startedHere(List<String> commandLine) {
    String prefix = dir.toString() + dir.getFileSystem().getSeparator();
    return commandLine.stream()
        .anyMatch(
            arg ->
                arg.startsWith("@" + prefix) && arg.endsWith(".args")
                    || arg.startsWith(prefix + "node-")
                    || arg.startsWith(prefix + "postgres-"));
  }

  void record(ClusterProcess process) {
    current = current.with(process);
    save();
  }

  /** {@link #record}s an engine and says how long it took to be ready. */
  @Override
  public void add(ClusterProcess process, long startedNanos) {
    record(process);
    System.out.printf(
        "  %-11s ready after %.1f s (pid %d, %s)%n",
        process.name(), (System.nanoTime() - startedNanos) / 1e9, process.pid(), process.address());
  }

  /**
   * Makes {@code dir} ready for a fresh cluster: created, or emptied of a stopped cluster's files.
   */
  static void prepare(Path dir, boolean hadCluster) {
    try {
      if (hadCluster) {
        System.out.println("Removing the data and logs of the stopped cluster in " + dir);
        try (Stream<Path> children = Files.list(dir)) {
          for (Path child : children.toList()) {
            if (!child.getFileName().toString().startsWith(ClusterState.FILE_NAME)) {
              deleteRecursively(child);
            }
          }
        }
      } else if (Files.isDirectory(dir)) {
        try (Stream<Path> children = Files.list(dir)) {
          if (children.findAny().isPresent()) {
            throw new ClusterException(
                dir
                    + " is not empty and holds no "
                    + ClusterState.FILE_NAME
                    + ", so it is not a demo cluster's directory: choose another with --dir");
          }
        }
      }
      Files.createDirectories(dir.resolve("logs"));
    } catch (IOException e) {
      throw new ClusterException("cannot prepare " + dir + ": " + e, e);
    }
  }

  /** What {@code up} prints once the cluster is up: how to reach each part, and what to try. */
  static void printSummary(
      ClusterState state, Path dir, ClusterPorts ports, String dirHint, double seconds) {
    String tally = ClusterUpCommand.launcher();
    List<String> urls = new ArrayList<>();
    for (ClusterProcess p : state.processes()) {
      if (p.kind() == Kind.NODE) {
        urls.add(p.address() + " (" + p.name() + ")");
      }
    }
    long rss =
        state.processes().stream()
            .mapToLong(p -> Math.max(0, EngineProcess.rssBytes(p.pid())))
            .sum();
    String first = TallyNodes.url(ports.nodes().get(0));
    String last = TallyNodes.url(ports.nodes().get(ports.nodes().size() - 1));
    System.out.printf(
        "The Tally demo cluster is up after %.0f s (%s RSS in all):%n",
        seconds, ClusterStatusCommand.megabytes(rss));
    System.out.println("  Tally       " + String.join(", ", urls));
    System.out.println("  Kafka       bootstrap servers " + ports.kafkaBootstrap());
    if (ports.onPostgres()) {
      System.out.println(
          "  PostgreSQL  shards 127.0.0.1:"
              + ports.postgresShard(0)
              + ", 127.0.0.1:"
              + ports.postgresShard(1)
              + "; shard 1's streaming replica 127.0.0.1:"
              + ports.postgresReplica()
              + " serves its reads (user tally, database postgres, schema tally)");
    } else {
      System.out.println(
          "  Cassandra   contact point"
              + (ports.replicas() == 1 ? " " : "s ")
              + ports.cassandraContactPoints()
              + " (local datacenter datacenter1, keyspace tally"
              + (ports.replicas() == 1 ? ")" : ", RF " + ports.replicas() + ")"));
    }
    System.out.println("  State       " + ClusterStatusCommand.shown(ClusterState.file(dir)));
    ClusterStatusCommand.printLogs(state, System.out, "  Logs       ");
    System.out.println("Try:");
    System.out.println("  " + tally + " send --url " + first + " --entity video:1 --type view");
    System.out.println("  " + tally + " total --url " + last + " --entity video:1 --type view");
    System.out.println("  " + tally + " cluster status" + dirHint);
    System.out.println("Stop it with: " + tally + " cluster down" + dirHint);
  }

  private static void deleteRecursively(Path path) throws IOException {
    try (Stream<Path> all = Files.walk(path)) {
      for (Path p : all.sorted(Comparator.reverseOrder()).toList()) {
        Files.delete(p);
      }
    }
  }
}
