package io.tally.server;

import static io.tally.server.config.ConfigKeys.*;
import static org.assertj.core.api.Assertions.assertThat;

import io.tally.core.aggregate.CounterKey;
import io.tally.core.recount.CounterRows;
import io.tally.model.Granularity;
import io.tally.server.config.EffectiveConfig;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.time.InstantSource;
import java.util.List;
import java.util.Random;
import java.util.concurrent.atomic.AtomicLong;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code POST /v1/admin/recount} and {@code /v1/admin/audit} on the embedded server (real RocksDB,
 * real DuckDB): a clean range audits with no mismatch; a row damaged through the store is named by
 * the audit, the metric, {@code /healthz} and the dashboard (headless Chromium), and repaired by a
 * recount; a {@code --derive} rule added after the events were counted is backfilled by a recount.
 */
class RecountHttpTest {
  private static final long HOUR = 3_600_000L;

  @TempDir Path dir;
  private final AtomicLong ahead = new AtomicLong();
  private final InstantSource clock =
      () -> Instant.ofEpochMilli(System.currentTimeMillis() + ahead.get());
  private final long rangeEnd = Granularity.HOUR.bucketStart(System.currentTimeMillis());
  private final long rangeStart = rangeEnd - 2 * HOUR;
  private EmbeddedTally tally;
  private TallyHttp http;

  private void start(List<String> derive) {
    tally =
        EmbeddedTally.start(
            EffectiveConfig.defaults()
                .with(STORAGE_DATA_DIR, dir.resolve("data"))
                .with(SERVER_PORT, 0)
                .with(RAW_EXPORT_INTERVAL, "1s")
                .with(PROCESSOR_FLUSH_INTERVAL_MS, 200)
                .with(ENRICH_DERIVE, derive)
                .server(),
            clock);
    http = new TallyHttp(tally.url());
  }

  @AfterEach
  void stop() {
    if (tally != null) {
      tally.close();
    }
  }

  /** 400 views on video:0..3 in the range, then every minute of the appends closes. */
  private void sendAndAwaitExported() {
    Random random = new Random(11);
    for (int batch = 0; batch < 4; batch++) {
      JsonArray events = new JsonArray();
      for (int i = 0; i < 100; i++) {
        events.add(
            new JsonObject()
                .put("id", "e" + batch + "-" + i)
                .put("entity", "video:" + random.nextInt(4))
                .put("type", "view")
                .put("time", rangeStart + random.nextInt((int) (2 * HOUR)))
                .put("value", 1 + random.nextInt(5)));
      }
      assertThat(http.postJson(events.encode()).statusCode()).isEqualTo(202);
    }
    ahead.addAndGet(120_000);
    Awaitility.await()
        .atMost(Duration.ofSeconds(30))
        .pollInterval(Duration.ofMillis(200))
        .until(() -> post("/v1/admin/audit", range()).statusCode() != 409);
  }

  private String range() {
    return new JsonObject()
        .put("from", Instant.ofEpochMilli(rangeStart).toString())
        .put("to", Instant.ofEpochMilli(rangeEnd).toString())
        .encode();
  }

  private HttpResponse<String> post(String path, String body) {
    return http.post(
        path, "application/json", body.getBytes(java.nio.charset.StandardCharsets.UTF_8));
  }

  private JsonObject ok(String path, String body) {
    HttpResponse<String> r = post(path, body);
    assertThat(r.statusCode()).as(r.body()).isEqualTo(200);
    return new JsonObject(r.body());
  }

  private JsonObject total(String entity) {
    return new JsonObject(
        http.get("/v1/total?entity=" + TallyHttp.q(entity) + "&type=view").body());
  }

  /** A thread posting 1,500 views with event times in the range (late), counting them in sent. */
  private Thread lateSender(long[] sent) {
    return new Thread(
        () -> {
          Random random = new Random(5);
          for (int batch = 0; batch < 30; batch++) {
            JsonArray events = new JsonArray();
            for (int i = 0; i < 50; i++) {
              int v = random.nextInt(4);
              sent[v]++;
              events.add(
                  new JsonObject()
                      .put("id", "late-" + batch + "-" + i)
                      .put("entity", "video:" + v)
                      .put("type", "view")
                      .put("time", rangeStart + random.nextInt((int) (2 * HOUR))));
            }
            assertThat(http.postJson(events.encode()).statusCode()).isEqualTo(202);
          }
        });
  }

  private void awaitCounted() {
    Awaitility.await()
        .atMost(Duration.ofSeconds(30))
        .until(
            () ->
                new JsonObject(http.get("/healthz").body())
                        .getJsonObject("checks")
                        .getLong("backlogEvents")
                    == 0);
  }

