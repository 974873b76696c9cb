package io.tally.server.config;

import static io.tally.server.config.ValueParsers.*;

import com.datastax.oss.driver.api.core.DefaultConsistencyLevel;
import io.tally.cassandra.CassandraSettings;
import io.tally.core.enrich.DerivedEntities;
import io.tally.core.ingest.IngestLimits;
import io.tally.core.partition.Partitioner;
import io.tally.core.process.ProcessorConfig;
import io.tally.core.query.QueryConfig;
import io.tally.core.raw.RawConfig;
import io.tally.core.retention.Retention;
import io.tally.core.store.QuorumLoss;
import io.tally.core.topk.TopKConfig;
import io.tally.core.topk.TopKWindow;
import io.tally.core.uniques.UniquesConfig;
import io.tally.kafka.KafkaSettings;
import io.tally.rocksdb.FsyncPolicy;
import io.tally.server.BrowserSettings;
import io.tally.server.OpsConfig;
import io.tally.server.ServerConfig;
import io.tally.server.security.SecurityConfig;
import java.net.InetSocketAddress;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.function.Function;
import java.util.stream.Collectors;

/**
 * The registry of every configuration key: the single source of the YAML file's keys, the {@code
 * TALLY_*} environment variables, the {@code tally serve} flags, {@code tally config}'s output and
 * docs/configuration.md. Adding a key is one line here (name, flag, default, allowed values, doc, a
 * reader from {@link ValueParsers}) and one line in {@link ConfigMapping} that hands its value to
 * the record that uses it.
 *
 * <p>A default is written once: here for what only the server uses (the host, the port, the data
 * dir…); for a value a record of the core or of a seam also has a default for ({@link
 * ProcessorConfig#DEFAULTS}, {@link Retention#DEFAULTS}, {@link SecurityConfig#DEFAULTS}, {@link
 * KafkaSettings#defaults}…), the key's default text is written from that record, so the two cannot
 * differ.
 *
 * <p>The keys register themselves in declaration order while the class initializes; {@link #ALL} is
 * that order, which is also the order of the docs and of {@code tally config}.
 */
public final class ConfigKeys {
  private static final List<ConfigKey<?>> REGISTERING = new ArrayList<>();

  /** The seams' own defaults, which the cluster keys' default texts are written from. */
  private static final KafkaSettings KAFKA = KafkaSettings.defaults("", "");

  private static final CassandraSettings CASSANDRA =
      CassandraSettings.defaults(InetSocketAddress.createUnresolved("localhost", 9042));

  public static final ConfigKey<String> MODE =
      key(
          "mode",
          "--mode",
          "embedded",
          "embedded or cluster",
          "'embedded' (RocksDB, one process) or 'cluster' (a node on Kafka and Cassandra)",
          choice("embedded", "cluster"));

  public static final ConfigKey<String> SERVER_HOST =
      key(
          "server.host",
          "--host",
          "127.0.0.1",
          "a host name or IP address",
          "Address the HTTP API listens on",
          nonEmpty());
  public static final ConfigKey<Integer> SERVER_PORT =
      key(
          "server.port",
          "--port",
          "8080",
          "an integer from 0 to 65535",
          "HTTP port (0: any free port)",
          integer(0, 65_535));
  public static final ConfigKey<Integer> SERVER_MAX_BODY_BYTES =
      key(
          "server.max-body-bytes",
          "--max-body-bytes",
          "4194304",
          "an integer from 1024 to 1073741824",
          "Largest request body accepted (beyond: 413)",
          integer(1024, 1 << 30));

