package io.tally.raw;

import io.tally.model.TallyException;
import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.channels.OverlappingFileLockException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The raw store's per-partition manifests and the writer locks that guard them, so that several
 * processes (the nodes of a cluster, on a directory they all reach) write one store: each partition
 * is written by the one process that holds its lock, and every process reads every partition.
 *
 * <h2>Layout (version 1)</h2>
 *
 * <pre>
 * &lt;dir&gt;/partitions/p&lt;N&gt;.manifest   partition N's {@link RawManifest}: its position and files
 * &lt;dir&gt;/partitions/p&lt;N&gt;.lock       an exclusive lock (fcntl) held by the process exporting N
 * &lt;dir&gt;/recount.lock                 held by the process whose recount swaps rows in ({@link #holdRecounts})
 * </pre>
 *
 * A process writes partition N's manifest (and its files) only while it holds N's lock; the
 * operating system releases the lock when the process ends, kill -9 included, so the next owner
 * claims it and first deletes what the last one left unrecorded. The file system must honour locks
 * across processes (a local disk, NFSv4). A whole-store {@code <dir>/manifest} of the layout before
 * is split into per-partition manifests when the store opens (then deleted).
 *
 * <p>Thread-safe: every method is synchronized.
 */
final class RawPartitions implements AutoCloseable {
  private static final Logger LOG = LoggerFactory.getLogger(RawPartitions.class);
  private static final Pattern MANIFEST = Pattern.compile("p(\\d+)\\.manifest");

  private final Path partitionsDir;
  private final Map<Integer, Held> held = new HashMap<>();

  /** A claimed partition: its lock and its manifest as this process last wrote it. */
  private static final class Held {
    final FileChannel channel;
    final FileLock lock;
    RawManifest manifest;

    Held(FileChannel channel, FileLock lock, RawManifest manifest) {
      this.channel = channel;
      this.lock = lock;
      this.manifest = manifest;
    }
  }

  private RawPartitions(Path partitionsDir) {
    this.partitionsDir = partitionsDir;
  }

  /**
   * Blocks until this process holds {@code <dir>/recount.lock}: one recount that swaps rows in at a
   * time across the processes sharing the store. Released by closing the answer or by the process's
   * end, kill -9 included. Not synchronized: the wait holds up nothing else.
   */
  AutoCloseable holdRecounts() throws IOException {
    FileChannel c =
        FileChannel.open(
            partitionsDir.resolveSibling("recount.lock"),
            StandardOpenOption.CREATE,
            StandardOpenOption.WRITE);
    FileLock lock;
    try {
      lock = c.lock();
    } catch (IOException | RuntimeException e) {
      c.close();
      throw e;
    }
    return () -> {
      lock.release();
      c.close();
    };
  }

  /** Opens the layout in {@code dir} (absolute), migrating a whole-store manifest. */
  static RawPartitions open(Path dir) throws IOException {
    Path partitionsDir = dir.resolve("partitions");
    Files.createDirectories(partitionsDir);
    RawPartitions out = new RawPartitions(partitionsDir);
    Path legacy = dir.resolve(RawManifest.FILE_NAME);
    if (Files.exists(legacy)) {
      RawManifest all = RawManifest.read(dir);
      Set<Integer> partitions = new TreeSet<>(all.positions().keySet());
      all.files().forEach(f -> partitions.add(f.partition()));
      for (int p : partitions) {
        all.partition(p).writeFile(out.manifestFile(p));
      }
      Files.delete(legacy);
      LOG.info("raw store: split {} into one manifest per partition", legacy);
    }
    return out;
  }

  private Path manifestFile(int partition) {
    return partitionsDir.resolve("p" + partition + ".manifest");
  }

  /**
   * Takes partition {@code p}'s lock unless this process holds it already.
   *
   * @return its manifest if this process holds the lock now; null if another process holds it
   */
  synchronized RawManifest claim(int p) throws IOException {
    Held h = held.get(p);
    if (h != null) {
      return h.manifest;
    }
    FileChannel c =
        FileChannel.open(
            partitionsDir.resolve("p" + p + ".lock"),
            StandardOpenOption.CREATE,
            StandardOpenOption.WRITE);
    FileLock lock;
    try {
      lock = c.tryLock();
    } catch (OverlappingFileLockException e) {
      lock = null; // another store of this process holds it
    }
    if (lock == null) {
      c.close();
      return null;
    }
    RawManifest m;
    try {
      m = RawManifest.readFile(manifestFile(p)).partition(p);
    } catch (RuntimeException e) {
      closeQuietly(new Held(c, lock, null)); // a refused manifest leaves the lock free
      throw e;
    }
    held.put(p, new Held(c, lock, m));
    return m;
  }

  /** Gives partition {@code p}'s lock up (nothing if not held). */
  synchronized void release(int p) {
    Held h = held.remove(p);
    if (h != null) {
      closeQuietly(h);
    }
  }

  /** The manifest of a partition this process holds, or null if it does not hold it. */
  synchronized RawManifest held(int p) {
    Held h = held.get(p);
    return h == null ? null : h.manifest;
  }

  /** The partitions this process holds. */
  synchronized Set<Integer> heldPartitions() {
    return new TreeSet<>(held.keySet());
  }

  /**
   * Replaces held partition {@code p}'s manifest, durably.
   *
   * @throws IllegalStateException if this process does not hold {@code p}
   */
  synchronized void update(int p, RawManifest next) {
    Held h = held.get(p);
    if (h == null) {
      throw new IllegalStateException("raw partition " + p + " is not claimed by this process");
    }
    next.writeFile(manifestFile(p));
    h.manifest = next;
  }

  /** Partition {@code p}'s manifest: as held, or as its owner last wrote it. */
  synchronized RawManifest read(int p) {
    Held h = held.get(p);
    return h != null ? h.manifest : RawManifest.readFile(manifestFile(p)).partition(p);
  }

  /** Every partition's manifest, as one. */
  synchronized RawManifest readAll() {
    List<RawManifest> all = new ArrayList<>();
    try (Stream<Path> files = Files.list(partitionsDir)) {
      for (Path f : files.toList()) {
        Matcher m = MANIFEST.matcher(f.getFileName().toString());
        if (m.matches()) {
          all.add(read(Integer.parseInt(m.group(1))));
        }
      }
    } catch (IOException e) {
      throw new TallyException("listing the raw store's manifests failed: " + e, e);
    }
    return RawManifest.union(all);
  }

  @Override
  public synchronized void close() {
    held.values().forEach(RawPartitions::closeQuietly);
    held.clear();
  }

  private static void closeQuietly(Held h) {
    try {
      h.lock.release();
      h.channel.close();
    } catch (IOException e) {
      LOG.warn("releasing a raw partition lock failed (the process's end releases it)", e);
    }
  }
}
