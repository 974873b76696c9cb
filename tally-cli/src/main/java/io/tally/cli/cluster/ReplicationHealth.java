package io.tally.cli.cluster;

import com.datastax.oss.driver.api.core.CqlSession;
import com.datastax.oss.driver.api.core.DriverException;
import com.datastax.oss.driver.api.core.config.DefaultDriverOption;
import com.datastax.oss.driver.api.core.config.DriverConfigLoader;
import com.datastax.oss.driver.api.core.metadata.Node;
import com.datastax.oss.driver.api.core.metadata.NodeState;
import io.tally.cli.cluster.ClusterProcess.Kind;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.Set;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.ListTopicsOptions;
import org.apache.kafka.clients.admin.TopicDescription;
import org.apache.kafka.common.TopicPartitionInfo;

/**
 * How the replicated engines of a demo cluster see themselves: Kafka's under-replicated and offline
 * partitions (from the Admin client's topic descriptions: ISR smaller than the replica set, or no
 * leader), and Cassandra's nodes up and down as the driver's metadata has them (the ring read from
 * {@code system.peers}, each node's state from the driver's connection to it). Each probe gives up
 * after a few seconds and then reports the engine unreachable with why. Immutable.
 *
 * @param kafka {@code brokers}, {@code partitions}, {@code underReplicatedPartitions} (each {@code
 *     topic-partition}, ISR of replicas), {@code offlinePartitions}; or {@code reachable: false}
 *     and {@code error}
 * @param cassandra {@code nodes} (address and state: UP, DOWN, UNKNOWN), {@code up}, {@code down};
 *     or {@code reachable: false} and {@code error}; null for a cluster on PostgreSQL
 * @param postgres each PostgreSQL server's role and replication ({@link PostgresHealth}); null for
 *     a cluster on Cassandra
 */
record ReplicationHealth(JsonObject kafka, JsonObject cassandra, JsonObject postgres) {
  private static final Duration TIMEOUT = Duration.ofSeconds(8);

  /** How long to let the driver settle the state of nodes it has not connected to yet. */
  private static final Duration SETTLE = Duration.ofSeconds(5);

  /** Probes the engines {@code state} records that are alive (none alive: unreachable). */
  static ReplicationHealth probe(ClusterState state) {
    List<String> brokers = new ArrayList<>();
    List<InetSocketAddress> cassandra = new ArrayList<>();
    List<ClusterProcess> postgres = new ArrayList<>();
    boolean onCassandra = false;
    for (ClusterProcess p : state.processes()) {
      onCassandra |= p.kind() == Kind.CASSANDRA;
      if (p.kind() == Kind.POSTGRES) {
        postgres.add(p);
      }
      if (p.liveness() != ClusterProcess.Liveness.ALIVE) {
        continue;
      }
      if (p.kind() == Kind.KAFKA) {
        brokers.add(p.address());
      } else if (p.kind() == Kind.CASSANDRA) {
        cassandra.add(new InetSocketAddress(p.host(), p.port()));
      }
    }
    return new ReplicationHealth(
        kafka(brokers),
        onCassandra || postgres.isEmpty() ? cassandra(cassandra) : null,
        postgres.isEmpty() ? null : PostgresHealth.probe(postgres));
  }

  /**
   * Whether the engines answered, no partition is under-replicated or offline, every Cassandra node
   * or PostgreSQL server is up, and every PostgreSQL replica streams.
   */
  boolean healthy() {
    return kafka.getBoolean("reachable")
        && kafka.getJsonArray("underReplicatedPartitions").isEmpty()
        && kafka.getInteger("offlinePartitions") == 0
        && (cassandra == null
            || cassandra.getBoolean("reachable") && cassandra.getInteger("down") == 0)
        && (postgres == null || PostgresHealth.healthy(postgres));
  }

  JsonObject toJson() {
    JsonObject json = new JsonObject().put("kafka", kafka);
    if (cassandra != null) {
      json.put("cassandra", cassandra);
    }
    return postgres == null ? json : json.put("postgres", postgres);
  }

  /** One line per engine, for a person. */
  List<String> lines() {
    List<String> out = new ArrayList<>();
    if (kafka.getBoolean("reachable")) {
      JsonArray under = kafka.getJsonArray("underReplicatedPartitions");
      out.add(
          String.format(
              "Kafka: %d broker%s; %d of %d partitions under-replicated%s, %d offline",
              kafka.getInteger("brokers"),
              kafka.getInteger("brokers") == 1 ? "" : "s",
              under.size(),
              kafka.getInteger("partitions"),
              under.isEmpty() ? "" : " (" + shortList(under) + ")",
              kafka.getInteger("offlinePartitions")));
    } else {
      out.add("Kafka: unreachable (" + kafka.getString("error") + ")");
    }
    if (postgres != null) {
      out.add(PostgresHealth.line(postgres));
    }
    if (cassandra == null) {
      return out;
    }
    if (cassandra.getBoolean("reachable")) {
      List<String> nodes = new ArrayList<>();
      for (Object n : cassandra.getJsonArray("nodes")) {
        JsonObject node = (JsonObject) n;
        nodes.add(node.getString("address") + " " + node.getString("state"));
      }
      out.add(
          String.format(
              "Cassandra: %d of %d nodes up (%s)",
              cassandra.getInteger("up"), nodes.size(), String.join(", ", nodes)));
    } else {
      out.add("Cassandra: unreachable (" + cassandra.getString("error") + ")");
    }
    return out;
  }

