package io.tally.server;

import static io.tally.server.config.ConfigKeys.*;
import static org.assertj.core.api.Assertions.assertThat;

import io.tally.core.aggregate.DeltaBatch;
import io.tally.core.partition.Partitioner;
import io.tally.core.store.Checkpoint;
import io.tally.core.store.DeltaSink;
import io.tally.server.config.EffectiveConfig;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.time.InstantSource;
import java.util.Optional;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code GET /v1/overview} on the embedded server: the accepted count and its rate, the lag of each
 * partition while counting is held back and after it catches up, and the as-of freshness. Also that
 * the dashboard page and its uPlot assets are served by Tally itself.
 */
class OverviewHttpTest {
  private static final int PARTITIONS = 8;
  @TempDir Path dir;
  private final CountDownLatch counting = new CountDownLatch(1);
  private EmbeddedTally tally;
  private TallyHttp http;

  /** Starts a server whose counter writes wait until {@link #counting} opens. */
  private void startHeldBack() {
    tally =
        EmbeddedTally.start(
            EffectiveConfig.defaults()
                .with(STORAGE_DATA_DIR, dir.resolve("data"))
                .with(SERVER_PORT, 0)
                .with(STORAGE_PARTITIONS, PARTITIONS)
                .with(PROCESSOR_FLUSH_INTERVAL_MS, 100)
                .server(),
            InstantSource.system(),
            store ->
                new DeltaSink() {
                  @Override
                  public void write(DeltaBatch batch) {
                    try {
                      counting.await();
                    } catch (InterruptedException e) {
                      Thread.currentThread().interrupt();
                      throw new io.tally.model.TallyException("interrupted", e);
                    }
                    store.write(batch);
                  }

                  @Override
                  public Optional<Checkpoint> checkpoint(int partition) {
                    return store.checkpoint(partition);
                  }
                });
    http = new TallyHttp(tally.url());
  }

  @AfterEach
  void stop() {
    counting.countDown();
    if (tally != null) {
      tally.close();
    }
  }

  private JsonObject overview() {
    HttpResponse<String> r = http.get("/v1/overview");
    assertThat(r.statusCode()).as(r.body()).isEqualTo(200);
    assertThat(r.headers().firstValue("Content-Type")).hasValue("application/json");
    return new JsonObject(r.body());
  }

  private static String events(int from, int to) {
    StringBuilder b = new StringBuilder("[");
    for (int i = from; i < to; i++) {
      b.append(i > from ? "," : "")
          .append("{\"id\":\"o")
          .append(i)
          .append("\",\"entity\":\"video:")
          .append(i % 37)
          .append("\",\"type\":\"view\"}");
    }
    return b.append(']').toString();
  }

  @Test
  void reportsAcceptedEventsTheirRateLagPerPartitionAndFreshness() {
    startHeldBack();
    JsonObject before = overview();
    assertThat(before.getString("mode")).isEqualTo("embedded");
    assertThat(before.getInteger("partitions")).isEqualTo(PARTITIONS);
    assertThat(before.getJsonArray("topWindows")).containsExactly("5m", "1h", "24h");
    assertThat(before.getLong("acceptedEvents")).isZero();
    assertThat(before.getLong("lagEvents")).isZero();
    assertThat(before.getJsonArray("byPartition")).hasSize(PARTITIONS);

    assertThat(http.postJson(events(0, 300)).statusCode()).isEqualTo(202);
    assertThat(http.postJson(events(250, 400)).statusCode())
        .isEqualTo(202); // 50 re-sent ids: accepted, counted once

    long[] expectedLag = new long[PARTITIONS];
    Partitioner partitioner = new Partitioner(PARTITIONS);
    for (int i = 0; i < 450; i++) {
      expectedLag[partitioner.partition("video:" + ((i < 300 ? i : i - 50) % 37))]++;
    }
    Awaitility.await()
        .atMost(Duration.ofSeconds(30))
        .untilAsserted(
            () -> {
              JsonObject o = overview();
              assertThat(o.getLong("acceptedEvents")).isEqualTo(450);
              assertThat(o.getDouble("eventsPerSecond")).isPositive();
              assertThat(o.getLong("lagEvents"))
                  .isEqualTo(450); // nothing counted while the writes are held back
              JsonArray parts = o.getJsonArray("byPartition");
              for (int p = 0; p < PARTITIONS; p++) {
                assertThat(parts.getJsonObject(p).getInteger("partition")).isEqualTo(p);
                assertThat(parts.getJsonObject(p).getLong("lagEvents"))
                    .as("partition %d", p)
                    .isEqualTo(expectedLag[p]);
              }
            });

    counting.countDown();
    Awaitility.await()
        .atMost(Duration.ofSeconds(30))
        .untilAsserted(
            () -> {
              JsonObject o = overview();
              assertThat(o.getLong("lagEvents")).isZero();
              assertThat(o.getString("asOf")).isNotNull();
              Instant asOf = Instant.parse(o.getString("asOf"));
              Instant now = Instant.parse(o.getString("now"));
              assertThat(asOf).isBeforeOrEqualTo(now);
              assertThat(o.getLong("freshnessMillis"))
                  .isEqualTo(Duration.between(asOf, now).toMillis());
              for (Object part : o.getJsonArray("byPartition")) {
                assertThat(((JsonObject) part).getString("asOf")).isNotNull();
              }
            });
    assertThat(
            new JsonObject(http.get("/v1/total?entity=video:0&type=view").body()).getLong("count"))
        .isEqualTo(11); // ids o0, o37, …, o370 once each
  }