  @Test
  void theAuditNamesARowDamagedInTheStoreAndARecountRepairsIt() throws Exception {
    start(List.of());
    sendAndAwaitExported();
    JsonObject clean = ok("/v1/admin/audit", range());
    assertThat(clean.getLong("mismatched")).as(clean.encode()).isZero();
    assertThat(clean.getLong("unchanged")).isPositive();
    assertThat(new JsonObject(http.get("/healthz").body()).containsKey("warnings")).isFalse();

    long minute = rangeStart + 17 * 60_000;
    CounterKey damaged = new CounterKey("video:1", "view", Granularity.MINUTE, minute);
    try (CounterRows.Snapshot s = tally.counterRows().snapshot()) {
      CounterRows.Row row = s.read(damaged);
      s.replace(List.of(new CounterRows.Row(damaged, row.count() + 3, row.sum() + 30)));
    }

    JsonObject audit = ok("/v1/admin/audit", range());
    assertThat(audit.getLong("mismatched")).as(audit.encode()).isEqualTo(1);
    JsonObject named = audit.getJsonArray("differences").getJsonObject(0);
    assertThat(named.getString("entity")).isEqualTo("video:1");
    assertThat(named.getString("granularity")).isEqualTo("minute");
    assertThat(named.getString("start")).isEqualTo(Instant.ofEpochMilli(minute).toString());
    assertThat(http.get("/metrics").body()).contains("tally_audit_mismatched_rows 1.0");
    assertThat(new JsonObject(http.get("/healthz").body()).getJsonArray("warnings").getString(0))
        .contains("video:1 view minute " + Instant.ofEpochMilli(minute));
    String dashboard = HeadlessDom.dump(dir, tally.url() + "/", 3_000);
    assertThat(dashboard)
        .contains("<section id=\"warnings\" class=\"signin warnings\" role=\"alert\">")
        .contains("video:1 view minute " + Instant.ofEpochMilli(minute));

    JsonObject recount = ok("/v1/admin/recount", range());
    assertThat(recount.getLong("mismatched")).as(recount.encode()).isEqualTo(1);
    assertThat(recount.getBoolean("applied")).isTrue();
    assertThat(new JsonObject(http.get("/healthz").body()).containsKey("warnings")).isFalse();
    assertThat(ok("/v1/admin/audit", range()).getLong("mismatched")).isZero();
    assertThat(http.get("/metrics").body()).contains("tally_audit_mismatched_rows 0.0");

    // ranges it cannot recount: not whole hours, not exported yet, bad JSON
    String unaligned = range().replace(":00:00Z\",\"to", ":30:00Z\",\"to");
    assertThat(post("/v1/admin/recount", unaligned).statusCode()).isEqualTo(400);
    String future =
        new JsonObject()
            .put("from", Instant.ofEpochMilli(rangeEnd).toString())
            .put("to", Instant.ofEpochMilli(rangeEnd + 5 * HOUR).toString())
            .encode();
    HttpResponse<String> notYet = post("/v1/admin/recount", future);
    assertThat(notYet.statusCode()).isEqualTo(409);
    assertThat(notYet.body()).contains("try again once it is exported");
    assertThat(post("/v1/admin/audit", "{\"from\": 1").statusCode()).isEqualTo(400);
  }

  @Test
  void recountsWhileLateEventsKeepArrivingFindNothingAndLoseNothing() throws Exception {
    start(List.of());
    sendAndAwaitExported();
    long[] before = new long[4];
    for (int v = 0; v < 4; v++) {
      before[v] = total("video:" + v).getLong("count");
    }
    long[] sent = new long[4];
    Thread sender = lateSender(sent);
    sender.start();
    for (int i = 0; i < 5; i++) {
      JsonObject recount = ok("/v1/admin/recount", range());
      assertThat(recount.getLong("mismatched")).as(recount.encode()).isZero();
    }
    sender.join();
    awaitCounted();
    for (int v = 0; v < 4; v++) {
      assertThat(total("video:" + v).getLong("count")).isEqualTo(before[v] + sent[v]);
    }
    JsonObject audit = ok("/v1/admin/audit", range());
    assertThat(audit.getLong("mismatched")).as(audit.encode()).isZero();
  }

  @Test
  void aDeriveRuleAddedLaterIsBackfilledByARecountWhileLateEventsArrive() throws Exception {
    start(List.of());
    sendAndAwaitExported();
    tally.close();
    start(List.of("channel"));
    for (String v : List.of("video:1", "video:2")) {
      HttpResponse<String> r =
          http.put("/v1/entities/" + TallyHttp.q(v) + "/attributes", "{\"channel\": \"c1\"}");
      assertThat(r.statusCode()).as(r.body()).isEqualTo(200);
    }
    assertThat(total("channel:c1").getLong("count")).isZero();

    // the processor counts late events into the range, derived ones too, while the recount swaps
    Thread sender = lateSender(new long[4]);
    sender.start();
    JsonObject recount = ok("/v1/admin/recount", range());
    sender.join();
    awaitCounted();

    assertThat(recount.getLong("added")).as(recount.encode()).isPositive();
    JsonObject one = total("video:1");
    JsonObject two = total("video:2");
    JsonObject channel = total("channel:c1");
    assertThat(channel.getLong("count")).isEqualTo(one.getLong("count") + two.getLong("count"));
    assertThat(channel.getLong("sum")).isEqualTo(one.getLong("sum") + two.getLong("sum"));
    assertThat(ok("/v1/admin/audit", range()).getLong("mismatched")).isZero();
  }
}
