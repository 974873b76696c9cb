package io.tally.server;

import static io.tally.server.config.ConfigKeys.*;
import static org.assertj.core.api.Assertions.assertThat;

import io.tally.model.Event;
import io.tally.model.Granularity;
import io.tally.model.json.TallyJson;
import io.tally.server.config.EffectiveConfig;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Enrichment through the embedded server (real HTTP, real RocksDB): attributes set over HTTP,
 * events counted under derived entities, and the enrichment invariant — every derived count, in
 * total and in each minute, hour and day bucket, equals the sum of its members' counts.
 */
class EnrichmentEndToEndTest {
  private static final String[] TYPES = {"view", "like"};
  private static final long SPREAD_MILLIS = 6 * 3_600_000L;

  @TempDir Path dir;
  private EmbeddedTally tally;
  private TallyHttp http;

  private void start() {
    tally =
        EmbeddedTally.start(
            EffectiveConfig.defaults()
                .with(STORAGE_DATA_DIR, dir.resolve("data"))
                .with(SERVER_PORT, 0)
                .with(PROCESSOR_FLUSH_INTERVAL_MS, 200)
                .with(ENRICH_DERIVE, List.of("channel", "category"))
                .server());
    http = new TallyHttp(tally.url());
  }

  @AfterEach
  void stop() {
    if (tally != null) {
      tally.close();
    }
  }

  private static String path(String entity) {
    return "/v1/entities/" + TallyHttp.q(entity) + "/attributes";
  }

  private void putAttributes(String entity, String json) {
    HttpResponse<String> r = http.put(path(entity), json);
    assertThat(r.statusCode()).as(r.body()).isEqualTo(200);
  }

  private void send(List<Event> events) {
    HttpResponse<String> r = http.post("/v1/events", "application/json", TallyJson.events(events));
    assertThat(r.statusCode()).as(r.body()).isEqualTo(202);
  }

  private void awaitCounted() {
    Awaitility.await()
        .atMost(Duration.ofSeconds(60))
        .pollInterval(Duration.ofMillis(100))
        .until(
            () ->
                new JsonObject(http.get("/healthz").body())
                        .getJsonObject("checks")
                        .getLong("backlogEvents")
                    == 0);
  }

  private JsonObject total(String entity, String type) {
    HttpResponse<String> r = http.get("/v1/total?entity=" + TallyHttp.q(entity) + "&type=" + type);
    assertThat(r.statusCode()).as(r.body()).isEqualTo(200);
    return new JsonObject(r.body());
  }

  /** Bucket start → {count, sum} of a series. */
  private Map<Long, long[]> series(String entity, String type, Granularity g, long from, long to) {
    Map<Long, long[]> out = new HashMap<>();
    for (String fn : new String[] {"count", "sum"}) {
      HttpResponse<String> r =
          http.get(
              "/v1/stats?entity="
                  + TallyHttp.q(entity)
                  + "&type="
                  + type
                  + "&fn="
                  + fn
                  + "&granularity="
                  + g.wireName()
                  + "&from="
                  + from
                  + "&to="
                  + to);
      assertThat(r.statusCode()).as(r.body()).isEqualTo(200);
      JsonArray buckets = new JsonObject(r.body()).getJsonArray("buckets");
      for (int i = 0; i < buckets.size(); i++) {
        JsonObject b = buckets.getJsonObject(i);
        long start = Instant.parse(b.getString("start")).toEpochMilli();
        out.computeIfAbsent(start, k -> new long[2])[fn.equals("count") ? 0 : 1] =
            b.getLong("value");
      }
    }
    return out;
  }

