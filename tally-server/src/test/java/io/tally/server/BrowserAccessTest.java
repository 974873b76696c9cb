package io.tally.server;

import static io.tally.server.config.ConfigKeys.*;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.tally.server.config.EffectiveConfig;
import java.io.ByteArrayOutputStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.zip.GZIPOutputStream;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The CORS policy, {@code GET /tally.js} and gzip request bodies, over real HTTP. */
class BrowserAccessTest {
  private static final String SHOP = "https://shop.example";
  private static final String EVENT = "{\"id\":\"b-1\",\"entity\":\"video:1\",\"type\":\"view\"}";

  @TempDir Path dir;
  private EmbeddedTally tally;
  private final HttpClient http =
      HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();

  @BeforeEach
  void start() {
    tally =
        EmbeddedTally.start(
            EffectiveConfig.defaults()
                .with(STORAGE_DATA_DIR, dir.resolve("data"))
                .with(SERVER_PORT, 0)
                .with(BROWSER_CORS_ORIGINS, List.of(SHOP))
                .server());
  }

  @AfterEach
  void stop() {
    tally.close();
  }

  private HttpResponse<String> send(HttpRequest.Builder request) throws Exception {
    return http.send(
        request.timeout(Duration.ofSeconds(30)).build(), HttpResponse.BodyHandlers.ofString());
  }

  private HttpRequest.Builder beacon(String origin) {
    return HttpRequest.newBuilder(URI.create(tally.url() + "/v1/events"))
        .header("Origin", origin)
        .header("Content-Type", "text/plain;charset=UTF-8")
        .POST(HttpRequest.BodyPublishers.ofString(EVENT));
  }

  @Test
  void acceptsABeaconFromAnAllowedOriginAsTextPlain() throws Exception {
    HttpResponse<String> r = send(beacon(SHOP));

    assertThat(r.statusCode()).isEqualTo(202);
    assertThat(r.headers().firstValue("Access-Control-Allow-Origin")).contains(SHOP);
    assertThat(r.body()).contains("\"accepted\":1");
  }

  @Test
  void refusesAnOriginThatIsNotAllowedNamingTheFlag() throws Exception {
    HttpResponse<String> r = send(beacon("https://evil.example"));

    assertThat(r.statusCode()).isEqualTo(403);
    assertThat(r.body()).contains("--cors-origin https://evil.example");
    assertThat(r.headers().firstValue("Access-Control-Allow-Origin")).isEmpty();
  }

  @Test
  void aPublishableLookingKeyDoesNotOpenAnOriginWhileNoKeysAreChecked() throws Exception {
    // without API keys the gate checks none, so a made-up tly_pk_ key must not vouch for an origin
    HttpResponse<String> r =
        send(
            HttpRequest.newBuilder(
                    URI.create(tally.url() + "/v1/events?key=tly_pk_0123456789ab_made-up"))
                .header("Origin", "https://evil.example")
                .header("Content-Type", "text/plain;charset=UTF-8")
                .POST(HttpRequest.BodyPublishers.ofString(EVENT)));

    assertThat(r.statusCode()).isEqualTo(403);
    assertThat(r.body()).contains("--cors-origin https://evil.example");
  }

  @Test
  void answersAPreflightFromAnAllowedOrigin() throws Exception {
    HttpResponse<String> r =
        send(
            HttpRequest.newBuilder(URI.create(tally.url() + "/v1/events"))
                .header("Origin", SHOP)
                .header("Access-Control-Request-Method", "POST")
                .header("Access-Control-Request-Headers", "content-type")
                .method("OPTIONS", HttpRequest.BodyPublishers.noBody()));

    assertThat(r.statusCode()).isEqualTo(204);
    assertThat(r.headers().firstValue("Access-Control-Allow-Origin")).contains(SHOP);
    assertThat(r.headers().firstValue("Access-Control-Allow-Methods").orElseThrow())
        .contains("POST");
    assertThat(r.headers().firstValue("Access-Control-Allow-Headers").orElseThrow())
        .containsIgnoringCase("content-type");
  }

  @Test
  void letsSameOriginAndOriginlessRequestsThrough() throws Exception {
    assertThat(send(beacon(tally.url())).statusCode()).isEqualTo(202);
    assertThat(
            send(HttpRequest.newBuilder(
                        URI.create(tally.url() + "/v1/total?entity=video:1&type=view"))
                    .GET())
                .statusCode())
        .isEqualTo(200);
  }

  @Test
  void servesTheBeaconScriptToAnyPage() throws Exception {
    HttpResponse<String> r =
        send(
            HttpRequest.newBuilder(URI.create(tally.url() + "/tally.js"))
                .header("Origin", "https://anywhere.example")
                .GET());

    assertThat(r.statusCode()).isEqualTo(200);
    assertThat(r.headers().firstValue("Content-Type").orElseThrow()).startsWith("text/javascript");
    assertThat(r.body()).contains("sendBeacon").contains("data-entity").doesNotContain("import ");
    assertThat(r.body().length()).isLessThan(1024);
  }

  @Test
  void acceptsAGzipCompressedBody() throws Exception {
    ByteArrayOutputStream gz = new ByteArrayOutputStream();
    try (GZIPOutputStream out = new GZIPOutputStream(gz)) {
      out.write(
          ("[" + EVENT.replace("b-1", "gz-1") + "," + EVENT.replace("b-1", "gz-2") + "]")
              .getBytes(StandardCharsets.UTF_8));
    }
    HttpResponse<String> r =
        send(
            HttpRequest.newBuilder(URI.create(tally.url() + "/v1/events"))
                .header("Content-Type", "application/json")
                .header("Content-Encoding", "gzip")
                .POST(HttpRequest.BodyPublishers.ofByteArray(gz.toByteArray())));

    assertThat(r.statusCode()).isEqualTo(202);
    assertThat(r.body()).contains("\"accepted\":2");
    Awaitility.await()
        .atMost(Duration.ofSeconds(10))
        .until(
            () ->
                send(HttpRequest.newBuilder(
                            URI.create(tally.url() + "/v1/total?entity=video:1&type=view"))
                        .GET())
                    .body()
                    .contains("\"count\":2"));
  }

  @Test
  void rejectsAMalformedOriginSetting() {
    assertThatThrownBy(() -> new BrowserSettings(List.of("https://shop.example/path")))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("scheme://host[:port]");
  }
}
