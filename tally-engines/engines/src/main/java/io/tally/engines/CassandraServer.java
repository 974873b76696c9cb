package io.tally.engines;

import static java.util.Objects.requireNonNull;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

/**
 * A real single-node Apache Cassandra 5.0 on loopback. Its directory holds {@code cassandra.yaml},
 * {@code logback.xml}, the data, commit log, hints and caches, and the server's log ({@code
 * cassandra.log}). The data survives {@link #stop()} and {@link #kill()}: {@link #start()} brings
 * the same node back, which is how tests stage a store outage.
 *
 * <p>The directory must be fresh for {@link #start(Path, int, int)}: a reused one remembers dead
 * peers, and writes then fail as Unavailable. {@link #startDetached} starts a node that outlives
 * this JVM (a demo cluster); {@link #start(Path, int, int)} one that never does (tests).
 * Thread-safe.
 */
public final class CassandraServer implements AutoCloseable {
  private static final System.Logger LOG = System.getLogger(CassandraServer.class.getName());
  private static final Duration READY_TIMEOUT = Duration.ofSeconds(120);
  private static final Duration STOP_GRACE = Duration.ofSeconds(60);

  /** Logged once the native transport (CQL) accepts clients. */
  private static final String READY_MARKER = "Starting listening for CQL clients";

  private static final String DATACENTER = "datacenter1";
  private static final String MAIN_CLASS = "org.apache.cassandra.service.CassandraDaemon";

  /** Cassandra's {@code conf/jvm17-server.options}: without them it dies at once on Java 17. */
  private static final List<String> JVM17_OPTIONS =
      List.of(
          "-XX:+UseG1GC",
          "-Xss256k",
          "-Djava.net.preferIPv4Stack=true",
          "-Djdk.attach.allowAttachSelf=true",
          "--add-exports",
          "java.base/jdk.internal.misc=ALL-UNNAMED",
          "--add-exports",
          "java.management.rmi/com.sun.jmx.remote.internal.rmi=ALL-UNNAMED",
          "--add-exports",
          "java.rmi/sun.rmi.registry=ALL-UNNAMED",
          "--add-exports",
          "java.rmi/sun.rmi.server=ALL-UNNAMED",
          "--add-exports",
          "java.sql/java.sql=ALL-UNNAMED",
          "--add-exports",
          "java.base/java.lang.ref=ALL-UNNAMED",
          "--add-exports",
          "jdk.unsupported/sun.misc=ALL-UNNAMED",
          "--add-exports",
          "jdk.compiler/com.sun.tools.javac.file=ALL-UNNAMED",
          "--add-exports",
          "jdk.attach/sun.tools.attach=ALL-UNNAMED",
          "--add-opens",
          "java.base/java.lang.module=ALL-UNNAMED",
          "--add-opens",
          "java.base/jdk.internal.loader=ALL-UNNAMED",
          "--add-opens",
          "java.base/jdk.internal.ref=ALL-UNNAMED",
          "--add-opens",
          "java.base/jdk.internal.reflect=ALL-UNNAMED",
          "--add-opens",
          "java.base/jdk.internal.math=ALL-UNNAMED",
          "--add-opens",
          "java.base/jdk.internal.module=ALL-UNNAMED",
          "--add-opens",
          "java.base/jdk.internal.util.jar=ALL-UNNAMED",
          "--add-opens",
          "jdk.management/com.sun.management.internal=ALL-UNNAMED",
          "--add-opens",
          "java.base/sun.nio.ch=ALL-UNNAMED",
          "--add-opens",
          "java.base/java.io=ALL-UNNAMED",
          "--add-opens",
          "java.base/java.lang.reflect=ALL-UNNAMED",
          "--add-opens",
          "jdk.compiler/com.sun.tools.javac=ALL-UNNAMED",
          "--add-opens",
          "java.base/java.lang=ALL-UNNAMED",
          "--add-opens",
          "java.base/java.util=ALL-UNNAMED",
          "-Dio.netty.tryReflectionSetAccessible=true");

  private static final String LOGBACK_XML =
      """
      <configuration>
        <appender name="stdout" class="ch.qos.logback.core.ConsoleAppender">
          <encoder><pattern>%-5level [%thread] %date{ISO8601} %logger{0}: %msg%n</pattern></encoder>
        </appender>
        <root level="INFO"><appender-ref ref="stdout"/></root>
      </configuration>
      """;

  /** The heap of a single node; each node of a replicated ring gets {@link #REPLICA_HEAP}. */
  private static final String SINGLE_HEAP = "1G";

  /** A ring of three on one machine: 768 MB of heap each (~1.1–1.3 GB RSS). */
  private static final String REPLICA_HEAP = "768M";