  public static final ConfigKey<Path> STORAGE_DATA_DIR =
      key(
          "storage.data-dir",
          "--data-dir",
          "data",
          "a directory path",
          "Where the log, counters and attributes live (cluster mode: only the node's attributes replica)",
          nonEmpty().andThen(Path::of));
  public static final ConfigKey<Integer> STORAGE_PARTITIONS =
      key(
          "storage.partitions",
          "--partitions",
          "8",
          "an integer from 1 to " + Partitioner.MAX_PARTITIONS,
          "Partitions P, fixed when the data dir (cluster mode: the topics) is created",
          integer(1, Partitioner.MAX_PARTITIONS));
  public static final ConfigKey<FsyncPolicy> STORAGE_FSYNC =
      key(
          "storage.fsync",
          "--fsync",
          "always",
          "'always' or an interval such as 100ms or 1s",
          "'always': acknowledge after fsync (group commit); an interval: faster, a power loss may lose that much",
          FsyncPolicy::parse);
  public static final ConfigKey<Long> STORAGE_LOG_RETENTION =
      key(
          "storage.log-retention",
          "--log-retention",
          Retention.describe(ServerConfig.DEFAULT_LOG_RETENTION_MILLIS),
          "a number of days, hours or minutes (7d, 36h, 90m), at least 1h, or 'forever'",
          "Embedded: how long the event log keeps events, by the time they were logged; what the processors or the raw "
              + "export still need stays longer (docs/operations.md)",
          text -> atLeast(Retention.parse(text), 3_600_000L));
  public static final ConfigKey<Boolean> STORAGE_SALVAGE_WAL =
      key(
          "storage.salvage-wal",
          "--salvage-wal",
          "false",
          ConfigKey.SWITCH_ALLOWED,
          "Embedded: open a data dir whose write-ahead log is damaged or incomplete with what survives, and log and show in "
              + "/healthz what was lost; without it such a data dir is refused (docs/operations.md, \"The write-ahead log\")",
          bool());

  public static final ConfigKey<Integer> PROCESSOR_THREADS =
      key(
          "processor.threads",
          "--processor-threads",
          "auto",
          "'auto' (the CPU count, at most 4) or an integer from 1 to 256",
          "Processor threads; partition p belongs to thread p mod threads",
          text ->
              text.trim().equals("auto")
                  ? ProcessorConfig.DEFAULTS.threads()
                  : integer(1, 256).apply(text));

  /** {@link #PROCESSOR_FLUSH_INTERVAL_MS}'s 'auto': by mode. */
  public static final long AUTO_FLUSH_INTERVAL = 0;

  /** 'auto' in embedded mode: fresh counts (docs/benchmarks.md, issue 17). */
  public static final long EMBEDDED_FLUSH_INTERVAL_MILLIS =
      ProcessorConfig.DEFAULTS.flushIntervalMillis();

  /**
   * 'auto' in cluster mode: a flush is a Kafka transaction and a materializer step. Half a second
   * about halved the freshness p50 of a one-node cluster at half rate (0.82–1.26 s against
   * 1.41–2.23 s with a second, alternated runs) at no CPU per event the runs could tell apart
   * (docs/benchmarks.md).
   */
  public static final long CLUSTER_FLUSH_INTERVAL_MILLIS = 500;

  public static final ConfigKey<Long> PROCESSOR_FLUSH_INTERVAL_MS =
      key(
          "processor.flush-interval-ms",
          "--flush-interval-ms",
          "auto",
          "'auto' or an integer from 1 to 3600000",
          "How often counts are written, in milliseconds (freshness); 'auto': "
              + EMBEDDED_FLUSH_INTERVAL_MILLIS
              + " embedded, "
              + CLUSTER_FLUSH_INTERVAL_MILLIS
              + " in cluster mode",
          text ->
              text.trim().equals("auto")
                  ? AUTO_FLUSH_INTERVAL
                  : longInteger(1, 3_600_000).apply(text));

  public static final ConfigKey<Long> PROCESSOR_DEDUP_WINDOW_MS =
      key(
          "processor.dedup-window-ms",
          "--dedup-window-ms",
          Long.toString(ProcessorConfig.DEFAULTS.dedupWindowMillis()),
          "an integer from 0 to 86400000",
          "How long, in log append time, a repeated event id is recognised as a duplicate",
          longInteger(0, 86_400_000));

  /** {@link #PROCESSOR_DEDUP_CAPACITY}'s 'auto': sized from the heap and the partitions. */
  public static final int AUTO_DEDUP_CAPACITY = 0;

