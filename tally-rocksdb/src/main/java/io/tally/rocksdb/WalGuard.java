package io.tally.rocksdb;

import io.tally.model.TallyException;
import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.OptionalLong;
import java.util.Properties;
import java.util.regex.Pattern;
import org.rocksdb.DBOptions;
import org.rocksdb.RocksDB;
import org.rocksdb.RocksDBException;
import org.rocksdb.Status;
import org.rocksdb.WALRecoveryMode;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Makes sure an acknowledged event is never dropped silently because the write-ahead log was
 * damaged. docs/operations.md ("The write-ahead log") states the decisions for operators.
 *
 * <h2>Design</h2>
 *
 * <ul>
 *   <li>The WAL lives in {@code <data dir>/wal}, a name that says what it is. A data dir of the
 *       older layout (WAL files {@code NNNNNN.log} beside the SST files) has them moved there
 *       before RocksDB opens; a move is a rename, so an interrupted migration resumes at the next
 *       start.
 *   <li>RocksDB opens in {@link WALRecoveryMode#TolerateCorruptedTailRecords}: a record cut short
 *       at the very end (the process died while writing it, so it was never acknowledged) is
 *       skipped, any other damage (a checksum mismatch) fails the open. Point-in-time recovery,
 *       RocksDB's default, would drop everything after the damage and delete the WAL instead.
 *   <li>{@code track_and_verify_wals_in_manifest}: RocksDB records the synced size of each closed
 *       WAL in its MANIFEST and fails the open if one is missing or shorter.
 *   <li>The live WAL has no recorded size, so a {@link WalWatermark} records the last sequence
 *       number synced to the WAL (every second and at shutdown). If RocksDB recovers less than
 *       that, records were lost (the WAL was truncated or deleted) and the open is refused.
 *   <li>Salvage (an operator's explicit choice) opens with point-in-time recovery and without the
 *       checks, and reports what was lost ({@link WalSalvage}).
 * </ul>
 *
 * <p>Used by {@link RocksDbStorage#open} on one thread; not thread-safe.
 */
final class WalGuard {
  private static final Logger LOG = LoggerFactory.getLogger(WalGuard.class);

  /** The WAL directory's name inside the data dir. */
  static final String WAL_DIR = "wal";

  private static final Pattern WAL_FILE = Pattern.compile("[0-9]+\\.log");

  private final Path dataDir;
  private final boolean salvage;
  private final boolean walDirExisted;
  private final OptionalLong recorded;
  private String watermarkDamage;

  private WalGuard(Path dataDir, boolean salvage) throws IOException {
    this.dataDir = dataDir;
    this.salvage = salvage;
    Path walDir = dataDir.resolve(WAL_DIR);
    walDirExisted = Files.isDirectory(walDir);
    Files.createDirectories(walDir);
    moveLegacyWals(dataDir, walDir);
    OptionalLong r;
    try {
      r = WalWatermark.read(dataDir);
    } catch (TallyException e) {
      if (!salvage) {
        throw e;
      }
      watermarkDamage = e.getMessage();
      r = OptionalLong.empty();
    }
    recorded = r;
  }

  /** Moves legacy WAL files, reads the watermark. */
  static WalGuard prepare(Path dataDir, boolean salvage) {
    try {
      return new WalGuard(dataDir, salvage);
    } catch (IOException e) {
      throw new TallyException("cannot prepare the WAL dir of " + dataDir + ": " + e, e);
    }
  }

  /**
   * Moves WAL files of the older layout into {@code walDir}, holding RocksDB's {@code LOCK} file so
   * the files of a database another process has open are never moved.
   */
  private static void moveLegacyWals(Path dataDir, Path walDir) throws IOException {
    List<Path> legacy = new ArrayList<>();
    try (DirectoryStream<Path> files = Files.newDirectoryStream(dataDir)) {
      for (Path f : files) {
        if (Files.isRegularFile(f) && WAL_FILE.matcher(f.getFileName().toString()).matches()) {
          legacy.add(f);
        }
      }
    }
    if (legacy.isEmpty()) {
      return;
    }
    int moved = 0;
    try (FileChannel lock =
            FileChannel.open(
                dataDir.resolve("LOCK"), StandardOpenOption.CREATE, StandardOpenOption.WRITE);
        FileLock held = lock.tryLock()) {
      if (held == null) {
        throw new IOException("another process has the data dir open (its LOCK file is held)");
      }
      for (Path f : legacy) {
        Files.move(f, walDir.resolve(f.getFileName()), StandardCopyOption.ATOMIC_MOVE);
        moved++;
      }
    }
    if (moved > 0) {
      WalWatermark.syncDirectory(walDir);
      WalWatermark.syncDirectory(dataDir);
      LOG.info("moved {} write-ahead log files of {} into {}", moved, dataDir, walDir);
    }
  }

  /** RocksDB options for opening: strict checks, or point-in-time recovery for a salvage. */
  static DBOptions options(Path dataDir, boolean pointInTime) {
    Properties props = new Properties();
    props.setProperty("track_and_verify_wals_in_manifest", Boolean.toString(!pointInTime));
    DBOptions options = DBOptions.getDBOptionsFromProps(props);
    if (options == null) {
      throw new IllegalStateException("RocksDB does not know track_and_verify_wals_in_manifest");
    }
    return options
        .setWalDir(dataDir.resolve(WAL_DIR).toString())
        .setParanoidChecks(true)
        .setWalRecoveryMode(
            pointInTime
                ? WALRecoveryMode.PointInTimeRecovery
                : WALRecoveryMode.TolerateCorruptedTailRecords);
  }

  /** Whether RocksDB refused to open because its files are damaged (rather than, e.g., locked). */
  static boolean isDamage(RocksDBException e) {
    return e.getStatus() != null && e.getStatus().getCode() == Status.Code.Corruption;
  }

  /** The answer to a damaged WAL without salvage: what is wrong and what the operator can do. */
  TallyException refuse(String what) {
    return new TallyException(
        "data dir "
            + dataDir
            + " was not opened: its write-ahead log ("
            + dataDir.resolve(WAL_DIR)
            + ") is damaged or incomplete: "
            + what
            + ". Opening it anyway would silently lose acknowledged events. What you can do: if"
            + " files were moved out of or deleted from "
            + dataDir.resolve(WAL_DIR)
            + ", put them back and start again; or restore the data dir from a backup; or copy"
            + " the data dir aside and start once with --salvage-wal (storage.salvage-wal: true,"
            + " TALLY_STORAGE_SALVAGE_WAL=true) to open it with what survives: Tally then logs and"
            + " shows in /healthz what was lost (docs/operations.md, \"The write-ahead log\")");
  }

  /**
   * After RocksDB opened: compares the recovered sequence number with the watermark, refuses (no
   * salvage) or reports (salvage) a loss, and records a watermark when there was none or after a
   * salvage.
   *
   * @param openDamage RocksDB's reason when the strict open failed and salvage reopened, else null
   * @return the salvage report, if anything was dropped
   * @throws TallyException if records are missing and salvage was not asked for
   */
  Optional<WalSalvage> verify(RocksDB db, String openDamage) {
    long recovered = db.getLatestSequenceNumber();
    String damage = openDamage;
    if (recorded.isPresent() && Long.compareUnsigned(recovered, recorded.getAsLong()) < 0) {
      String lost =
          "it ends at sequence number "
              + recovered
              + ", but sequence number "
              + recorded.getAsLong()
              + " was recorded as durable in "
              + dataDir.resolve(WalWatermark.FILE_NAME);
      if (!salvage) {
        throw refuse(lost);
      }
      damage = damage == null ? lost : damage + "; " + lost;
    } else if (recorded.isEmpty() && walDirExisted && recovered > 0) {
      String missing = watermarkDamage != null ? watermarkDamage : watermarkMissing();
      if (!salvage) {
        throw refuse(missing);
      }
      damage = damage == null ? missing : damage + "; " + missing;
    }
    if (damage != null || recorded.isEmpty() || recovered != recorded.getAsLong()) {
      try {
        WalWatermark.write(dataDir, recovered);
      } catch (IOException e) {
        throw new TallyException("cannot write " + WalWatermark.FILE_NAME + ": " + e, e);
      }
    }
    if (damage == null) {
      if (salvage) {
        LOG.info("--salvage-wal: the write-ahead log is intact, nothing was salvaged");
      }
      return Optional.empty();
    }
    WalSalvage report = new WalSalvage(damage, recovered, recorded);
    LOG.error("{}", report.describe());
    return Optional.of(report);
  }

  private String watermarkMissing() {
    return dataDir.resolve(WalWatermark.FILE_NAME)
        + " is missing, so whether the write-ahead log is complete cannot be checked";
  }
}