  private static String shortList(JsonArray under) {
    List<String> names = new ArrayList<>();
    for (int i = 0; i < Math.min(5, under.size()); i++) {
      names.add(under.getJsonObject(i).getString("partition"));
    }
    return String.join(", ", names) + (under.size() > 5 ? ", …" : "");
  }

  private static JsonObject kafka(List<String> brokers) {
    if (brokers.isEmpty()) {
      return unreachable("no Kafka broker running");
    }
    Properties p = new Properties();
    p.put(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, String.join(",", brokers));
    p.put(AdminClientConfig.CLIENT_ID_CONFIG, "tally-cluster-status");
    p.put(AdminClientConfig.DEFAULT_API_TIMEOUT_MS_CONFIG, (int) TIMEOUT.toMillis());
    p.put(AdminClientConfig.REQUEST_TIMEOUT_MS_CONFIG, (int) TIMEOUT.toMillis() / 2);
    try (Admin admin = Admin.create(p)) {
      int alive =
          admin.describeCluster().nodes().get(TIMEOUT.toMillis(), TimeUnit.MILLISECONDS).size();
      Set<String> names =
          admin
              .listTopics(new ListTopicsOptions().listInternal(true))
              .names()
              .get(TIMEOUT.toMillis(), TimeUnit.MILLISECONDS);
      Map<String, TopicDescription> topics =
          admin
              .describeTopics(names)
              .allTopicNames()
              .get(TIMEOUT.toMillis(), TimeUnit.MILLISECONDS);
      return kafka(alive, topics.values());
    } catch (ExecutionException e) {
      return unreachable(e.getCause().toString());
    } catch (TimeoutException e) {
      return unreachable("no answer within " + TIMEOUT.toSeconds() + " s");
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return unreachable("interrupted");
    }
  }

  /**
   * The partitions of {@code topics} whose ISR is smaller than their replica set, or leaderless.
   */
  static JsonObject kafka(int brokers, Collection<TopicDescription> topics) {
    JsonArray under = new JsonArray();
    int partitions = 0;
    int offline = 0;
    List<TopicDescription> sorted = new ArrayList<>(topics);
    sorted.sort(Comparator.comparing(TopicDescription::name));
    for (TopicDescription t : sorted) {
      for (TopicPartitionInfo part : t.partitions()) {
        partitions++;
        if (part.leader() == null || part.leader().isEmpty()) {
          offline++;
        }
        if (part.isr().size() < part.replicas().size()) {
          under.add(
              new JsonObject()
                  .put("partition", t.name() + "-" + part.partition())
                  .put("replicas", part.replicas().size())
                  .put("inSync", part.isr().size()));
        }
      }
    }
    return new JsonObject()
        .put("reachable", true)
        .put("brokers", brokers)
        .put("partitions", partitions)
        .put("underReplicatedPartitions", under)
        .put("offlinePartitions", offline);
  }

  private static JsonObject cassandra(List<InetSocketAddress> contactPoints) {
    if (contactPoints.isEmpty()) {
      return unreachable("no Cassandra node running");
    }
    DriverConfigLoader config =
        DriverConfigLoader.programmaticBuilder()
            .withDuration(DefaultDriverOption.CONNECTION_INIT_QUERY_TIMEOUT, Duration.ofSeconds(3))
            .withDuration(DefaultDriverOption.CONNECTION_CONNECT_TIMEOUT, Duration.ofSeconds(3))
            .withDuration(DefaultDriverOption.CONTROL_CONNECTION_TIMEOUT, Duration.ofSeconds(3))
            .withDuration(DefaultDriverOption.REQUEST_TIMEOUT, Duration.ofSeconds(3))
            .build();
    try (CqlSession session =
        CqlSession.builder()
            .addContactPoints(contactPoints)
            .withLocalDatacenter("datacenter1")
            .withConfigLoader(config)
            .build()) {
      long deadline = System.nanoTime() + SETTLE.toNanos();
      Collection<Node> nodes = session.getMetadata().getNodes().values();
      while (nodes.stream().anyMatch(n -> n.getState() == NodeState.UNKNOWN)
          && System.nanoTime() < deadline) {
        Thread.sleep(100);
        nodes = session.getMetadata().getNodes().values();
      }
      JsonArray all = new JsonArray();
      int up = 0;
      List<Node> sorted = new ArrayList<>(nodes);
      sorted.sort(Comparator.comparing(n -> n.getEndPoint().toString()));
      for (Node n : sorted) {
        boolean isUp = n.getState() == NodeState.UP;
        up += isUp ? 1 : 0;
        all.add(
            new JsonObject()
                .put("address", address(n))
                .put(
                    "state", isUp ? "UP" : n.getState() == NodeState.UNKNOWN ? "UNKNOWN" : "DOWN"));
      }
      return new JsonObject()
          .put("reachable", true)
          .put("nodes", all)
          .put("up", up)
          .put("down", sorted.size() - up);
    } catch (DriverException e) {
      return unreachable(e.getMessage());
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return unreachable("interrupted");
    }
  }

  private static String address(Node n) {
    return n.getBroadcastRpcAddress()
        .map(a -> a.getAddress().getHostAddress() + ":" + a.getPort())
        .orElse(n.getEndPoint().toString());
  }

  private static JsonObject unreachable(String why) {
    return new JsonObject().put("reachable", false).put("error", why);
  }
}