  public static final ConfigKey<Integer> PROCESSOR_DEDUP_CAPACITY =
      key(
          "processor.dedup-capacity",
          "--dedup-capacity",
          "auto",
          "'auto' or an integer from 1 to 100000000; the windows of all partitions, full, must"
              + " fit in half the heap (twice over with the raw store on)",
          "Most event ids remembered per partition (at most 56 bytes each); 'auto': as many as"
              + " fit in 30 % of the heap over all partitions, at most 1000000. The raw export"
              + " keeps windows of its own at this capacity, and the 30 % counts them",
          text ->
              text.trim().equals("auto")
                  ? AUTO_DEDUP_CAPACITY
                  : integer(1, 100_000_000).apply(text));

  public static final ConfigKey<Integer> UNIQUES_LG_K =
      key(
          "uniques.lg-k",
          "--uniques-lg-k",
          Integer.toString(UniquesConfig.DEFAULTS.lgK()),
          "an integer from " + UniquesConfig.MIN_LG_K + " to " + UniquesConfig.MAX_LG_K,
          "Size of the actor sketches behind fn=uniques: 2^lg-k HLL registers, relative"
              + " standard error about 1.04/sqrt(2^lg-k) (12: 1.6 %, 95 % bounds about 3.3 %); a"
              + " counter row with actors stores 4 bytes per actor while exact, at most 2^(lg-k -"
              + " 1) + 40 bytes (12: 2,088) once estimating; a change applies to new deltas",
          integer(UniquesConfig.MIN_LG_K, UniquesConfig.MAX_LG_K));

  public static final ConfigKey<Long> RETENTION_MINUTE =
      key(
          "retention.minute",
          "--retention-minute",
          Retention.describe(Retention.DEFAULTS.minuteMillis()),
          "a number of days, hours or minutes (7d, 36h, 90m), at least 1h, or 'forever'",
          "How long minute buckets are kept after they end; also the oldest event time accepted",
          text -> atLeast(Retention.parse(text), 3_600_000L));
  public static final ConfigKey<Long> RETENTION_HOUR =
      key(
          "retention.hour",
          "--retention-hour",
          Retention.describe(Retention.DEFAULTS.hourMillis()),
          "a number of days, hours or minutes, or 'forever'; not below retention.minute",
          "How long hour buckets are kept",
          Retention::parse);
  public static final ConfigKey<Long> RETENTION_DAY =
      key(
          "retention.day",
          "--retention-day",
          Retention.describe(Retention.DEFAULTS.dayMillis()),
          "a number of days, hours or minutes, or 'forever'; not below retention.hour",
          "How long day buckets are kept (the total is kept forever)",
          Retention::parse);

  public static final ConfigKey<Boolean> RAW_ENABLED =
      key(
          "raw.enabled",
          "--raw",
          Boolean.toString(RawConfig.DEFAULTS.enabled()),
          ConfigKey.SWITCH_ALLOWED,
          "Keep every counted event (after dedup, with its entity's attributes) as Parquet"
              + " files per closed minute, for SQL (POST /v1/query) and recounts (docs/raw.md)",
          bool());
  public static final ConfigKey<Optional<Path>> RAW_DIR =
      key(
          "raw.dir",
          "--raw-dir",
          "",
          "a directory path without control characters; empty: <storage.data-dir>/raw (embedded),"
              + " no raw store (cluster)",
          "Where the raw store's Parquet files and manifests live; in cluster mode a directory every"
              + " node reaches (docs/raw.md)",
          text -> {
            if (text.chars().anyMatch(Character::isISOControl)) {
              throw notAllowed();
            }
            return text.isBlank() ? Optional.empty() : Optional.of(Path.of(text.trim()));
          });
  public static final ConfigKey<Long> RAW_RETENTION =
      key(
          "raw.retention",
          "--raw-retention",
          Retention.describe(RawConfig.DEFAULTS.retentionMillis()),
          "a number of days, hours or minutes (30d, 36h), at least 1h, or 'forever'",
          "How long raw events are kept, by the time they were logged (whole files)",
          text -> atLeast(Retention.parse(text), 3_600_000L));
  public static final ConfigKey<Long> RAW_EXPORT_INTERVAL =
      key(
          "raw.export-interval",
          "--raw-export-interval",
          RawConfig.DEFAULTS.exportIntervalMillis() / 60_000 + "m",
          "a duration from 1s to 1h (30s, 1m, 5m)",
          "How often closed minutes of counted events are exported to the raw store",
          durationMillis(1_000, 3_600_000));
  public static final ConfigKey<Integer> RAW_EXPORT_THREADS =
      key(
          "raw.export-threads",
          "--raw-export-threads",
          Integer.toString(RawConfig.DEFAULTS.exportThreads()),
          "an integer from 1 to 64",
          "Partitions exported to the raw store at once, each on a thread and a DuckDB connection"
              + " of its own (one thread fell behind sustained ingest on 2 cores)",
          integer(1, 64));

