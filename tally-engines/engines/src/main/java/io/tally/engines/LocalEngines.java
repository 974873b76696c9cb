package io.tally.engines;

import static java.util.Objects.requireNonNull;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.LocalDateTime;
import java.time.format.DateTimeFormatter;
import java.util.concurrent.CompletableFuture;

/**
 * One real Kafka and one real Cassandra, each in its own JVM, in a fresh directory {@code
 * <base>/engines-<time>-<random>/} ({@code kafka/}, {@code cassandra/}), on free loopback ports
 * chosen at start. Tests share one pair and isolate themselves with their own topics and keyspaces;
 * {@link RealEngines} starts one per test JVM.
 *
 * <p>Budget on a 2-core machine: about 6 s (format and start) and 0.35 GB RSS for Kafka, 11 s and
 * 1.5 GB for Cassandra, started one after the other. Thread-safe.
 */
public final class LocalEngines implements AutoCloseable {
  private static final System.Logger LOG = System.getLogger(LocalEngines.class.getName());
  private static final DateTimeFormatter TIME = DateTimeFormatter.ofPattern("yyyyMMdd-HHmmss");

  private final Path dir;
  private final KafkaServer kafka;
  private final CassandraServer cassandra;

  private LocalEngines(Path dir, KafkaServer kafka, CassandraServer cassandra) {
    this.dir = dir;
    this.kafka = kafka;
    this.cassandra = cassandra;
  }

  /**
   * Starts Kafka, then Cassandra, under a new directory in {@code baseDir}; returns once both serve
   * clients. If Cassandra fails to start, Kafka is stopped again.
   *
   * @throws EngineException if either does not start
   */
  public static LocalEngines start(Path baseDir) {
    requireNonNull(baseDir, "baseDir");
    long started = System.nanoTime();
    Path dir;
    try {
      Files.createDirectories(baseDir);
      String prefix = "engines-" + LocalDateTime.now().format(TIME) + "-";
      dir = Files.createTempDirectory(baseDir.toAbsolutePath(), prefix);
    } catch (IOException e) {
      throw new EngineException("cannot create a directory for the engines in " + baseDir, e);
    }
    int[] ports = FreePorts.take(4);
    KafkaServer kafka = KafkaServer.start(dir.resolve("kafka"), ports[0], ports[1]);
    CassandraServer cassandra;
    try {
      cassandra = CassandraServer.start(dir.resolve("cassandra"), ports[2], ports[3]);
    } catch (RuntimeException e) {
      kafka.stop();
      throw e;
    }
    LOG.log(
        System.Logger.Level.INFO,
        "Engines ready in {0} ms in {1}; RSS Kafka {2} MB, Cassandra {3} MB",
        (System.nanoTime() - started) / 1_000_000,
        dir,
        kafka.process().rssBytes() >> 20,
        cassandra.process().rssBytes() >> 20);
    return new LocalEngines(dir, kafka, cassandra);
  }

  public KafkaServer kafka() {
    return kafka;
  }

  public CassandraServer cassandra() {
    return cassandra;
  }

  /** The directory holding both engines' configuration, data and logs. */
  public Path dir() {
    return dir;
  }

  /** Stops both engines (SIGTERM, then SIGKILL if one hangs), concurrently. Idempotent. */
  @Override
  public void close() {
    LOG.log(
        System.Logger.Level.INFO,
        "Stopping engines; RSS Kafka {0} MB, Cassandra {1} MB",
        rssMegabytes(kafka.process()),
        rssMegabytes(cassandra.process()));
    long started = System.nanoTime();
    CompletableFuture<Void> kafkaStopped = CompletableFuture.runAsync(kafka::stop);
    try {
      cassandra.stop();
    } finally {
      kafkaStopped.join();
    }
    LOG.log(
        System.Logger.Level.INFO,
        "Engines stopped in {0} ms",
        (System.nanoTime() - started) / 1_000_000);
  }

  private static long rssMegabytes(EngineProcess process) {
    return process.isAlive() ? process.rssBytes() >> 20 : 0;
  }
}
