package io.tally.engines;

import static java.nio.charset.StandardCharsets.ISO_8859_1;
import static java.nio.charset.StandardCharsets.UTF_8;
import static java.util.Objects.requireNonNull;

import java.io.File;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.URISyntaxException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;
import java.util.stream.Stream;

/**
 * One engine JVM, a child of this one: started from a Java 17 with its own classpath, its stdout
 * and stderr appended to {@code <dir>/<name>.log}, its full command line in the argument file
 * {@code <dir>/<name>.args} ({@code java @<name>.args} reproduces it by hand).
 *
 * <p>A child started with {@link #start} never outlives this JVM: a shutdown hook SIGKILLs it if it
 * is still alive at exit, and {@link ParentWatch}, its entry point, halts it if this JVM dies
 * without running hooks. One started with {@link #startDetached} is on its own (see {@link
 * DetachedProcess}): whoever started it keeps its pid and stops it. Thread-safe.
 */
public final class EngineProcess {
  private static final System.Logger LOG = System.getLogger(EngineProcess.class.getName());
  private static final Duration POLL = Duration.ofMillis(100);

  private final String name;
  private final Path argsFile;
  private final Path logFile;
  private final long logStart;
  private final Process process;
  private final Thread killAtExit; // null if detached

  private EngineProcess(
      String name, Path argsFile, Path logFile, long logStart, Process process, boolean detached) {
    this.name = name;
    this.argsFile = argsFile;
    this.logFile = logFile;
    this.logStart = logStart;
    this.process = process;
    if (detached) {
      this.killAtExit = null;
    } else {
      this.killAtExit = new Thread(process::destroyForcibly, "tally-engines-kill-" + name);
      Runtime.getRuntime().addShutdownHook(killAtExit);
    }
  }

  /**
   * Starts {@code mainClass} with {@code args} in a new Java 17 JVM whose working directory is
   * {@code dir}.
   *
   * @param name names the log and argument files and appears in messages
   * @param jvmOptions options before the main class ({@code -Xmx…}, {@code -D…})
   * @param classpath the engine's jars; this module's classes are appended for {@link ParentWatch}
   */
  public static EngineProcess start(
      String name,
      Path dir,
      List<String> jvmOptions,
      List<Path> classpath,
      String mainClass,
      List<String> args) {
    return start(name, dir, jvmOptions, classpath, mainClass, args, false);
  }

  /**
   * Like {@link #start}, but the child may outlive this JVM: no shutdown hook, no {@link
   * ParentWatch}, and it runs in a session of its own (see {@link DetachedProcess}), so neither
   * this JVM's exit nor a Ctrl-C in the terminal that started it stops it. The caller records
   * {@link #pid()} to stop it later.
   */
  public static EngineProcess startDetached(
      String name,
      Path dir,
      List<String> jvmOptions,
      List<Path> classpath,
      String mainClass,
      List<String> args) {
    return start(name, dir, jvmOptions, classpath, mainClass, args, true);
  }

  private static EngineProcess start(
      String name,
      Path dir,
      List<String> jvmOptions,
      List<Path> classpath,
      String mainClass,
      List<String> args,
      boolean detached) {
    requireNonNull(name, "name");
    List<String> line = new ArrayList<>(jvmOptions);
    line.addAll(ChildJvmOptions.fromEnvironment());
    if (detached) {
      line.add("-cp");
      line.add(joined(classpath.stream()));
    } else {
      line.add("-D" + ParentWatch.PARENT_PROPERTY + "=" + ProcessHandle.current().pid());
      line.add("-cp");
      line.add(joined(Stream.concat(classpath.stream(), Stream.of(ownCodeLocation()))));
      line.add(ParentWatch.class.getName());
    }
    line.add(mainClass);
    line.addAll(args);
    Path argsFile = dir.resolve(name + ".args");
    Path logFile = dir.resolve(name + ".log");
    try {
      Files.createDirectories(dir);
      Files.writeString(
          argsFile, line.stream().map(EngineProcess::quote).collect(Collectors.joining("\n")));
      long logStart = Files.exists(logFile) ? Files.size(logFile) : 0;
      List<String> command = List.of(JavaRuntimes.java17().toString(), "@" + argsFile);
      ProcessBuilder builder =
          detached ? DetachedProcess.builder(command) : new ProcessBuilder(command);
      Process process =
          builder
              .directory(dir.toFile())
              .redirectErrorStream(true)
              .redirectOutput(ProcessBuilder.Redirect.appendTo(logFile.toFile()))
              .start();
      return new EngineProcess(name, argsFile, logFile, logStart, process, detached);
    } catch (IOException e) {
      throw new EngineException("cannot start " + name + " (see " + argsFile + ")", e);
    }
  }

