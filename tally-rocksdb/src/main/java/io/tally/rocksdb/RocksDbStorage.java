package io.tally.rocksdb;

import io.tally.core.partition.Partitioner;
import io.tally.model.TallyException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import org.rocksdb.ColumnFamilyDescriptor;
import org.rocksdb.ColumnFamilyHandle;
import org.rocksdb.ColumnFamilyOptions;
import org.rocksdb.CompressionType;
import org.rocksdb.DBOptions;
import org.rocksdb.RocksDB;
import org.rocksdb.RocksDBException;
import org.rocksdb.Status;
import org.rocksdb.UInt64AddOperator;

/**
 * The embedded data dir: one RocksDB database with five column families, so a counter update, its
 * checkpoint and the Top-K slots it changes can share one atomic WriteBatch.
 *
 * <ul>
 *   <li>{@code default}: the format record and checkpoints ({@link CheckpointDescriptor});
 *   <li>{@code log}: record batches of the event log ({@link LogBatchDescriptor});
 *   <li>{@code counters}: counter rows, merged with {@code UInt64AddOperator} ({@link
 *       CounterKeyDescriptor});
 *   <li>{@code attributes}: entity attributes, one entry per entity ({@link AttributesDescriptor});
 *       in cluster mode a node's replica of the attributes topic.
 *   <li>{@code topk}: Top-K slot sketches ({@link TopKSlotDescriptor}), added to older data dirs
 *       when they are opened.
 * </ul>
 *
 * The format record, key {@code "format"}, holds {@code [version u8 = 4][partitions u32 BE]}. It is
 * written when the data dir is created; opening with another partition count is refused, because
 * entities would move to other partitions (DESIGN.md invariant 4), and a version above 4 (a newer
 * Tally's) is refused by name. A version-1 dir (the entity-first counter layout) is converted in
 * place when it opens: each chunk of rows is rewritten and its old keys deleted in one WriteBatch,
 * so a crash midway resumes where it stopped, and the version becomes 2 at the end. A version-2 dir
 * (no high sum lane) becomes 3 through {@link SumLanesUpgrade}. Format 4 adds the actors entry of a
 * counter row ({@link ActorsValueDescriptor}); a format-3 dir has none, so its upgrade rewrites no
 * row, only the format record — which keeps a format-3 build, whose u64 lane scans would misread a
 * sketch, from opening the dir once it may hold one.
 *
 * <p>The write-ahead log lives in {@code <dir>/wal}; a damaged or incomplete one is refused unless
 * the caller asks to salvage it ({@link WalGuard}, {@link WalWatermark}).
 *
 * <p>Thread-safe (RocksDB is); {@link #close()} once, after every user stopped.
 */
public final class RocksDbStorage implements AutoCloseable {
  private static final byte[] FORMAT_KEY = "format".getBytes(StandardCharsets.US_ASCII);

  /**
   * 4: counter rows may have an actors entry ({@link ActorsValueDescriptor}); 3: counter rows have
   * a high sum lane ({@link CounterKeyDescriptor}); 2: counter keys lead with granularity and time
   * range; 1: entity first.
   */
  private static final byte FORMAT_VERSION = 4;

  /**
   * The largest memtable. After a write failed on a full disk, RocksDB takes writes again by itself
   * (its SstFileManager checks every few seconds) once this much is free, room to flush one.
   */
  static final long WRITE_BUFFER_BYTES = 64L << 20;

  /**
   * Stored log batches of this size or more are kept in blob files, outside the log's SST files;
   * smaller ones (a request of one or two events) stay in the SST files, where a blob record's
   * header and the copy of its key would cost more than the value.
   */
  static final long LOG_MIN_BLOB_BYTES = 512;

  static {
    RocksDB.loadLibrary();
  }

  private final Path dir;
  private final int partitions;
  private final RocksDB db;
  private final DBOptions dbOptions;
  private final List<ColumnFamilyOptions> cfOptions = new ArrayList<>();
  private final List<ColumnFamilyHandle> handles = new ArrayList<>();
  private final UInt64AddOperator addOperator = new UInt64AddOperator();
  private WalWatermarkKeeper watermark;
  private volatile boolean writesFailing;

  /** Writes share it; a WAL sync takes it alone ({@link #write}). */
  private final java.util.concurrent.locks.ReentrantReadWriteLock syncGate =
      new java.util.concurrent.locks.ReentrantReadWriteLock();

  private Optional<WalSalvage> salvaged = Optional.empty();
  private boolean closed;