  public static final ConfigKey<Long> QUERY_CACHE_ENTRIES =
      key(
          "query.cache-entries",
          "--query-cache-entries",
          Long.toString(QueryConfig.DEFAULTS.cacheMaxEntries()),
          "an integer from 0 to 100000000",
          "Most query answers cached, each for at most one flush interval"
              + " (on Cassandra at most 200 ms; 0: no cache)",
          longInteger(0, 100_000_000));
  public static final ConfigKey<Integer> QUERY_MAX_BUCKETS =
      key(
          "query.max-buckets",
          "--query-max-buckets",
          Integer.toString(QueryConfig.DEFAULTS.maxBuckets()),
          "an integer from 1 to 1000000",
          "Most buckets one series query may span; left at its default, at least the minute"
              + " retention's whole history (one query can fetch it all)",
          integer(1, 1_000_000));
  public static final ConfigKey<QuorumLoss> QUERY_ON_QUORUM_LOSS =
      key(
          "query.on-quorum-loss",
          "--on-quorum-loss",
          "stale",
          "stale or fail",
          "Cluster mode: when a read cannot reach its consistency, 'stale' reads one replica and says \"consistency\": \"one\"; 'fail' answers 503",
          choice("stale", "fail").andThen(v -> QuorumLoss.valueOf(v.toUpperCase(Locale.ROOT))));

  public static final ConfigKey<Integer> INGEST_MAX_EVENTS_PER_REQUEST =
      key(
          "ingest.max-events-per-request",
          "--max-events-per-request",
          Integer.toString(IngestLimits.DEFAULTS.maxEventsPerRequest()),
          "an integer from 1 to 10000000",
          "Most events one request may carry (beyond: 413)",
          integer(1, 10_000_000));
  public static final ConfigKey<Long> INGEST_MAX_IN_FLIGHT_EVENTS =
      key(
          "ingest.max-in-flight-events",
          "--max-in-flight-events",
          Long.toString(IngestLimits.DEFAULTS.maxInFlightEvents()),
          "an integer from 1 to 1000000000, at least ingest.max-events-per-request",
          "Most events accepted but not yet durable, over all requests (beyond: 503)",
          longInteger(1, 1_000_000_000));
  public static final ConfigKey<Long> INGEST_MAX_BACKLOG_EVENTS =
      key(
          "ingest.max-backlog-events",
          "--max-backlog-events",
          Long.toString(IngestLimits.DEFAULTS.maxBacklogEvents()),
          "an integer from 1 to 10000000000",
          "Most events durable but not yet counted (beyond: 503)",
          longInteger(1, 10_000_000_000L));
  public static final ConfigKey<Long> OPS_READY_MAX_BACKLOG =
      key(
          "ops.ready-max-backlog",
          "--ready-max-backlog",
          Long.toString(OpsConfig.DEFAULTS.readyMaxBacklogEvents()),
          "an integer from 0 to 10000000000",
          "Most events logged but not yet counted while /readyz still answers ready",
          longInteger(0, 10_000_000_000L));

  public static final ConfigKey<List<String>> ENRICH_DERIVE =
      list(
          "enrich.derive",
          "--derive",
          "",
          "attribute names (letters, digits, _ . -), comma-separated",
          "Attributes whose values derive entities: with 'channel', an event on an entity whose attributes say "
              + "channel=c1 also counts for channel:c1",
          names -> DerivedEntities.of(names).attributeNames());