  @Test
  void derivedCountsEqualTheSumOfTheirMembersInTotalAndEveryBucket() {
    start();
    Map<String, List<String>> members = new HashMap<>();
    Map<String, Map<String, String>> attributes = new HashMap<>();
    for (int v = 0; v < 200; v++) {
      String video = "video:" + v;
      Map<String, String> a = new HashMap<>();
      if (v % 25 != 0) { // a few members of no channel
        a.put("channel", "ch" + v % 8);
      }
      a.put("category", "cat" + v % 4);
      a.put("language", "l" + v % 3); // not a derived attribute
      attributes.put(video, a);
      a.forEach(
          (name, value) ->
              members.computeIfAbsent(name + ":" + value, k -> new ArrayList<>()).add(video));
      putAttributes(video, new JsonObject(new HashMap<>(a)).encode());
    }
    members.keySet().removeIf(d -> d.startsWith("language:"));

    long now = System.currentTimeMillis();
    Random random = new Random(11);
    List<Event> unique = new ArrayList<>();
    List<Event> acked = new ArrayList<>();
    for (int i = 0; i < 30_000; i++) {
      unique.add(
          new Event(
              "e" + i,
              "video:" + random.nextInt(210),
              TYPES[random.nextInt(TYPES.length)],
              now - (long) (random.nextDouble() * SPREAD_MILLIS),
              1 + random.nextInt(10)));
    }
    for (int i = 0; i < unique.size(); i += 1_000) {
      List<Event> batch = new ArrayList<>(unique.subList(i, i + 1_000));
      for (int k = 0; k < 50 && !acked.isEmpty(); k++) {
        batch.add(acked.get(random.nextInt(acked.size()))); // client retries: each counts once
      }
      send(batch);
      acked.addAll(unique.subList(i, i + 1_000));
    }
    awaitCounted();

    Map<String, long[]> expected = new HashMap<>(); // derived|type → {count, sum} from the events
    for (Event e : unique) {
      for (Map.Entry<String, String> a : attributes.getOrDefault(e.entity(), Map.of()).entrySet()) {
        long[] cell =
            expected.computeIfAbsent(
                a.getKey() + ":" + a.getValue() + "|" + e.type(), k -> new long[2]);
        cell[0]++;
        cell[1] += e.value();
      }
    }
    long from = Granularity.DAY.bucketStart(now - SPREAD_MILLIS);
    long to = now + 60_000;
    assertThat(members).hasSize(12);
    for (Map.Entry<String, List<String>> d : members.entrySet()) {
      for (String type : TYPES) {
        long count = 0;
        long sum = 0;
        for (String m : d.getValue()) {
          JsonObject t = total(m, type);
          count += t.getLong("count");
          sum += t.getLong("sum");
        }
        JsonObject derived = total(d.getKey(), type);
        assertThat(new long[] {derived.getLong("count"), derived.getLong("sum")})
            .as("total of %s %s", d.getKey(), type)
            .containsExactly(count, sum)
            .containsExactly(expected.get(d.getKey() + "|" + type));
        for (Granularity g : Granularity.TIMED) {
          Map<Long, long[]> want = new HashMap<>();
          for (String m : d.getValue()) {
            series(m, type, g, from, to)
                .forEach(
                    (start, cell) -> {
                      long[] w = want.computeIfAbsent(start, k -> new long[2]);
                      w[0] += cell[0];
                      w[1] += cell[1];
                    });
          }
          Map<Long, long[]> got = series(d.getKey(), type, g, from, to);
          assertThat(got.keySet())
              .as("%s buckets of %s %s", g, d.getKey(), type)
              .isEqualTo(want.keySet());
          got.forEach(
              (start, cell) ->
                  assertThat(cell)
                      .as("%s %s %s at %s", d.getKey(), type, g, Instant.ofEpochMilli(start))
                      .containsExactly(want.get(start)));
        }
      }
    }
  }

  /**
   * Issue 20 item 8 (issue 19, reserved derived names): an event sent straight to {@code
   * channel:c1} is refused with a reason, and neither the derived total nor the top-K moves.
   */
  @Test
  void anEventSentDirectlyToADerivedEntityIsRefusedAndChangesNothing() {
    start();
    long now = System.currentTimeMillis();
    putAttributes("video:1", "{\"channel\":\"c1\"}");
    send(
        List.of(
            new Event("m1", "video:1", "view", now, 1),
            new Event("m2", "video:1", "view", now, 1),
            new Event("m3", "video:1", "view", now, 1)));
    awaitCounted();
    JsonObject before = total("channel:c1", "view");
    assertThat(new long[] {before.getLong("count"), before.getLong("sum")}).containsExactly(3, 3);
    Map<String, Long> topBefore = top("channel:");

    String reason =
        "entity prefix 'channel:' is derived by this server (--derive channel,category);"
            + " send events for its members";
    HttpResponse<String> mixed =
        http.postJson(
            "[{\"entity\":\"channel:c1\",\"type\":\"view\",\"value\":100},"
                + "{\"entity\":\"video:2\",\"type\":\"view\"},"
                + "{\"entity\":\"category:x\",\"type\":\"view\"}]");
    assertThat(mixed.statusCode()).as(mixed.body()).isEqualTo(202);
    JsonObject answer = new JsonObject(mixed.body());
    assertThat(answer.getInteger("accepted")).isEqualTo(1);
    JsonArray rejected = answer.getJsonArray("rejected");
    assertThat(rejected.size()).isEqualTo(2);
    assertThat(rejected.getJsonObject(0).getInteger("index")).isZero();
    assertThat(rejected.getJsonObject(0).getString("reason")).isEqualTo(reason);
    assertThat(rejected.getJsonObject(1).getInteger("index")).isEqualTo(2);
    HttpResponse<String> alone =
        http.postJson("{\"entity\":\"channel:c1\",\"type\":\"view\",\"value\":100}");
    assertThat(alone.statusCode()).as(alone.body()).isEqualTo(400);
    assertThat(alone.body()).contains(reason);
    awaitCounted();

    JsonObject after = total("channel:c1", "view");
    assertThat(new long[] {after.getLong("count"), after.getLong("sum")}).containsExactly(3, 3);
    assertThat(total("video:2", "view").getLong("count")).isEqualTo(1);
    Map<String, Long> topAfter = top("channel:");
    assertThat(topAfter.get("channel:c1")).isEqualTo(topBefore.get("channel:c1")).isEqualTo(3L);
    assertThat(top("category:")).doesNotContainKey("category:x");
    assertThat(top(null)).containsEntry("video:2", 1L);
  }