  private RocksDbStorage(Path dir, int partitions, boolean pointInTime) throws RocksDBException {
    this.dir = dir;
    this.partitions = partitions;
    dbOptions =
        WalGuard.options(dir, pointInTime)
            .setCreateIfMissing(true)
            .setCreateMissingColumnFamilies(true)
            .setMaxBackgroundJobs(2)
            .setKeepLogFileNum(5)
            // The default column family (checkpoints) is tiny and would rarely flush, pinning every
            // write-ahead log file since; this bound makes RocksDB flush it so old WAL files go.
            .setMaxTotalWalSize(256L << 20)
            // A processor's counter write (thousands of merges; its flush took up to ~50 ms at
            // one event per request) held every log append queued behind it in RocksDB's write
            // queue: one event per request waited that long for its ack (p99 ~30 ms). Unordered
            // writes insert each batch into the memtable concurrently, in no order, after its WAL
            // write (still in order, so recovery is as before). The price is RocksDB's atomic
            // reads and immutable snapshots: readers that need a whole batch take their snapshot
            // while no counter write is landing (RocksDbCounterStore#snapshot), and the log is
            // read only below the heads its appender publishes after each write returns.
            .setUnorderedWrite(true)
            // A writer waiting for its turn blocks instead of spinning up to 100 us first: on two
            // cores the spinning took CPU from the event loops (embedded, 2,000 q/s at 100k
            // events/s: client p99 19-63 ms with it, 10-22 without; docs/benchmarks.md).
            .setEnableWriteThreadAdaptiveYield(false);
    ColumnFamilyOptions meta = new ColumnFamilyOptions();
    ColumnFamilyOptions log =
        new ColumnFamilyOptions()
            .setCompressionType(CompressionType.LZ4_COMPRESSION)
            .setWriteBufferSize(WRITE_BUFFER_BYTES)
            // Each flush of the log holds every partition's newest records, so its key range
            // spans nearly the whole family, and each compaction rewrote all the log kept: 4,324
            // MB for 1,073 MB flushed in 180 s of full batched load (16 L0 files a compaction:
            // 1,843 MB). A batch's bytes now go to a blob file when its memtable is flushed and
            // stay there: compactions move only keys and blob references (9-40 MB in such runs;
            // docs/benchmarks.md), so RocksDB's default L0 trigger serves again. A blob file is
            // deleted once every batch in it was released by retention and its keys compacted
            // away. No blob garbage collection: nothing is rewritten to free part of a file.
            .setEnableBlobFiles(true)
            .setMinBlobSize(LOG_MIN_BLOB_BYTES)
            .setBlobCompressionType(CompressionType.LZ4_COMPRESSION)
            .setEnableBlobGarbageCollection(false);
    ColumnFamilyOptions counters =
        new ColumnFamilyOptions()
            .setMergeOperator(addOperator)
            .setCompressionType(CompressionType.LZ4_COMPRESSION)
            .setWriteBufferSize(WRITE_BUFFER_BYTES);
    ColumnFamilyOptions attributes =
        new ColumnFamilyOptions().setCompressionType(CompressionType.LZ4_COMPRESSION);
    ColumnFamilyOptions topK =
        new ColumnFamilyOptions().setCompressionType(CompressionType.LZ4_COMPRESSION);
    cfOptions.addAll(List.of(meta, log, counters, attributes, topK));
    List<ColumnFamilyDescriptor> descriptors =
        List.of(
            new ColumnFamilyDescriptor(RocksDB.DEFAULT_COLUMN_FAMILY, meta),
            new ColumnFamilyDescriptor("log".getBytes(StandardCharsets.US_ASCII), log),
            new ColumnFamilyDescriptor("counters".getBytes(StandardCharsets.US_ASCII), counters),
            new ColumnFamilyDescriptor(
                "attributes".getBytes(StandardCharsets.US_ASCII), attributes),
            new ColumnFamilyDescriptor("topk".getBytes(StandardCharsets.US_ASCII), topK));
    try {
      db = RocksDB.open(dbOptions, dir.toString(), descriptors, handles);
    } catch (RocksDBException e) {
      closeOptions(); // e.g. another process holds the data dir's lock
      throw e;
    }
  }

  private void closeOptions() {
    dbOptions.close();
    cfOptions.forEach(ColumnFamilyOptions::close);
    addOperator.close();
  }

