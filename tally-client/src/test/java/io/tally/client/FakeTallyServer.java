package io.tally.client;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.zip.GZIPInputStream;

/**
 * A test double for network failure: an HTTP server (JDK httpserver) on a free loopback port that
 * answers {@code POST /v1/events} as told — accept everything, 503, 429, or hang until released,
 * with a {@code Retry-After} header when one is set — and records when each request arrived and
 * what it carried.
 */
final class FakeTallyServer implements AutoCloseable {
  enum Mode {
    ACCEPT,
    UNAVAILABLE,
    TOO_MANY,
    HANG
  }

  /** One received request: arrival time (System.nanoTime) and the (decompressed) body. */
  record Received(long atNanos, String body) {
    int events() {
      int n = 0;
      for (int i = body.indexOf("\"entity\""); i >= 0; i = body.indexOf("\"entity\"", i + 1)) {
        n++;
      }
      return n;
    }
  }

  private final HttpServer server;
  private final ExecutorService threads = Executors.newCachedThreadPool();
  private final List<Received> received = new CopyOnWriteArrayList<>();
  private volatile Mode mode = Mode.ACCEPT;
  private volatile String retryAfter;
  private volatile CountDownLatch hang = new CountDownLatch(1);

  FakeTallyServer() throws IOException {
    server = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 64);
    server.setExecutor(threads);
    server.createContext("/v1/events", this::handle);
    server.start();
  }

  String url() {
    return "http://127.0.0.1:" + server.getAddress().getPort();
  }

  void mode(Mode m) {
    if (m == Mode.HANG) {
      hang = new CountDownLatch(1);
    }
    mode = m;
  }

  /** The {@code Retry-After} value of 503 and 429 answers; null for none. */
  void retryAfter(String value) {
    retryAfter = value;
  }

  /** Lets every hanging request go on, answering as {@link Mode#ACCEPT}. */
  void release() {
    mode = Mode.ACCEPT;
    hang.countDown();
  }

  List<Received> received() {
    return List.copyOf(received);
  }

  private void handle(HttpExchange exchange) throws IOException {
    InputStream in = exchange.getRequestBody();
    if ("gzip".equals(exchange.getRequestHeaders().getFirst("Content-Encoding"))) {
      in = new GZIPInputStream(in);
    }
    Received r =
        new Received(System.nanoTime(), new String(in.readAllBytes(), StandardCharsets.UTF_8));
    received.add(r);
    Mode now = mode;
    if (now == Mode.HANG) {
      try {
        hang.await(60, TimeUnit.SECONDS);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
      now = Mode.ACCEPT;
    }
    String wait = retryAfter;
    if (wait != null && (now == Mode.UNAVAILABLE || now == Mode.TOO_MANY)) {
      exchange.getResponseHeaders().set("Retry-After", wait);
    }
    if (now == Mode.UNAVAILABLE) {
      answer(exchange, 503, "{\"error\":\"overloaded; retry later with the same ids\"}");
    } else if (now == Mode.TOO_MANY) {
      answer(exchange, 429, "{\"error\":\"rate limit exceeded\"}");
    } else {
      answer(exchange, 202, "{\"accepted\":" + r.events() + ",\"rejected\":[]}");
    }
  }

  private static void answer(HttpExchange exchange, int status, String json) throws IOException {
    byte[] bytes = json.getBytes(StandardCharsets.UTF_8);
    exchange.getResponseHeaders().set("Content-Type", "application/json");
    try {
      exchange.sendResponseHeaders(status, bytes.length);
      try (OutputStream out = exchange.getResponseBody()) {
        out.write(bytes);
      }
    } catch (IOException e) {
      // the client gave up on this request (its timeout): nothing to answer
    }
  }

  @Override
  public void close() {
    hang.countDown();
    server.stop(0);
    threads.shutdownNow();
  }
}
