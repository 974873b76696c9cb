package io.tally.server.security;

import static io.tally.server.config.ConfigKeys.*;
import static org.assertj.core.api.Assertions.assertThat;

import io.tally.server.EmbeddedTally;
import io.tally.server.ServerConfig;
import io.tally.server.config.EffectiveConfig;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Combinators;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import net.jqwik.api.lifecycle.AfterContainer;
import net.jqwik.api.lifecycle.AfterProperty;
import net.jqwik.api.lifecycle.BeforeContainer;
import org.awaitility.Awaitility;

/**
 * 10,500 generated hostile requests against a real embedded server over real sockets: malformed and
 * deeply nested JSON, huge numbers, control characters, invalid UTF-8, wrong content types,
 * truncated bodies, garbage keys and query strings. None may get a 5xx or stop the server; in mixed
 * batches every good event is accepted and, once processed, counted exactly once (batches are
 * sometimes sent twice, as a retrying client would).
 */
class HostileRequestsFuzzTest {
  private static EmbeddedTally tally;
  private static String bearer;

  /** entity → good events sent (distinct ids), checked against the totals after each property. */
  private static final Map<String, AtomicLong> EXPECTED = new ConcurrentHashMap<>();

  private static final int MIX_ENTITIES = 40;

  @BeforeContainer
  static void start() throws IOException {
    ServerConfig config =
        EffectiveConfig.defaults()
            .with(STORAGE_DATA_DIR, Files.createTempDirectory("tally-fuzz"))
            .with(SERVER_PORT, 0)
            .with(STORAGE_FSYNC, "100ms")
            .server();
    tally = EmbeddedTally.start(config);
    GatewayClient http = new GatewayClient(tally.url());
    bearer =
        "Bearer "
            + new JsonObject(
                    http.post(
                            null,
                            "/v1/admin/keys",
                            "{\"name\":\"fuzzer\",\"scopes\":[\"ingest\",\"query\"]}")
                        .body())
                .getString("key");
  }

  @AfterContainer
  static void stop() {
    if (tally != null) {
      tally.close();
    }
  }

  @AfterProperty
  void serverIsHealthyAndCountsAreExact() throws IOException {
    Awaitility.await()
        .atMost(Duration.ofSeconds(30))
        .until(
            () -> {
              RawHttp.Answer h =
                  RawHttp.exchange(
                      tally.port(), RawHttp.request("GET", "/healthz", null, null, new byte[0]));
              return h.status() == 200
                  && new JsonObject(h.body()).getJsonObject("checks").getLong("backlogEvents") == 0;
            });
    Awaitility.await()
        .atMost(Duration.ofSeconds(10))
        .untilAsserted(
            () -> {
              for (Map.Entry<String, AtomicLong> e : EXPECTED.entrySet()) {
                RawHttp.Answer a =
                    RawHttp.exchange(
                        tally.port(),
                        RawHttp.request(
                            "GET",
                            "/v1/total?entity=" + e.getKey() + "&type=view",
                            null,
                            bearer,
                            new byte[0]));
                assertThat(a.status()).isEqualTo(200);
                assertThat(new JsonObject(a.body()).getLong("count"))
                    .as(e.getKey())
                    .isEqualTo(e.getValue().get());
              }
            });
  }

  private static void assertNot5xx(RawHttp.Answer a, String what) {
    assertThat(a.status()).as(what + " -> " + a.body()).isBetween(200, 499);
  }

  @Property(tries = 5000)
  void hostileIngestBodiesNeverGetA5xx(
      @ForAll("hostileBodies") byte[] body,
      @ForAll("contentTypes") String contentType,
      @ForAll("authorizations") String authorization)
      throws IOException {
    RawHttp.Answer a =
        RawHttp.exchange(
            tally.port(), RawHttp.request("POST", "/v1/events", contentType, authorization, body));
    assertNot5xx(a, "POST /v1/events " + contentType);
  }

  @Property(tries = 1500)
  void hostileBatchQueryBodiesNeverGetA5xx(@ForAll("hostileBodies") byte[] body)
      throws IOException {
    RawHttp.Answer a =
        RawHttp.exchange(
            tally.port(),
            RawHttp.request("POST", "/v1/stats/batch", "application/json", bearer, body));
    assertNot5xx(a, "POST /v1/stats/batch");
  }