  /**
   * Opens (creating if needed) the data dir for {@code partitions} partitions, refusing a damaged
   * or incomplete write-ahead log ({@link WalGuard}).
   *
   * @throws TallyException if the dir cannot be opened, its WAL is damaged, or it was created with
   *     another partition count
   */
  public static RocksDbStorage open(Path dir, int partitions) {
    return open(dir, partitions, false);
  }

  /**
   * As {@link #open(Path, int)}; with {@code salvageWal}, a damaged or incomplete write-ahead log
   * is recovered up to its last intact record instead of refused, and {@link #salvaged()} says what
   * was lost.
   */
  public static RocksDbStorage open(Path dir, int partitions, boolean salvageWal) {
    new Partitioner(partitions); // validates the range
    WalGuard guard;
    try {
      Files.createDirectories(dir);
    } catch (java.io.IOException e) {
      throw new TallyException("cannot open data dir " + dir + ": " + e.getMessage(), e);
    }
    guard = WalGuard.prepare(dir, salvageWal);
    Opened opened = openDb(dir, partitions, guard, salvageWal);
    RocksDbStorage storage = opened.storage();
    try {
      storage.salvaged = guard.verify(storage.db, opened.damage());
      storage.watermark = new WalWatermarkKeeper(storage, storage.db.getLatestSequenceNumber());
      storage.checkFormat();
    } catch (RuntimeException e) {
      storage.close();
      throw e;
    }
    return storage;
  }

  /** An open database; {@code damage} is why the strict open failed and a salvage reopened. */
  private record Opened(RocksDbStorage storage, String damage) {}

  private static Opened openDb(Path dir, int partitions, WalGuard guard, boolean salvage) {
    try {
      return new Opened(new RocksDbStorage(dir, partitions, false), null);
    } catch (RocksDBException e) {
      if (!WalGuard.isDamage(e)) {
        throw new TallyException("cannot open data dir " + dir + ": " + e.getMessage(), e);
      }
      if (!salvage) {
        throw guard.refuse("RocksDB says \"" + e.getMessage() + "\"");
      }
      try {
        return new Opened(
            new RocksDbStorage(dir, partitions, true), "RocksDB said \"" + e.getMessage() + "\"");
      } catch (RocksDBException again) {
        throw new TallyException(
            "cannot open data dir " + dir + " even to salvage it: " + again.getMessage(), again);
      }
    }
  }

  /** What {@code salvageWal} dropped when this data dir opened; empty if nothing. */
  public Optional<WalSalvage> salvaged() {
    return salvaged;
  }

  private void checkFormat() {
    try {
      byte[] format = db.get(meta(), FORMAT_KEY);
      if (format == null) {
        db.put(
            meta(),
            FORMAT_KEY,
            ByteBuffer.allocate(5).put(FORMAT_VERSION).putInt(partitions).array());
        return;
      }
      if (format.length != 5 || format[0] < 1 || format[0] > FORMAT_VERSION) {
        throw new TallyException(
            "data dir "
                + dir
                + " has an unknown format (version "
                + format[0]
                + "; this Tally reads versions 1 to "
                + FORMAT_VERSION
                + ": a newer Tally wrote it?)");
      }
      int stored = ByteBuffer.wrap(format).getInt(1);
      if (format[0] == 1 && stored == partitions) {
        long converted = CounterKeyDescriptor.convertLayout1(db, counters());
        org.slf4j.LoggerFactory.getLogger(RocksDbStorage.class)
            .info(
                "converted {} counter entries of {} to the time-ranged key layout", converted, dir);
        db.put(meta(), FORMAT_KEY, ByteBuffer.allocate(5).put((byte) 2).putInt(partitions).array());
      }
      if (format[0] <= 2 && stored == partitions) {
        int marked =
            SumLanesUpgrade.run(
                db,
                counters(),
                meta(),
                FORMAT_KEY,
                ByteBuffer.allocate(5).put(FORMAT_VERSION).putInt(partitions).array());
        org.slf4j.LoggerFactory.getLogger(RocksDbStorage.class)
            .info(
                "upgraded {} to format {}: {} counter rows whose sum had reached 2^63 now read as"
                    + " overflowed",
                dir,
                FORMAT_VERSION,
                marked);
      }
      if (format[0] == 3 && stored == partitions) {
        db.put(
            meta(),
            FORMAT_KEY,
            ByteBuffer.allocate(5).put(FORMAT_VERSION).putInt(partitions).array());
        org.slf4j.LoggerFactory.getLogger(RocksDbStorage.class)
            .info(
                "upgraded {} to format {}: counter rows may now hold actor sketches",
                dir,
                FORMAT_VERSION);
      }
      if (stored != partitions) {
        throw new TallyException(
            "data dir "
                + dir
                + " was created with "
                + stored
                + " partitions, but "
                + partitions
                + " were asked for; the partition count cannot change"
                + " (start with --partitions "
                + stored
                + ", or use a new --data-dir)");
      }
    } catch (RocksDBException e) {
      throw new TallyException("cannot read the format of " + dir + ": " + e.getMessage(), e);
    }
  }

