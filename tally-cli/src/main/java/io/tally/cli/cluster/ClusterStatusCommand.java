package io.tally.cli.cluster;

import io.tally.cli.cluster.ClusterProcess.Kind;
import io.tally.cli.cluster.ClusterProcess.Liveness;
import io.tally.engines.EngineProcess;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.io.PrintStream;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneId;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.concurrent.Callable;
import org.slf4j.LoggerFactory;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/**
 * {@code tally cluster status}: each recorded process, whether it is alive, its address, RSS and
 * health.
 */
@Command(
    name = "status",
    mixinStandardHelpOptions = true,
    description = {
      "Show each process of the demo cluster: name, pid, alive or dead, address, RSS, and for the Tally "
          + "nodes their /healthz answer; then the replication health: Kafka's under-replicated and "
          + "offline partitions, and which Cassandra nodes are up as the cluster sees them.",
      "Exit code 0 when every process is alive, every node healthy, no partition under-replicated or "
          + "offline and every Cassandra node up; else 1."
    })
final class ClusterStatusCommand implements Callable<Integer> {
  private static final DateTimeFormatter LOCAL_TIME =
      DateTimeFormatter.ofPattern("yyyy-MM-dd HH:mm:ss", Locale.ROOT)
          .withZone(ZoneId.systemDefault());
  private static final String ROW = "  %-11s %-8s %-6s %-23s %9s  %s%n";

  @Mixin ClusterDir clusterDir;

  @Option(
      names = "--json",
      description =
          "Print one JSON object instead: dir, startedAt, readyAt, healthy, processes (name, role, "
              + "pid, address, alive, rssBytes, health) and replication (kafka, cassandra).")
  boolean json;

  /** What was seen of one recorded process. */
  record Observed(
      ClusterProcess process, Liveness liveness, long rssBytes, String health, boolean ok) {
    JsonObject toJson() {
      JsonObject j =
          new JsonObject()
              .put("name", process.name())
              .put("role", role(process.kind()))
              .put("pid", process.pid())
              .put("address", process.address())
              .put("alive", liveness == Liveness.ALIVE);
      if (rssBytes >= 0) {
        j.put("rssBytes", rssBytes);
      }
      return j.put("health", health);
    }
  }

  @Override
  public Integer call() {
    Path dir = clusterDir.path();
    Optional<ClusterState> state;
    try {
      state = ClusterState.read(dir);
    } catch (ClusterException e) {
      System.err.println("tally cluster status: " + e.getMessage());
      return 1;
    }
    if (state.isEmpty() && json) {
      System.out.println(
          new JsonObject().put("dir", dir.toString()).put("cluster", false).encode());
      return 1;
    }
    if (state.isEmpty()) {
      System.out.println(
          "No Tally demo cluster in "
              + dir
              + " (no "
              + ClusterState.FILE_NAME
              + "); start one with "
              + ClusterUpCommand.launcher()
              + " cluster up"
              + clusterDir.hint());
      return 1;
    }
    quietClients();
    if (json) {
      JsonObject answer = toJson(state.get(), dir);
      System.out.println(answer.encodePrettily());
      return answer.getBoolean("healthy") ? 0 : 1;
    }
    return print(state.get(), dir, System.out) ? 0 : 1;
  }

  /** The whole status as one object (see {@code --json}). */
  static JsonObject toJson(ClusterState state, Path dir) {
    List<Observed> seen = observe(state);
    ReplicationHealth replication = ReplicationHealth.probe(state);
    JsonArray processes = new JsonArray();
    seen.forEach(o -> processes.add(o.toJson()));
    JsonObject j =
        new JsonObject().put("dir", dir.toString()).put("startedAt", state.startedAt().toString());
    if (state.readyAt() != null) {
      j.put("readyAt", state.readyAt().toString());
    }
    boolean healthy =
        state.readyAt() != null && seen.stream().allMatch(Observed::ok) && replication.healthy();
    return j.put("healthy", healthy)
        .put("processes", processes)
        .put("replication", replication.toJson());
  }