  @Property(tries = 2500)
  void hostileQueriesNeverGetA5xx(@ForAll("queryTargets") String target) throws IOException {
    RawHttp.Answer a =
        RawHttp.exchange(tally.port(), RawHttp.request("GET", target, null, bearer, new byte[0]));
    String shown = target.length() > 200 ? target.substring(0, 200) + "…" : target;
    assertThat(a.status()).as(shown + " -> " + a.body()).isNotEqualTo(-1);
    assertNot5xx(a, "GET " + shown);
  }

  @Property(tries = 1500)
  void goodEventsInMixedBatchesAreCountedExactlyOnce(
      @ForAll("mixedBatches") Mixed batch, @ForAll boolean ndjson, @ForAll boolean sendTwice)
      throws IOException {
    byte[] body = ndjson ? batch.ndjson() : batch.jsonArray();
    String ct = ndjson ? "application/x-ndjson" : "application/json";
    for (int attempt = 0; attempt < (sendTwice ? 2 : 1); attempt++) {
      RawHttp.Answer a =
          RawHttp.exchange(tally.port(), RawHttp.request("POST", "/v1/events", ct, bearer, body));
      boolean allBad = batch.good().isEmpty();
      assertThat(a.status()).as(a.body()).isEqualTo(allBad ? 400 : 202);
      JsonObject answer = new JsonObject(a.body());
      if (!allBad) {
        assertThat(answer.getInteger("accepted")).as(a.body()).isEqualTo(batch.good().size());
      }
      Set<Integer> rejected = new HashSet<>();
      JsonArray r = answer.getJsonArray("rejected", new JsonArray());
      for (int i = 0; i < r.size(); i++) {
        rejected.add(r.getJsonObject(i).getInteger("index"));
      }
      if (!allBad) {
        assertThat(rejected).as(a.body()).isEqualTo(batch.badIndexes());
      }
    }
    for (String entity : batch.good()) {
      EXPECTED.computeIfAbsent(entity, e -> new AtomicLong()).incrementAndGet();
    }
  }

  // ---- generators ----

  @Provide
  Arbitrary<String> contentTypes() {
    return Arbitraries.of(
        "application/json",
        "application/x-ndjson",
        "application/ndjson",
        "text/plain",
        "application/json; charset=utf-16",
        "multipart/form-data; boundary=x",
        "application/x-www-form-urlencoded",
        "",
        "application/jsonl",
        "*/*",
        "application/json\u00ff");
  }

  @Provide
  Arbitrary<String> authorizations() {
    Arbitrary<String> garbage = Arbitraries.strings().withCharRange(' ', '~').ofMaxLength(200);
    return Arbitraries.frequencyOf(
        net.jqwik.api.Tuple.of(8, Arbitraries.just(bearer)),
        net.jqwik.api.Tuple.of(1, garbage.map(g -> "Bearer " + g)),
        net.jqwik.api.Tuple.of(
            1,
            Arbitraries.of(
                "Bearer tly_sk_000000000000_" + "A".repeat(43),
                "Basic Zm9vOmJhcg==",
                "Bearer",
                "bearer  " + "x".repeat(60),
                "Bearer tly_pk_zzzzzzzzzzzz_" + "-".repeat(43))));
  }

  @Provide
  Arbitrary<byte[]> hostileBodies() {
    return Arbitraries.oneOf(
        nested(),
        hugeNumbers(),
        controlCharacters(),
        invalidUtf8(),
        truncated(),
        randomBytes(),
        oddValues(),
        longStrings());
  }

  private static Arbitrary<byte[]> nested() {
    return Combinators.combine(
            Arbitraries.integers().between(1, 200_000),
            Arbitraries.of("[", "{\"a\":", "{\"entity\":"),
            Arbitraries.of(true, false))
        .as(
            (depth, open, closed) -> {
              StringBuilder b = new StringBuilder(open.repeat(depth));
              if (closed) {
                b.append("1");
                for (int i = 0; i < depth; i++) {
                  b.append(open.equals("[") ? ']' : '}');
                }
              }
              return utf8(b.toString());
            });
  }

