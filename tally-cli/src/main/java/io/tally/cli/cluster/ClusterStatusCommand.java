package io.tally.cli.cluster;

import io.tally.cli.cluster.ClusterProcess.Kind;
import io.tally.cli.cluster.ClusterProcess.Liveness;
import io.tally.engines.EngineProcess;
import java.io.IOException;
import java.io.PrintStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneId;
import java.time.format.DateTimeFormatter;
import java.util.Locale;
import java.util.Optional;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;

/**
 * {@code tally cluster status}: each recorded process, whether it is alive, its address, RSS and
 * health.
 */
@Command(
    name = "status",
    mixinStandardHelpOptions = true,
    description = {
      "Show each process of the demo cluster: name, pid, alive or dead, address, RSS, and for the Tally "
          + "nodes their /healthz answer.",
      "Exit code 0 when every process is alive and every node healthy, else 1."
    })
final class ClusterStatusCommand implements Callable<Integer> {
  private static final DateTimeFormatter LOCAL_TIME =
      DateTimeFormatter.ofPattern("yyyy-MM-dd HH:mm:ss", Locale.ROOT)
          .withZone(ZoneId.systemDefault());
  private static final String ROW = "  %-10s %-8s %-6s %-23s %9s  %s%n";

  @Mixin ClusterDir clusterDir;

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
    return print(state.get(), dir, System.out) ? 0 : 1;
  }

  /**
   * Prints the table of {@code state}'s processes.
   *
   * @return whether every process is alive and every node answers {@code /healthz} with 200
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
    boolean allWell = state.readyAt() != null && alive == total;
    long totalRss = 0;
    for (ClusterProcess p : state.processes()) {
      Liveness liveness = p.liveness();
      String rss = "-";
      String health = "";
      if (liveness == Liveness.ALIVE) {
        long bytes = EngineProcess.rssBytes(p.pid());
        totalRss += Math.max(0, bytes);
        rss = megabytes(bytes);
        if (p.kind() == Kind.NODE) {
          TallyNodes.Health h = TallyNodes.probe(p.port());
          allWell &= h.ok();
          health = "/healthz " + h;
        } else {
          health = accepts(p.port()) ? "port open" : "port closed";
        }
      } else if (liveness == Liveness.PID_REUSED) {
        health = "(pid now names another process)";
      }
      out.printf(
          ROW,
          p.name(),
          p.pid(),
          liveness == Liveness.ALIVE ? "alive" : "dead",
          p.address(),
          rss,
          health);
    }
    if (alive > 0) {
      out.println("  RSS in all: " + megabytes(totalRss));
    }
    printLogs(state, out, "  Logs:");
    return allWell;
  }

  /** One line per process: {@code <label> <name> <log>}, the label on the first line only. */
  static void printLogs(ClusterState state, PrintStream out, String label) {
    String indent = " ".repeat(label.length());
    for (ClusterProcess p : state.processes()) {
      out.printf("%s %-10s %s%n", label, p.name(), shown(p.log()));
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

  private static boolean accepts(int port) {
    try (Socket socket = new Socket()) {
      socket.connect(new InetSocketAddress("127.0.0.1", port), 500);
      return true;
    } catch (IOException e) {
      return false;
    }
  }
}