  @Test
  void unknownParametersAreA400() {
    startHeldBack();
    HttpResponse<String> r = http.get("/v1/overview?entity=video:1");
    assertThat(r.statusCode()).isEqualTo(400);
    assertThat(r.body()).contains("unknown parameter 'entity'");
  }

  @Test
  void servesTheDashboardAndItsChartLibraryItself() {
    startHeldBack();
    HttpResponse<String> page = http.get("/");
    assertThat(page.statusCode()).isEqualTo(200);
    assertThat(page.headers().firstValue("Content-Type").orElse("")).startsWith("text/html");
    assertThat(page.body())
        .contains(
            "<title>Tally", "/webjars/uplot/dist/uPlot.iife.min.js", "/dashboard/dashboard.js");

    HttpResponse<String> uplot = http.get("/webjars/uplot/dist/uPlot.iife.min.js");
    assertThat(uplot.statusCode()).isEqualTo(200);
    assertThat(uplot.headers().firstValue("Content-Type").orElse("")).contains("javascript");
    assertThat(uplot.body()).contains("uPlot");
    assertThat(http.get("/webjars/uplot/dist/uPlot.min.css").statusCode()).isEqualTo(200);
    assertThat(http.get("/dashboard/dashboard.js").body()).contains("/v1/overview");
    assertThat(http.get("/dashboard/dashboard.css").statusCode()).isEqualTo(200);

    HttpResponse<String> missing = http.get("/dashboard/nothing-here.js");
    assertThat(missing.statusCode()).isEqualTo(404);
    assertThat(new JsonObject(missing.body()).getString("error")).contains("no route");
  }

  @Test
  void theRateCoversTheLastSecondsOnly() throws Exception {
    long[] nanos = {0};
    long[] count = {0};
    EventRate rate = new EventRate(() -> count[0], () -> nanos[0], 5);
    assertThat(rate.perSecond()).isZero();
    for (int s = 1; s <= 5; s++) { // 100 events/s for 5 s
      nanos[0] = TimeUnit.SECONDS.toNanos(s);
      count[0] += 100;
      rate.sample();
    }
    assertThat(rate.perSecond()).isEqualTo(100.0);
    for (int s = 6;
        s <= 10;
        s++) { // then 1000 events/s for 5 s: the first 5 s have left the window
      nanos[0] = TimeUnit.SECONDS.toNanos(s);
      count[0] += 1000;
      rate.sample();
    }
    assertThat(rate.perSecond()).isEqualTo(1000.0);
    nanos[0] = TimeUnit.SECONDS.toNanos(10) + TimeUnit.MILLISECONDS.toNanos(500);
    count[0] += 1000; // half a second later
    assertThat(rate.perSecond()).isEqualTo(6000 / 5.5);
  }
}