  public Path dir() {
    return dir;
  }

  public int partitions() {
    return partitions;
  }

  RocksDB db() {
    return db;
  }

  ColumnFamilyHandle meta() {
    return handles.get(0);
  }

  ColumnFamilyHandle log() {
    return handles.get(1);
  }

  ColumnFamilyHandle counters() {
    return handles.get(2);
  }

  ColumnFamilyHandle attributes() {
    return handles.get(3);
  }

  ColumnFamilyHandle topK() {
    return handles.get(4);
  }

  /**
   * {@code e}'s message; for a full disk also how much is free and when writes resume by themselves
   * (RocksDB keeps the database read-only until {@link #WRITE_BUFFER_BYTES} are free, then flushes
   * and takes writes again, with no restart).
   */
  String writeFailure(RocksDBException e) {
    writesFailing = true;
    if (e.getStatus() == null || e.getStatus().getSubCode() != Status.SubCode.NoSpace) {
      return e.getMessage();
    }
    long free = dir.toFile().getUsableSpace();
    return e.getMessage()
        + " ("
        + (free >> 20)
        + " MiB free on the data dir's disk; writing resumes by itself, without a restart, once "
        + (WRITE_BUFFER_BYTES >> 20)
        + " MiB are free)";
  }

  /**
   * Writes {@code batch}, noting its success or failure for {@link #syncWalUnlessWritesFail}.
   * Writes run concurrently with each other but never with a WAL sync, so a sync always sees the
   * outcome of every write before it (a sync racing a failing write was what kept a full disk from
   * recovering).
   */
  void write(org.rocksdb.WriteOptions options, org.rocksdb.WriteBatch batch)
      throws RocksDBException {
    syncGate.readLock().lock();
    try {
      db.write(options, batch);
      writeSucceeded();
    } catch (RocksDBException e) {
      writesFailing = true;
      throw e;
    } finally {
      syncGate.readLock().unlock();
    }
  }

  /** Writers report each successful write, ending a run of {@link #writeFailure} reports. */
  void writeSucceeded() {
    if (writesFailing) {
      writesFailing = false;
    }
  }

  /**
   * Syncs the write-ahead log, unless the last write failed: a sync of a WAL writer that saw an
   * error fails too, and RocksDB then records a background error it does not recover from by
   * itself, which would turn a full disk (which it does recover from) into a restart.
   *
   * @return whether it synced
   */
  boolean syncWalUnlessWritesFail() throws RocksDBException {
    syncGate.writeLock().lock();
    try {
      if (writesFailing) {
        return false;
      }
      db.syncWal();
      return true;
    } finally {
      syncGate.writeLock().unlock();
    }
  }

  /** A RocksDB property of the whole database, e.g. {@code rocksdb.estimate-live-data-size}. */
  public String property(String name) {
    try {
      return db.getProperty(name);
    } catch (RocksDBException e) {
      return null;
    }
  }

  /**
   * A numeric RocksDB property summed over every column family (e.g. {@code
   * rocksdb.estimate-num-keys}, {@code rocksdb.total-sst-files-size}), or -1 once closed or if
   * RocksDB does not know it. For metrics: safe to call from any thread, also during close.
   */
  public synchronized long aggregatedProperty(String name) {
    if (closed) {
      return -1;
    }
    try {
      return db.getAggregatedLongProperty(name);
    } catch (RocksDBException e) {
      return -1;
    }
  }

  /** False once {@link #close()} began. */
  public synchronized boolean isOpen() {
    return !closed;
  }

  @Override
  public void close() {
    synchronized (this) {
      closed = true;
    }
    try {
      syncWalUnlessWritesFail();
    } catch (RocksDBException e) {
      // nothing more to do: what is not synced is replayed from the log's synced part
    }
    if (watermark != null) {
      watermark.close(); // records the synced end, so the next start can check the WAL is whole
    }
    handles.forEach(ColumnFamilyHandle::close);
    db.close();
    closeOptions();
  }
}
