package io.tally.server;

import static java.util.Objects.requireNonNull;

import io.tally.core.enrich.DerivedEntities;
import io.tally.core.ingest.IngestLimits;
import io.tally.core.process.ProcessorConfig;
import io.tally.core.query.QueryConfig;
import io.tally.core.raw.RawConfig;
import io.tally.core.topk.TopKConfig;
import io.tally.core.validate.ValidationLimits;
import io.tally.rocksdb.FsyncPolicy;
import io.tally.server.security.SecurityConfig;
import java.nio.file.Path;
import java.util.List;

/**
 * Everything an embedded server (and the shared part of a cluster node) is started with. The
 * configuration registry builds it ({@link io.tally.server.config.ConfigMapping#server}) from the
 * effective configuration, so its defaults are the registry's (docs/configuration.md lists each); a
 * test overrides keys of the effective configuration ({@link
 * io.tally.server.config.EffectiveConfig#with}) rather than copying a record. Immutable.
 *
 * @param host address to listen on (default loopback)
 * @param port HTTP port; 0 picks a free one
 * @param dataDir where RocksDB keeps the log, counters and checkpoints
 * @param partitions P, fixed when the data dir is created
 * @param fsync when appends are synced to disk
 * @param maxBodyBytes largest accepted request body (beyond: 413)
 * @param query series limits, retention per granularity and the query cache
 * @param logRetentionMillis how long log records are kept (by append time)
 * @param processor processor tuning
 * @param ingest ingest bounds
 * @param validation event limits
 * @param derive attribute names whose values derive entities ({@code --derive}; default none)
 * @param topK the Top-K windows and sketch size
 * @param ops what readiness requires ({@link OpsConfig})
 * @param browser origins whose pages may call the API ({@code --cors-origin}; default none)
 * @param security auth, TLS, rate limits and HTTP limits (docs/security.md)
 * @param salvageWal open a data dir whose write-ahead log is damaged or incomplete with what
 *     survives, and report the loss, instead of refusing it (docs/operations.md)
 * @param raw the raw store (embedded mode): whether on, where, retention, export interval, SQL
 *     limits
 */
public record ServerConfig(
    String host,
    int port,
    Path dataDir,
    int partitions,
    FsyncPolicy fsync,
    int maxBodyBytes,
    QueryConfig query,
    long logRetentionMillis,
    ProcessorConfig processor,
    IngestLimits ingest,
    ValidationLimits validation,
    List<String> derive,
    TopKConfig topK,
    OpsConfig ops,
    BrowserSettings browser,
    SecurityConfig security,
    boolean salvageWal,
    RawConfig raw) {

  public ServerConfig {
    requireNonNull(host, "host");
    requireNonNull(dataDir, "dataDir");
    requireNonNull(fsync, "fsync");
    requireNonNull(processor, "processor");
    requireNonNull(ingest, "ingest");
    requireNonNull(validation, "validation");
    derive = List.copyOf(derive);
    DerivedEntities.of(derive); // validates the names
    requireNonNull(topK, "topK");
    requireNonNull(ops, "ops");
    requireNonNull(browser, "browser");
    requireNonNull(security, "security");
    requireNonNull(raw, "raw");
    if (port < 0 || port > 65535) {
      throw new IllegalArgumentException("port must be between 0 and 65535, got " + port);
    }
    if (maxBodyBytes < 1024) {
      throw new IllegalArgumentException("max body bytes must be at least 1024");
    }
    requireNonNull(query, "query");
    if (logRetentionMillis < 60_000) {
      throw new IllegalArgumentException("log retention must be at least a minute");
    }
  }

  /** How long the embedded log keeps events by default, by append time (as Kafka's default). */
  public static final long DEFAULT_LOG_RETENTION_MILLIS = 7L * 24 * 3600 * 1000;

  /**
   * The query settings in effect: the cache serves an answer for at most one flush interval, so
   * caching never makes counts staler than the next flush would have.
   */
  public QueryConfig effectiveQuery() {
    return query.withCache(
        query.cacheMaxEntries(), Math.min(query.cacheTtlMillis(), processor.flushIntervalMillis()));
  }

  /**
   * The event limits in effect: an event is accepted only while its minute bucket is retained, so
   * every accepted event is counted in every granularity.
   */
  public ValidationLimits effectiveValidation() {
    long maxPast = Math.min(validation.maxPastMillis(), query.retention().minuteMillis());
    return new ValidationLimits(
        validation.maxIdLength(),
        validation.maxEntityLength(),
        validation.maxTypeLength(),
        maxPast,
        validation.maxFutureMillis(),
        validation.maxValue());
  }

  /** The derivation {@link #derive} configures. */
  public DerivedEntities derivedEntities() {
    return DerivedEntities.of(derive);
  }
}