  public static final ConfigKey<BrowserSettings> BROWSER_CORS_ORIGINS =
      list(
          "browser.cors-origins",
          "--cors-origin",
          "",
          "origins scheme://host[:port] (no path), or *, comma-separated or the flag repeated",
          "Origins whose pages may call the API and send beacons (/tally.js); none by default",
          BrowserSettings::new);

  public static final ConfigKey<List<TopKWindow>> TOPK_WINDOWS =
      list(
          "topk.windows",
          "--topk-windows",
          TopKConfig.DEFAULTS.windows().stream()
              .map(TopKWindow::toString)
              .collect(Collectors.joining(",")),
          "windows of whole minutes from 1m to 7d such as 5m, 1h, 24h, comma-separated; empty turns top-K off",
          "Sliding windows GET /v1/top answers for",
          names -> TopKConfig.parseWindows(String.join(",", names)));
  public static final ConfigKey<Integer> TOPK_SKETCH_SIZE =
      key(
          "topk.sketch-size",
          "--topk-sketch-size",
          Integer.toString(TopKConfig.DEFAULTS.sketchSize()),
          "a power of two from 8 to 65536",
          "Top-K sketch size per window slot and partition; exact below 0.75 x this many entities",
          integer(8, 65_536).andThen(ValueParsers::powerOfTwo));

