package io.tally.server.security;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;

/**
 * An HTTP client for the gateway tests: sends a key (or none) and, optionally, an Origin.
 * Thread-safe.
 */
final class GatewayClient {
  private final HttpClient client;
  private final String base;

  GatewayClient(String base) {
    this(
        base,
        HttpClient.newBuilder()
            .version(HttpClient.Version.HTTP_1_1)
            .connectTimeout(Duration.ofSeconds(5))
            .build());
  }

  GatewayClient(String base, HttpClient client) {
    this.base = base;
    this.client = client;
  }

  HttpResponse<String> get(String key, String pathAndQuery) {
    return send(key, null, HttpRequest.newBuilder(URI.create(base + pathAndQuery)).GET());
  }

  HttpResponse<String> post(String key, String path, String json) {
    return post(key, null, path, json);
  }

  HttpResponse<String> post(String key, String origin, String path, String json) {
    return send(
        key,
        origin,
        HttpRequest.newBuilder(URI.create(base + path))
            .header("Content-Type", "application/json")
            .POST(HttpRequest.BodyPublishers.ofString(json, StandardCharsets.UTF_8)));
  }

  HttpResponse<String> put(String key, String path, String json) {
    return send(
        key,
        null,
        HttpRequest.newBuilder(URI.create(base + path))
            .header("Content-Type", "application/json")
            .PUT(HttpRequest.BodyPublishers.ofString(json)));
  }

  HttpResponse<String> delete(String key, String path) {
    return send(key, null, HttpRequest.newBuilder(URI.create(base + path)).DELETE());
  }

  private HttpResponse<String> send(String key, String origin, HttpRequest.Builder b) {
    if (key != null) {
      b.header("Authorization", "Bearer " + key);
    }
    if (origin != null) {
      b.header("Origin", origin);
    }
    try {
      return client.send(
          b.timeout(Duration.ofSeconds(30)).build(), HttpResponse.BodyHandlers.ofString());
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException(e);
    }
  }
}