  private final Path dir;
  private final String host;
  private final String seedHost;
  private final String heap;
  private final int nativePort;
  private final int storagePort;
  private final List<Path> classpath;
  private final boolean detached;
  private EngineProcess process; // guarded by this

  private CassandraServer(
      Path dir,
      String host,
      String seedHost,
      String heap,
      int nativePort,
      int storagePort,
      List<Path> classpath,
      boolean detached) {
    this.dir = dir;
    this.host = host;
    this.seedHost = seedHost;
    this.heap = heap;
    this.nativePort = nativePort;
    this.storagePort = storagePort;
    this.classpath = classpath;
    this.detached = detached;
  }

  /**
   * Writes the configuration into the fresh directory {@code dir} (created if needed) and starts
   * the node; returns once it accepts CQL clients on {@code 127.0.0.1:nativePort}.
   *
   * @param storagePort the inter-node port (also the seed's), free so runs do not clash
   * @throws EngineException if it does not start (the message holds the end of its log)
   */
  public static CassandraServer start(Path dir, int nativePort, int storagePort) {
    return start(dir, nativePort, storagePort, false);
  }

  /**
   * Like {@link #start(Path, int, int)}, but the node's JVM outlives this one ({@link
   * EngineProcess#startDetached}): stopping it is up to the caller, by {@link #stop()} or by the
   * pid of {@link #process()}.
   */
  public static CassandraServer startDetached(Path dir, int nativePort, int storagePort) {
    return start(dir, nativePort, storagePort, true);
  }

  /**
   * One node of a replicated ring on one machine: it listens on {@code host} (a loopback address
   * such as {@code 127.0.0.2}) with the ring's common ports and joins through the seed on {@code
   * seedHost}; returns once it accepts CQL clients. Start the seed first and the others one after
   * another (nodes that bootstrap together clash over token ranges). Each node gets a smaller heap
   * ({@value #REPLICA_HEAP}) than a single node, so that three fit one machine.
   *
   * @param dir a fresh directory for this node alone
   * @param detached whether the node's JVM outlives this one ({@link #startDetached})
   */
  public static CassandraServer startRingNode(
      Path dir, String host, String seedHost, int nativePort, int storagePort, boolean detached) {
    return start(dir, host, seedHost, REPLICA_HEAP, nativePort, storagePort, detached);
  }

  private static CassandraServer start(
      Path dir, int nativePort, int storagePort, boolean detached) {
    return start(dir, "127.0.0.1", "127.0.0.1", SINGLE_HEAP, nativePort, storagePort, detached);
  }

  private static CassandraServer start(
      Path dir,
      String host,
      String seedHost,
      String heap,
      int nativePort,
      int storagePort,
      boolean detached) {
    requireNonNull(dir, "dir");
    requireNonNull(host, "host");
    requireNonNull(seedHost, "seedHost");
    CassandraServer server =
        new CassandraServer(
            dir.toAbsolutePath(),
            host,
            seedHost,
            heap,
            nativePort,
            storagePort,
            EngineClasspath.cassandra(),
            detached);
    server.configure();
    server.start();
    return server;
  }

  /**
   * Starts the node again on its existing data (after {@link #stop()} or {@link #kill()}); returns
   * once it accepts CQL clients.
   *
   * @throws IllegalStateException if it is running
   */
  public synchronized void start() {
    if (isRunning()) {
      throw new IllegalStateException("Cassandra is already running: " + process);
    }
    long started = System.nanoTime();
    process =
        detached
            ? EngineProcess.startDetached(
                "cassandra", dir, jvmOptions(), classpath, MAIN_CLASS, List.of())
            : EngineProcess.start("cassandra", dir, jvmOptions(), classpath, MAIN_CLASS, List.of());
    process.awaitReady(host, nativePort, READY_MARKER, READY_TIMEOUT);
    LOG.log(
        System.Logger.Level.INFO,
        "Cassandra ready at {0} in {1} ms (pid {2,number,#}, RSS {3} MB)",
        contactPoint(),
        (System.nanoTime() - started) / 1_000_000,
        process.pid(),
        process.rssBytes() >> 20);
  }

  /** {@link #stop()}, then {@link #start()} on the same data. */
  public synchronized void restart() {
    stop();
    start();
  }

  /**
   * SIGTERM, on which Cassandra drains (flushes memtables) and exits, usually in 6–9 s; SIGKILL
   * after 60 s. A no-op if not running.
   */
  public synchronized void stop() {
    if (process != null) {
      process.stop(STOP_GRACE);
    }
  }

  /** SIGKILL: a crash; the commit log is replayed at the next start. A no-op if not running. */
  public synchronized void kill() {
    if (process != null) {
      process.kill();
    }
  }

  /** Same as {@link #stop()}. */
  @Override
  public void close() {
    stop();
  }

  public synchronized boolean isRunning() {
    return process != null && process.isAlive();
  }