  public static final ConfigKey<Optional<String>> CLUSTER_KAFKA_BOOTSTRAP =
      key(
          "cluster.kafka.bootstrap",
          "--kafka",
          "",
          "host:port, comma-separated; required in cluster mode",
          "Kafka bootstrap servers",
          optional()
              .andThen(
                  servers -> servers.map(matching("[^,\\s]+:[0-9]{1,5}(,[^,\\s]+:[0-9]{1,5})*"))));
  public static final ConfigKey<String> CLUSTER_KAFKA_TOPIC_PREFIX =
      key(
          "cluster.kafka.topic-prefix",
          "--topic-prefix",
          KAFKA.topicPrefix(),
          "letters, digits, '.', '_' and '-'",
          "Prefix of the topic and consumer group names",
          matching("[A-Za-z0-9._-]{1,200}"));
  public static final ConfigKey<Short> CLUSTER_KAFKA_REPLICATION_FACTOR =
      key(
          "cluster.kafka.replication-factor",
          "--replication-factor",
          Short.toString(KAFKA.replicationFactor()),
          "an integer from 1 to 32",
          "Replication factor of the topics Tally creates",
          integer(1, 32).andThen(Integer::shortValue));
  public static final ConfigKey<Integer> CLUSTER_KAFKA_SESSION_TIMEOUT_MS =
      key(
          "cluster.kafka.session-timeout-ms",
          "--session-timeout-ms",
          Integer.toString(KAFKA.sessionTimeoutMillis()),
          "an integer from 1000 to 1800000 (within the brokers' group session bounds)",
          "How soon a dead node's partitions move, in milliseconds",
          integer(1000, 1_800_000));
  public static final ConfigKey<String> CLUSTER_KAFKA_COMPRESSION =
      key(
          "cluster.kafka.compression",
          "--kafka-compression",
          KAFKA.compression(),
          String.join(", ", KafkaSettings.COMPRESSIONS),
          "Codec of the batches sent to the events and deltas topics: lz4 least CPU, zstd half the"
              + " bytes, none least CPU and allocation at about 4x the bytes",
          choice(KafkaSettings.COMPRESSIONS.toArray(String[]::new)));
  public static final ConfigKey<List<InetSocketAddress>> CLUSTER_CASSANDRA_CONTACT_POINTS =
      list(
          "cluster.cassandra.contact-points",
          "--cassandra",
          "",
          "host:port, comma-separated; required in cluster mode",
          "Cassandra contact points",
          ValueParsers::hostPorts);
  public static final ConfigKey<String> CLUSTER_CASSANDRA_DATACENTER =
      key(
          "cluster.cassandra.datacenter",
          "--cassandra-dc",
          CASSANDRA.localDatacenter(),
          "a datacenter name",
          "The driver's local datacenter",
          nonEmpty());
  public static final ConfigKey<String> CLUSTER_CASSANDRA_KEYSPACE =
      key(
          "cluster.cassandra.keyspace",
          "--keyspace",
          CASSANDRA.keyspace(),
          "a lower-case letter, then up to 47 lower-case letters, digits or '_'",
          "Keyspace Tally owns (created when missing)",
          matching("[a-z][a-z0-9_]{0,47}"));
  public static final ConfigKey<String> CLUSTER_CASSANDRA_REPLICATION =
      key(
          "cluster.cassandra.replication",
          "--replication",
          CASSANDRA.replication(),
          "SimpleStrategy:<rf> or NetworkTopologyStrategy:<dc>=<rf>[,<dc>=<rf>...]",
          "Keyspace replication",
          matching(
              "SimpleStrategy:[1-9][0-9]?|NetworkTopologyStrategy:[A-Za-z0-9_.-]+=[1-9][0-9]?(,[A-Za-z0-9_.-]+=[1-9][0-9]?)*"));
  public static final ConfigKey<DefaultConsistencyLevel> CLUSTER_CASSANDRA_WRITE_CONSISTENCY =
      key(
          "cluster.cassandra.write-consistency",
          "--write-consistency",
          CASSANDRA.writeConsistency().name(),
          consistencyLevels(),
          "Consistency of the materializer's writes and its read-before-write",
          ValueParsers::consistency);
  public static final ConfigKey<DefaultConsistencyLevel> CLUSTER_CASSANDRA_READ_CONSISTENCY =
      key(
          "cluster.cassandra.read-consistency",
          "--read-consistency",
          CASSANDRA.readConsistency().name(),
          consistencyLevels(),
          "Consistency of queries",
          ValueParsers::consistency);
  public static final ConfigKey<String> CLUSTER_STORE =
      key(
          "cluster.store",
          "--store",
          "cassandra",
          "cassandra or postgres",
          "The counter store: Cassandra, or PostgreSQL sharded by partition (docs/postgres.md)",
          choice("cassandra", "postgres"));
  public static final ConfigKey<List<String>> CLUSTER_POSTGRES_URLS =
      list(
          "cluster.postgres.urls",
          "--postgres",
          "",
          "jdbc:postgresql://host:port/database, comma-separated, one per shard, always in the same"
              + " order; required when the store is postgres",
          "PostgreSQL shards: partition p lives on shard p mod N",
          ValueParsers::postgresUrls);
  public static final ConfigKey<List<Optional<String>>> CLUSTER_POSTGRES_REPLICA_URLS =
      list(
          "cluster.postgres.replica-urls",
          "--postgres-replica",
          "",
          "one entry per shard in the order of cluster.postgres.urls, each"
              + " jdbc:postgresql://host:port/database or none; empty: no replicas",
          "Read replicas (streaming standbys) of the shards: a shard's queries read its replica,"
              + " asOf from the replica's progress, falling back to the primary (docs/postgres.md)",
          ValueParsers::postgresReplicaUrls);
  public static final ConfigKey<String> CLUSTER_POSTGRES_USER =
      key(
          "cluster.postgres.user",
          "--postgres-user",
          "tally",
          "a role name",
          "Role Tally connects to PostgreSQL (shards and replicas) as",
          nonEmpty());
  public static final ConfigKey<String> CLUSTER_POSTGRES_PASSWORD =
      key(
          "cluster.postgres.password",
          "--postgres-password",
          "",
          "any text without a NUL character; empty: none (trust or peer authentication, or"
              + " ~/.pgpass)",
          "Password of cluster.postgres.user; never printed or logged. Prefer the file or"
              + " TALLY_CLUSTER_POSTGRES_PASSWORD to the flag, which other users see in ps",
          ValueParsers::password);
  public static final ConfigKey<String> CLUSTER_POSTGRES_SCHEMA =
      key(
          "cluster.postgres.schema",
          "--postgres-schema",
          "tally",
          "a lower-case letter, then up to 47 lower-case letters, digits or '_'",
          "Schema Tally owns in each shard (created and migrated when missing)",
          matching("[a-z][a-z0-9_]{0,47}"));
  public static final ConfigKey<Optional<String>> CLUSTER_NODE_ID =
      key(
          "cluster.node-id",
          "--node-id",
          "",
          "letters, digits, '.', '_' and '-'; empty: <host>-<port>",
          "This node's unique name; it names the transactional producer, so a restart fences the previous incarnation",
          optional().andThen(id -> id.map(matching("[A-Za-z0-9._-]{1,200}"))));
  public static final ConfigKey<Set<String>> CLUSTER_ROLES =
      list(
          "cluster.roles",
          "--roles",
          "ingest,processor,materializer,query",
          "one or more of ingest, processor, materializer, query, comma-separated",
          "Roles this node runs",
          ValueParsers::roles);

