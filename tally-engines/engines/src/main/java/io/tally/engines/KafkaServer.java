package io.tally.engines;

import static java.util.Objects.requireNonNull;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;

/**
 * A real single-node Apache Kafka 4.1 (KRaft: broker and controller in one JVM) on loopback. Its
 * directory holds {@code server.properties}, {@code log4j2.xml}, the data ({@code data/}) and the
 * server's log ({@code kafka.log}); the storage is formatted once, by {@link #start(Path, int,
 * int)}, and survives {@link #stop()}, {@link #kill()} and {@link #restart()}.
 *
 * <p>{@link #startDetached} starts a server that outlives this JVM (a demo cluster); {@link
 * #start(Path, int, int)} one that never does (tests).
 *
 * <p>On one node the internal topics (consumer offsets, transaction state, share-group state) run
 * with replication factor 1 and min ISR 1, or consumer groups and transactions hang. Thread-safe.
 */
public final class KafkaServer implements AutoCloseable {
  private static final System.Logger LOG = System.getLogger(KafkaServer.class.getName());
  private static final Duration READY_TIMEOUT = Duration.ofSeconds(90);
  private static final Duration STOP_GRACE = Duration.ofSeconds(30);

  /** Logged by {@code kafka.server.KafkaRaftServer} once broker and controller serve requests. */
  private static final String READY_MARKER = "Kafka Server started";

  private static final String MAIN_CLASS = "kafka.Kafka";

  private static final List<String> JVM_OPTIONS =
      List.of(
          "-Xms512m",
          "-Xmx512m",
          "-XX:+UseG1GC",
          "-XX:MaxGCPauseMillis=20",
          "-XX:+ExplicitGCInvokesConcurrent",
          "-XX:+ExitOnOutOfMemoryError",
          "-Djava.awt.headless=true");

  private static final String LOG4J2_XML =
      """
      <?xml version="1.0" encoding="UTF-8"?>
      <!-- Quiet: warnings only, plus the line KafkaServer waits for. -->
      <Configuration status="warn">
        <Appenders>
          <Console name="stdout" target="SYSTEM_OUT">
            <PatternLayout pattern="[%d] %p %m (%c)%n"/>
          </Console>
        </Appenders>
        <Loggers>
          <Logger name="org.apache.kafka.common.config.AbstractConfig" level="WARN"/>
          <Logger name="kafka.server.KafkaRaftServer" level="INFO"/>
          <Root level="WARN"><AppenderRef ref="stdout"/></Root>
        </Loggers>
      </Configuration>
      """;

  private final Path dir;
  private final int nodeId;
  private final int brokerPort;
  private final int controllerPort;

  /** The controller ports of every voter, node 1 first; one element for a single node. */
  private final List<Integer> voterPorts;

  private final List<Path> classpath;
  private final boolean detached;
  private EngineProcess process; // guarded by this

  private KafkaServer(
      Path dir,
      int nodeId,
      int brokerPort,
      int controllerPort,
      List<Integer> voterPorts,
      List<Path> classpath,
      boolean detached) {
    this.dir = dir;
    this.nodeId = nodeId;
    this.brokerPort = brokerPort;
    this.controllerPort = controllerPort;
    this.voterPorts = List.copyOf(voterPorts);
    this.classpath = classpath;
    this.detached = detached;
  }

  /**
   * Writes the configuration into {@code dir} (created if needed, and expected to be fresh),
   * formats the storage and starts the server; returns once it serves requests.
   *
   * @throws EngineException if it does not (the message holds the end of its log)
   */
  public static KafkaServer start(Path dir, int brokerPort, int controllerPort) {
    return start(dir, brokerPort, controllerPort, false);
  }

  /**
   * Like {@link #start(Path, int, int)}, but the server JVM outlives this one ({@link
   * EngineProcess#startDetached}): stopping it is up to the caller, by {@link #stop()} or by the
   * pid of {@link #process()}.
   */
  public static KafkaServer startDetached(Path dir, int brokerPort, int controllerPort) {
    return start(dir, brokerPort, controllerPort, true);
  }

  private static KafkaServer start(Path dir, int brokerPort, int controllerPort, boolean detached) {
    requireNonNull(dir, "dir");
    KafkaServer server =
        new KafkaServer(
            dir.toAbsolutePath(),
            1,
            brokerPort,
            controllerPort,
            List.of(controllerPort),
            EngineClasspath.kafka(),
            detached);
    server.configureAndFormat(randomClusterId());
    server.start();
    return server;
  }

