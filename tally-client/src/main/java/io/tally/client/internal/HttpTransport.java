package io.tally.client.internal;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.zip.GZIPOutputStream;

/**
 * HTTP/1.1 requests on the JDK's {@link HttpClient}: a connect timeout for every connection and a
 * request timeout for every attempt; request bodies gzip-compressed above a size. Thread-safe.
 */
public final class HttpTransport {
  /** An answer: its status and body bytes. */
  public record Response(int status, byte[] body) {}

  /** A request body, compressed once and resent as is by every attempt. */
  public record Payload(byte[] bytes, boolean gzipped) {}

  private final HttpClient client;
  private final Duration requestTimeout;
  private final boolean gzip;
  private final int gzipMinBytes;

  public HttpTransport(Duration connectTimeout, Duration requestTimeout, boolean gzip, int gzipMinBytes) {
    this.client = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).connectTimeout(connectTimeout).build();
    this.requestTimeout = requestTimeout;
    this.gzip = gzip;
    this.gzipMinBytes = gzipMinBytes;
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
    HttpRequest.Builder request = HttpRequest.newBuilder(URI.create(node + pathAndQuery)).timeout(requestTimeout);
    if (body == null) {
      request.GET();
    } else {
      request.header("Content-Type", "application/json").POST(HttpRequest.BodyPublishers.ofByteArray(body.bytes()));
      if (body.gzipped()) {
        request.header("Content-Encoding", "gzip");
      }
    }
    return client.sendAsync(request.build(), HttpResponse.BodyHandlers.ofByteArray())
        .thenApply(r -> new Response(r.statusCode(), r.body()));
  }
}