  public static final ConfigKey<SecurityConfig.Auth> SECURITY_AUTH =
      key(
          "security.auth",
          "--auth",
          SecurityConfig.DEFAULTS.auth().name().toLowerCase(java.util.Locale.ROOT),
          "auto or required",
          "'auto': API keys are required once any exists, and a non-loopback server.host refuses to start without one; "
              + "'required': always",
          choice("auto", "required")
              .andThen(a -> SecurityConfig.Auth.valueOf(a.toUpperCase(java.util.Locale.ROOT))));
  public static final ConfigKey<Optional<Path>> SECURITY_TLS_CERT =
      key(
          "security.tls.cert",
          "--tls-cert",
          "",
          "a readable PEM file; empty: plain HTTP",
          "Certificate chain (PEM, leaf first): serve HTTPS, HTTP/2 via ALPN; needs security.tls.key",
          optionalReadableFile());
  public static final ConfigKey<Optional<Path>> SECURITY_TLS_KEY =
      key(
          "security.tls.key",
          "--tls-key",
          "",
          "a readable PEM file (PKCS#8 or PKCS#1)",
          "Private key of security.tls.cert",
          optionalReadableFile());
  public static final ConfigKey<Integer> SECURITY_RATE_LIMIT_PER_KEY =
      key(
          "security.rate-limit.per-key",
          "--rate-limit-per-key",
          Integer.toString(SecurityConfig.DEFAULTS.rateLimits().perKeyPerSecond()),
          "an integer from 0 (off) to 1000000",
          "Requests per second per API key on this node; over it: 429 with Retry-After",
          integer(0, 1_000_000));
  public static final ConfigKey<Integer> SECURITY_RATE_LIMIT_PER_ADDRESS =
      key(
          "security.rate-limit.per-address",
          "--rate-limit-per-address",
          Integer.toString(SecurityConfig.DEFAULTS.rateLimits().perAddressPerSecond()),
          "an integer from 0 (off) to 1000000",
          "Requests per second per client IP address on this node, checked before auth",
          integer(0, 1_000_000));
  public static final ConfigKey<Long> SECURITY_HEADER_TIMEOUT =
      key(
          "security.header-timeout",
          "--header-timeout",
          describeMillis(SecurityConfig.DEFAULTS.limits().headerTimeoutMillis()),
          "a duration from 100ms to 1h (500ms, 10s, 2m)",
          "Longest wait for a complete request head (also the keep-alive idle time)",
          durationMillis(100, 3_600_000));
  public static final ConfigKey<Long> SECURITY_REQUEST_TIMEOUT =
      key(
          "security.request-timeout",
          "--request-timeout",
          describeMillis(SecurityConfig.DEFAULTS.limits().requestTimeoutMillis()),
          "a duration from 100ms to 1h",
          "Longest time from a request's head to its answer; beyond, the connection is closed",
          durationMillis(100, 3_600_000));
  public static final ConfigKey<Long> SECURITY_IDLE_TIMEOUT =
      key(
          "security.idle-timeout",
          "--idle-timeout",
          describeMillis(SecurityConfig.DEFAULTS.limits().idleTimeoutMillis()),
          "a duration from 100ms to 24h",
          "A connection silent this long is closed",
          durationMillis(100, 86_400_000));
  public static final ConfigKey<Integer> SECURITY_MAX_CONNECTIONS =
      key(
          "security.max-connections",
          "--max-connections",
          Integer.toString(SecurityConfig.DEFAULTS.limits().maxConnections()),
          "an integer from 1 to 1000000",
          "Most open connections; more are closed at once",
          integer(1, 1_000_000));
  public static final ConfigKey<Integer> SECURITY_MAX_CONCURRENT_REQUESTS =
      key(
          "security.max-concurrent-requests",
          "--max-concurrent-requests",
          Integer.toString(SecurityConfig.DEFAULTS.limits().maxConcurrentRequests()),
          "an integer from 1 to 1000000",
          "Most requests in progress at once; beyond: 503 with Retry-After",
          integer(1, 1_000_000));
  public static final ConfigKey<Integer> SECURITY_MAX_HEADER_BYTES =
      key(
          "security.max-header-bytes",
          "--max-header-bytes",
          Integer.toString(SecurityConfig.DEFAULTS.limits().maxHeaderBytes()),
          "an integer from 1024 to 1048576",
          "Most bytes of a request's headers; beyond: 431",
          integer(1024, 1 << 20));
  public static final ConfigKey<Integer> SECURITY_MAX_REQUEST_LINE_BYTES =
      key(
          "security.max-request-line-bytes",
          "--max-request-line-bytes",
          Integer.toString(SecurityConfig.DEFAULTS.limits().maxRequestLineBytes()),
          "an integer from 256 to 1048576",
          "Longest request line (method, URL, version); beyond: 414",
          integer(256, 1 << 20));
  public static final ConfigKey<Long> SECURITY_KEY_REFRESH_MS =
      key(
          "security.key-refresh-ms",
          "--key-refresh-ms",
          Long.toString(SecurityConfig.DEFAULTS.keyRefreshMillis()),
          "an integer from 100 to 60000",
          "How often a node re-reads the API keys, so a revocation anywhere takes effect within it",
          longInteger(100, 60_000));