  /** The last hour's top views of a namespace (null: plain entities): entity → estimate. */
  private Map<String, Long> top(String prefix) {
    HttpResponse<String> r =
        http.get(
            "/v1/top?type=view&window=1h&k=100"
                + (prefix == null ? "" : "&prefix=" + TallyHttp.q(prefix)));
    assertThat(r.statusCode()).as(r.body()).isEqualTo(200);
    JsonArray items = new JsonObject(r.body()).getJsonArray("items");
    Map<String, Long> out = new HashMap<>();
    for (int i = 0; i < items.size(); i++) {
      out.put(
          items.getJsonObject(i).getString("entity"), items.getJsonObject(i).getLong("estimate"));
    }
    return out;
  }

  /**
   * Issue 19: with --derive, the ranking of videos holds only videos, plain entities are ranked
   * without channels by default, and the channels get their own ranking under prefix=channel:.
   */
  @Test
  void aDerivedServersVideoRankingHoldsOnlyVideos() {
    start();
    long now = System.currentTimeMillis();
    putAttributes("video:1", "{\"channel\":\"c1\"}");
    putAttributes("video:2", "{\"channel\":\"c1\"}");
    List<Event> events = new ArrayList<>();
    for (int i = 0; i < 6; i++) {
      events.add(new Event("r" + i, i < 4 ? "video:1" : "video:2", "view", now, 1));
    }
    events.add(new Event("r9", "clip:1", "view", now, 1));
    send(events);
    awaitCounted();

    assertThat(top("video:")).containsOnly(Map.entry("video:1", 4L), Map.entry("video:2", 2L));
    assertThat(top(null))
        .containsOnly(Map.entry("video:1", 4L), Map.entry("video:2", 2L), Map.entry("clip:1", 1L));
    assertThat(top("channel:")).containsOnly(Map.entry("channel:c1", 6L));
    assertThat(http.get("/v1/top?type=view&window=1h&prefix=").body())
        .contains("prefix must not be empty");
  }

  @Test
  void anAttributeChangeOnlyAffectsEventsProcessedAfterIt() {
    start();
    long now = System.currentTimeMillis();
    putAttributes("video:1", "{\"channel\":\"a\"}");
    send(
        List.of(
            new Event("x1", "video:1", "view", now, 1),
            new Event("x2", "video:1", "view", now, 1),
            new Event("x3", "video:1", "view", now, 1)));
    awaitCounted();
    putAttributes("video:1", "{\"channel\":\"b\",\"category\":\"music\"}");
    send(
        List.of(
            new Event("x4", "video:1", "view", now, 1),
            new Event("x5", "video:1", "view", now, 1),
            new Event("x1", "video:1", "view", now, 1)));
    awaitCounted();
    assertThat(http.delete(path("video:1")).statusCode()).isEqualTo(204);
    send(List.of(new Event("x6", "video:1", "view", now, 1)));
    awaitCounted();

    assertThat(total("video:1", "view").getLong("count")).isEqualTo(6);
    assertThat(total("channel:a", "view").getLong("count"))
        .as("events processed before the change")
        .isEqualTo(3);
    assertThat(total("channel:b", "view").getLong("count"))
        .as("after it (x1 is a duplicate)")
        .isEqualTo(2);
    assertThat(total("category:music", "view").getLong("count")).isEqualTo(2);
  }