  /**
   * A cluster of {@code dirs.size()} nodes, each broker and controller (a controller quorum of that
   * many, static voters): node {@code i+1} in {@code dirs[i]} (fresh) on {@code brokerPorts[i]} and
   * {@code controllerPorts[i]}. The internal topics get replication factor 3 (at most the node
   * count) and min ISR 2, as do topics created without settings of their own; a dead broker is
   * fenced after 3 s. The nodes are started one after another (each once its controller listens, as
   * a quorum needs a majority before any node is ready); returns once every node serves.
   *
   * @param detached whether the JVMs outlive this one ({@link #startDetached})
   * @throws EngineException if a node does not start (those started are stopped again unless
   *     detached)
   */
  public static List<KafkaServer> startQuorum(
      List<Path> dirs, List<Integer> brokerPorts, List<Integer> controllerPorts, boolean detached) {
    if (dirs.isEmpty()
        || dirs.size() != brokerPorts.size()
        || dirs.size() != controllerPorts.size()) {
      throw new IllegalArgumentException("one broker and one controller port per directory");
    }
    List<Path> classpath = EngineClasspath.kafka();
    String clusterId = randomClusterId();
    List<KafkaServer> servers = new ArrayList<>();
    for (int i = 0; i < dirs.size(); i++) {
      KafkaServer server =
          new KafkaServer(
              dirs.get(i).toAbsolutePath(),
              i + 1,
              brokerPorts.get(i),
              controllerPorts.get(i),
              controllerPorts,
              classpath,
              detached);
      server.configureAndFormat(clusterId);
      servers.add(server);
    }
    try {
      for (KafkaServer server : servers) {
        synchronized (server) {
          server.launch();
          server.process.awaitListening(server.controllerPort, READY_TIMEOUT);
        }
      }
      for (KafkaServer server : servers) {
        synchronized (server) {
          server.awaitReady(System.nanoTime());
        }
      }
    } catch (RuntimeException e) {
      if (!detached) {
        servers.forEach(KafkaServer::kill);
      }
      throw e;
    }
    return servers;
  }

  /**
   * Starts the server again on its existing storage and ports (after {@link #stop()} or {@link
   * #kill()}); returns once it serves requests.
   *
   * @throws IllegalStateException if it is running
   */
  public synchronized void start() {
    if (isRunning()) {
      throw new IllegalStateException("Kafka is already running: " + process);
    }
    long started = System.nanoTime();
    launch();
    awaitReady(started);
  }

  private void launch() {
    List<String> jvmOptions = withLogConfig(JVM_OPTIONS);
    List<String> args = List.of(dir.resolve("server.properties").toString());
    process =
        detached
            ? EngineProcess.startDetached("kafka", dir, jvmOptions, classpath, MAIN_CLASS, args)
            : EngineProcess.start("kafka", dir, jvmOptions, classpath, MAIN_CLASS, args);
  }

  private void awaitReady(long startedNanos) {
    process.awaitReady(brokerPort, READY_MARKER, READY_TIMEOUT);
    LOG.log(
        System.Logger.Level.INFO,
        "Kafka node {0} ready at {1} in {2} ms (pid {3,number,#}, RSS {4} MB)",
        nodeId,
        bootstrapServers(),
        (System.nanoTime() - startedNanos) / 1_000_000,
        process.pid(),
        process.rssBytes() >> 20);
  }

  /** {@link #stop()}, then {@link #start()} on the same storage and ports. */
  public synchronized void restart() {
    stop();
    start();
  }

  /** SIGTERM (a controlled shutdown), SIGKILL after 30 s; a no-op if not running. */
  public synchronized void stop() {
    if (process != null) {
      process.stop(STOP_GRACE);
    }
  }

  /** SIGKILL: a crash. A no-op if not running. */
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

  /** {@code 127.0.0.1:<broker port>}, for {@code bootstrap.servers}. */
  public String bootstrapServers() {
    return "127.0.0.1:" + brokerPort;
  }

  /** This node's {@code node.id}: 1 for a single node, 1..n in a quorum. */
  public int nodeId() {
    return nodeId;
  }

  public int brokerPort() {
    return brokerPort;
  }