  public String name() {
    return name;
  }

  public long pid() {
    return process.pid();
  }

  public Path logFile() {
    return logFile;
  }

  /**
   * The argument file: the child's command line is {@code java @<this path>}, so the path also
   * tells the child's process apart from any other.
   */
  public Path argsFile() {
    return argsFile;
  }

  public boolean isAlive() {
    return process.isAlive();
  }

  /** Resident set size from {@code /proc/<pid>/status}, in bytes; -1 if not known. */
  public long rssBytes() {
    return rssBytes(pid());
  }

  /**
   * The resident set size of any process from {@code /proc/<pid>/status}, in bytes; -1 if not known
   * (no such process, or not Linux).
   */
  public static long rssBytes(long pid) {
    try (Stream<String> lines = Files.lines(Path.of("/proc", Long.toString(pid), "status"))) {
      return lines
          .filter(l -> l.startsWith("VmRSS:"))
          .findFirst()
          .map(l -> Long.parseLong(l.replaceAll("[^0-9]", "")) * 1024)
          .orElse(-1L);
    } catch (IOException | UncheckedIOException e) {
      return -1;
    }
  }

  /**
   * Waits until the child accepts TCP connections on {@code 127.0.0.1:port} and has logged {@code
   * marker} since it started.
   *
   * @throws EngineException if the child exits first or is not ready in time (it is then killed);
   *     the message holds the log's last lines
   */
  public void awaitReady(int port, String marker, Duration timeout) {
    awaitReady("127.0.0.1", port, marker, timeout);
  }

  /** Like {@link #awaitReady(int, String, Duration)}, for a child listening on {@code host}. */
  public void awaitReady(String host, int port, String marker, Duration timeout) {
    long deadline = System.nanoTime() + timeout.toNanos();
    LogScan scan = new LogScan(logFile, logStart, marker);
    while (!(scan.found() && accepts(host, port))) {
      if (!process.isAlive()) {
        throw failure(name + " exited with " + process.exitValue() + " before it was ready");
      }
      if (System.nanoTime() - deadline > 0) {
        kill();
        throw failure(name + " was not ready within " + timeout + " (killed)");
      }
      sleep(POLL);
    }
  }

  /**
   * Waits until the child accepts TCP connections on {@code 127.0.0.1:port}.
   *
   * @throws EngineException if the child exits first or does not listen in time (it is then killed)
   */
  public void awaitListening(int port, Duration timeout) {
    long deadline = System.nanoTime() + timeout.toNanos();
    while (!accepts("127.0.0.1", port)) {
      if (!process.isAlive()) {
        throw failure(name + " exited with " + process.exitValue() + " before it listened");
      }
      if (System.nanoTime() - deadline > 0) {
        kill();
        throw failure(name + " did not listen on " + port + " within " + timeout + " (killed)");
      }
      sleep(POLL);
    }
  }

  /**
   * Waits for the child to exit by itself.
   *
   * @return its exit code
   * @throws EngineException if it is still running after {@code timeout} (it is then killed)
   */
  public int awaitExit(Duration timeout) {
    try {
      if (!process.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS)) {
        kill();
        throw failure(name + " did not exit within " + timeout + " (killed)");
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new EngineException("interrupted waiting for " + name, e);
    }
    exited();
    return process.exitValue();
  }

  /**
   * SIGTERM, then SIGKILL if the child is still running after {@code grace}; returns once it has
   * exited. A no-op if it already has.
   *
   * @return true if it stopped within the grace period
   */
  public boolean stop(Duration grace) {
    ProcessHandle handle = process.toHandle();
    handle.destroy();
    boolean clean = waitFor(grace);
    if (!clean) {
      LOG.log(System.Logger.Level.WARNING, "{0} ignored SIGTERM for {1}: SIGKILL", name, grace);
      kill();
    }
    exited();
    return clean;
  }

