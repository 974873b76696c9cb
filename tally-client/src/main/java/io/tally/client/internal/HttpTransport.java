package io.tally.client.internal;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.time.InstantSource;
import java.time.ZonedDateTime;
import java.time.format.DateTimeFormatter;
import java.time.format.DateTimeParseException;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.zip.GZIPOutputStream;

/**
 * HTTP/1.1 requests on the JDK's {@link HttpClient}: a connect timeout for every connection and a
 * request timeout for every attempt; request bodies gzip-compressed above a size; the API key, if
 * any, as {@code Authorization: Bearer} on every request; for https, the configured TLS trust (the
 * JDK's default trust store otherwise). Reads an answer's {@code Retry-After}. Thread-safe.
 */
public final class HttpTransport {
  /**
   * An answer: its status, body bytes, and its {@code Retry-After} in milliseconds (-1 when absent
   * or unreadable).
   */
  public record Response(int status, byte[] body, long retryAfterMillis) {}

  /** A request body, compressed once and resent as is by every attempt. */
  public record Payload(byte[] bytes, boolean gzipped) {}

  private final HttpClient client;
  private final Duration requestTimeout;
  private final boolean gzip;
  private final int gzipMinBytes;
  private final String authorization;
  private final InstantSource clock;

  public HttpTransport(ClientConfig config) {
    HttpClient.Builder b =
        HttpClient.newBuilder()
            .version(HttpClient.Version.HTTP_1_1)
            .connectTimeout(config.connectTimeout());
    if (config.sslContext() != null) {
      b.sslContext(config.sslContext());
    }
    this.client = b.build();
    this.requestTimeout = config.requestTimeout();
    this.gzip = config.gzip();
    this.gzipMinBytes = config.gzipMinBytes();
    this.authorization = config.apiKey() == null ? null : "Bearer " + config.apiKey();
    this.clock = config.clock();
  }

  /** The body to send for these JSON bytes: gzipped when enabled and at least the minimum size. */
  public Payload payload(byte[] json) {
    if (!gzip || json.length < gzipMinBytes) {
      return new Payload(json, false);
    }
    ByteArrayOutputStream out = new ByteArrayOutputStream(json.length / 4 + 64);
    try (GZIPOutputStream z = new GZIPOutputStream(out)) {
      z.write(json);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    return new Payload(out.toByteArray(), true);
  }

  /**
   * Sends a GET (body null) or a POST of JSON. Completes with the answer whatever its status, or
   * exceptionally with the I/O failure (timeouts included).
   */
  public CompletableFuture<Response> send(URI node, String pathAndQuery, Payload body) {
    HttpRequest.Builder request =
        HttpRequest.newBuilder(URI.create(node + pathAndQuery)).timeout(requestTimeout);
    if (authorization != null) {
      request.header("Authorization", authorization);
    }
    if (body == null) {
      request.GET();
    } else {
      request
          .header("Content-Type", "application/json")
          .POST(HttpRequest.BodyPublishers.ofByteArray(body.bytes()));
      if (body.gzipped()) {
        request.header("Content-Encoding", "gzip");
      }
    }
    return client
        .sendAsync(request.build(), HttpResponse.BodyHandlers.ofByteArray())
        .thenApply(
            r ->
                new Response(
                    r.statusCode(),
                    r.body(),
                    retryAfterMillis(r.headers().firstValue("Retry-After"))));
  }

  /**
   * {@code Retry-After} as delta-seconds or an HTTP-date (RFC 9110), in ms from now; -1 if absent
   * or unreadable.
   */
  long retryAfterMillis(Optional<String> header) {
    if (header.isEmpty()) {
      return -1;
    }
    String v = header.get().trim();
    try {
      return v.chars().allMatch(Character::isDigit)
          ? Math.multiplyExact(Long.parseLong(v), 1000L)
          : Math.max(
              0,
              ZonedDateTime.parse(v, DateTimeFormatter.RFC_1123_DATE_TIME)
                      .toInstant()
                      .toEpochMilli()
                  - clock.millis());
    } catch (DateTimeParseException | ArithmeticException | NumberFormatException e) {
      return -1;
    }
  }
}
