package io.tally.cli;

import java.io.IOException;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Map;
import java.util.StringJoiner;

/** The HTTP calls the client commands make; one place for timeouts and error reporting. */
final class HttpCalls {
  private static final HttpClient CLIENT = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();

  private HttpCalls() {}

  static HttpResponse<String> get(String baseUrl, String path, Map<String, String> params) throws IOException, InterruptedException {
    StringJoiner q = new StringJoiner("&");
    params.forEach((k, v) -> {
      if (v != null) {
        q.add(k + "=" + URLEncoder.encode(v, StandardCharsets.UTF_8));
      }
    });
    URI uri = URI.create(strip(baseUrl) + path + (q.length() > 0 ? "?" + q : ""));
    return CLIENT.send(HttpRequest.newBuilder(uri).timeout(Duration.ofSeconds(30)).GET().build(),
        HttpResponse.BodyHandlers.ofString());
  }

  static HttpResponse<String> postJson(String baseUrl, String path, byte[] body) throws IOException, InterruptedException {
    return CLIENT.send(HttpRequest.newBuilder(URI.create(strip(baseUrl) + path))
            .timeout(Duration.ofSeconds(30))
            .header("Content-Type", "application/json")
            .POST(HttpRequest.BodyPublishers.ofByteArray(body)).build(),
        HttpResponse.BodyHandlers.ofString());
  }

  private static String strip(String url) {
    return url.endsWith("/") ? url.substring(0, url.length() - 1) : url;
  }
}