  public int controllerPort() {
    return controllerPort;
  }

  public Path dir() {
    return dir;
  }

  /** The current (or last) server JVM; null before the first start. */
  public synchronized EngineProcess process() {
    return process;
  }

  private void configureAndFormat(String clusterId) {
    try {
      Files.createDirectories(dir.resolve("data"));
      Files.writeString(dir.resolve("server.properties"), serverProperties());
      Files.writeString(dir.resolve("log4j2.xml"), LOG4J2_XML);
    } catch (IOException e) {
      throw new EngineException("cannot write Kafka's configuration into " + dir, e);
    }
    List<String> args =
        new ArrayList<>(
            List.of(
                "format",
                "--cluster-id",
                clusterId,
                "--config",
                dir.resolve("server.properties").toString()));
    if (voterPorts.size() == 1) {
      args.add("--standalone");
    }
    EngineProcess format =
        EngineProcess.start(
            "kafka-format",
            dir,
            withLogConfig(List.of("-Xmx256m")),
            classpath,
            "kafka.tools.StorageTool",
            args);
    int exit = format.awaitExit(Duration.ofSeconds(60));
    if (exit != 0) {
      throw new EngineException(
          "formatting Kafka's storage failed with " + exit + ":\n" + format.logTail(40));
    }
  }

  private String serverProperties() {
    String controller = "127.0.0.1:" + controllerPort;
    String listeners = "PLAINTEXT://127.0.0.1:" + brokerPort + ",CONTROLLER://" + controller;
    List<String> lines =
        new ArrayList<>(List.of("process.roles=broker,controller", "node.id=" + nodeId));
    if (voterPorts.size() == 1) {
      lines.add("controller.quorum.bootstrap.servers=" + controller);
      lines.addAll(internalTopics(1, 1));
    } else {
      List<String> voters = new ArrayList<>();
      for (int i = 0; i < voterPorts.size(); i++) {
        voters.add((i + 1) + "@127.0.0.1:" + voterPorts.get(i));
      }
      lines.add("controller.quorum.voters=" + String.join(",", voters));
      int rf = Math.min(3, voterPorts.size());
      lines.addAll(internalTopics(rf, Math.min(2, rf)));
      lines.add("default.replication.factor=" + rf);
      lines.add("min.insync.replicas=" + Math.min(2, rf));
      lines.add("broker.session.timeout.ms=3000");
      lines.add("broker.heartbeat.interval.ms=500");
    }
    lines.addAll(common(listeners));
    return String.join("\n", lines) + "\n";
  }

  /** The replication of the offsets, transaction and share-group state topics. */
  private static List<String> internalTopics(int rf, int minIsr) {
    return List.of(
        "offsets.topic.replication.factor=" + rf,
        "transaction.state.log.replication.factor=" + rf,
        "transaction.state.log.min.isr=" + minIsr,
        "share.coordinator.state.topic.replication.factor=" + rf,
        "share.coordinator.state.topic.min.isr=" + minIsr);
  }

  private List<String> common(String listeners) {
    return List.of(
        "listeners=" + listeners,
        "advertised.listeners=" + listeners,
        "controller.listener.names=CONTROLLER",
        "inter.broker.listener.name=PLAINTEXT",
        "listener.security.protocol.map=CONTROLLER:PLAINTEXT,PLAINTEXT:PLAINTEXT",
        "log.dirs=" + dir.resolve("data"),
        "offsets.topic.num.partitions=4",
        "transaction.state.log.num.partitions=4",
        "group.initial.rebalance.delay.ms=0");
  }

  private List<String> withLogConfig(List<String> options) {
    List<String> all = new ArrayList<>(options);
    all.add("-Dlog4j2.configurationFile=" + dir.resolve("log4j2.xml"));
    return all;
  }

  /**
   * A cluster id as {@code StorageTool random-uuid} makes one (16 random bytes, URL-safe base64
   * without padding), without paying for a JVM start; like Kafka's, never starting with '-'.
   */
  private static String randomClusterId() {
    SecureRandom random = new SecureRandom();
    byte[] bytes = new byte[16];
    String id;
    do {
      random.nextBytes(bytes);
      id = Base64.getUrlEncoder().withoutPadding().encodeToString(bytes);
    } while (id.startsWith("-"));
    return id;
  }
}