  public static final ConfigKey<Boolean> DEMO_ENABLED =
      key(
          "demo.enabled",
          "--demo",
          "false",
          ConfigKey.SWITCH_ALLOWED,
          "Also post a synthetic stream (Zipf-popular video:N entities; views, likes, shares) to this server, so the "
              + "dashboard moves at once. On a server with API keys it posts with the ingest key in TALLY_KEY; without one "
              + "it stops the start with a line saying so (docs/security.md)",
          bool());
  public static final ConfigKey<Integer> DEMO_RATE =
      key(
          "demo.rate",
          "--demo-rate",
          "1000",
          "an integer from 1 to 100000",
          "With demo.enabled: average events per second",
          integer(1, 100_000));

  /** Every key, in declaration order. */
  public static final List<ConfigKey<?>> ALL = List.copyOf(REGISTERING);

  private static final Map<String, ConfigKey<?>> BY_NAME =
      ALL.stream().collect(Collectors.toUnmodifiableMap(ConfigKey::name, k -> k));

  private ConfigKeys() {}

  /** The key named {@code name}, if there is one. */
  public static Optional<ConfigKey<?>> byName(String name) {
    return Optional.ofNullable(BY_NAME.get(name));
  }

  private static <T> ConfigKey<T> key(
      String name,
      String flag,
      String defaultValue,
      String allowed,
      String doc,
      Function<String, T> parser) {
    return register(new ConfigKey<>(name, flag, defaultValue, allowed, doc, false, parser));
  }

  private static <T> ConfigKey<T> list(
      String name,
      String flag,
      String defaultValue,
      String allowed,
      String doc,
      Function<List<String>, T> parser) {
    Function<String, List<String>> split =
        text -> Arrays.stream(text.split(",")).map(String::trim).filter(s -> !s.isEmpty()).toList();
    return register(
        new ConfigKey<>(name, flag, defaultValue, allowed, doc, true, split.andThen(parser)));
  }

  private static <T> ConfigKey<T> register(ConfigKey<T> key) {
    for (ConfigKey<?> k : REGISTERING) {
      if (k.name().equals(key.name())
          || k.flag().equals(key.flag())
          || k.envName().equals(key.envName())
          || k.name().startsWith(key.name() + ".")
          || key.name().startsWith(k.name() + ".")
          || ConfigLoader.NOT_KEYS.contains(key.envName())) {
        throw new IllegalStateException(
            key.name() + " (" + key.flag() + ") clashes with " + k.name() + " (" + k.flag() + ")");
      }
    }
    REGISTERING.add(key);
    return key;
  }
}
