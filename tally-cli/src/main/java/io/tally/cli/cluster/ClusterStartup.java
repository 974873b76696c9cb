package io.tally.cli.cluster;

import java.nio.file.Path;
import java.util.List;
import java.util.Set;
import java.util.stream.Collectors;

/**
 * The state {@code cluster up} builds, saved after each process starts. Written by the command's
 * thread; read by the shutdown hook that {@link #abort}s.
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
}
