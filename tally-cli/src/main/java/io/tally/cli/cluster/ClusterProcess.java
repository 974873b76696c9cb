package io.tally.cli.cluster;

import static java.nio.charset.StandardCharsets.UTF_8;
import static java.util.Objects.requireNonNull;

import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Optional;

/**
 * One background process of the demo cluster, as recorded when it was started: enough to find it
 * again from another JVM, and to be sure it is still that process.
 *
 * <p>A pid alone is not enough: once the process is gone the kernel hands the pid to another one. A
 * recorded pid is therefore only trusted ({@link #find()}) if the process holding it now started at
 * the recorded moment and has {@link #argument} among its command-line arguments, an argument that
 * names a path inside the cluster's directory (an engine's argument file, PostgreSQL's data
 * directory, a node's data directory). Immutable.
 *
 * @param name what the cluster calls it: {@code kafka}, {@code cassandra}, {@code postgres-1},
 *     {@code node-1}, …
 * @param kind what it is, which decides the order and patience of {@code down}
 * @param pid its process id
 * @param startedAt when the kernel says it started (from {@link ProcessHandle.Info#startInstant});
 *     null if that was not known
 * @param argument one of its command-line arguments, verbatim
 * @param port the port clients use
 * @param address how clients reach it: a URL for a Tally node, {@code host:port} for an engine
 * @param log where its output goes
 * @param startTicks when it started in clock ticks since boot ({@code /proc/<pid>/stat}'s field
 *     22), which, unlike {@link #startedAt}, no change of the wall clock moves; null if not known.
 *     A VM whose clock is stepped (or that is paused and resumed) moves every process's wall-clock
 *     start time: a {@code down} compared only those once left a whole cluster running.
 */
record ClusterProcess(
    String name,
    Kind kind,
    long pid,
    Instant startedAt,
    String argument,
    int port,
    String address,
    Path log,
    Long startTicks) {

  /**
   * How far apart two readings of one process's start time may be. Each JVM derives start times
   * from the boot time in {@code /proc/stat}, which the kernel reports to the second and which can
   * move by a second when the clock is adjusted.
   */
  static final Duration START_TOLERANCE = Duration.ofSeconds(2);

  /** The kinds of process, in the order {@code down} stops them. */
  enum Kind {
    /** A Tally node: SIGTERM makes it commit and leave the consumer group. */
    NODE(Duration.ofSeconds(40)),
    /** Cassandra drains on SIGTERM, usually in 6–9 s. */
    CASSANDRA(Duration.ofSeconds(60)),
    /** PostgreSQL: {@code down} sends SIGINT (a fast shutdown: sessions ended, a checkpoint). */
    POSTGRES(Duration.ofSeconds(30)),
    KAFKA(Duration.ofSeconds(30));

    private final Duration stopGrace;

    Kind(Duration stopGrace) {
      this.stopGrace = stopGrace;
    }

    /** How long {@code down} waits after SIGTERM before it sends SIGKILL. */
    Duration stopGrace() {
      return stopGrace;
    }
  }

  /** What became of a recorded process. */
  enum Liveness {
    ALIVE,
    DEAD,
    /** The pid is alive but now names another process, which is left alone. */
    PID_REUSED
  }

  ClusterProcess {
    requireNonNull(name, "name");
    requireNonNull(kind, "kind");
    requireNonNull(argument, "argument");
    requireNonNull(address, "address");
    requireNonNull(log, "log");
    if (pid <= 0) {
      throw new IllegalArgumentException(name + ": pid must be positive, got " + pid);
    }
  }

  /** Records {@code process}, which was just started with {@code argument} in its command line. */
  static ClusterProcess of(
      String name,
      Kind kind,
      ProcessHandle process,
      String argument,
      int port,
      String address,
      Path log) {
    Instant started = process.info().startInstant().orElse(null);
    return new ClusterProcess(
        name,
        kind,
        process.pid(),
        started,
        argument,
        port,
        address,
        log,
        startTicks(process.pid()).orElse(null));
  }

  /**
   * The address it listens on: an engine's {@code host} of {@link #address} ({@code 127.0.0.2} for
   * a second Cassandra node), 127.0.0.1 for a Tally node.
   */
  String host() {
    int colon = address.lastIndexOf(':');
    return kind == Kind.NODE || colon < 0 ? "127.0.0.1" : address.substring(0, colon);
  }

  /** The process, if the pid is alive and still names it. */
  Optional<ProcessHandle> find() {
    return ProcessHandle.of(pid).filter(ProcessHandle::isAlive).filter(this::isSameProcess);
  }

  Liveness liveness() {
    Optional<ProcessHandle> alive = ProcessHandle.of(pid).filter(ProcessHandle::isAlive);
    if (alive.isEmpty()) {
      return Liveness.DEAD;
    }
    return isSameProcess(alive.get()) ? Liveness.ALIVE : Liveness.PID_REUSED;
  }

  /**
   * Whether {@code candidate} (which has this pid) is the recorded process: same start time (within
   * {@link #START_TOLERANCE}) and {@link #argument} among its arguments. A process whose command
   * line cannot be read is not trusted.
   */
  boolean isSameProcess(ProcessHandle candidate) {
    if (candidate.pid() != pid) {
      return false;
    }
    Optional<Long> ticks = startTicks != null ? startTicks(pid) : Optional.empty();
    ProcessHandle.Info info = candidate.info();
    if (ticks.isPresent()) {
      if (!ticks.get().equals(startTicks)) {
        return false;
      }
    } else if (startedAt != null) {
      Optional<Instant> started = info.startInstant();
      if (started.isEmpty()
          || Duration.between(startedAt, started.get()).abs().compareTo(START_TOLERANCE) > 0) {
        return false;
      }
    }
    return commandLine(candidate).map(args -> args.contains(argument)).orElse(false);
  }

  /** When process {@code pid} started, in clock ticks since boot; empty where there is no /proc. */
  static Optional<Long> startTicks(long pid) {
    Path stat = Path.of("/proc", Long.toString(pid), "stat");
    try {
      String text = Files.readString(stat, UTF_8);
      // "pid (comm) state ppid …": comm may hold spaces and parentheses, so split after the last
      // ')'
      String[] fields = text.substring(text.lastIndexOf(')') + 2).split(" ");
      return Optional.of(Long.parseLong(fields[19])); // field 22 of the whole line
    } catch (IOException | RuntimeException e) {
      return Optional.empty();
    }
  }

  /**
   * The process's command line, executable first, from {@code /proc/<pid>/cmdline} where there is
   * one: {@link ProcessHandle.Info#arguments} reads only its first page and reports no arguments at
   * all for a longer one (a JVM started with a long classpath).
   */
  static Optional<List<String>> commandLine(ProcessHandle process) {
    Path cmdline = Path.of("/proc", Long.toString(process.pid()), "cmdline");
    if (Files.exists(cmdline)) {
      try (InputStream in = Files.newInputStream(cmdline)) {
        return Optional.of(List.of(new String(in.readAllBytes(), UTF_8).split("\0")));
      } catch (IOException e) {
        return Optional.empty();
      }
    }
    return process.info().arguments().map(List::of);
  }
}