  @Test
  void attributesAndDerivedCountsSurviveARestart() {
    start();
    long now = System.currentTimeMillis();
    putAttributes("video:9", "{\"channel\":\"c9\"}");
    send(List.of(new Event("y1", "video:9", "view", now, 5)));
    awaitCounted();
    tally.close();
    tally = null;

    start();
    HttpResponse<String> r = http.get(path("video:9"));
    assertThat(r.statusCode()).isEqualTo(200);
    assertThat(new JsonObject(r.body()).getMap()).isEqualTo(Map.of("channel", "c9"));
    send(List.of(new Event("y2", "video:9", "view", now, 5)));
    awaitCounted();
    JsonObject t = total("channel:c9", "view");
    assertThat(t.getLong("count")).isEqualTo(2);
    assertThat(t.getLong("sum")).isEqualTo(10);
  }

  @Test
  void theAttributeRoutesAnswerAndExplainBadInput() {
    start();
    assertThat(http.get(path("video:1")).statusCode()).isEqualTo(404);
    assertThat(http.get(path("video:1")).body()).contains("video:1 has no attributes");

    HttpResponse<String> put =
        http.put(path("video:1"), "{\"channel\":\"c1\",\"category\":\"music\"}");
    assertThat(put.statusCode()).isEqualTo(200);
    assertThat(new JsonObject(put.body()).getMap())
        .isEqualTo(Map.of("channel", "c1", "category", "music"));
    put = http.put(path("video:1"), "{\"channel\":\"c2\"}");
    assertThat(put.statusCode()).isEqualTo(200);
    assertThat(new JsonObject(http.get(path("video:1")).body()).getMap())
        .as("replaced, not merged")
        .isEqualTo(Map.of("channel", "c2"));
    assertThat(http.delete(path("video:1")).statusCode()).isEqualTo(204);
    assertThat(http.get(path("video:1")).statusCode()).isEqualTo(404);
    assertThat(http.delete(path("video:1")).statusCode())
        .as("deleting nothing is no error")
        .isEqualTo(204);

    putAttributes("shop/item#7", "{\"channel\":\"c/1\"}");
    assertThat(new JsonObject(http.get(path("shop/item#7")).body()).getMap())
        .isEqualTo(Map.of("channel", "c/1"));

    assertBadRequest(path("video:1"), "not json", "malformed JSON");
    assertBadRequest(path("video:1"), "[]", "must be a JSON object");
    assertBadRequest(path("video:1"), "", "body is empty");
    assertBadRequest(
        path("video:1"), "{\"channel\":7}", "attribute 'channel' must be a string, got a number");
    assertBadRequest(
        path("video:1"), "{\"channel\":{\"a\":\"b\"}}", "must be a string, got an object");
    assertBadRequest(path("video:1"), "{\"channel\":\"a\",\"channel\":\"b\"}", "given twice");
    assertBadRequest(path("video:1"), "{\"Channel\":\"c1\"}", "may only contain a-z 0-9 _");
    assertBadRequest(
        path("video:1"), "{\"channel\":\"c 1\"}", "attribute 'channel' may only contain");
    assertBadRequest(
        path("video:1"), "{\"channel\":\"" + "x".repeat(129) + "\"}", "longer than 128");
    StringBuilder many = new StringBuilder("{");
    for (int i = 0; i < 33; i++) {
      many.append(i == 0 ? "" : ",").append("\"a").append(i).append("\":\"v\"");
    }
    assertBadRequest(path("video:1"), many.append('}').toString(), "at most 32 attributes");
    assertBadRequest(path("video 1"), "{\"channel\":\"c1\"}", "entity may only contain");
    assertThat(http.get(path("video 1")).statusCode()).isEqualTo(400);
    assertThat(
            http.get("/v1/total?entity=" + TallyHttp.q("channel:c1~0") + "&type=view").statusCode())
        .as("shard rows are no entities")
        .isEqualTo(400);
  }

  private void assertBadRequest(String path, String body, String reasonPart) {
    HttpResponse<String> r = http.put(path, body);
    assertThat(r.statusCode()).as(body).isEqualTo(400);
    assertThat(new JsonObject(r.body()).getString("error")).as(body).contains(reasonPart);
  }
}
