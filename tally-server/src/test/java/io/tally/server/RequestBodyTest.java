package io.tally.server;

import static org.assertj.core.api.Assertions.assertThat;

import io.tally.server.config.ConfigKeys;
import io.tally.server.config.EffectiveConfig;
import io.tally.server.http.RequestBody;
import io.vertx.core.json.JsonObject;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Arrays;
import java.util.zip.GZIPOutputStream;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.io.TempDir;

/**
 * How a request body is read (issue 20 items 5, 6 and 10): whatever its Content-Type, undoing its
 * Content-Encoding, refusing a damaged or truncated compressed body as a whole, with a JSON answer
 * and a counted reason every time.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class RequestBodyTest {
  private static final String FORM = "application/x-www-form-urlencoded";
  @TempDir static Path dir;
  private EmbeddedTally tally;
  private TallyHttp http;

  @BeforeAll
  void start() {
    tally =
        EmbeddedTally.start(
            EffectiveConfig.defaults()
                .with(ConfigKeys.STORAGE_DATA_DIR, dir.resolve("data"))
                .with(ConfigKeys.SERVER_PORT, 0)
                .server());
    http = new TallyHttp(tally.url());
  }

  @AfterAll
  void stop() {
    assertThat(http.get("/healthz").statusCode()).isEqualTo(200);
    tally.close();
  }

  private static byte[] gzip(byte[] plain) throws IOException {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    try (GZIPOutputStream gz = new GZIPOutputStream(out)) {
      gz.write(plain);
    }
    return out.toByteArray();
  }

  private static String events(String entity, int n) {
    String one = "{\"entity\":\"" + entity + "\",\"type\":\"view\"}";
    return "[" + (one + ",").repeat(n - 1) + one + "]";
  }

  private long totalOf(String entity) {
    Awaitility.await().atMost(Duration.ofSeconds(10)).until(() -> tally.backlog() == 0);
    return new JsonObject(http.get("/v1/total?entity=" + entity + "&type=view").body())
        .getLong("count");
  }

  private double rejectedRequests(String reason) {
    return new PrometheusText(http.get("/metrics").body())
        .valueOrZero("tally_ingest_rejected_requests_total", "reason", reason);
  }

  private static void assertJsonError(HttpResponse<String> r, int status, String part) {
    assertThat(r.statusCode()).as(r.body()).isEqualTo(status);
    assertThat(r.headers().firstValue("Content-Type")).hasValue("application/json");
    assertThat(new JsonObject(r.body()).getString("error")).contains(part);
  }

  @Test
  void aBodyThatIsNotGzipIs400WithAJsonError() {
    double before = rejectedRequests("malformed_body");
    byte[] notGzip = "[{\"entity\":\"gz:bad\",\"type\":\"view\"}]".getBytes(StandardCharsets.UTF_8);
    assertJsonError(http.post("/v1/events", "application/json", "gzip", notGzip), 400, "gzip");
    assertThat(rejectedRequests("malformed_body")).isEqualTo(before + 1);
  }

  @Test
  void aGzipBodyWithABadChecksumIs400() throws IOException {
    byte[] body = gzip(events("gz:crc", 3).getBytes(StandardCharsets.UTF_8));
    body[body.length - 8] ^= 0x5a; // the CRC-32 of the trailer
    assertJsonError(http.post("/v1/events", "application/json", "gzip", body), 400, "gzip");
    assertThat(totalOf("gz:crc")).isZero();
  }

  @Test
  void aTruncatedGzipBodyIsRefusedAsAWhole() throws IOException {
    StringBuilder ndjson = new StringBuilder();
    for (int i = 0; i < 2_000; i++) {
      ndjson
          .append("{\"id\":\"t")
          .append(i)
          .append("\",\"entity\":\"gz:cut\",\"type\":\"view\"}\n");
    }
    byte[] whole = gzip(ndjson.toString().getBytes(StandardCharsets.UTF_8));
    byte[] half = Arrays.copyOf(whole, whole.length / 2);
    assertJsonError(
        http.post("/v1/events", "application/x-ndjson", "gzip", half), 400, "ends early");
    assertThat(totalOf("gz:cut")).isZero();
    HttpResponse<String> resent = http.post("/v1/events", "application/x-ndjson", "gzip", whole);
    assertThat(resent.statusCode()).as(resent.body()).isEqualTo(202);
    assertThat(totalOf("gz:cut")).isEqualTo(2_000);
  }

  @Test
  void aGzipBodyIsReadWhole() throws IOException {
    HttpResponse<String> r =
        http.post(
            "/v1/events",
            "application/json",
            "gzip",
            gzip(events("gz:ok", 500).getBytes(StandardCharsets.UTF_8)));
    assertThat(r.statusCode()).as(r.body()).isEqualTo(202);
    assertThat(totalOf("gz:ok")).isEqualTo(500);
  }

  /**
   * The body's array is sized from the declared Content-Length up to a bound: a body without one
   * (chunked), one larger than the bound, and one in many chunks each arrive whole.
   */
  @Test
  void bodiesOfEveryLengthAreReadWholeDeclaredOrChunked() throws Exception {
    HttpClient client = HttpClient.newHttpClient();
    int n = 0;
    for (int events : new int[] {1, 3_000, 40_000}) {
      for (boolean chunked : new boolean[] {false, true}) {
        String entity = "len:" + events + ":" + chunked + ":" + "x".repeat(20);
        byte[] body = events(entity, events).getBytes(StandardCharsets.UTF_8);
        if (events == 40_000) {
          assertThat(body.length).isGreaterThan(RequestBody.PREALLOCATED_MAX);
        }
        HttpRequest.BodyPublisher publisher =
            chunked
                ? HttpRequest.BodyPublishers.ofInputStream(() -> new ByteArrayInputStream(body))
                : HttpRequest.BodyPublishers.ofByteArray(body);
        HttpResponse<String> r =
            client.send(
                HttpRequest.newBuilder(URI.create(tally.url() + "/v1/events"))
                    .header("Content-Type", "application/json")
                    .POST(publisher)
                    .build(),
                HttpResponse.BodyHandlers.ofString());
        assertThat(r.statusCode()).as(r.body()).isEqualTo(202);
        assertThat(totalOf(entity)).as(entity).isEqualTo(events);
        n++;
      }
    }
    assertThat(n).isEqualTo(6);
  }

  @Test
  void anUnsupportedContentEncodingIs415() {
    double before = rejectedRequests("unsupported_encoding");
    byte[] body = events("br:1", 1).getBytes(StandardCharsets.UTF_8);
    assertJsonError(http.post("/v1/events", "application/json", "br", body), 415, "br");
    assertThat(rejectedRequests("unsupported_encoding")).isEqualTo(before + 1);
    assertThat(totalOf("br:1")).isZero();
  }

  @Test
  void aFormEncodedBodyIsReadAsJsonWhateverItsSize() {
    byte[] body = events("form:1", 2_000).getBytes(StandardCharsets.UTF_8);
    assertThat(body.length).isGreaterThan(1_024);
    HttpResponse<String> r = http.post("/v1/events", FORM, body);
    assertThat(r.statusCode()).as(r.body()).isEqualTo(202);
    assertThat(new JsonObject(r.body()).getInteger("accepted")).isEqualTo(2_000);
    assertThat(totalOf("form:1")).isEqualTo(2_000);
  }

  @Test
  void tooManyFormEncodedEventsIs413CountedAsTooMany() {
    double before = rejectedRequests("too_many_events");
    byte[] body = events("form:2", 50_001).getBytes(StandardCharsets.UTF_8);
    assertJsonError(http.post("/v1/events", FORM, body), 413, "at most 50000 events");
    assertThat(rejectedRequests("too_many_events")).isEqualTo(before + 1);
  }

  @Test
  void aMalformedFormEncodedBodyIs400CountedAsMalformed() {
    double before = rejectedRequests("malformed_body");
    byte[] body = ("a=1&b=" + "x".repeat(2_000)).getBytes(StandardCharsets.UTF_8);
    assertJsonError(http.post("/v1/events", FORM, body), 400, "JSON");
    assertThat(rejectedRequests("malformed_body")).isEqualTo(before + 1);
  }

  @Test
  void aBodyOverTheLimitOnceDecompressedIs413() throws IOException {
    byte[] spaces = new byte[5 << 20];
    Arrays.fill(spaces, (byte) ' ');
    spaces[0] = '[';
    spaces[spaces.length - 1] = ']';
    double before = rejectedRequests("body_too_large");
    assertJsonError(
        http.post("/v1/events", "application/json", "gzip", gzip(spaces)),
        413,
        "once decompressed");
    assertThat(rejectedRequests("body_too_large")).isEqualTo(before + 1);
  }
}
