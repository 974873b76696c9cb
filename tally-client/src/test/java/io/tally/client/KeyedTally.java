package io.tally.client;

import static io.tally.server.config.ConfigKeys.*;
import static org.assertj.core.api.Assertions.assertThat;

import io.tally.server.EmbeddedTally;
import io.tally.server.config.EffectiveConfig;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.function.UnaryOperator;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Collectors;
import javax.net.ssl.SSLContext;

/**
 * A real embedded server with API keys on, for the SDK's and the beacon's auth tests: the first
 * admin key is made over loopback while none exists (as docs/security.md describes), then this
 * fixture makes and revokes keys through {@code /v1/admin/keys} and reads the server's request
 * counts from {@code /metrics} — so a test can tell how many requests really reached the server.
 */
final class KeyedTally implements AutoCloseable {
  private static final Pattern TOKEN = Pattern.compile("\"key\"\\s*:\\s*\"([^\"]+)\"");

  private final EmbeddedTally server;
  private final HttpClient http;
  private final String admin;

  /**
   * @param customize overrides of the effective configuration, applied to the defaults (data dir,
   *     port 0, 200 ms flushes)
   * @param trust for a TLS server: what this fixture's own HTTP client trusts; null for plain HTTP
   */
  KeyedTally(Path dir, UnaryOperator<EffectiveConfig> customize, SSLContext trust) {
    server =
        EmbeddedTally.start(
            customize
                .apply(
                    EffectiveConfig.defaults()
                        .with(STORAGE_DATA_DIR, dir.resolve("data"))
                        .with(SERVER_PORT, 0)
                        .with(PROCESSOR_FLUSH_INTERVAL_MS, 200))
                .server());
    HttpClient.Builder b =
        HttpClient.newBuilder()
            .version(HttpClient.Version.HTTP_1_1)
            .connectTimeout(Duration.ofSeconds(5));
    http = (trust == null ? b : b.sslContext(trust)).build();
    admin = createKey(null, "{\"name\":\"root\",\"scopes\":[\"admin\"]}");
  }

  String url() {
    return server.url();
  }

  /** A new secret key with these scopes ({@code ingest}, {@code query}, {@code admin}). */
  String secretKey(String name, String... scopes) {
    return createKey(admin, "{\"name\":\"" + name + "\",\"scopes\":" + json(List.of(scopes)) + "}");
  }

  /**
   * A new publishable key ({@code tly_pk_…}) for pages from {@code origins}, writing entities under
   * {@code prefixes}.
   */
  String publishableKey(String name, List<String> origins, List<String> prefixes) {
    return createKey(
        admin,
        "{\"name\":\""
            + name
            + "\",\"kind\":\"publishable\",\"origins\":"
            + json(origins)
            + ",\"entityPrefixes\":"
            + json(prefixes)
            + "}");
  }

  /** Revokes a key; it fails on this node at once. */
  void revoke(String token) {
    HttpResponse<String> r =
        send(
            HttpRequest.newBuilder(URI.create(url() + "/v1/admin/keys/" + token.substring(7, 19)))
                .header("Authorization", "Bearer " + admin)
                .DELETE());
    assertThat(r.statusCode()).as(r.body()).isEqualTo(200);
  }

  /**
   * Requests the server answered for {@code method route} with {@code status}, from {@code
   * /metrics}.
   */
  long requests(String method, String route, int status) {
    String text = send(HttpRequest.newBuilder(URI.create(url() + "/metrics")).GET()).body();
    String labels = "method=\"" + method + "\"";
    long n = 0;
    for (String line : text.split("\n")) {
      if (line.startsWith("tally_http_server_requests_seconds_count{")
          && line.contains(labels)
          && line.contains("route=\"" + route + "\"")
          && line.contains("status=\"" + status + "\"")) {
        n += (long) Double.parseDouble(line.substring(line.lastIndexOf(' ') + 1));
      }
    }
    return n;
  }

  private String createKey(String byKey, String body) {
    HttpRequest.Builder b =
        HttpRequest.newBuilder(URI.create(url() + "/v1/admin/keys"))
            .header("Content-Type", "application/json")
            .POST(HttpRequest.BodyPublishers.ofString(body, StandardCharsets.UTF_8));
    if (byKey != null) {
      b.header("Authorization", "Bearer " + byKey);
    }
    HttpResponse<String> r = send(b);
    assertThat(r.statusCode()).as(r.body()).isEqualTo(201);
    Matcher m = TOKEN.matcher(r.body());
    assertThat(m.find()).as(r.body()).isTrue();
    return m.group(1);
  }

  private static String json(List<String> strings) {
    return strings.stream().map(s -> "\"" + s + "\"").collect(Collectors.joining(",", "[", "]"));
  }

  private HttpResponse<String> send(HttpRequest.Builder b) {
    try {
      return http.send(
          b.timeout(Duration.ofSeconds(30)).build(), HttpResponse.BodyHandlers.ofString());
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException(e);
    }
  }

  @Override
  public void close() {
    server.close();
  }
}
