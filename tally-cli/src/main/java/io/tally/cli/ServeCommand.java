package io.tally.cli;

import com.datastax.oss.driver.api.core.DefaultConsistencyLevel;
import io.tally.cassandra.CassandraSettings;
import io.tally.core.process.ProcessorConfig;
import io.tally.core.query.QueryConfig;
import io.tally.core.retention.Retention;
import io.tally.core.topk.TopKConfig;
import io.tally.kafka.KafkaSettings;
import io.tally.server.ClusterConfig;
import io.tally.server.ClusterTally;
import io.tally.rocksdb.FsyncPolicy;
import io.tally.server.EmbeddedTally;
import io.tally.server.ServerConfig;
import java.net.InetSocketAddress;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** {@code tally serve}: the embedded server until SIGTERM or Ctrl-C, then a graceful stop. */
@Command(name = "serve", mixinStandardHelpOptions = true,
    description = "Start Tally and serve the HTTP API: embedded (RocksDB, the default) or as a cluster node on Kafka and Cassandra.")
final class ServeCommand implements Callable<Integer> {
  @Option(names = "--port", defaultValue = "8080", description = "HTTP port (0: any free port). Default: ${DEFAULT-VALUE}.")
  int port;

  @Option(names = "--host", defaultValue = "127.0.0.1", description = "Address to listen on. Default: ${DEFAULT-VALUE}.")
  String host;

  @Option(names = "--data-dir", defaultValue = "data",
      description = "Where the log, counters and attributes live (cluster mode: the node's attributes replica). "
          + "Default: ./${DEFAULT-VALUE}.")
  Path dataDir;

  @Option(names = "--partitions", defaultValue = "8",
      description = "Partitions P, fixed when the data dir is created. Default: ${DEFAULT-VALUE}.")
  int partitions;

  @Option(names = "--fsync", defaultValue = "always",
      description = "'always' (ack after fsync, group commit) or an interval such as 100ms. Default: ${DEFAULT-VALUE}.")
  String fsync;

  @Option(names = "--flush-interval-ms", defaultValue = "1000",
      description = "How often counts are written (freshness). Default: ${DEFAULT-VALUE}.")
  long flushIntervalMillis;

  @Option(names = "--retention-minute", defaultValue = "7d",
      description = "How long minute buckets are kept after they end (also the oldest event time accepted): 7d, 36h, "
          + "90m or forever. Default: ${DEFAULT-VALUE}.")
  String retentionMinute;

  @Option(names = "--retention-hour", defaultValue = "90d",
      description = "How long hour buckets are kept. Default: ${DEFAULT-VALUE}.")
  String retentionHour;

  @Option(names = "--retention-day", defaultValue = "forever",
      description = "How long day buckets are kept. Default: ${DEFAULT-VALUE}. The total is kept forever.")
  String retentionDay;

  @Option(names = "--query-cache-entries", defaultValue = "100000",
      description = "Most query answers cached, each for at most one flush interval (0: no cache). Default: ${DEFAULT-VALUE}.")
  long queryCacheEntries;

  @Option(names = "--derive", split = ",", paramLabel = "ATTRIBUTE",
      description = "Attribute names whose values derive entities: with 'channel', an event on an entity whose "
          + "attributes say channel=c1 also counts for entity channel:c1. Default: none.")
  List<String> derive = new ArrayList<>();
  @Option(names = "--topk-windows", defaultValue = "5m,1h,24h",
      description = "Sliding windows of GET /v1/top, comma-separated (whole minutes up to 7d; empty: top-K off). "
          + "Default: ${DEFAULT-VALUE}.")
  String topKWindows;

  @Option(names = "--topk-sketch-size", defaultValue = "1024",
      description = "Top-K sketch size per window slot and partition, a power of two; exact while a slot sees fewer "
          + "than 0.75 x this many entities. Default: ${DEFAULT-VALUE}.")
  int topKSketchSize;

  @Option(names = "--mode", defaultValue = "embedded",
      description = "'embedded' (RocksDB, one process) or 'cluster' (Kafka + Cassandra). Default: ${DEFAULT-VALUE}.")
  String mode;

  @Option(names = "--kafka", description = "Cluster mode: Kafka bootstrap servers, e.g. 127.0.0.1:9092.")
  String kafka;

  @Option(names = "--cassandra", split = ",",
      description = "Cluster mode: Cassandra contact points host:port[,host:port...], e.g. 127.0.0.1:9042.")
  List<String> cassandra;

  @Option(names = "--cassandra-dc", defaultValue = "datacenter1",
      description = "Cluster mode: the driver's local datacenter. Default: ${DEFAULT-VALUE}.")
  String cassandraDc;

  @Option(names = "--keyspace", defaultValue = "tally", description = "Cluster mode: Cassandra keyspace. Default: ${DEFAULT-VALUE}.")
  String keyspace;

  @Option(names = "--replication", defaultValue = "SimpleStrategy:1",
      description = "Cluster mode: keyspace replication, SimpleStrategy:<rf> or NetworkTopologyStrategy:<dc>=<rf>,... "
          + "Default: ${DEFAULT-VALUE}.")
  String replication;

  @Option(names = "--write-consistency", defaultValue = "LOCAL_QUORUM",
      description = "Cluster mode: consistency of the materializer's writes. Default: ${DEFAULT-VALUE}.")
  DefaultConsistencyLevel writeConsistency;

  @Option(names = "--read-consistency", defaultValue = "ONE",
      description = "Cluster mode: consistency of queries. Default: ${DEFAULT-VALUE}.")
  DefaultConsistencyLevel readConsistency;