  /** SIGKILL; returns once the child has exited. */
  public void kill() {
    process.toHandle().destroyForcibly();
    waitFor(Duration.ofSeconds(30));
    exited();
  }

  /** The last {@code count} lines of the log, for failure messages. */
  public String logTail(int count) {
    try {
      List<String> lines = Files.readAllLines(logFile, ISO_8859_1);
      return String.join("\n", lines.subList(Math.max(0, lines.size() - count), lines.size()));
    } catch (IOException e) {
      return "(cannot read " + logFile + ": " + e + ")";
    }
  }

  @Override
  public String toString() {
    return name + "[pid " + pid() + "]";
  }

  private EngineException failure(String what) {
    String errors = errorLines(5);
    return new EngineException(
        what
            + (errors.isEmpty() ? "" : "; its first errors:\n" + errors)
            + "\nthe end of "
            + logFile
            + ":\n"
            + logTail(40));
  }

  /**
   * The first {@code count} lines this start wrote at level {@code ERROR} (Cassandra's and Kafka's
   * layouts; the cause of a failed start, which the shutdown's own lines push out of the tail).
   */
  private String errorLines(int count) {
    try (Stream<String> lines = Files.lines(logFile, ISO_8859_1)) {
      long skip = 0;
      List<String> found = new ArrayList<>();
      // logStart is in bytes; ISO-8859-1 maps each byte to one char, lines end in one '\n'
      for (String line : (Iterable<String>) lines::iterator) {
        if (skip >= logStart
            && (line.startsWith("ERROR") || line.contains("] ERROR "))
            && found.size() < count) {
          found.add(line);
        }
        skip += line.length() + 1;
      }
      return String.join("\n", found);
    } catch (IOException | UncheckedIOException e) {
      return "";
    }
  }

  private boolean waitFor(Duration timeout) {
    try {
      return process.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new EngineException("interrupted stopping " + name, e);
    }
  }

  private void exited() {
    if (killAtExit == null) {
      return;
    }
    try {
      Runtime.getRuntime().removeShutdownHook(killAtExit);
    } catch (IllegalStateException shuttingDown) {
      // the hook runs anyway, and the child is gone
    }
  }

  /** Whether something accepts TCP connections on {@code host:port} (within 500 ms). */
  public static boolean accepts(String host, int port) {
    try (Socket socket = new Socket()) {
      socket.connect(new InetSocketAddress(host, port), 500);
      return true;
    } catch (IOException e) {
      return false;
    }
  }

  private static void sleep(Duration duration) {
    try {
      Thread.sleep(duration.toMillis());
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new EngineException("interrupted", e);
    }
  }

  private static String joined(Stream<Path> classpath) {
    return classpath.map(Path::toString).collect(Collectors.joining(File.pathSeparator));
  }

  /** The jar or classes directory this class was loaded from. */
  private static Path ownCodeLocation() {
    try {
      return Path.of(
          EngineProcess.class.getProtectionDomain().getCodeSource().getLocation().toURI());
    } catch (URISyntaxException e) {
      throw new EngineException("cannot locate the tally-engines classes", e);
    }
  }

  /** One argument-file token: double-quoted, with backslashes and quotes escaped. */
  private static String quote(String arg) {
    return '"' + arg.replace("\\", "\\\\").replace("\"", "\\\"") + '"';
  }

  /** Scans a growing log from an offset for a marker, reading only what was appended. */
  private static final class LogScan {
    private final Path file;
    private final byte[] marker;
    private long position;
    private String carry = "";
    private boolean found;

    LogScan(Path file, long position, String marker) {
      this.file = file;
      this.position = position;
      this.marker = marker.getBytes(UTF_8);
    }

    boolean found() {
      if (found || !Files.exists(file)) {
        return found;
      }
      try (InputStream in = Files.newInputStream(file)) {
        in.skipNBytes(position);
        byte[] fresh = in.readAllBytes();
        position += fresh.length;
        String text = carry + new String(fresh, ISO_8859_1);
        found = text.contains(new String(marker, ISO_8859_1));
        carry = text.substring(Math.max(0, text.length() - marker.length));
      } catch (IOException e) {
        throw new EngineException("cannot read " + file, e);
      }
      return found;
    }
  }
}