  private static Arbitrary<byte[]> hugeNumbers() {
    Arbitrary<String> digits = Arbitraries.strings().numeric().ofMinLength(1).ofMaxLength(5000);
    Arbitrary<String> number =
        Arbitraries.oneOf(
            digits,
            digits.map(d -> "-" + d),
            digits.map(d -> d + "e" + d),
            Arbitraries.of(
                "1e999999999",
                "-0",
                "NaN",
                "Infinity",
                "0x10",
                "9223372036854775808",
                "-9223372036854775809",
                "1.5",
                "00012",
                "1E400"));
    return Combinators.combine(number, Arbitraries.of("value", "time", "entity", "id"))
        .as(
            (n, field) ->
                utf8("[{\"entity\":\"n:1\",\"type\":\"view\",\"" + field + "\":" + n + "}]"));
  }

  private static Arbitrary<byte[]> controlCharacters() {
    return Arbitraries.strings()
        .withCharRange('\u0000', '\u001f')
        .ofMinLength(1)
        .ofMaxLength(40)
        .map(
            c ->
                utf8(
                    "[{\"entity\":\"c:"
                        + c
                        + "\",\"type\":\"vi"
                        + c
                        + "ew\"}]\n{\"entity\":\""
                        + c
                        + "\"}"));
  }

  private static Arbitrary<byte[]> invalidUtf8() {
    return Arbitraries.bytes()
        .between((byte) 0x80, (byte) 0xff)
        .array(byte[].class)
        .ofMinSize(1)
        .ofMaxSize(20)
        .map(bad -> concat(utf8("[{\"entity\":\"u:"), bad, utf8("\",\"type\":\"view\"}]")));
  }

  private static Arbitrary<byte[]> truncated() {
    return Combinators.combine(
            Arbitraries.integers().between(1, 20), Arbitraries.doubles().between(0, 1))
        .as(
            (n, cut) -> {
              StringBuilder b = new StringBuilder("[");
              for (int i = 0; i < n; i++) {
                b.append(i == 0 ? "" : ",")
                    .append("{\"id\":\"t")
                    .append(i)
                    .append("\",\"entity\":\"trunc:x\",\"type\":\"view\",\"value\":")
                    .append(i)
                    .append("}");
              }
              String full = b.append("]").toString();
              return utf8(full.substring(0, Math.max(1, (int) (full.length() * cut) - 1)));
            })
        .filter(b -> b.length > 0);
  }

  private static Arbitrary<byte[]> randomBytes() {
    return Arbitraries.bytes().array(byte[].class).ofMinSize(0).ofMaxSize(2000);
  }

  private static Arbitrary<byte[]> oddValues() {
    Arbitrary<String> value =
        Arbitraries.oneOf(
            Arbitraries.strings().ofMaxLength(50).map(s -> new JsonArray().add(s).encode()),
            Arbitraries.of(
                "null",
                "true",
                "{}",
                "[]",
                "[[[]]]",
                "{\"$ne\":1}",
                "\"\"",
                "\"\\u0000\"",
                "\"\\ud800\""));
    return Combinators.combine(value, value, value)
        .as(
            (e, t, v) ->
                utf8(
                    "{\"entity\":"
                        + e
                        + ",\"type\":"
                        + t
                        + ",\"value\":"
                        + v
                        + ",\"extra\":"
                        + v
                        + "}"));
  }

  private static Arbitrary<byte[]> longStrings() {
    return Arbitraries.integers()
        .between(200, 300_000)
        .map(n -> utf8("[{\"entity\":\"" + "e".repeat(n) + "\",\"type\":\"view\"}]"));
  }

  @Provide
  Arbitrary<String> queryTargets() {
    Arbitrary<String> path =
        Arbitraries.of(
            "/v1/total",
            "/v1/stats",
            "/v1/top",
            "/v1/stats/",
            "/v1/nothing",
            "/v1/total/x",
            "/v1/../v1/total",
            "/v1/%2e%2e/total",
            "//v1/total");
    Arbitrary<String> name =
        Arbitraries.of(
            "entity",
            "type",
            "fn",
            "from",
            "to",
            "granularity",
            "fill",
            "window",
            "k",
            "x",
            "entity[]",
            "%00",
            "");
    Arbitrary<String> raw =
        Arbitraries.oneOf(
            Arbitraries.strings()
                .ofMaxLength(60)
                .map(s -> URLEncoder.encode(s, StandardCharsets.UTF_8)),
            Arbitraries.strings().numeric().ofMaxLength(400),
            Arbitraries.of(
                "%ZZ",
                "%",
                "%0",
                "%00",
                "%ff%fe",
                "%C0%AF",
                "-1",
                "0",
                "99999999999999999999999",
                "1e9",
                "minute",
                "hour",
                "day",
                "total",
                "auto",
                "count",
                "sum",
                "zero",
                "1h",
                "5m",
                "24h",
                "7d",
                "-5m",
                "2026-01-01T00:00:00Z",
                "video:1",
                "view"),
            Arbitraries.integers().between(1, 12_000).map("a"::repeat));
    Arbitrary<String> pair = Combinators.combine(name, raw).as((n, v) -> n + "=" + v);
    return Combinators.combine(path, pair.list().ofMaxSize(8))
        .as((p, pairs) -> p + "?" + String.join("&", pairs));
  }

