package io.tally.server;

import static java.util.Objects.requireNonNull;

import io.tally.core.ingest.IngestLimits;
import io.tally.core.process.ProcessorConfig;
import io.tally.core.topk.TopKConfig;
import io.tally.core.validate.ValidationLimits;
import io.tally.rocksdb.FsyncPolicy;
import java.nio.file.Path;

/**
 * Everything an embedded server is started with. docs/configuration.md lists each with its
 * default.
 *
 * @param host address to listen on (default loopback)
 * @param port HTTP port; 0 picks a free one
 * @param dataDir where RocksDB keeps the log, counters and checkpoints
 * @param partitions P, fixed when the data dir is created
 * @param fsync when appends are synced to disk
 * @param maxBodyBytes largest accepted request body (beyond: 413)
 * @param maxBuckets most buckets one series query may span
 * @param logRetentionMillis how long log records are kept (by append time)
 * @param processor processor tuning
 * @param ingest ingest bounds
 * @param validation event limits
 * @param topK the Top-K windows and sketch size
 */
public record ServerConfig(
    String host,
    int port,
    Path dataDir,
    int partitions,
    FsyncPolicy fsync,
    int maxBodyBytes,
    int maxBuckets,
    long logRetentionMillis,
    ProcessorConfig processor,
    IngestLimits ingest,
    ValidationLimits validation,
    TopKConfig topK) {

  public static final int DEFAULT_PORT = 8080;
  public static final int DEFAULT_PARTITIONS = 8;

  public ServerConfig {
    requireNonNull(host, "host");
    requireNonNull(dataDir, "dataDir");
    requireNonNull(fsync, "fsync");
    requireNonNull(processor, "processor");
    requireNonNull(ingest, "ingest");
    requireNonNull(validation, "validation");
    requireNonNull(topK, "topK");
    if (port < 0 || port > 65535) {
      throw new IllegalArgumentException("port must be between 0 and 65535, got " + port);
    }
    if (maxBodyBytes < 1024) {
      throw new IllegalArgumentException("max body bytes must be at least 1024");
    }
    if (maxBuckets < 1 || logRetentionMillis < 60_000) {
      throw new IllegalArgumentException("max buckets must be positive and log retention at least a minute");
    }
  }

  /** Defaults: loopback:8080, 8 partitions, fsync always, 4 MiB bodies, 7 days of log, top-K over 5m, 1h, 24h. */
  public static ServerConfig defaults(Path dataDir) {
    return new ServerConfig(
        "127.0.0.1", DEFAULT_PORT, dataDir, DEFAULT_PARTITIONS, FsyncPolicy.ALWAYS, 4 << 20, 10_000,
        7L * 24 * 3600 * 1000, ProcessorConfig.DEFAULTS, IngestLimits.DEFAULTS, ValidationLimits.DEFAULTS,
        TopKConfig.DEFAULTS);
  }

  public ServerConfig withPort(int p) {
    return new ServerConfig(host, p, dataDir, partitions, fsync, maxBodyBytes, maxBuckets, logRetentionMillis, processor, ingest, validation, topK);
  }

  public ServerConfig withHost(String h) {
    return new ServerConfig(h, port, dataDir, partitions, fsync, maxBodyBytes, maxBuckets, logRetentionMillis, processor, ingest, validation, topK);
  }

  public ServerConfig withPartitions(int n) {
    return new ServerConfig(host, port, dataDir, n, fsync, maxBodyBytes, maxBuckets, logRetentionMillis, processor, ingest, validation, topK);
  }

  public ServerConfig withFsync(FsyncPolicy f) {
    return new ServerConfig(host, port, dataDir, partitions, f, maxBodyBytes, maxBuckets, logRetentionMillis, processor, ingest, validation, topK);
  }

  public ServerConfig withProcessor(ProcessorConfig pc) {
    return new ServerConfig(host, port, dataDir, partitions, fsync, maxBodyBytes, maxBuckets, logRetentionMillis, pc, ingest, validation, topK);
  }

  public ServerConfig withIngest(IngestLimits il) {
    return new ServerConfig(host, port, dataDir, partitions, fsync, maxBodyBytes, maxBuckets, logRetentionMillis, processor, il, validation, topK);
  }

  public ServerConfig withMaxBodyBytes(int bytes) {
    return new ServerConfig(host, port, dataDir, partitions, fsync, bytes, maxBuckets, logRetentionMillis, processor, ingest, validation, topK);
  }

  public ServerConfig withTopK(TopKConfig t) {
    return new ServerConfig(host, port, dataDir, partitions, fsync, maxBodyBytes, maxBuckets, logRetentionMillis, processor, ingest, validation, t);
  }
}
