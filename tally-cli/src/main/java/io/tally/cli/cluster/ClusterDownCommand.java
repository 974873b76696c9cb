package io.tally.cli.cluster;

import io.tally.cli.cluster.ClusterProcess.Kind;
import io.tally.cli.cluster.ClusterProcess.Liveness;
import java.io.IOException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.Callable;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;

/**
 * {@code tally cluster down}: stops every recorded process that is still the one started, by pid:
 * the Tally nodes first (together; on SIGTERM each commits and leaves the consumer group), then
 * Cassandra or PostgreSQL (SIGINT: a fast shutdown), then Kafka, each with SIGTERM and, after its
 * kind's grace period, SIGKILL. A pid that now names another process is left alone.
 */
@Command(
    name = "down",
    mixinStandardHelpOptions = true,
    description = {
      "Stop the demo cluster: the Tally nodes first (SIGTERM: they commit and leave the consumer group), "
          + "then Cassandra or PostgreSQL, then Kafka; SIGKILL for any still running after a grace period.",
      "Only processes this cluster started are stopped. Data and logs stay in the directory until the next `up`."
    })
final class ClusterDownCommand implements Callable<Integer> {
  private static final Duration KILL_WAIT = Duration.ofSeconds(10);

  @Mixin ClusterDir clusterDir;

  @Override
  public Integer call() {
    Path dir = clusterDir.path();
    Optional<ClusterState> state;
    try {
      state = ClusterState.read(dir);
    } catch (ClusterException e) {
      System.err.println("tally cluster down: " + e.getMessage());
      return 1;
    }
    if (state.isEmpty()) {
      System.out.println(
          "No Tally demo cluster in "
              + dir
              + " (no "
              + ClusterState.FILE_NAME
              + "): nothing to stop.");
      return 0;
    }
    Map<ClusterProcess, ProcessHandle> running = new LinkedHashMap<>();
    for (ClusterProcess p : state.get().processes()) {
      if (p.liveness() == Liveness.PID_REUSED) {
        System.out.println(
            "  " + p.name() + ": pid " + p.pid() + " now names another process; left alone");
      }
      p.find().ifPresent(handle -> running.put(p, handle));
    }
    if (running.isEmpty()) {
      System.out.println("Nothing to stop: the Tally demo cluster in " + dir + " is already down.");
      return 0;
    }
    System.out.println("Stopping the Tally demo cluster in " + dir);
    long started = System.nanoTime();
    boolean allStopped = true;
    for (Kind kind : Kind.values()) {
      Map<ClusterProcess, ProcessHandle> group = new LinkedHashMap<>();
      running.forEach(
          (p, handle) -> {
            if (p.kind() == kind) {
              group.put(p, handle);
            }
          });
      allStopped &= stop(group, kind.stopGrace());
    }
    Duration took = Duration.ofNanos(System.nanoTime() - started);
    System.out.printf(
        "%s %d process%s in %.1f s; data and logs stay in %s until the next `%s cluster up`.%n",
        allStopped ? "Stopped" : "Tried to stop",
        running.size(),
        running.size() == 1 ? "" : "es",
        took.toMillis() / 1000.0,
        ClusterStatusCommand.shown(dir),
        ClusterUpCommand.launcher());
    return allStopped ? 0 : 1;
  }

  /**
   * SIGTERM to every process of {@code group} at once, then SIGKILL to those still running after
   * {@code grace}; prints one line per process.
   *
   * @return whether every one has exited
   */
  private static boolean stop(Map<ClusterProcess, ProcessHandle> group, Duration grace) {
    long started = System.nanoTime();
    List<ClusterProcess> order = new ArrayList<>(group.keySet());
    for (ClusterProcess p : order) {
      if (p.kind() == Kind.POSTGRES) {
        fastShutdown(group.get(p));
      } else {
        group.get(p).destroy();
      }
    }
    boolean all = true;
    for (ClusterProcess p : order) {
      ProcessHandle handle = group.get(p);
      Duration left = grace.minusNanos(System.nanoTime() - started);
      String what;
      if (await(handle, left)) {
        what = String.format("stopped in %.1f s", (System.nanoTime() - started) / 1e9);
      } else {
        handle.destroyForcibly();
        boolean gone = await(handle, KILL_WAIT);
        all &= gone;
        what =
            gone
                ? "killed (SIGKILL): still running " + grace.toSeconds() + " s after SIGTERM"
                : "still running even after SIGKILL";
      }
      System.out.printf("  %-11s pid %-8d %s%n", p.name(), p.pid(), what);
    }
    return all;
  }

  /**
   * SIGINT: PostgreSQL's fast shutdown (its SIGTERM, a smart shutdown, would wait for every client
   * session to end).
   */
  private static void fastShutdown(ProcessHandle handle) {
    try {
      new ProcessBuilder("kill", "-INT", Long.toString(handle.pid())).start().waitFor();
    } catch (IOException e) {
      handle.destroy();
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  private static boolean await(ProcessHandle handle, Duration timeout) {
    try {
      handle.onExit().get(Math.max(0, timeout.toMillis()), TimeUnit.MILLISECONDS);
      return true;
    } catch (TimeoutException e) {
      return !handle.isAlive();
    } catch (ExecutionException e) {
      return !handle.isAlive();
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return false;
    }
  }
}
