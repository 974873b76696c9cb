package io.tally.cli;

import java.io.IOException;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Map;
import java.util.StringJoiner;

/** The HTTP calls the client commands make; one place for timeouts, the API key and the CA file. */
final class HttpCalls {
  private HttpCalls() {}

  static HttpResponse<String> get(
      ClientOptions client, String baseUrl, String path, Map<String, String> params)
      throws IOException, InterruptedException {
    StringJoiner q = new StringJoiner("&");
    params.forEach(
        (k, v) -> {
          if (v != null) {
            q.add(k + "=" + URLEncoder.encode(v, StandardCharsets.UTF_8));
          }
        });
    URI uri = URI.create(strip(baseUrl) + path + (q.length() > 0 ? "?" + q : ""));
    return send(client, HttpRequest.newBuilder(uri).GET());
  }

  static HttpResponse<String> postJson(
      ClientOptions client, String baseUrl, String path, byte[] body)
      throws IOException, InterruptedException {
    return send(
        client,
        HttpRequest.newBuilder(URI.create(strip(baseUrl) + path))
            .header("Content-Type", "application/json")
            .POST(HttpRequest.BodyPublishers.ofByteArray(body)));
  }

  static HttpResponse<String> delete(ClientOptions client, String baseUrl, String path)
      throws IOException, InterruptedException {
    return send(client, HttpRequest.newBuilder(URI.create(strip(baseUrl) + path)).DELETE());
  }

  private static HttpResponse<String> send(ClientOptions client, HttpRequest.Builder request)
      throws IOException, InterruptedException {
    return client
        .http()
        .send(
            client.authorize(request.timeout(Duration.ofSeconds(30))).build(),
            HttpResponse.BodyHandlers.ofString());
  }

  private static String strip(String url) {
    return url.endsWith("/") ? url.substring(0, url.length() - 1) : url;
  }
}
