package io.tally.engines;

import static java.nio.charset.StandardCharsets.ISO_8859_1;
import static java.util.Objects.requireNonNull;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * A real PostgreSQL server on loopback, from the machine's Debian {@code postgresql} package (the
 * newest {@code /usr/lib/postgresql/<version>/bin}, or the directory named by the system property
 * {@value #BIN_PROPERTY}). {@link #start(Path, int)} runs {@code initdb} into {@code <dir>/data}
 * (superuser {@value #USER}, trust authentication on loopback only, UTF-8, C locale) and starts the
 * server on {@code 127.0.0.1:<port>}, its Unix socket in {@code dir} (none when that path would be
 * too long for a socket), its log in {@code <dir>/postgres.log}. The data survives {@link #stop()}
 * and {@link #kill()}: {@link #start()} brings the same server back, which is how tests stage a
 * store outage.
 *
 * <p>PostgreSQL refuses to run as root. When this JVM is root, the directory is given to the Debian
 * {@code postgres} user and {@code initdb} and the server run as that user through {@code setpriv},
 * which execs in place, so the pid is the server's own. A server started with {@link #start(Path,
 * int)} never outlives this JVM: {@code setpriv --pdeathsig KILL} makes the kernel kill it when
 * this JVM dies (even by SIGKILL), and a shutdown hook stops it at a normal exit. One started with
 * {@link #startDetached} is on its own (see {@link DetachedProcess}); whoever started it keeps
 * {@link #pid()} to stop it.
 *
 * <p>{@link #startReplica} makes a streaming replica of a running server ({@code pg_basebackup
 * -R}): {@code initdb}'s defaults ({@code wal_level=replica}, ten WAL senders, replication
 * connections trusted on loopback) let every server here be a primary.
 *
 * <p>Budget: {@code initdb} about 1 s, start under 1 s, about 30 MB RSS idle. Thread-safe.
 *
 * <p>Longer than the house's 300 lines, most of it contracts: it owns one server's whole life
 * (creation by {@code initdb} or base backup, start and readiness, stop, crash, restart); how the
 * programs are found and run as the server user is {@link PostgresPrograms}'.
 */
public final class PostgresServer implements AutoCloseable {
  private static final System.Logger LOG = System.getLogger(PostgresServer.class.getName());

  /** System property: the directory holding {@code initdb} and {@code postgres}. */
  public static final String BIN_PROPERTY = "tally.postgres.bin";

  /** The database superuser {@code initdb} creates; connections need no password. */
  public static final String USER = "tally";

  /** The database every server has from the start. */
  public static final String DATABASE = "postgres";

  private static final Duration SETUP_TIMEOUT = Duration.ofSeconds(120);
  private static final Duration READY_TIMEOUT = Duration.ofSeconds(60);
  private static final Duration STOP_GRACE = Duration.ofSeconds(30);

  /** A primary logs "… ready to accept connections", a hot standby "… read-only connections". */
  private static final String READY_MARKER = "database system is ready to accept ";

  private final Path dir;
  private final int port;
  private final Path bin;
  private final boolean detached;
  private Process process; // guarded by this
  private Thread killAtExit; // guarded by this; null if detached or not running

  private PostgresServer(Path dir, int port, Path bin, boolean detached) {
    this.dir = dir;
    this.port = port;
    this.bin = bin;
    this.detached = detached;
  }

  /**
   * Creates a database cluster in the fresh directory {@code dir} (created if needed) and starts
   * the server; returns once it accepts connections on {@code 127.0.0.1:port}.
   *
   * @throws EngineException if PostgreSQL is not installed or does not start (the message holds the
   *     end of its log)
   */
  public static PostgresServer start(Path dir, int port) {
    return start(dir, port, false);
  }

  /**
   * Like {@link #start(Path, int)}, but the server outlives this JVM: stopping it is up to the
   * caller, by {@link #stop()} or by {@link #pid()}.
   */
  public static PostgresServer startDetached(Path dir, int port) {
    return start(dir, port, true);
  }

  private static PostgresServer start(Path dir, int port, boolean detached) {
    requireNonNull(dir, "dir");
    PostgresServer server =
        new PostgresServer(dir.toAbsolutePath(), port, PostgresPrograms.binDir(), detached);
    server.initdb();
    server.start();
    return server;
  }

  /**
   * Starts a streaming replica of {@code primary} (a hot standby: it answers reads, refuses writes,
   * and replays the primary's write-ahead log as it streams in) in the fresh directory {@code dir}
   * on {@code 127.0.0.1:port}: {@code pg_basebackup -R} copies the primary's data and writes the
   * standby settings, then the server starts on the copy. Returns once it accepts connections. Like
   * {@link #start(Path, int)}, it never outlives this JVM.
   *
   * @throws EngineException if the copy or the start fails
   */
  public static PostgresServer startReplica(PostgresServer primary, Path dir, int port) {
    return startReplica(primary, dir, port, false);
  }

  /**
   * {@link #startReplica(PostgresServer, Path, int)}, outliving this JVM (see {@link
   * #startDetached}).
   */
  public static PostgresServer startReplicaDetached(PostgresServer primary, Path dir, int port) {
    return startReplica(primary, dir, port, true);
  }

  private static PostgresServer startReplica(
      PostgresServer primary, Path dir, int port, boolean detached) {
    requireNonNull(primary, "primary");
    requireNonNull(dir, "dir");
    PostgresServer replica =
        new PostgresServer(dir.toAbsolutePath(), port, PostgresPrograms.binDir(), detached);
    replica.baseBackup(primary);
    replica.start();
    return replica;
  }

  /**
   * Whether PostgreSQL's server programs are installed where {@link #start(Path, int)} looks. Tests
   * that need a server fail when it is not (the {@code test} script installs it).
   */
  public static boolean installed() {
    try {
      PostgresPrograms.binDir();
      return true;
    } catch (EngineException e) {
      return false;
    }
  }

  /**
   * Starts the server again on its existing data (after {@link #stop()} or {@link #kill()});
   * returns once it accepts connections.
   *
   * @throws IllegalStateException if it is running
   */
  public synchronized void start() {
    if (isRunning()) {
      throw new IllegalStateException("PostgreSQL is already running: pid " + process.pid());
    }
    long started = System.nanoTime();
    Path log = dir.resolve("postgres.log");
    long logStart = size(log);
    List<String> command =
        List.of(
            bin.resolve("postgres").toString(),
            "-D",
            dir.resolve("data").toString(),
            "-p",
            Integer.toString(port),
            "-k",
            socketDir(),
            "-c",
            "listen_addresses=127.0.0.1",
            "-c",
            "max_connections=200",
            "-c",
            "shared_buffers=64MB");
    ProcessBuilder builder =
        detached
            ? DetachedProcess.builder(PostgresPrograms.asServerUser(command, false))
            : processFor(command);
    try {
      process =
          builder
              .directory(dir.toFile())
              .redirectErrorStream(true)
              .redirectOutput(ProcessBuilder.Redirect.appendTo(log.toFile()))
              .start();
    } catch (IOException e) {
      throw new EngineException("cannot start PostgreSQL from " + bin, e);
    }
    if (!detached) {
      Process p = process;
      killAtExit = new Thread(p::destroyForcibly, "tally-engines-kill-postgres");
      Runtime.getRuntime().addShutdownHook(killAtExit);
    }
    awaitReady(log, logStart);
    LOG.log(
        System.Logger.Level.INFO,
        "PostgreSQL ready at {0} in {1} ms (pid {2,number,#}, RSS {3} MB)",
        jdbcUrl(),
        (System.nanoTime() - started) / 1_000_000,
        process.pid(),
        rssBytes() >> 20);
  }

  /** {@link #stop()}, then {@link #start()} on the same data. */
  public synchronized void restart() {
    stop();
    start();
  }

  /**
   * Fast shutdown (SIGINT: open sessions are ended, the server checkpoints and exits); SIGKILL if
   * it has not exited after 30 s. A no-op if not running.
   */
  public synchronized void stop() {
    if (!isRunning()) {
      return;
    }
    try {
      new ProcessBuilder("kill", "-INT", Long.toString(process.pid())).start().waitFor();
      if (!process.waitFor(STOP_GRACE.toMillis(), TimeUnit.MILLISECONDS)) {
        LOG.log(
            System.Logger.Level.WARNING, "PostgreSQL ignored SIGINT for {0}: SIGKILL", STOP_GRACE);
        kill();
      }
    } catch (IOException e) {
      kill();
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new EngineException("interrupted stopping PostgreSQL", e);
    }
    exited();
  }

  /**
   * SIGKILL of the postmaster: a crash; the next start recovers from the write-ahead log. Returns
   * once its backends have exited too (they do when they notice the postmaster is gone, up to 30 s,
   * then SIGKILL): while one lives it holds the shared memory, and a start refuses to run beside it
   * ("pre-existing shared memory block is still in use"). A no-op if not running.
   */
  public synchronized void kill() {
    if (process == null) {
      return;
    }
    List<ProcessHandle> backends = process.descendants().toList();
    process.destroyForcibly();
    try {
      process.waitFor(30, TimeUnit.SECONDS);
      if (!exitWithin(backends, 30_000)) {
        backends.forEach(ProcessHandle::destroyForcibly);
        exitWithin(backends, 30_000);
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new EngineException("interrupted killing PostgreSQL", e);
    }
    exited();
  }

  /** Waits up to {@code millis} for every one of {@code processes} to exit; whether they did. */
  private static boolean exitWithin(List<ProcessHandle> processes, long millis)
      throws InterruptedException {
    long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(millis);
    while (processes.stream().anyMatch(ProcessHandle::isAlive)) {
      if (System.nanoTime() > deadline) {
        return false;
      }
      Thread.sleep(10);
    }
    return true;
  }

  /** Same as {@link #stop()}. */
  @Override
  public void close() {
    stop();
  }

  public synchronized boolean isRunning() {
    return process != null && process.isAlive();
  }

  /** The JDBC URL of database {@code database} on this server. */
  public String jdbcUrl(String database) {
    return "jdbc:postgresql://127.0.0.1:" + port + "/" + database;
  }

  /** The JDBC URL of the {@value #DATABASE} database. */
  public String jdbcUrl() {
    return jdbcUrl(DATABASE);
  }

  public int port() {
    return port;
  }

  public Path dir() {
    return dir;
  }

  /** The data directory, {@code <dir>/data}: verbatim in the server's command line. */
  public Path dataDir() {
    return dir.resolve("data");
  }

  /** The server's (postmaster's) pid; -1 before the first start. */
  public synchronized long pid() {
    return process == null ? -1 : process.pid();
  }

  /** The postmaster's resident set size in bytes (not its backends'); -1 if not known. */
  public long rssBytes() {
    long pid = pid();
    return pid < 0 ? -1 : EngineProcess.rssBytes(pid);
  }

  /** The last {@code count} lines of the server's log. */
  public String logTail(int count) {
    Path log = dir.resolve("postgres.log");
    try {
      List<String> lines = Files.readAllLines(log, ISO_8859_1);
      return String.join("\n", lines.subList(Math.max(0, lines.size() - count), lines.size()));
    } catch (IOException e) {
      return "(cannot read " + log + ": " + e + ")";
    }
  }

  private void initdb() {
    try {
      PostgresPrograms.prepareDir(dir);
      PostgresPrograms.run(
          List.of(
              bin.resolve("initdb").toString(),
              "-D",
              dir.resolve("data").toString(),
              "-U",
              USER,
              "--auth=trust",
              "-E",
              "UTF8",
              "--no-locale",
              "--no-sync"),
          dir,
          dir.resolve("initdb.log"),
          SETUP_TIMEOUT);
    } catch (IOException e) {
      throw new EngineException("cannot create a PostgreSQL database cluster in " + dir, e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new EngineException("interrupted running initdb", e);
    }
  }

  /**
   * Copies {@code primary}'s data with {@code pg_basebackup -R} (which also writes the standby
   * settings: {@code standby.signal} and the primary's address), so the server starts as its
   * streaming replica.
   */
  private void baseBackup(PostgresServer primary) {
    try {
      PostgresPrograms.prepareDir(dir);
      PostgresPrograms.run(
          List.of(
              bin.resolve("pg_basebackup").toString(),
              "-D",
              dir.resolve("data").toString(),
              "-h",
              "127.0.0.1",
              "-p",
              Integer.toString(primary.port()),
              "-U",
              USER,
              "-R",
              "-X",
              "stream",
              "-c",
              "fast",
              "--no-sync"),
          dir,
          dir.resolve("basebackup.log"),
          SETUP_TIMEOUT);
    } catch (IOException e) {
      throw new EngineException("cannot copy " + primary.jdbcUrl() + " into " + dir, e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new EngineException("interrupted running pg_basebackup", e);
    }
  }

  /** A child that dies with this JVM ({@code --pdeathsig KILL}) and runs as the server user. */
  private static ProcessBuilder processFor(List<String> command) {
    return new ProcessBuilder(PostgresPrograms.asServerUser(command, true));
  }

  /**
   * The directory of the server's Unix socket: {@link #dir}, or none ({@code ""}: TCP only) when
   * the socket's path, {@code <dir>/.s.PGSQL.<port>}, would pass the kernel's 107-byte limit.
   */
  private String socketDir() {
    String socket = dir.resolve(".s.PGSQL." + port).toString();
    return socket.getBytes(java.nio.charset.StandardCharsets.UTF_8).length <= 107
        ? dir.toString()
        : "";
  }

  private void awaitReady(Path log, long logStart) {
    long deadline = System.nanoTime() + READY_TIMEOUT.toNanos();
    while (!(logged(log, logStart) && EngineProcess.accepts("127.0.0.1", port))) {
      if (!process.isAlive()) {
        exited();
        throw new EngineException(
            "PostgreSQL exited with "
                + process.exitValue()
                + " before it was ready; the end of "
                + log
                + ":\n"
                + logTail(30));
      }
      if (System.nanoTime() - deadline > 0) {
        kill();
        throw new EngineException(
            "PostgreSQL was not ready within " + READY_TIMEOUT + " (killed):\n" + logTail(30));
      }
      try {
        Thread.sleep(50);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new EngineException("interrupted waiting for PostgreSQL", e);
      }
    }
  }

  private static boolean logged(Path log, long from) {
    try {
      if (size(log) <= from) {
        return false;
      }
      String text = Files.readString(log, ISO_8859_1);
      return text.indexOf(READY_MARKER, (int) Math.min(from, text.length())) >= 0;
    } catch (IOException e) {
      return false;
    }
  }

  private void exited() {
    if (killAtExit == null) {
      return;
    }
    try {
      Runtime.getRuntime().removeShutdownHook(killAtExit);
    } catch (IllegalStateException shuttingDown) {
      // the hook runs anyway, and the server is gone
    }
    killAtExit = null;
  }

  private static long size(Path file) {
    try {
      return Files.exists(file) ? Files.size(file) : 0;
    } catch (IOException e) {
      return 0;
    }
  }
}
