package io.tally.server.config;

import static io.tally.server.config.ConfigKeys.*;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.datastax.oss.driver.api.core.DefaultConsistencyLevel;
import io.tally.core.dedup.DedupWindow;
import io.tally.core.ingest.IngestLimits;
import io.tally.core.process.ProcessorConfig;
import io.tally.core.query.QueryConfig;
import io.tally.core.topk.TopKConfig;
import io.tally.core.validate.ValidationLimits;
import io.tally.postgres.PostgresSettings;
import io.tally.rocksdb.FsyncPolicy;
import io.tally.server.ClusterConfig;
import io.tally.server.OpsConfig;
import io.tally.server.ServerConfig;
import io.tally.server.security.SecurityConfig;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ConfigLoaderTest {
  @TempDir Path dir;

  private Path yaml(String text) throws IOException {
    Path file = dir.resolve("tally-" + System.nanoTime() + ".yaml");
    Files.writeString(file, text);
    return file;
  }

  @Test
  void aDefaultBucketLimitGrowsWithTheMinuteRetentionAndASetOneIsKept() {
    EffectiveConfig fortnight = EffectiveConfig.defaults().with(ConfigKeys.RETENTION_MINUTE, "14d");
    assertThat(fortnight.server().query().maxBuckets()).isEqualTo(14 * 1440 + 1);
    assertThat(fortnight.with(ConfigKeys.QUERY_MAX_BUCKETS, 500).server().query().maxBuckets())
        .isEqualTo(500);
  }

  @Test
  void withNothingConfiguredTheServerRunsWithTheRegistrysAndTheRecordsDefaults() {
    EffectiveConfig config = ConfigLoader.load(null, Map.of(), Map.of());
    ServerConfig server = ConfigMapping.server(config);
    assertThat(server.host()).isEqualTo("127.0.0.1");
    assertThat(server.port()).isEqualTo(8080);
    assertThat(server.dataDir()).isEqualTo(Path.of("data"));
    assertThat(server.partitions()).isEqualTo(8);
    assertThat(server.fsync()).isEqualTo(FsyncPolicy.ALWAYS);
    assertThat(server.maxBodyBytes()).isEqualTo(4 << 20);
    assertThat(server.logRetentionMillis()).isEqualTo(7 * 86_400_000L);
    assertThat(server.processor())
        .usingRecursiveComparison()
        .ignoringFields("dedupCapacity") // sized to this JVM's heap
        .isEqualTo(ProcessorConfig.DEFAULTS);
    assertThat(server.processor().dedupCapacity())
        .isEqualTo(DedupWindow.autoCapacity(Runtime.getRuntime().maxMemory(), 8, 2));
    assertThat(server.query()).isEqualTo(QueryConfig.DEFAULTS);
    assertThat(server.ingest()).isEqualTo(IngestLimits.DEFAULTS);
    assertThat(server.validation()).isEqualTo(ValidationLimits.DEFAULTS);
    assertThat(server.derive()).isEmpty();
    assertThat(server.topK()).isEqualTo(TopKConfig.DEFAULTS);
    assertThat(server.ops()).isEqualTo(OpsConfig.DEFAULTS);
    assertThat(server.browser().corsOrigins()).isEmpty();
    assertThat(server.security()).isEqualTo(SecurityConfig.DEFAULTS);
    assertThat(EffectiveConfig.defaults().server()).isEqualTo(server);
    assertThat(ConfigMapping.clusterMode(config)).isFalse();
    ConfigKeys.ALL.forEach(
        k ->
            assertThat(config.value(k))
                .isEqualTo(new EffectiveConfig.Value(k.defaultValue(), Origin.DEFAULT)));
  }

  @Test
  void anAutoFlushIntervalIsByModeAndASetOneIsKept() {
    assertThat(ConfigMapping.server(ConfigLoader.load(null, Map.of(), Map.of())).processor())
        .extracting(ProcessorConfig::flushIntervalMillis)
        .isEqualTo(250L);
    Map<String, String> cluster = Map.of("TALLY_MODE", "cluster");
    assertThat(ConfigMapping.server(ConfigLoader.load(null, cluster, Map.of())).processor())
        .extracting(ProcessorConfig::flushIntervalMillis)
        .isEqualTo(500L);
    Map<String, String> set =
        Map.of("TALLY_MODE", "cluster", "TALLY_PROCESSOR_FLUSH_INTERVAL_MS", "2000");
    assertThat(ConfigMapping.server(ConfigLoader.load(null, set, Map.of())).processor())
        .extracting(ProcessorConfig::flushIntervalMillis)
        .isEqualTo(2_000L);
  }

  @Test
  void fileSetsNestedAndDottedKeysAndLists() throws IOException {
    Path file =
        yaml(
            """
        server:
          port: 9090
          host: 0.0.0.0
        storage.fsync: 100ms
        storage.log-retention: 36h
        retention:
          minute: 2d
        enrich:
          derive: [channel, creator]
        topk:
          windows:
            - 10m
            - 2h
        """);
    ServerConfig s = ConfigMapping.server(ConfigLoader.load(file, Map.of(), Map.of()));
    assertThat(s.port()).isEqualTo(9090);
    assertThat(s.host()).isEqualTo("0.0.0.0");
    assertThat(s.fsync()).isEqualTo(new FsyncPolicy(100));
    assertThat(s.logRetentionMillis()).isEqualTo(36 * 3_600_000L);
    assertThat(s.query().retention().minuteMillis()).isEqualTo(2 * 86_400_000L);
    assertThat(s.derive()).containsExactly("channel", "creator");
    assertThat(s.topK().windowNames()).isEqualTo("10m, 2h");
  }

  @Test
  void environmentOverridesTheFileAndFlagsOverrideBoth() throws IOException {
    Path file = yaml("server:\n  port: 9090\n  host: 10.0.0.1\nstorage:\n  partitions: 4\n");
    Map<String, String> env = Map.of("TALLY_SERVER_PORT", "9191", "TALLY_STORAGE_PARTITIONS", "16");
    EffectiveConfig config = ConfigLoader.load(file, env, Map.of(STORAGE_PARTITIONS, "32"));

    assertThat(config.get(SERVER_HOST)).isEqualTo("10.0.0.1");
    assertThat(config.value(SERVER_HOST).origin()).isEqualTo(Origin.file(file.toString(), 3));
    assertThat(config.get(SERVER_PORT)).isEqualTo(9191);
    assertThat(config.value(SERVER_PORT).origin()).isEqualTo(Origin.env("TALLY_SERVER_PORT"));
    assertThat(config.get(STORAGE_PARTITIONS)).isEqualTo(32);
    assertThat(config.value(STORAGE_PARTITIONS).origin()).isEqualTo(Origin.flag("--partitions"));
    assertThat(config.value(SERVER_MAX_BODY_BYTES).origin()).isEqualTo(Origin.DEFAULT);
  }

  @Test
  void tallyConfigNamesTheFileUnlessAFileIsGiven() throws IOException {
    Path fromEnv = yaml("server.port: 7001\n");
    Path given = yaml("server.port: 7002\n");
    assertThat(
            ConfigLoader.load(null, Map.of("TALLY_CONFIG", fromEnv.toString()), Map.of())
                .get(SERVER_PORT))
        .isEqualTo(7001);
    assertThat(
            ConfigLoader.load(given, Map.of("TALLY_CONFIG", fromEnv.toString()), Map.of())
                .get(SERVER_PORT))
        .isEqualTo(7002);
  }

  @Test
  void anEmptyFileSetsNothing() throws IOException {
    assertThat(ConfigMapping.server(ConfigLoader.load(yaml(""), Map.of(), Map.of())))
        .isEqualTo(EffectiveConfig.defaults().server());
  }

  @Test
  void anOverrideOfTheEffectiveConfigurationIsCheckedLikeAFlag() {
    EffectiveConfig config =
        EffectiveConfig.defaults()
            .with(SERVER_PORT, 0)
            .with(ENRICH_DERIVE, List.of("channel", "creator"))
            .with(SECURITY_HEADER_TIMEOUT, "1500ms");
    assertThat(config.value(SERVER_PORT))
        .isEqualTo(new EffectiveConfig.Value("0", Origin.flag("--port")));
    ServerConfig server = config.server();
    assertThat(server.port()).isZero();
    assertThat(server.derive()).containsExactly("channel", "creator");
    assertThat(server.security().limits().headerTimeoutMillis()).isEqualTo(1500);
    assertThat(server.processor())
        .usingRecursiveComparison()
        .ignoringFields("dedupCapacity")
        .isEqualTo(ProcessorConfig.DEFAULTS);
    assertThatThrownBy(() -> EffectiveConfig.defaults().with(SERVER_PORT, 70_000))
        .isInstanceOf(ConfigException.class)
        .hasMessage(
            "bad value '70000' for server.port from flag --port: allowed an integer from 0 to 65535");
  }

  @Test
  void everyKeyHasAMechanicalEnvironmentVariable() {
    assertThat(SERVER_PORT.envName()).isEqualTo("TALLY_SERVER_PORT");
    assertThat(CLUSTER_KAFKA_SESSION_TIMEOUT_MS.envName())
        .isEqualTo("TALLY_CLUSTER_KAFKA_SESSION_TIMEOUT_MS");
    for (ConfigKey<?> key : ConfigKeys.ALL) {
      EffectiveConfig config =
          ConfigLoader.load(null, Map.of(key.envName(), key.defaultValue()), Map.of());
      assertThat(config.value(key).origin()).as(key.name()).isEqualTo(Origin.env(key.envName()));
    }
  }

  @Test
  void anUnknownKeyInTheFileFailsNamingItsLineAndTheClosestKey() throws IOException {
    Path file = yaml("server:\n  host: 0.0.0.0\n  prot: 9090\n");
    assertThatThrownBy(() -> ConfigLoader.load(file, Map.of(), Map.of()))
        .isInstanceOf(ConfigException.class)
        .hasMessage(
            "unknown key 'server.prot' in "
                + file
                + " line 3; did you mean 'server.port'?;"
                + " docs/configuration.md lists every key");
  }

  @Test
  void anUnknownKeyFarFromEveryKnownOneGetsNoSuggestion() throws IOException {
    Path file = yaml("colour: blue\n");
    assertThatThrownBy(() -> ConfigLoader.load(file, Map.of(), Map.of()))
        .hasMessageStartingWith("unknown key 'colour' in ")
        .hasMessageNotContaining("did you mean");
  }

  @Test
  void aNearMissOfAKeyVariableFailsWithASuggestionWhileOthersAreIgnored() {
    assertThatThrownBy(() -> ConfigLoader.load(null, Map.of("TALLY_SERVER_PROT", "1"), Map.of()))
        .isInstanceOf(ConfigException.class)
        .hasMessageStartingWith(
            "unknown environment variable TALLY_SERVER_PROT; did you mean 'TALLY_SERVER_PORT'?");
    assertThatThrownBy(() -> ConfigLoader.load(null, Map.of("TALLY_PORT", "9090"), Map.of()))
        .hasMessageStartingWith(
            "unknown environment variable TALLY_PORT; did you mean 'TALLY_SERVER_PORT'?");
    EffectiveConfig config =
        ConfigLoader.load(
            null,
            Map.of(
                "TALLY_JAVA_OPTS",
                "-Xmx1g",
                "TALLY_CHILD_JVM_OPTIONS",
                "-XX:TieredStopAtLevel=1",
                "PATH",
                "/bin",
                "TALLYHO",
                "x"),
            Map.of());
    assertThat(config.get(SERVER_PORT)).isEqualTo(8080);
    assertThat(config.warnings()).isEmpty();
  }

  @Test
  void aTallyVariableOfAScriptIsIgnoredWithAWarning() {
    EffectiveConfig config =
        ConfigLoader.load(
            null,
            Map.of("TALLY_DIR", "/opt/tally", "TALLY_HOME", "/home/t", "TALLY_KEY", "tly_sk_x"),
            Map.of());
    assertThat(config.get(SERVER_PORT)).isEqualTo(8080);
    assertThat(config.warnings())
        .containsExactly(
            "ignoring environment variable TALLY_DIR: it sets no configuration key"
                + " (docs/configuration.md lists the TALLY_* variables)",
            "ignoring environment variable TALLY_HOME: it sets no configuration key"
                + " (docs/configuration.md lists the TALLY_* variables)");
  }

  @Test
  void aBadValueFailsNamingTheKeyItsOriginAndTheAllowedValues() throws IOException {
    Path file = yaml("server:\n  port: 70000\n");
    assertThatThrownBy(() -> ConfigLoader.load(file, Map.of(), Map.of()))
        .isInstanceOf(ConfigException.class)
        .hasMessage(
            "bad value '70000' for server.port from file "
                + file
                + " line 2: allowed an integer from 0 to 65535");
    assertThatThrownBy(() -> ConfigLoader.load(null, Map.of("TALLY_MODE", "clustered"), Map.of()))
        .hasMessage(
            "bad value 'clustered' for mode from env TALLY_MODE: allowed embedded or cluster");
    assertThatThrownBy(() -> ConfigLoader.load(null, Map.of(), Map.of(STORAGE_FSYNC, "sometimes")))
        .hasMessage(
            "bad value 'sometimes' for storage.fsync from flag --fsync: allowed 'always' or an interval such as"
                + " 100ms or 1s (fsync must be 'always' or an interval such as 100ms or 1s; got 'sometimes')");
  }

  @Test
  void aBadValueFromALowerSourceStillFailsWhenAHigherOneOverridesIt() throws IOException {
    // a broken file is broken even if today's flags hide it: it would bite the next start without
    // them
    Path file = yaml("server.port: x\n");
    assertThatThrownBy(() -> ConfigLoader.load(file, Map.of(), Map.of(SERVER_PORT, "1")))
        .hasMessageContaining("bad value 'x' for server.port from file");
  }

  @Test
  void dedupCapacityIsSizedToTheHeapOrRefusedWhenTheFullWindowsWouldNotFit() {
    // the defect: a cluster node at -Xmx512m ended in an OutOfMemoryError under load, its 8
    // partitions' windows of 1,000,000 ids (448 MB when full) in a 512 MB heap
    long heap = Runtime.getRuntime().maxMemory();
    EffectiveConfig config = EffectiveConfig.defaults().with(STORAGE_PARTITIONS, 64);
    int auto = config.server().processor().dedupCapacity();
    // the raw store is on by default: its export keeps a second set of windows
    assertThat(auto).isEqualTo(DedupWindow.autoCapacity(heap, 64, 2));
    assertThat((double) auto * 64 * 2 * DedupWindow.MAX_BYTES_PER_ID)
        .isLessThanOrEqualTo(heap * DedupWindow.AUTO_HEAP_SHARE);
    assertThat(config.with(RAW_ENABLED, false).server().processor().dedupCapacity())
        .isEqualTo(DedupWindow.autoCapacity(heap, 64, 1));
    assertThat(config.with(PROCESSOR_DEDUP_CAPACITY, 1234).server().processor().dedupCapacity())
        .isEqualTo(1234);
    assertThatThrownBy(() -> config.with(PROCESSOR_DEDUP_CAPACITY, 100_000_000).server())
        .isInstanceOf(ConfigException.class)
        .hasMessageContaining("processor.dedup-capacity and storage.partitions")
        .hasMessageContaining("more than half of this JVM's")
        .hasMessageContaining("'auto'");
  }

  @Test
  void everyKindOfBadValueNamesItsKey() {
    Map<ConfigKey<?>, String> bad = new java.util.LinkedHashMap<>();
    bad.put(SERVER_HOST, " ");
    bad.put(SERVER_PORT, "http");
    bad.put(SERVER_MAX_BODY_BYTES, "100");
    bad.put(STORAGE_DATA_DIR, "");
    bad.put(STORAGE_PARTITIONS, "0");
    bad.put(STORAGE_FSYNC, "sometimes");
    bad.put(STORAGE_LOG_RETENTION, "30m");
    bad.put(PROCESSOR_THREADS, "many");
    bad.put(PROCESSOR_FLUSH_INTERVAL_MS, "1s");
    bad.put(PROCESSOR_DEDUP_WINDOW_MS, "-1");
    bad.put(PROCESSOR_DEDUP_CAPACITY, "0");
    bad.put(UNIQUES_LG_K, "22");
    bad.put(RETENTION_MINUTE, "1w");
    bad.put(RETENTION_HOUR, "");
    bad.put(RETENTION_DAY, "-3d");
    bad.put(RAW_ENABLED, "yes");
    bad.put(RAW_DIR, "raw\u0001");
    bad.put(RAW_RETENTION, "10m");
    bad.put(RAW_EXPORT_INTERVAL, "500ms");
    bad.put(RAW_EXPORT_THREADS, "0");
    bad.put(QUERY_CACHE_ENTRIES, "lots");
    bad.put(QUERY_MAX_BUCKETS, "0");
    bad.put(QUERY_ON_QUORUM_LOSS, "maybe");
    bad.put(INGEST_MAX_EVENTS_PER_REQUEST, "0");
    bad.put(INGEST_MAX_IN_FLIGHT_EVENTS, "1.5");
    bad.put(INGEST_MAX_BACKLOG_EVENTS, "1e9");
    bad.put(ENRICH_DERIVE, "channel,bad name");
    bad.put(TOPK_WINDOWS, "5m,2w");
    bad.put(TOPK_SKETCH_SIZE, "1000");
    bad.put(CLUSTER_KAFKA_BOOTSTRAP, "kafka");
    bad.put(CLUSTER_KAFKA_TOPIC_PREFIX, "tally/");
    bad.put(CLUSTER_KAFKA_REPLICATION_FACTOR, "0");
    bad.put(CLUSTER_KAFKA_SESSION_TIMEOUT_MS, "10");
    bad.put(CLUSTER_KAFKA_COMPRESSION, "brotli");
    bad.put(CLUSTER_CASSANDRA_CONTACT_POINTS, "cassandra");
    bad.put(CLUSTER_CASSANDRA_DATACENTER, "");
    bad.put(CLUSTER_CASSANDRA_KEYSPACE, "Tally");
    bad.put(CLUSTER_CASSANDRA_REPLICATION, "SimpleStrategy");
    bad.put(CLUSTER_CASSANDRA_WRITE_CONSISTENCY, "MOST");
    bad.put(CLUSTER_CASSANDRA_READ_CONSISTENCY, "TWO_THIRDS");
    bad.put(CLUSTER_STORE, "mysql");
    bad.put(CLUSTER_POSTGRES_URLS, "postgres://db:5432/tally");
    bad.put(CLUSTER_POSTGRES_REPLICA_URLS, "db1r:5432");
    bad.put(CLUSTER_POSTGRES_USER, " ");
    bad.put(CLUSTER_POSTGRES_PASSWORD, "pass\u0000word");
    bad.put(CLUSTER_POSTGRES_SCHEMA, "Tally");
    bad.put(CLUSTER_NODE_ID, "node 1");
    bad.put(CLUSTER_ROLES, "ingest,writer");
    bad.put(MODE, "both");
    bad.put(OPS_READY_MAX_BACKLOG, "-1");
    bad.put(DEMO_ENABLED, "yes");
    bad.put(STORAGE_SALVAGE_WAL, "maybe");
    bad.put(DEMO_RATE, "0");
    bad.put(BROWSER_CORS_ORIGINS, "https://shop.example/path");
    bad.put(SECURITY_AUTH, "off");
    bad.put(SECURITY_TLS_CERT, "/no/such/cert.pem");
    bad.put(SECURITY_TLS_KEY, "/no/such/key.pem");
    bad.put(SECURITY_RATE_LIMIT_PER_KEY, "-5");
    bad.put(SECURITY_RATE_LIMIT_PER_ADDRESS, "fast");
    bad.put(SECURITY_HEADER_TIMEOUT, "10");
    bad.put(SECURITY_REQUEST_TIMEOUT, "2d");
    bad.put(SECURITY_IDLE_TIMEOUT, "0s");
    bad.put(SECURITY_MAX_CONNECTIONS, "0");
    bad.put(SECURITY_MAX_CONCURRENT_REQUESTS, "many");
    bad.put(SECURITY_MAX_HEADER_BYTES, "100");
    bad.put(SECURITY_MAX_REQUEST_LINE_BYTES, "10");
    bad.put(SECURITY_KEY_REFRESH_MS, "10");
    assertThat(bad.keySet())
        .as("a bad value for every key")
        .containsExactlyInAnyOrderElementsOf(ConfigKeys.ALL);
    bad.forEach(
        (key, value) ->
            assertThatThrownBy(
                    () -> ConfigLoader.load(null, Map.of(key.envName(), value), Map.of()))
                .as(key.name())
                .isInstanceOf(ConfigException.class)
                .hasMessageStartingWith(
                    "bad value '"
                        + (key.isSecret() ? "[redacted]" : value)
                        + "' for "
                        + key.name()
                        + " from env "
                        + key.envName()
                        + ": allowed "
                        + key.allowed()));
  }

  @Test
  void retentionThatShrinksTowardsCoarserBucketsNamesTheRetentionKeys() {
    EffectiveConfig config =
        ConfigLoader.load(null, Map.of(), Map.of(RETENTION_MINUTE, "30d", RETENTION_HOUR, "7d"));
    assertThatThrownBy(() -> ConfigMapping.server(config))
        .isInstanceOf(ConfigException.class)
        .hasMessageStartingWith(
            "retention.minute, retention.hour and retention.day: retention must not shrink");
  }

  @Test
  void inFlightBelowOneRequestNamesTheIngestKeys() {
    EffectiveConfig config =
        ConfigLoader.load(null, Map.of("TALLY_INGEST_MAX_IN_FLIGHT_EVENTS", "10"), Map.of());
    assertThatThrownBy(() -> ConfigMapping.server(config))
        .hasMessageStartingWith(
            "ingest.max-events-per-request and ingest.max-in-flight-events: ingest limits must be positive");
  }

  @Test
  void clusterModeNeedsKafkaAndCassandraAndSaysHowToSetThem() {
    EffectiveConfig noKafka = ConfigLoader.load(null, Map.of("TALLY_MODE", "cluster"), Map.of());
    assertThatThrownBy(() -> ConfigMapping.cluster(noKafka))
        .isInstanceOf(ConfigException.class)
        .hasMessage(
            "cluster.kafka.bootstrap is required when mode is cluster: set it in the file, as "
                + "TALLY_CLUSTER_KAFKA_BOOTSTRAP or with --kafka");
    EffectiveConfig noCassandra =
        ConfigLoader.load(
            null,
            Map.of("TALLY_MODE", "cluster"),
            Map.of(CLUSTER_KAFKA_BOOTSTRAP, "127.0.0.1:9092"));
    assertThatThrownBy(() -> ConfigMapping.cluster(noCassandra))
        .hasMessageStartingWith(
            "cluster.cassandra.contact-points is required when mode is cluster");
  }

  @Test
  void aPostgresStoreTakesItsShardsInTheirOrderAndNeedsNoCassandra() throws IOException {
    Path file =
        yaml(
            """
        mode: cluster
        storage: {partitions: 12}
        cluster:
          kafka: {bootstrap: k1:9092}
          store: postgres
          postgres:
            urls: [jdbc:postgresql://db2:5432/tally, jdbc:postgresql://db1:5432/tally]
            schema: counts
        """);
    ClusterConfig c = ConfigMapping.cluster(ConfigLoader.load(file, Map.of(), Map.of()));
    assertThat(c.cassandra()).isNull();
    assertThat(c.postgres())
        .extracting(PostgresSettings::jdbcUrl)
        .containsExactly("jdbc:postgresql://db2:5432/tally", "jdbc:postgresql://db1:5432/tally");
    assertThat(c.postgres()).allSatisfy(s -> assertThat(s.schema()).isEqualTo("counts"));
    assertThat(c.postgres().get(0).user()).isEqualTo("tally");
    EffectiveConfig noShards =
        ConfigLoader.load(
            null,
            Map.of("TALLY_MODE", "cluster"),
            Map.of(CLUSTER_KAFKA_BOOTSTRAP, "127.0.0.1:9092", CLUSTER_STORE, "postgres"));
    assertThatThrownBy(() -> ConfigMapping.cluster(noShards))
        .hasMessageStartingWith(
            "cluster.postgres.urls is required when cluster.store is postgres: set it in the file,"
                + " as TALLY_CLUSTER_POSTGRES_URLS or with --postgres");
  }

  @Test
  void postgresReplicasAreGivenPerShardInTheShardsOrder() {
    Map<ConfigKey<?>, String> flags =
        Map.of(
            CLUSTER_KAFKA_BOOTSTRAP,
            "127.0.0.1:9092",
            CLUSTER_STORE,
            "postgres",
            CLUSTER_POSTGRES_URLS,
            "jdbc:postgresql://db1:5432/tally,jdbc:postgresql://db2:5432/tally",
            CLUSTER_POSTGRES_REPLICA_URLS,
            "none, jdbc:postgresql://db2r:5432/tally");
    ClusterConfig c =
        ConfigMapping.cluster(ConfigLoader.load(null, Map.of("TALLY_MODE", "cluster"), flags));
    assertThat(c.postgresReplicas()).hasSize(2);
    assertThat(c.postgresReplicas().get(0)).isEmpty();
    assertThat(c.postgresReplicas().get(1).orElseThrow().jdbcUrl())
        .isEqualTo("jdbc:postgresql://db2r:5432/tally");
    assertThat(c.postgresReplicas().get(1).orElseThrow().schema()).isEqualTo("tally");

    Map<ConfigKey<?>, String> oneForTwo = new java.util.HashMap<>(flags);
    oneForTwo.put(CLUSTER_POSTGRES_REPLICA_URLS, "jdbc:postgresql://db1r:5432/tally");
    assertThatThrownBy(
            () ->
                ConfigMapping.cluster(
                    ConfigLoader.load(null, Map.of("TALLY_MODE", "cluster"), oneForTwo)))
        .hasMessageStartingWith("cluster.postgres.replica-urls has 1 entries for 2 shards");
    oneForTwo.put(CLUSTER_POSTGRES_REPLICA_URLS, "db1r:5432,none");
    assertThatThrownBy(() -> ConfigLoader.load(null, Map.of("TALLY_MODE", "cluster"), oneForTwo))
        .hasMessageContaining("bad value 'db1r:5432,none' for cluster.postgres.replica-urls");
  }

  @Test
  void thePostgresPasswordComesFromTheEnvironmentAndIsNeverShown() {
    String secret = "s3cr3t-Pa55";
    EffectiveConfig config =
        ConfigLoader.load(
            null,
            Map.of("TALLY_MODE", "cluster", "TALLY_CLUSTER_POSTGRES_PASSWORD", secret),
            Map.of(
                CLUSTER_KAFKA_BOOTSTRAP,
                "127.0.0.1:9092",
                CLUSTER_STORE,
                "postgres",
                CLUSTER_POSTGRES_URLS,
                "jdbc:postgresql://db1:5432/tally",
                CLUSTER_POSTGRES_REPLICA_URLS,
                "jdbc:postgresql://db1r:5432/tally"));
    ClusterConfig c = ConfigMapping.cluster(config);
    assertThat(c.postgres().get(0).password()).isEqualTo(secret);
    assertThat(c.postgresReplicas().get(0).orElseThrow().password()).isEqualTo(secret);
    assertThat(config.toYaml()).doesNotContain(secret).contains("# password: (set, not shown)");
    assertThat(c.postgres().get(0).toString()).doesNotContain(secret).contains("[redacted]");
    assertThat(c.toString()).doesNotContain(secret);
  }

  @Test
  void clusterKeysReachTheClusterConfig() throws IOException {
    Path file =
        yaml(
            """
        mode: cluster
        server: {host: 10.1.2.3, port: 8081}
        storage: {partitions: 12}
        cluster:
          kafka:
            bootstrap: k1:9092,k2:9092
            topic-prefix: prod.
            replication-factor: 3
            compression: zstd
          cassandra:
            contact-points: [c1:9042, c2:9042]
            datacenter: eu
            keyspace: counts
            replication: NetworkTopologyStrategy:eu=3
            write-consistency: quorum
          roles: [ingest, query]
        """);
    ClusterConfig c = ConfigMapping.cluster(ConfigLoader.load(file, Map.of(), Map.of()));
    assertThat(c.kafka().bootstrapServers()).isEqualTo("k1:9092,k2:9092");
    assertThat(c.kafka().topicPrefix()).isEqualTo("prod.");
    assertThat(c.kafka().partitions()).isEqualTo(12);
    assertThat(c.kafka().replicationFactor()).isEqualTo((short) 3);
    assertThat(c.kafka().compression()).isEqualTo("zstd");
    assertThat(c.kafka().nodeId()).isEqualTo("10.1.2.3-8081");
    assertThat(c.cassandra().contactPoints())
        .extracting(InetSocketAddress::getHostString)
        .containsExactly("c1", "c2");
    assertThat(c.cassandra().localDatacenter()).isEqualTo("eu");
    assertThat(c.cassandra().keyspace()).isEqualTo("counts");
    assertThat(c.cassandra().writeConsistency()).isEqualTo(DefaultConsistencyLevel.QUORUM);
    assertThat(c.cassandra().readConsistency()).isEqualTo(DefaultConsistencyLevel.ONE);
    assertThat(c.roles()).isEqualTo(new ClusterConfig.Roles(true, false, false, true));
    assertThat(ConfigLoader.load(file, Map.of(), Map.of()).get(CLUSTER_ROLES))
        .isEqualTo(Set.of("ingest", "query"));
  }

  @Test
  void anEmptyWindowListTurnsTopKOff() {
    EffectiveConfig config = ConfigLoader.load(null, Map.of(), Map.of(TOPK_WINDOWS, ""));
    assertThat(ConfigMapping.server(config).topK()).isEqualTo(TopKConfig.DISABLED);
  }

  @Test
  void filesThatAreNotAConfigurationFailWithTheFileAndLine() throws IOException {
    assertThatThrownBy(() -> ConfigLoader.load(dir.resolve("missing.yaml"), Map.of(), Map.of()))
        .isInstanceOf(ConfigException.class)
        .hasMessage("configuration file not found: " + dir.resolve("missing.yaml"));
    Path list = yaml("- port\n- 8080\n");
    assertThatThrownBy(() -> ConfigLoader.load(list, Map.of(), Map.of()))
        .hasMessage(list + ": the configuration must be a mapping of keys to values (line 1)");
    Path broken = yaml("server:\n  port: [8080\n");
    assertThatThrownBy(() -> ConfigLoader.load(broken, Map.of(), Map.of()))
        .hasMessage(
            broken + ": not valid YAML at line 3: expected ',' or ']', but got <stream end>");
    Path broken2 = yaml("server:\n  port: 1\n\thost: x\n");
    assertThatThrownBy(() -> ConfigLoader.load(broken2, Map.of(), Map.of()))
        .hasMessageStartingWith(
            broken2
                + ": not valid YAML at line 3: found character '\\t(TAB)' that cannot start any token");
    Path section = yaml("server: 5\n");
    assertThatThrownBy(() -> ConfigLoader.load(section, Map.of(), Map.of()))
        .hasMessage(
            "'server' in "
                + section
                + " line 1 is a section, not a value: give its keys, such as server.host");
    Path twice = yaml("server:\n  port: 1\nserver.port: 2\n");
    assertThatThrownBy(() -> ConfigLoader.load(twice, Map.of(), Map.of()))
        .hasMessage(twice + ": server.port is set twice (lines 2 and 3)");
    Path nested = yaml("cluster:\n  roles:\n    - {name: ingest}\n");
    assertThatThrownBy(() -> ConfigLoader.load(nested, Map.of(), Map.of()))
        .hasMessage(nested + ": cluster.roles (line 3) must be a list of plain values");
  }

  @Test
  void printedConfigurationReadsBackToTheSameValues() throws IOException {
    Path file = yaml("enrich:\n  derive: [channel]\ncluster:\n  node-id: \"node-1\"\n");
    EffectiveConfig config =
        ConfigLoader.load(
            file,
            Map.of("TALLY_SERVER_HOST", "::1", "TALLY_TOPK_WINDOWS", ""),
            Map.of(STORAGE_DATA_DIR, "/var/lib/tally data", SERVER_PORT, "9000"));
    String yaml = config.toYaml();
    assertThat(yaml)
        .contains("  port: 9000")
        .containsPattern("port: 9000 +# flag --port\n")
        .containsPattern("host: \"::1\" +# env TALLY_SERVER_HOST\n")
        .containsPattern(
            "derive: \\[channel\\] +# file "
                + java.util.regex.Pattern.quote(file.toString())
                + " line 2\n")
        .containsPattern("windows: \\[\\] +# env TALLY_TOPK_WINDOWS\n")
        .containsPattern("bootstrap: \"\" +# default\n");
    EffectiveConfig reread = ConfigLoader.load(yaml(yaml), Map.of(), Map.of());
    for (ConfigKey<?> key : ConfigKeys.ALL) {
      assertThat(reread.get(key)).as(key.name()).isEqualTo(config.get(key));
    }
  }

  @Test
  void docsListEveryKeyWithItsDefault() throws IOException {
    Path docs = Path.of("..", "docs", "configuration.md");
    String table = ConfigReference.markdownTable();
    Path expected = Path.of("target", "configuration-keys.md");
    Files.writeString(expected, table);
    assertThat(Files.readString(docs))
        .as(
            "docs/configuration.md must hold the table ConfigReference generates; copy it from tally-server/"
                + expected)
        .contains(table);
    assertThat(List.of(table.split("\n"))).hasSize(ConfigKeys.ALL.size() + 2);
  }
}
