package io.tally.rocksdb;

import io.tally.model.TallyException;
import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.OptionalLong;
import java.util.zip.CRC32;

/**
 * The file {@code <data dir>/WAL-WATERMARK}: the highest RocksDB sequence number known to be synced
 * to the write-ahead log. {@link WalWatermarkKeeper} rewrites it about every second and at a clean
 * shutdown; {@link WalGuard} compares it with what RocksDB recovered when the data dir opens, so a
 * write-ahead log that lost records (truncated, deleted) cannot go unnoticed.
 *
 * <pre>
 * # Tally: the last RocksDB sequence number known durable in wal/. Checked at start. Do not edit.
 * version=1
 * sequence=&lt;decimal u64&gt;
 * crc32=&lt;8 hex digits, CRC-32 of the line "sequence=..." without its newline&gt;
 * </pre>
 *
 * Replaced by temp file → fsync → atomic rename → fsync of the directory. Not thread-safe: one
 * writer at a time ({@link WalWatermarkKeeper} serializes its writes).
 */
final class WalWatermark {
  static final String FILE_NAME = "WAL-WATERMARK";
  private static final String HEADER =
      "# Tally: the last RocksDB sequence number known durable in wal/. Checked at start."
          + " Do not edit.\n";

  private WalWatermark() {}

  /**
   * The recorded sequence number, or empty if the file does not exist.
   *
   * @throws TallyException if the file exists but is not a valid watermark
   */
  static OptionalLong read(Path dataDir) {
    Path file = dataDir.resolve(FILE_NAME);
    String text;
    try {
      text = Files.readString(file, StandardCharsets.US_ASCII);
    } catch (NoSuchFileException e) {
      return OptionalLong.empty();
    } catch (IOException e) {
      throw new TallyException("cannot read " + file + ": " + e.getMessage(), e);
    }
    String sequenceLine = null;
    String crc = null;
    boolean version = false;
    for (String line : text.split("\n")) {
      if (line.equals("version=1")) {
        version = true;
      } else if (line.startsWith("sequence=")) {
        sequenceLine = line;
      } else if (line.startsWith("crc32=")) {
        crc = line.substring("crc32=".length());
      }
    }
    if (!version || sequenceLine == null || crc == null || !crc.equals(crc(sequenceLine))) {
      throw new TallyException(
          file
              + " is damaged, so whether the write-ahead log is complete cannot be checked; start"
              + " once with --salvage-wal (storage.salvage-wal: true) to open the data dir anyway"
              + " and write a new one");
    }
    return OptionalLong.of(Long.parseUnsignedLong(sequenceLine.substring("sequence=".length())));
  }

  /** Durably replaces the watermark with {@code sequence}. */
  static void write(Path dataDir, long sequence) throws IOException {
    String sequenceLine = "sequence=" + Long.toUnsignedString(sequence);
    String text = HEADER + "version=1\n" + sequenceLine + "\ncrc32=" + crc(sequenceLine) + "\n";
    Path temp = dataDir.resolve(FILE_NAME + ".tmp");
    try (FileChannel ch =
        FileChannel.open(
            temp,
            StandardOpenOption.CREATE,
            StandardOpenOption.WRITE,
            StandardOpenOption.TRUNCATE_EXISTING)) {
      ch.write(java.nio.ByteBuffer.wrap(text.getBytes(StandardCharsets.US_ASCII)));
      ch.force(true);
    }
    Files.move(
        temp,
        dataDir.resolve(FILE_NAME),
        StandardCopyOption.ATOMIC_MOVE,
        StandardCopyOption.REPLACE_EXISTING);
    syncDirectory(dataDir);
  }

  /**
   * Makes renames and new files in {@code dir} durable (a no-op where the OS does not allow it).
   */
  static void syncDirectory(Path dir) throws IOException {
    try (FileChannel ch = FileChannel.open(dir, StandardOpenOption.READ)) {
      ch.force(true);
    } catch (IOException e) {
      if (!System.getProperty("os.name").startsWith("Windows")) {
        throw e;
      }
    }
  }

  private static String crc(String line) {
    CRC32 crc = new CRC32();
    crc.update(line.getBytes(StandardCharsets.US_ASCII));
    return String.format("%08x", crc.getValue());
  }
}
