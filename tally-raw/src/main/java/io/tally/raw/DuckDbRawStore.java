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
 * <p>Thread-safe: writes, compaction and expiry are serialized; reads see immutable manifests.
 */
public final class DuckDbRawStore implements RawStore {
  private static final Logger LOG = LoggerFactory.getLogger(DuckDbRawStore.class);

  static final String TABLE_COLUMNS =
      "id VARCHAR, entity VARCHAR NOT NULL, type VARCHAR NOT NULL, time TIMESTAMP_MS NOT NULL,"
          + " value BIGINT NOT NULL, actor VARCHAR, attributes MAP(VARCHAR, VARCHAR),"
          + " partition INTEGER NOT NULL, \"offset\" BIGINT NOT NULL, logged TIMESTAMP_MS NOT NULL";

  private static final long HOUR_MILLIS = 3_600_000;

  private final Path dir;
  private final DuckDBConnection writer;
  private final RawPartitions partitions;

  private DuckDbRawStore(Path dir, DuckDBConnection writer, RawPartitions partitions) {
    this.dir = dir;
    this.writer = writer;
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
      DuckDBConnection c = (DuckDBConnection) DriverManager.getConnection("jdbc:duckdb:");
      try (Statement s = c.createStatement()) {
        s.execute("SET threads = 1");
        s.execute("SET memory_limit = '256MB'");
        s.execute("SET autoinstall_known_extensions = false");
      }
      return new DuckDbRawStore(abs, c, partitions);
    } catch (IOException | SQLException e) {
      throw new TallyException("opening the raw store in " + abs + " failed: " + e, e);
    }
  }

  @Override
  public synchronized boolean claim(int partition) {
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
    }
  }

  @Override
  public synchronized void release(int partition) {
    partitions.release(partition);
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

  @Override
  public void write(int partition, List<RawEvent> events, Checkpoint to) {
    write(partition, events, to, List.of());
  }

  /**
   * {@inheritDoc}
   *
   * @throws TallyException also if another process holds {@code partition}
   */
  @Override
  public synchronized void write(
      int partition, List<RawEvent> events, Checkpoint to, List<RawGap> gaps) {
    if (!claim(partition)) {
      throw new TallyException("raw partition " + partition + " is written by another process");
    }
    RawManifest current = partitions.held(partition);
    Checkpoint from = exported(partition);
    if (to.partition() != partition
        || to.nextOffset() < from.nextOffset()
        || (!events.isEmpty() && events.get(0).offset() < from.nextOffset())
        || (!events.isEmpty() && events.get(events.size() - 1).offset() >= to.nextOffset())) {
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
    if (events.isEmpty() && gaps.isEmpty() && to.equals(from)) {
      return;
    }
    List<RawFile> added = new ArrayList<>();
    int start = 0;
    while (start < events.size()) {
      long hour = Math.floorDiv(events.get(start).appendTimeMillis(), HOUR_MILLIS);
      int end = start + 1;
      while (end < events.size()
          && Math.floorDiv(events.get(end).appendTimeMillis(), HOUR_MILLIS) == hour) {
        end++;
      }
      added.add(writeFile(partition, events.subList(start, end)));
      start = end;
    }
    partitions.update(partition, current.with(added, to, gaps));
  }

  private RawFile writeFile(int partition, List<RawEvent> events) {
    RawEvent first = events.get(0);
    RawEvent last = events.get(events.size() - 1);
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
    try {
      Files.createDirectories(target.getParent());
      Files.deleteIfExists(tmp);
      copyToParquet(events, tmp);
      DurableFiles.replace(tmp, target);
    } catch (IOException | SQLException e) {
      throw new TallyException("writing raw file " + target + " failed: " + e, e);
    }
    return new RawFile(
        path,
        partition,
        first.offset(),
        last.offset() + 1,
        events.size(),
        first.appendTimeMillis(),
        last.appendTimeMillis());
  }

  private void copyToParquet(List<RawEvent> events, Path file) throws SQLException {
    try (Statement s = writer.createStatement()) {
      s.execute("CREATE OR REPLACE TEMP TABLE raw_batch (" + TABLE_COLUMNS + ")");
      try (DuckDBAppender a = writer.createAppender("temp", "main", "raw_batch")) {
        for (RawEvent r : events) {
          Event e = r.event();
          a.beginRow();
          appendNullable(a, e.id());
          a.append(e.entity()).append(e.type()).appendEpochMillis(e.timeMillis()).append(e.value());
          appendNullable(a, e.actor());
          a.append(r.attributes()).append(r.partition()).append(r.offset());
          a.appendEpochMillis(r.appendTimeMillis());
          a.endRow();
        }
      }
      s.execute(
          "COPY raw_batch TO "
              + quote(file.toString())
              + " (FORMAT parquet, COMPRESSION zstd, ROW_GROUP_SIZE 122880)");
      s.execute("DROP TABLE raw_batch");
    }
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
  public synchronized int compact() {
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
  }

  private void merge(int partition, List<RawFile> parts) {
    List<RawFile> sorted = new ArrayList<>(parts);
    sorted.sort(Comparator.comparingLong(RawFile::fromOffset));
    RawFile into = RawFileMerge.merge(dir, writer, sorted);
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
  public synchronized long expire(long beforeMillis) {
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
          LOG.warn("raw store: could not delete expired {}; it is deleted at the next claim", f, e);
        }
      }
    }
    return deleted;
  }

  @Override
  public synchronized void close() {
    partitions.close();
    try {
      writer.close();
    } catch (SQLException e) {
      LOG.warn("closing the raw store's DuckDB failed", e);
    }
  }

  /** Opens a new in-memory DuckDB connection (for queries; the caller owns it). */
  static Connection newConnection() throws SQLException {
    return DriverManager.getConnection("jdbc:duckdb:");
  }
}
