package io.tally.it;

import static org.assertj.core.api.Assertions.assertThat;

import io.vertx.core.json.JsonObject;
import java.io.IOException;
import java.io.RandomAccessFile;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Comparator;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * Issue 20 item 1 with the real jar: after a SIGTERM, the write-ahead log in {@code <data dir>/wal}
 * is truncated to half, has 64 bytes flipped in its middle, or is deleted. The next start must fail
 * with a message saying what is wrong and what to do, not serve totals that are silently low;
 * {@code --salvage-wal} starts with what survives and shows the loss in {@code /healthz}; an
 * undamaged restart counts every acknowledged event exactly.
 */
class WalDamageTest {
  private static final int BATCHES = 40;
  private static final int PER_BATCH = 500;

  @TempDir Path dir;
  private final EventCounts events = new EventCounts();

  /** Ingests, stops with SIGTERM, restarts undamaged (exact totals), stops again. */
  private long ingestRestartAndStop(ServerProcess server) throws Exception {
    long acked;
    try (server) {
      server.start();
      events.awaitHealthy(server);
      acked = events.ingest(server, "a", BATCHES, PER_BATCH);
    } // SIGTERM
    try (server) {
      server.start();
      events.awaitHealthy(server);
      assertThat(events.countedTotal(server)).as("an undamaged restart").isEqualTo(acked);
      acked += events.ingest(server, "b", BATCHES, PER_BATCH);
    }
    return acked;
  }

  private Path dataDir(String name) {
    return dir.resolve(name + "-data");
  }

  private static List<Path> walFiles(Path dataDir) throws IOException {
    try (Stream<Path> files = Files.list(dataDir.resolve("wal"))) {
      return files.filter(f -> f.getFileName().toString().endsWith(".log")).toList();
    }
  }

  private static Path largestWal(Path dataDir) throws IOException {
    return walFiles(dataDir).stream()
        .max(Comparator.comparingLong(f -> f.toFile().length()))
        .orElseThrow();
  }

  private static void assertRefused(ServerProcess server) throws Exception {
    server.start();
    int exit = server.awaitExit(90);
    assertThat(exit).as("the start is refused; log:%n%s", server.log()).isNotIn(-1, 0);
    assertThat(server.log())
        .contains("write-ahead log")
        .contains("is damaged or incomplete")
        .contains("--salvage-wal");
  }

  @Test
  @Timeout(value = 5, unit = TimeUnit.MINUTES)
  void aWalTruncatedToHalfStopsTheStartAndSalvageShowsTheLoss() throws Exception {
    ServerProcess server = ServerProcess.embedded("trunc", dir, "--partitions", "4");
    long acked = ingestRestartAndStop(server);
    Path wal = largestWal(dataDir("trunc"));
    try (RandomAccessFile f = new RandomAccessFile(wal.toFile(), "rw")) {
      f.setLength(f.length() / 2);
    }
    assertRefused(server);

    ServerProcess salvage =
        ServerProcess.embedded("trunc", dir, "--partitions", "4", "--salvage-wal");
    try (salvage) {
      salvage.start();
      events.awaitHealthy(salvage);
      JsonObject health = new JsonObject(events.get(salvage, "/healthz"));
      assertThat(health.getJsonArray("notices").getString(0))
          .contains("write-ahead log salvaged")
          .contains("were lost");
      assertThat(events.countedTotal(salvage)).isLessThan(acked);
    }
    assertThat(salvage.log()).contains("write-ahead log salvaged");
  }

  @Test
  @Timeout(value = 5, unit = TimeUnit.MINUTES)
  void aWalWithFlippedBytesStopsTheStart() throws Exception {
    ServerProcess server = ServerProcess.embedded("flip", dir, "--partitions", "4");
    ingestRestartAndStop(server);
    Path wal = largestWal(dataDir("flip"));
    try (RandomAccessFile f = new RandomAccessFile(wal.toFile(), "rw")) {
      long middle = f.length() / 2;
      byte[] bytes = new byte[64];
      f.seek(middle);
      f.readFully(bytes);
      for (int i = 0; i < bytes.length; i++) {
        bytes[i] ^= (byte) 0xFF;
      }
      f.seek(middle);
      f.write(bytes);
    }
    assertRefused(server);
  }

  @Test
  @Timeout(value = 5, unit = TimeUnit.MINUTES)
  void deletedWalFilesStopTheStart() throws Exception {
    ServerProcess server = ServerProcess.embedded("deleted", dir, "--partitions", "4");
    ingestRestartAndStop(server);
    for (Path wal : walFiles(dataDir("deleted"))) {
      Files.delete(wal);
    }
    assertRefused(server);
  }
}
