package io.tally.raw;

import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;

/**
 * fsync of a file and of a directory (so a rename in it is durable), and the durable replacement of
 * a file by a fully written temporary one. Stateless.
 */
final class DurableFiles {
  private DurableFiles() {}

  /**
   * Makes {@code tmp} durable, renames it over {@code target} atomically and makes the rename
   * durable: a crash leaves either the old {@code target} or the new one.
   */
  static void replace(Path tmp, Path target) throws IOException {
    fsync(tmp);
    Files.move(tmp, target, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
    fsyncDirectory(target.getParent());
  }

  static void fsync(Path file) throws IOException {
    try (FileChannel c = FileChannel.open(file, StandardOpenOption.READ)) {
      c.force(true);
    }
  }

  static void fsyncDirectory(Path dir) throws IOException {
    try (FileChannel c = FileChannel.open(dir, StandardOpenOption.READ)) {
      c.force(true);
    } catch (IOException e) {
      // some file systems cannot open a directory; the rename is then as durable as they allow
    }
  }
}
