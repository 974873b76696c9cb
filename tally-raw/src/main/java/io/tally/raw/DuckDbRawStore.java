package io.tally.raw;

import static java.util.Objects.requireNonNull;

import io.tally.core.raw.RawEvent;
import io.tally.core.raw.RawGap;
import io.tally.core.raw.RawStore;
import io.tally.core.store.Checkpoint;
import io.tally.model.Event;
import io.tally.model.TallyException;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.ZonedDateTime;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.locks.ReentrantReadWriteLock;
import java.util.stream.Stream;
import org.duckdb.DuckDBAppender;
import org.duckdb.DuckDBConnection;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The raw store as Parquet files (zstd) written through an in-memory DuckDB, under {@code
 * <dir>/day=YYYY-MM-DD/hour=HH/p<partition>-<fromOffset>-<toOffset>.parquet} by log append time
 * (UTC), each partition's listed by its {@link RawManifest} in {@code <dir>/partitions/} ({@link
 * RawPartitions}).
 *
 * <p>A process writes a partition only once it has claimed it ({@link #claim}; {@link #write}
 * claims what it is given): several processes may share the directory (the nodes of a cluster), one
 * writer per partition, and each reads every partition's manifest.
 *
 * <p>A write puts each hour's events in a temp file, fsyncs and renames it to its final name, then
 * replaces the partition's manifest with one that lists the new files and the partition's new
 * position: until the manifest is replaced the files are not part of the store, and claiming the
 * partition deletes every Parquet or temp file of it that its manifest does not list. So a crash at
 * any point leaves either the old store or the new one, never a doubled or missing event.
 *
 * <p>The file layout (columns {@code id, entity, type, time, value, actor, attributes, partition,
 * offset, logged}; version 1) is owned by this class and {@link DuckDbRawSql}'s view of it.
 *
 * <p>Thread-safe: writes of different partitions run at once, each on a DuckDB connection of its
 * own (the export writes several partitions at once, {@code raw.export-threads}); a partition has
 * one write at a time; compaction, expiry, claims and releases wait for every write and run alone;
 * reads see immutable manifests.
 */
public final class DuckDbRawStore implements RawStore {
  private static final Logger LOG = LoggerFactory.getLogger(DuckDbRawStore.class);

  static final String TABLE_COLUMNS =
      "id VARCHAR, entity VARCHAR NOT NULL, type VARCHAR NOT NULL, time TIMESTAMP_MS NOT NULL,"
          + " value BIGINT NOT NULL, actor VARCHAR, attributes MAP(VARCHAR, VARCHAR),"
          + " partition INTEGER NOT NULL, \"offset\" BIGINT NOT NULL, logged TIMESTAMP_MS NOT NULL";

  /**
   * The temp table's rows as a file's rows: an entity without attributes is appended with a null
   * map (appending an empty map per row was half of the export's DuckDB time: 3.5–5.4 against
   * 1.7–2.0 µs per row, docs/benchmarks.md) and written as the empty map it always was.
   */
  static final String FILE_ROWS =
      "SELECT * REPLACE (coalesce(attributes, MAP {}::MAP(VARCHAR, VARCHAR)) AS attributes)"
          + " FROM raw_batch";

  /**
   * The {@code COPY} options of every file written, the export's and compaction's. (zstd at level 1
   * instead of DuckDB's default, 3, copied exported files at 0.36–0.45 against 0.39–0.54 µs per row
   * into files of the same size: not worth a second setting, docs/benchmarks.md.)
   */
  static final String FILE_FORMAT = "(FORMAT parquet, COMPRESSION zstd, ROW_GROUP_SIZE 122880)";

  private static final long HOUR_MILLIS = 3_600_000;

  private final Path dir;
  private final RawPartitions partitions;
  // shared by writes (each holds it from begin to close), exclusive for compaction, expiry, claims
  // and releases: those change manifests of partitions a write may be writing
  private final ReentrantReadWriteLock lock = new ReentrantReadWriteLock();
  // the partitions being written, each by one write (under the shared lock)
  private final Set<Integer> writing = ConcurrentHashMap.newKeySet();
  // DuckDB connections not in use: one per write at a time, made when none is free
  private final ConcurrentLinkedQueue<DuckDBConnection> idle = new ConcurrentLinkedQueue<>();
  private final List<DuckDBConnection> connections = new CopyOnWriteArrayList<>();

  private DuckDbRawStore(Path dir, RawPartitions partitions) {
    this.dir = dir;
    this.partitions = partitions;
  }

  /**
   * Opens (creating if needed) the store in {@code dir}; claims no partition yet.
   *
   * @throws TallyException if the directory or a manifest cannot be read
   */
  public static DuckDbRawStore open(Path dir) {
    Path abs = requireNonNull(dir, "dir").toAbsolutePath().normalize();
    try {
      Files.createDirectories(abs);
      RawPartitions partitions = RawPartitions.open(abs);
      DuckDbRawStore store = new DuckDbRawStore(abs, partitions);
      store.idle.add(store.newWriter()); // DuckDB loads here, so a broken install fails the open
      return store;
    } catch (IOException | SQLException e) {
      throw new TallyException("opening the raw store in " + abs + " failed: " + e, e);
    }
  }

  /** A DuckDB connection for writes: an in-memory database of its own, one thread, 256 MB. */
  private DuckDBConnection newWriter() throws SQLException {
    DuckDBConnection c = (DuckDBConnection) DriverManager.getConnection("jdbc:duckdb:");
    try (Statement s = c.createStatement()) {
      s.execute("SET threads = 1");
      s.execute("SET memory_limit = '256MB'");
      s.execute("SET autoinstall_known_extensions = false");
    } catch (SQLException e) {
      c.close();
      throw e;
    }
    connections.add(c);
    return c;
  }

  /** A connection no other write uses; give it back with {@link #giveBack}. */
  private DuckDBConnection takeWriter() {
    DuckDBConnection c = idle.poll();
    if (c != null) {
      return c;
    }
    try {
      return newWriter();
    } catch (SQLException e) {
      throw new TallyException("opening a DuckDB connection for the raw store failed: " + e, e);
    }
  }

  private void giveBack(DuckDBConnection c) {
    idle.add(c);
  }

  @Override
  public boolean claim(int partition) {
    lock.writeLock().lock();
    try {
      if (partitions.held(partition) != null) {
        return true;
      }
      RawManifest m = partitions.claim(partition);
      if (m == null) {
        return false;
      }
      deleteUnlisted(partition, m);
      return true;
    } catch (IOException e) {
      partitions.release(partition);
      throw new TallyException("claiming raw partition " + partition + " failed: " + e, e);
    } finally {
      lock.writeLock().unlock();
    }
  }

  @Override
  public void release(int partition) {
    lock.writeLock().lock();
    try {
      partitions.release(partition);

    } finally {
      lock.writeLock().unlock();
    }
  }

  /** Deletes the files of {@code partition} that {@code m} does not list (interrupted writes). */
  private void deleteUnlisted(int partition, RawManifest m) throws IOException {
    Set<Path> listed = new HashSet<>();
    for (RawFile f : m.files()) {
      listed.add(dir.resolve(f.path()));
    }
    String prefix = "p" + partition + "-";
    List<Path> unlisted;
    try (Stream<Path> all = Files.walk(dir)) {
      unlisted =
          all.filter(Files::isRegularFile)
              .filter(p -> p.getFileName().toString().startsWith(prefix))
              .filter(p -> p.toString().endsWith(".parquet") || p.toString().endsWith(".tmp"))
              .filter(p -> !listed.contains(p))
              .toList();
    }
    for (Path p : unlisted) {
      LOG.info(
          "raw store: deleting {}, which the manifest does not list (an interrupted write)", p);
      Files.delete(p);
    }
  }

  /** The directory the store lives in (absolute). */
  /**
   * Blocks until this process may swap a recount's rows in ({@link RawPartitions#holdRecounts}).
   */
  public AutoCloseable holdRecounts() throws IOException {
    return partitions.holdRecounts();
  }

  public Path dir() {
    return dir;
  }

  /** Every partition's manifest as one (immutable), as their writers last recorded them. */
  public RawManifest manifest() {
    return partitions.readAll();
  }

  @Override
  public Checkpoint exported(int partition) {
    Checkpoint cp = partitions.read(partition).positions().get(partition);
    return cp != null ? cp : Checkpoint.initial(partition);
  }

  @Override
  public long asOfMillis(int partitionCount) {
    return asOfMillis(manifest(), partitionCount);
  }

  /** As {@link #asOfMillis(int)} of {@code m}. */
  static long asOfMillis(RawManifest m, int partitionCount) {
    if (m.positions().isEmpty()) {
      return Long.MIN_VALUE;
    }
    long asOf = Long.MAX_VALUE;
    for (int p = 0; p < partitionCount; p++) {
      Checkpoint cp = m.positions().get(p);
      asOf = Math.min(asOf, cp == null ? 0 : cp.asOfMillis());
    }
    return asOf;
  }

  @Override
  public List<RawGap> gaps() {
    return manifest().gaps();
  }

  /**
   * {@inheritDoc}
   *
   * <p>Each hour's events (by append time) go to their own file: into a DuckDB temp table through
   * its appender as they come, then, when the hour changes or at the commit, copied to a temp
   * Parquet file that is fsynced and renamed into place. The commit replaces the manifest; closing
   * an uncommitted write deletes the files it wrote (none is listed yet).
   *
   * @throws TallyException also if another process holds {@code partition}
   */
  @Override
  public Write begin(int partition) {
    // claiming is exclusive (it waits for every write), so only a partition not held yet claims,
    // before the shared lock, which cannot be upgraded
    if (partitions.held(partition) == null) {
      if (lock.getReadHoldCount() > 0) {
        throw new IllegalStateException(
            "raw partition " + partition + " must be claimed before a write this thread has open");
      }
      if (!claim(partition)) {
        throw new TallyException("raw partition " + partition + " is written by another process");
      }
    }
    lock.readLock().lock();
    boolean begun = false;
    try {
      RawManifest current = partitions.held(partition);
      if (current == null) {
        throw new TallyException("raw partition " + partition + " was released meanwhile");
      }
      if (!writing.add(partition)) {
        throw new IllegalStateException("raw partition " + partition + " has a write already");
      }
      try {
        FileWrite w = new FileWrite(partition, current, exported(partition), takeWriter());
        begun = true;
        return w;
      } finally {
        if (!begun) {
          writing.remove(partition);
        }
      }
    } finally {
      if (!begun) {
        lock.readLock().unlock();
      }
    }
  }

  /** A write in progress: the files it finished, and the one it is appending to (if any). */
  private final class FileWrite implements Write {
    private final DuckDBConnection writer; // this write's alone until close
    private final int partition;
    private final RawManifest current;
    private final Checkpoint from;
    private final List<RawFile> added = new ArrayList<>();
    private long lastOffset; // of the last event appended, or the one before the range
    private boolean ended;
    // the open file's, while appender != null
    private DuckDBAppender appender;
    private long hour;
    private RawEvent first;
    private RawEvent last;
    private int rows;
    // the open file's transaction, from startFile until its COPY commits, or abandon()
    private boolean inTransaction;

    FileWrite(int partition, RawManifest current, Checkpoint from, DuckDBConnection writer) {
      this.writer = writer;
      this.partition = partition;
      this.current = current;
      this.from = from;
      this.lastOffset = from.nextOffset() - 1;
    }

    @Override
    public void append(RawEvent event) {
      if (ended) {
        throw new IllegalStateException("raw write of partition " + partition + " has ended");
      }
      if (event.partition() != partition || event.offset() <= lastOffset) {
        throw new IllegalArgumentException(
            "raw write of partition "
                + partition
                + " does not continue at "
                + (lastOffset + 1)
                + ": event of partition "
                + event.partition()
                + " at offset "
                + event.offset());
      }
      long h = Math.floorDiv(event.appendTimeMillis(), HOUR_MILLIS);
      try {
        if (appender != null && h != hour) {
          finishFile();
        }
        if (appender == null) {
          startFile(event, h);
        }
        appendRow(appender, event);
      } catch (SQLException e) {
        throw new TallyException("writing raw partition " + partition + " failed: " + e, e);
      }
      last = event;
      rows++;
      lastOffset = event.offset();
    }

    @Override
    public void commit(Checkpoint to, List<RawGap> gaps) {
      if (ended) {
        throw new IllegalStateException("raw write of partition " + partition + " has ended");
      }
      if (to.partition() != partition
          || to.nextOffset() < from.nextOffset()
          || lastOffset >= to.nextOffset()) {
        throw new IllegalArgumentException(
            "raw write of partition " + partition + " does not continue at " + from.nextOffset());
      }
      for (RawGap g : gaps) {
        if (g.partition() != partition
            || g.fromOffset() < from.nextOffset()
            || g.toOffset() > to.nextOffset()) {
          throw new IllegalArgumentException("raw gap " + g + " is not in the written range");
        }
      }
      if (appender != null) {
        try {
          finishFile();
        } catch (SQLException e) {
          throw new TallyException("writing raw partition " + partition + " failed: " + e, e);
        }
      }
      // From here on the files are the manifest's to list, or the next claim's to delete: a
      // manifest update that failed after its rename must not find them deleted
      ended = true;
      if (!added.isEmpty() || !gaps.isEmpty() || !to.equals(from)) {
        partitions.update(partition, current.with(added, to, gaps));
      }
    }

    @Override
    public void close() {
      try {
        if (!ended) {
          ended = true;
          abandon();
        }
      } finally {
        giveBack(writer);
        writing.remove(partition);
        lock.readLock().unlock();
      }
    }

    private void startFile(RawEvent event, long h) throws SQLException {
      try (Statement s = writer.createStatement()) {
        s.execute("CREATE OR REPLACE TEMP TABLE raw_batch (" + TABLE_COLUMNS + ")");
        // One transaction per file, not one per chunk the appender flushes: 1.1–1.6 against
        // 1.7–2.0 µs per appended row (docs/benchmarks.md). Committed after the COPY, rolled
        // back by abandon()
        s.execute("BEGIN TRANSACTION");
        inTransaction = true;
      }
      appender = writer.createAppender("temp", "main", "raw_batch");
      hour = h;
      first = event;
      rows = 0;
    }

    /** Copies the open file's rows to its Parquet file, fsynced and renamed into place. */
    private void finishFile() throws SQLException {
      DuckDBAppender a = appender;
      appender = null;
      a.close();
      ZonedDateTime t = Instant.ofEpochMilli(first.appendTimeMillis()).atZone(ZoneOffset.UTC);
      String path =
          String.format(
              "day=%04d-%02d-%02d/hour=%02d/p%d-%d-%d.parquet",
              t.getYear(),
              t.getMonthValue(),
              t.getDayOfMonth(),
              t.getHour(),
              partition,
              first.offset(),
              last.offset() + 1);
      Path target = dir.resolve(path);
      Path tmp = target.resolveSibling(target.getFileName() + ".tmp");
      try (Statement s = writer.createStatement()) {
        Files.createDirectories(target.getParent());
        Files.deleteIfExists(tmp);
        s.execute("COPY (" + FILE_ROWS + ") TO " + quote(tmp.toString()) + " " + FILE_FORMAT);
        s.execute("COMMIT");
        inTransaction = false;
        s.execute("DROP TABLE raw_batch");
        DurableFiles.replace(tmp, target);
      } catch (IOException e) {
        throw new TallyException("writing raw file " + target + " failed: " + e, e);
      }
      added.add(
          new RawFile(
              path,
              partition,
              first.offset(),
              last.offset() + 1,
              rows,
              first.appendTimeMillis(),
              last.appendTimeMillis()));
    }

    /**
     * Undoes what an uncommitted write did: its open transaction and table (also those of a file
     * whose copy failed), and the files it wrote.
     */
    private void abandon() {
      if (appender != null || inTransaction) {
        try (Statement s = writer.createStatement()) {
          if (appender != null) {
            closeQuietly(appender);
            appender = null;
          }
          if (inTransaction) {
            s.execute("ROLLBACK");
            inTransaction = false;
          }
          s.execute("DROP TABLE IF EXISTS raw_batch");
        } catch (SQLException e) {
          LOG.warn("raw store: dropping an abandoned write's table failed", e);
        }
      }
      for (RawFile f : added) {
        try {
          Files.deleteIfExists(dir.resolve(f.path()));
        } catch (IOException e) {
          LOG.warn(
              "raw store: could not delete {} of an abandoned write; the next claim does", f, e);
        }
      }
    }
  }

  /** Closes an abandoned file's appender; its rows are rolled back anyway. */
  private static void closeQuietly(DuckDBAppender a) {
    try {
      a.close();
    } catch (SQLException | RuntimeException e) {
      LOG.debug("raw store: closing an abandoned appender failed", e);
    }
  }

  private static void appendRow(DuckDBAppender a, RawEvent r) throws SQLException {
    Event e = r.event();
    a.beginRow();
    appendNullable(a, e.id());
    a.append(e.entity()).append(e.type()).appendEpochMillis(e.timeMillis()).append(e.value());
    appendNullable(a, e.actor());
    if (r.attributes().isEmpty()) {
      a.appendNull(); // written as the empty map (FILE_ROWS)
    } else {
      a.append(r.attributes());
    }
    a.append(r.partition()).append(r.offset());
    a.appendEpochMillis(r.appendTimeMillis());
    a.endRow();
  }

  private static void appendNullable(DuckDBAppender a, String s) throws SQLException {
    if (s == null) {
      a.appendNull();
    } else {
      a.append(s);
    }
  }

  /** {@code s} as a SQL string literal. */
  static String quote(String s) {
    return "'" + s.replace("'", "''") + "'";
  }

  /**
   * Merges the files of each (partition, hour) that this process holds, that is closed (the
   * partition is exported past the hour's end) and that has more than one file into one file,
   * ordered by offset. The merged file is written and renamed first, then the manifest swaps it for
   * its parts, then the parts are deleted: a crash in between leaves files the manifest does not
   * list, deleted at the next claim.
   *
   * @return the number of files merged away
   */
  public int compact() {
    lock.writeLock().lock();
    try {
      int merged = 0;
      for (int p : partitions.heldPartitions()) {
        RawManifest m = partitions.held(p);
        Checkpoint at = exported(p);
        Map<String, List<RawFile>> byHour = new TreeMap<>();
        for (RawFile f : m.files()) {
          long hourEnd = (Math.floorDiv(f.minAppendMillis(), HOUR_MILLIS) + 1) * HOUR_MILLIS;
          if (at.asOfMillis() >= hourEnd) {
            byHour
                .computeIfAbsent(
                    f.path().substring(0, f.path().lastIndexOf('/')), k -> new ArrayList<>())
                .add(f);
          }
        }
        for (List<RawFile> parts : byHour.values()) {
          if (parts.size() > 1) {
            merge(p, parts);
            merged += parts.size() - 1;
          }
        }
      }
      return merged;

    } finally {
      lock.writeLock().unlock();
    }
  }

  private void merge(int partition, List<RawFile> parts) {
    List<RawFile> sorted = new ArrayList<>(parts);
    sorted.sort(Comparator.comparingLong(RawFile::fromOffset));
    DuckDBConnection writer = takeWriter();
    RawFile into;
    try {
      into = RawFileMerge.merge(dir, writer, sorted);
    } finally {
      giveBack(writer);
    }
    partitions.update(partition, partitions.held(partition).replacing(sorted, into));
    for (RawFile f : sorted) {
      try {
        Files.deleteIfExists(dir.resolve(f.path()));
      } catch (IOException e) {
        LOG.warn("raw store: could not delete compacted {}; it is deleted at the next claim", f, e);
      }
    }
  }

  /** {@inheritDoc} Only the partitions this process holds. */
  @Override
  public long expire(long beforeMillis) {
    lock.writeLock().lock();
    try {
      long deleted = 0;
      for (int p : partitions.heldPartitions()) {
        RawManifest m = partitions.held(p);
        List<RawFile> old =
            m.files().stream().filter(f -> f.maxAppendMillis() < beforeMillis).toList();
        List<RawGap> passed =
            m.gaps().stream().filter(g -> g.toAppendMillis() < beforeMillis).toList();
        if (old.isEmpty() && passed.isEmpty()) {
          continue;
        }
        partitions.update(p, m.without(old, passed));
        for (RawFile f : old) {
          try {
            Files.deleteIfExists(dir.resolve(f.path()));
            deleted += f.rows();
          } catch (IOException e) {
            LOG.warn(
                "raw store: could not delete expired {}; it is deleted at the next claim", f, e);
          }
        }
      }
      return deleted;

    } finally {
      lock.writeLock().unlock();
    }
  }

  @Override
  public void close() {
    lock.writeLock().lock();
    try {
      partitions.close();
      for (DuckDBConnection c : connections) {
        try {
          c.close();
        } catch (SQLException e) {
          LOG.warn("closing the raw store's DuckDB failed", e);
        }
      }
      connections.clear();
      idle.clear();

    } finally {
      lock.writeLock().unlock();
    }
  }

  /** Opens a new in-memory DuckDB connection (for queries; the caller owns it). */
  static Connection newConnection() throws SQLException {
    return DriverManager.getConnection("jdbc:duckdb:");
  }
}