  @Option(names = "--topic-prefix", defaultValue = "tally.",
      description = "Cluster mode: prefix of the topic and consumer group names. Default: ${DEFAULT-VALUE}.")
  String topicPrefix;

  @Option(names = "--replication-factor", defaultValue = "1",
      description = "Cluster mode: replication factor of the topics Tally creates. Default: ${DEFAULT-VALUE}.")
  short replicationFactor;

  @Option(names = "--node-id", description = "Cluster mode: this node's unique name. Default: <host>-<port>.")
  String nodeId;

  @Option(names = "--roles", defaultValue = "ingest,processor,materializer,query", split = ",",
      description = "Cluster mode: roles this node runs, any of ingest, processor, materializer, query. "
          + "Default: ${DEFAULT-VALUE}.")
  Set<String> roles;

  @Option(names = "--session-timeout-ms", defaultValue = "10000",
      description = "Cluster mode: how soon a dead node's partitions move. Default: ${DEFAULT-VALUE}.")
  int sessionTimeoutMillis;

  @picocli.CommandLine.Mixin SecurityOptions security;

  @Override
  public Integer call() throws Exception {
    TopKConfig topK;
    try {
      topK = new TopKConfig(TopKConfig.parseWindows(topKWindows), topKSketchSize);
    } catch (IllegalArgumentException e) {
      System.err.println("tally: --topk-windows / --topk-sketch-size: " + e.getMessage());
      return 2;
    }
    AutoCloseable tally;
    String url;
    String where;
    try {
      ServerConfig config = ServerConfig.defaults(dataDir)
          .withHost(host)
          .withPort(port)
          .withPartitions(partitions)
          .withFsync(FsyncPolicy.parse(fsync))
          .withProcessor(ProcessorConfig.DEFAULTS.withFlushIntervalMillis(flushIntervalMillis))
          .withQuery(QueryConfig.DEFAULTS.withRetention(retention())
              .withCache(queryCacheEntries, QueryConfig.DEFAULTS.cacheTtlMillis()))
          .withDerive(derive)
          .withTopK(topK)
          .withSecurity(security.toConfig());
      switch (mode) {
        case "embedded" -> {
          EmbeddedTally t = EmbeddedTally.start(config);
          tally = t;
          url = t.url();
          where = "data in " + dataDir.toAbsolutePath().normalize();
        }
        case "cluster" -> {
          ClusterTally t = ClusterTally.start(clusterConfig(config));
          tally = t;
          url = t.url();
          where = "cluster mode: Kafka " + kafka + ", Cassandra " + String.join(",", cassandra);
        }
        default -> throw new IllegalArgumentException("--mode must be 'embedded' or 'cluster', got '" + mode + "'");
      }
    } catch (RuntimeException e) {
      System.err.println("tally: " + e.getMessage());
      return 1;
    }
    CountDownLatch stopped = new CountDownLatch(1);
    Runtime.getRuntime().addShutdownHook(new Thread(() -> {
      try {
        tally.close();
      } catch (Exception e) {
        System.err.println("tally: stopping failed: " + e);
      }
      stopped.countDown();
    }, "tally-shutdown"));
    System.out.println("Tally is listening on " + url + " (" + where + ")");
    System.out.flush();
    stopped.await();
    return 0;
  }

  private Retention retention() {
    try {
      return new Retention(Retention.parse(retentionMinute), Retention.parse(retentionHour), Retention.parse(retentionDay),
          Retention.FOREVER);
    } catch (IllegalArgumentException e) {
      throw new IllegalArgumentException("--retention-minute/-hour/-day: " + e.getMessage(), e);
    }
  }

  private ClusterConfig clusterConfig(ServerConfig server) {
    if (kafka == null || cassandra == null || cassandra.isEmpty()) {
      throw new IllegalArgumentException("--mode cluster needs --kafka <bootstrap servers> and --cassandra <host:port,...>");
    }
    Set<String> known = Set.of("ingest", "processor", "materializer", "query");
    for (String r : roles) {
      if (!known.contains(r)) {
        throw new IllegalArgumentException("unknown role '" + r + "' in --roles; allowed: ingest, processor, materializer, query");
      }
    }
    List<InetSocketAddress> contactPoints = new ArrayList<>();
    for (String hp : cassandra) {
      int colon = hp.lastIndexOf(':');
      if (colon < 1) {
        throw new IllegalArgumentException("--cassandra wants host:port, got '" + hp + "'");
      }
      contactPoints.add(new InetSocketAddress(hp.substring(0, colon), Integer.parseInt(hp.substring(colon + 1))));
    }
    String id = nodeId != null ? nodeId : host.replace(':', '_') + "-" + port;
    KafkaSettings k = KafkaSettings.defaults(kafka, id)
        .withTopicPrefix(topicPrefix)
        .withPartitions(partitions)
        .withReplicationFactor(replicationFactor)
        .withSessionTimeoutMillis(sessionTimeoutMillis);
    CassandraSettings c = CassandraSettings.defaults(contactPoints.get(0))
        .withContactPoints(contactPoints, cassandraDc)
        .withKeyspace(keyspace)
        .withReplication(replication)
        .withConsistency(writeConsistency, readConsistency)
        .withRetention(server.query().retention());
    return new ClusterConfig(server, k, c, new ClusterConfig.Roles(roles.contains("ingest"), roles.contains("processor"),
        roles.contains("materializer"), roles.contains("query")));
  }
}
