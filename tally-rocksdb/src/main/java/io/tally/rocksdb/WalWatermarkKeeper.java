package io.tally.rocksdb;

import java.io.IOException;
import java.nio.file.Path;
import org.rocksdb.RocksDB;
import org.rocksdb.RocksDBException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Keeps {@link WalWatermark} close to the write-ahead log's synced end: every {@value
 * #INTERVAL_MILLIS} ms it reads the latest sequence number, syncs the WAL (so every write up to it
 * is durable) and records it; {@link #close()} does so a last time. A watermark may lag the WAL (by
 * at most an interval after a crash) but never runs ahead of it. A failed write (e.g. a full disk)
 * keeps the previous watermark and is retried at the next interval.
 *
 * <p>Thread-safe; owns one daemon thread, {@code tally-wal-watermark}.
 */
final class WalWatermarkKeeper implements AutoCloseable {
  private static final Logger LOG = LoggerFactory.getLogger(WalWatermarkKeeper.class);
  static final long INTERVAL_MILLIS = 1_000;

  private final RocksDbStorage storage;
  private final RocksDB db;
  private final Path dataDir;
  private final Thread thread;
  private long written;
  private boolean failing;
  private volatile boolean stopped;

  /**
   * Starts keeping the watermark of {@code storage}'s database, whose last recorded value is {@code
   * written}.
   */
  WalWatermarkKeeper(RocksDbStorage storage, long written) {
    this.storage = storage;
    this.db = storage.db();
    this.dataDir = storage.dir();
    this.written = written;
    thread = new Thread(this::run, "tally-wal-watermark");
    thread.setDaemon(true);
    thread.start();
  }

  private void run() {
    while (!stopped) {
      try {
        Thread.sleep(INTERVAL_MILLIS);
      } catch (InterruptedException e) {
        return;
      }
      update();
    }
  }

  /** Syncs the WAL and records its latest sequence number, if it moved. */
  synchronized void update() {
    long latest = db.getLatestSequenceNumber();
    if (latest == written) {
      return;
    }
    try {
      if (!storage.syncWalUnlessWritesFail()) {
        return; // the database refuses writes (e.g. a full disk): keep the watermark, try later
      }
      WalWatermark.write(dataDir, latest);
      written = latest;
      if (failing) {
        LOG.info("recording the write-ahead log's watermark works again (sequence {})", latest);
        failing = false;
      }
    } catch (RocksDBException | IOException e) {
      if (!failing) {
        LOG.warn(
            "recording the write-ahead log's watermark failed; it keeps sequence {} and is"
                + " retried: {}",
            written,
            e.getMessage());
        failing = true;
      }
    }
  }

  /** Stops the thread and records the watermark a last time; the database must still be open. */
  @Override
  public void close() {
    stopped = true;
    thread.interrupt();
    try {
      thread.join();
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
    update();
  }
}