  /**
   * A batch of good events (fresh ids) and known-bad ones, shuffled; {@code good} holds each good
   * event's entity.
   */
  record Mixed(List<byte[]> events, List<String> good, Set<Integer> badIndexes) {
    byte[] jsonArray() {
      ByteArrayOutputStream b = new ByteArrayOutputStream();
      b.write('[');
      for (int i = 0; i < events.size(); i++) {
        if (i > 0) {
          b.write(',');
        }
        b.writeBytes(events.get(i));
      }
      b.write(']');
      return b.toByteArray();
    }

    byte[] ndjson() {
      ByteArrayOutputStream b = new ByteArrayOutputStream();
      for (byte[] e : events) {
        b.writeBytes(e);
        b.write('\n');
      }
      return b.toByteArray();
    }
  }

  /** Events every reader rejects on their own, without breaking the JSON around them. */
  private static Arbitrary<String> badEvents() {
    return Arbitraries.of(
        "{\"entity\":42,\"type\":\"view\"}",
        "{\"entity\":\"bad:1\"}",
        "{\"type\":\"view\"}",
        "{\"entity\":\"bad:1\",\"type\":\"view\",\"value\":1.5}",
        "{\"entity\":\"bad:1\",\"type\":\"view\",\"value\":123456789012345678901234567890}",
        "{\"entity\":\"bad:1\",\"type\":\"view\",\"value\":\"7\"}",
        "{\"entity\":{\"nested\":[1,[2,[3]]]},\"type\":\"view\"}",
        "{\"entity\":\"bad:1\",\"type\":\"view\",\"surprise\":true}",
        "{\"entity\":\"" + "x".repeat(300) + "\",\"type\":\"view\"}",
        "{\"entity\":\"bad:1\",\"type\":\"view\",\"time\":9999999999999999}",
        "{\"entity\":\"bad:1\",\"type\":\"view\",\"time\":\"yesterday\"}",
        "[1,2,3]",
        "\"just a string\"",
        "null");
  }

  @Provide
  Arbitrary<Mixed> mixedBatches() {
    Arbitrary<Object> good =
        Arbitraries.integers().between(0, MIX_ENTITIES - 1).map(i -> (Object) ("mix:" + i));
    Arbitrary<Object> bad = badEvents().map(b -> (Object) utf8(b));
    return Arbitraries.oneOf(good, good, bad)
        .list()
        .ofMinSize(1)
        .ofMaxSize(30)
        .map(
            items -> {
              List<byte[]> events = new ArrayList<>();
              List<String> goodEntities = new ArrayList<>();
              Set<Integer> badIndexes = new HashSet<>();
              for (Object item : items) {
                if (item instanceof String entity) {
                  events.add(
                      utf8(
                          "{\"id\":\""
                              + UUID.randomUUID()
                              + "\",\"entity\":\""
                              + entity
                              + "\",\"type\":\"view\"}"));
                  goodEntities.add(entity);
                } else {
                  badIndexes.add(events.size());
                  events.add((byte[]) item);
                }
              }
              return new Mixed(events, goodEntities, badIndexes);
            });
  }

  private static byte[] utf8(String s) {
    return s.getBytes(StandardCharsets.UTF_8);
  }

  private static byte[] concat(byte[]... parts) {
    ByteArrayOutputStream b = new ByteArrayOutputStream();
    for (byte[] p : parts) {
      b.writeBytes(p);
    }
    return b.toByteArray();
  }
}
