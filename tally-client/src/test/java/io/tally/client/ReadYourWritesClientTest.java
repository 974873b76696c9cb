package io.tally.client;

import static io.tally.server.config.ConfigKeys.*;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.tally.model.BatchAnswer;
import io.tally.model.Event;
import io.tally.model.Granularity;
import io.tally.model.Position;
import io.tally.model.Stats;
import io.tally.model.TopKItem;
import io.tally.server.EmbeddedTally;
import io.tally.server.config.EffectiveConfig;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.concurrent.CompletionException;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Issue 19 through the SDK against a real embedded server: the README's Java example prints 1
 * (read-your-writes with the send's position), and the SDK reaches every query option of the HTTP
 * API (fill, granularity=auto, batch reads, top-K prefix, after).
 */
class ReadYourWritesClientTest {
  @TempDir Path dir;
  private EmbeddedTally server;

  @BeforeEach
  void start() {
    server =
        EmbeddedTally.start(
            EffectiveConfig.defaults()
                .with(STORAGE_DATA_DIR, dir.resolve("data"))
                .with(SERVER_PORT, 0)
                .with(PROCESSOR_FLUSH_INTERVAL_MS, 1_500)
                .server());
  }

  @AfterEach
  void stop() {
    server.close();
  }

  /** The README's Java example, line for line but for the server's address. */
  private void readmeExample(String url) {
    try (TallyClient tally = TallyClient.builder().baseUrls(url).build()) {
      tally.send(new Event("order-7", "shop:1", "purchase", System.currentTimeMillis(), 30));
      Sent sent = tally.send("video:42", "view").join(); // completes once stored
      long views =
          tally
              .total("video:42", "view", sent.position()) // waits until it is counted
              .join()
              .count();
      System.out.println(views); // 1
    }
  }

  @Test
  void theReadmesJavaExamplePrintsOne() throws Exception {
    String readme =
        Files.readString(Path.of("..", "README.md")).replaceAll("\\s+", " ").replace("( ", "(");
    for (String line :
        List.of(
            "tally.send(new Event(\"order-7\", \"shop:1\", \"purchase\", System.currentTimeMillis(), 30));",
            "Sent sent = tally.send(\"video:42\", \"view\").join();",
            "long views = tally.total(\"video:42\", \"view\", sent.position())",
            ".join().count();",
            "System.out.println(views);")) {
      assertThat(readme).as("README.md's Java example").contains(line);
    }
    PrintStream out = System.out;
    ByteArrayOutputStream printed = new ByteArrayOutputStream();
    System.setOut(new PrintStream(printed, true, StandardCharsets.UTF_8));
    try {
      readmeExample(server.url());
    } finally {
      System.setOut(out);
    }
    assertThat(printed.toString(StandardCharsets.UTF_8).trim()).isEqualTo("1");
  }

  @Test
  void everyQueryOptionOfTheHttpApiIsInTheSdk() {
    try (TallyClient tally = TallyClient.builder().baseUrls(server.url()).build()) {
      long now = System.currentTimeMillis();
      tally.send(new Event("a", "video:1", "view", now, 1));
      tally.send(new Event("b", "video:1", "view", now, 1));
      tally.send(new Event("c", "clip:1", "view", now, 1));
      tally.flush().join();
      String after = tally.position();
      assertThat(Position.parse(after).isEmpty()).isFalse();

      Stats zeros =
          tally
              .stats(
                  StatsQuery.of("video:1", "view")
                      .autoGranularity()
                      .from(Instant.ofEpochMilli(now).minus(Duration.ofHours(3)))
                      .fillZeros(),
                  after)
              .join();
      assertThat(zeros.granularity()).isEqualTo(Granularity.MINUTE);
      assertThat(zeros.buckets()).hasSizeGreaterThan(180);
      assertThat(zeros.buckets().stream().mapToLong(b -> b.count()).sum()).isEqualTo(2);

      List<BatchAnswer> batch =
          tally
              .batch(
                  List.of(
                      StatsQuery.total("video:1", "view"),
                      StatsQuery.of("clip:1", "view").granularity(Granularity.HOUR),
                      StatsQuery.total("bad entity!", "view")),
                  after)
              .join();
      assertThat(batch.get(0).total().count()).isEqualTo(2);
      assertThat(batch.get(1).stats().buckets()).hasSize(1);
      assertThat(batch.get(2).error()).startsWith("entity may only contain");

      assertThat(tally.top("view", "5m", 10, "clip:", after).join().items())
          .extracting(TopKItem::entity)
          .containsExactly("clip:1");
      assertThat(tally.top("view", "5m", 10, null, after).join().items())
          .extracting(TopKItem::entity)
          .containsExactly("video:1", "clip:1");
    }
  }

  @Test
  void aPositionNotReachedFailsWithTheServersReason() {
    try (TallyClient tally =
        TallyClient.builder()
            .baseUrls(server.url())
            .retry(1, Duration.ofMillis(1), Duration.ofMillis(1))
            .build()) {
      String unreachable = Position.of(0, 1_000_000).token();
      assertThatThrownBy(() -> tally.total("video:1", "view", unreachable).join())
          .isInstanceOf(CompletionException.class)
          .cause()
          .isInstanceOf(RequestFailedException.class)
          .hasMessageContaining("HTTP 504: the position was not counted within 5000 ms");
    }
  }
}