  /** Where the driver connects: {@code <host>:<native port>}. */
  public InetSocketAddress contactPoint() {
    return new InetSocketAddress(host, nativePort);
  }

  /** The loopback address this node listens on ({@code 127.0.0.1} for a single node). */
  public String host() {
    return host;
  }

  /** The driver's local datacenter: the {@code SimpleSnitch}'s only one. */
  public String localDatacenter() {
    return DATACENTER;
  }

  public int nativePort() {
    return nativePort;
  }

  public int storagePort() {
    return storagePort;
  }

  public Path dir() {
    return dir;
  }

  /** The current (or last) server JVM; null before the first start. */
  public synchronized EngineProcess process() {
    return process;
  }

  private List<String> jvmOptions() {
    List<String> options = new ArrayList<>(JVM17_OPTIONS);
    options.addAll(
        List.of(
            "-Xms" + heap,
            "-Xmx" + heap,
            "-XX:+ExitOnOutOfMemoryError",
            "-Dcassandra.config=" + dir.resolve("cassandra.yaml").toUri(),
            "-Dcassandra-foreground=yes",
            "-Dcassandra.storagedir=" + dir,
            "-Dcassandra.logdir=" + dir.resolve("logs"),
            "-Dcassandra.triggers_dir=" + dir.resolve("triggers"),
            "-Dlogback.configurationFile=" + dir.resolve("logback.xml"),
            "-Dcassandra.skip_wait_for_gossip_to_settle=0",
            "-Dcassandra.ring_delay_ms=1000",
            "-Dcassandra.superuser_setup_delay_ms=0"));
    return options;
  }

  private void configure() {
    try {
      Files.createDirectories(dir.resolve("triggers"));
      Files.writeString(dir.resolve("cassandra.yaml"), cassandraYaml());
      Files.writeString(dir.resolve("logback.xml"), LOGBACK_XML);
    } catch (IOException e) {
      throw new EngineException("cannot write Cassandra's configuration into " + dir, e);
    }
  }

  private String cassandraYaml() {
    return String.join(
        "\n",
        "cluster_name: tally-test",
        "num_tokens: 16",
        "allocate_tokens_for_local_replication_factor: 1",
        "partitioner: org.apache.cassandra.dht.Murmur3Partitioner",
        "data_file_directories: [" + yamlString(dir.resolve("data")) + "]",
        "commitlog_directory: " + yamlString(dir.resolve("commitlog")),
        "saved_caches_directory: " + yamlString(dir.resolve("saved_caches")),
        "hints_directory: " + yamlString(dir.resolve("hints")),
        "cdc_raw_directory: " + yamlString(dir.resolve("cdc_raw")),
        "commitlog_sync: periodic",
        "commitlog_sync_period: 10000ms",
        "seed_provider:",
        "  - class_name: org.apache.cassandra.locator.SimpleSeedProvider",
        "    parameters: [{seeds: \"" + seedHost + ":" + storagePort + "\"}]",
        "listen_address: " + host,
        "rpc_address: " + host,
        "storage_port: " + storagePort,
        "native_transport_port: " + nativePort,
        "start_native_transport: true",
        "endpoint_snitch: SimpleSnitch",
        // A ring starts empty, so a joining node has nothing to stream. Without this, a node that
        // joins while the seed still sees the one before as bootstrapping refuses to start ("Other
        // bootstrapping/leaving/moving nodes detected"), which a loaded 2-core machine provokes.
        "auto_bootstrap: " + host.equals(seedHost),
        // Memtables: tries with their cells off the heap (256 MiB), and memtable_heap_space left at
        // Cassandra's default, a quarter of the heap (it was 64 MiB). Counter rows are overwritten
        // many times a minute, and a larger memtable keeps more of those overwrites in memory, so
        // fewer SSTables are flushed and compacted (compaction fell from 0.27 to 0.10 cores at
        // 20,000 events/s on one node). Off the heap, at 27,000 events/s (three alternated pairs),
        // Cassandra took 32-35 CPU-us per event against 38-43 with the skip-list memtable on the
        // heap, and half the stop-the-world pause time (1.2-1.4 s a minute against 2.1-2.7 s): a
        // skip-list memtable's cells are young objects that live until the flush, so every young
        // collection copied them. Both in docs/benchmarks.md.
        "memtable_offheap_space: 256MiB",
        "memtable_allocation_type: offheap_objects",
        "memtable:",
        "  configurations:",
        "    default:",
        "      class_name: TrieMemtable",
        "authenticator: AllowAllAuthenticator",
        "authorizer: AllowAllAuthorizer",
        "");
  }

  /** A double-quoted YAML scalar. */
  private static String yamlString(Path path) {
    return '"' + path.toString().replace("\\", "\\\\").replace("\"", "\\\"") + '"';
  }
}