  /** Each process: alive or not, RSS, and a node's {@code /healthz} or an engine's port. */
  static List<Observed> observe(ClusterState state) {
    List<Observed> out = new ArrayList<>();
    for (ClusterProcess p : state.processes()) {
      Liveness liveness = p.liveness();
      long rss = -1;
      String health = "";
      boolean ok = false;
      if (liveness == Liveness.ALIVE) {
        rss = EngineProcess.rssBytes(p.pid());
        if (p.kind() == Kind.NODE) {
          TallyNodes.Health h = TallyNodes.probe(p.port());
          ok = h.ok();
          health = "/healthz " + h;
        } else {
          ok = EngineProcess.accepts(p.host(), p.port());
          health = ok ? "port open" : "port closed";
        }
      } else if (liveness == Liveness.PID_REUSED) {
        health = "(pid now names another process)";
      }
      out.add(new Observed(p, liveness, rss, health, ok));
    }
    return out;
  }

  /** {@code kafka}, {@code cassandra} or {@code tally}. */
  static String role(Kind kind) {
    return kind == Kind.NODE ? "tally" : kind.name().toLowerCase(Locale.ROOT);
  }

  /** The clients' own warnings about a dead broker or node would only repeat what status says. */
  private static void quietClients() {
    for (String name : List.of("org.apache.kafka", "com.datastax.oss.driver")) {
      org.slf4j.Logger logger = LoggerFactory.getLogger(name);
      if (logger instanceof ch.qos.logback.classic.Logger logback) {
        logback.setLevel(ch.qos.logback.classic.Level.OFF);
      }
    }
  }

  /**
   * Prints the table of {@code state}'s processes, then the replication health.
   *
   * @return whether every process is alive, every node answers {@code /healthz} with 200 and the
   *     replication is healthy
   */
  static boolean print(ClusterState state, Path dir, PrintStream out) {
    long alive = state.processes().stream().filter(p -> p.liveness() == Liveness.ALIVE).count();
    int total = state.processes().size();
    String started = LOCAL_TIME.format(state.startedAt());
    if (alive == 0) {
      out.println(
          "The Tally demo cluster in " + dir + " is down (it was started " + started + ").");
    } else {
      out.println(
          "Tally demo cluster in "
              + dir
              + ": "
              + alive
              + " of "
              + total
              + " processes alive (started "
              + started
              + ", up "
              + human(Duration.between(state.startedAt(), Instant.now()))
              + ")"
              + (state.readyAt() == null ? "; its `up` did not finish." : "."));
    }
    out.printf(ROW, "NAME", "PID", "STATE", "ADDRESS", "RSS", "HEALTH");
    boolean allWell = state.readyAt() != null;
    long totalRss = 0;
    for (Observed o : observe(state)) {
      ClusterProcess p = o.process();
      allWell &= o.ok();
      totalRss += Math.max(0, o.rssBytes());
      out.printf(
          ROW,
          p.name(),
          p.pid(),
          o.liveness() == Liveness.ALIVE ? "alive" : "dead",
          p.address(),
          o.liveness() == Liveness.ALIVE ? megabytes(o.rssBytes()) : "-",
          o.health());
    }
    if (alive > 0) {
      out.println("  RSS in all: " + megabytes(totalRss));
      ReplicationHealth replication = ReplicationHealth.probe(state);
      allWell &= replication.healthy();
      String label = "  Replication:";
      for (String line : replication.lines()) {
        out.println(label + " " + line);
        label = " ".repeat(label.length());
      }
    }
    printLogs(state, out, "  Logs:");
    return allWell;
  }

  /** One line per process: {@code <label> <name> <log>}, the label on the first line only. */
  static void printLogs(ClusterState state, PrintStream out, String label) {
    String indent = " ".repeat(label.length());
    for (ClusterProcess p : state.processes()) {
      out.printf("%s %-11s %s%n", label, p.name(), shown(p.log()));
      label = indent;
    }
  }

  /**
   * {@code path} relative to the working directory if it lies below it (shorter to read), else as
   * is.
   */
  static Path shown(Path path) {
    Path here = Path.of("").toAbsolutePath();
    return path.startsWith(here) ? here.relativize(path) : path;
  }

  static String megabytes(long bytes) {
    return bytes < 0 ? "?" : (bytes >> 20) + " MB";
  }

  static String human(Duration d) {
    if (d.toMinutes() < 1) {
      return d.toSeconds() + " s";
    }
    if (d.toHours() < 1) {
      return d.toMinutes() + " min";
    }
    return d.toHours() + " h " + d.toMinutesPart() + " min";
  }
}
