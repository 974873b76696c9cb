package io.tally.server.security;

import static io.tally.server.config.ConfigKeys.*;
import static org.assertj.core.api.Assertions.assertThat;

import io.tally.server.EmbeddedTally;
import io.tally.server.config.EffectiveConfig;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.Socket;
import java.net.SocketException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Slowloris: clients that dribble a request head or body a byte at a time are cut off at the
 * configured timeouts, while other clients are served throughout.
 */
class SlowClientTest {
  private static final long HEADER_TIMEOUT_MILLIS = 1000;
  private static final long REQUEST_TIMEOUT_MILLIS = 2000;
  @TempDir Path dir;
  private EmbeddedTally tally;

  @BeforeEach
  void start() {
    tally =
        EmbeddedTally.start(
            EffectiveConfig.defaults()
                .with(STORAGE_DATA_DIR, dir.resolve("data"))
                .with(SERVER_PORT, 0)
                .with(SECURITY_HEADER_TIMEOUT, HEADER_TIMEOUT_MILLIS + "ms")
                .with(SECURITY_REQUEST_TIMEOUT, REQUEST_TIMEOUT_MILLIS + "ms")
                .with(SECURITY_IDLE_TIMEOUT, "60s")
                .with(SECURITY_MAX_CONNECTIONS, 1000)
                .with(SECURITY_MAX_CONCURRENT_REQUESTS, 1000)
                .server());
  }

  @AfterEach
  void stop() {
    tally.close();
  }

  /**
   * Sends {@code prefix} at once, then {@code dribble} one byte every 100 ms until the server
   * closes the connection; returns how long after the first byte it did (or fails after 20 s).
   */
  private Duration dribble(String prefix, String dribble) throws IOException {
    try (Socket s = new Socket("127.0.0.1", tally.port())) {
      s.setSoTimeout(100);
      OutputStream out = s.getOutputStream();
      InputStream in = s.getInputStream();
      long start = System.nanoTime();
      out.write(prefix.getBytes(StandardCharsets.US_ASCII));
      out.flush();
      byte[] bytes = dribble.getBytes(StandardCharsets.US_ASCII);
      for (int i = 0; System.nanoTime() - start < TimeUnit.SECONDS.toNanos(20); i++) {
        try {
          out.write(bytes[i % bytes.length]);
          out.flush();
        } catch (SocketException e) {
          return Duration.ofNanos(System.nanoTime() - start); // closed under us
        }
        try {
          if (in.read() == -1) {
            return Duration.ofNanos(System.nanoTime() - start);
          }
          throw new AssertionError("the server answered a request it never fully received");
        } catch (java.net.SocketTimeoutException e) {
          // still open: dribble on
        } catch (SocketException e) {
          return Duration.ofNanos(System.nanoTime() - start);
        }
      }
      throw new AssertionError("the connection stayed open for 20 s");
    }
  }

  /** Other clients keep being answered while the slow ones hold their connections. */
  private CompletableFuture<Integer> othersServed() {
    return CompletableFuture.supplyAsync(
        () -> {
          GatewayClient http = new GatewayClient(tally.url());
          int served = 0;
          for (int i = 0; i < 20; i++) {
            assertThat(
                    http.post(null, "/v1/events", "{\"entity\":\"fast:1\",\"type\":\"view\"}")
                        .statusCode())
                .isEqualTo(202);
            assertThat(http.get(null, "/healthz").statusCode()).isEqualTo(200);
            served++;
            try {
              Thread.sleep(50);
            } catch (InterruptedException e) {
              Thread.currentThread().interrupt();
            }
          }
          return served;
        });
  }

  @Test
  void aClientDribblingItsHeadersIsClosedAtTheHeaderTimeout() throws Exception {
    CompletableFuture<Integer> others = othersServed();
    Duration open =
        dribble(
            "GET /v1/total?entity=a&type=b HTTP/1.1\r\nHost: x\r\n",
            "X-Slow: aaaaaaaaaaaaaaaaaaaa\r\n");
    assertThat(open)
        .isGreaterThanOrEqualTo(Duration.ofMillis(HEADER_TIMEOUT_MILLIS - 50))
        .isLessThan(Duration.ofMillis(HEADER_TIMEOUT_MILLIS * 4));
    assertThat(others.get(30, TimeUnit.SECONDS)).isEqualTo(20);
  }

  @Test
  void aClientDribblingItsBodyIsClosedAtTheRequestTimeout() throws Exception {
    CompletableFuture<Integer> others = othersServed();
    Duration open =
        dribble(
            "POST /v1/events HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
                + "Content-Length: 100000\r\n\r\n[",
            "{\"entity\":\"slow:1\",\"type\":\"view\"},");
    assertThat(open)
        .isGreaterThanOrEqualTo(Duration.ofMillis(REQUEST_TIMEOUT_MILLIS - 50))
        .isLessThan(Duration.ofMillis(REQUEST_TIMEOUT_MILLIS * 4));
    assertThat(others.get(30, TimeUnit.SECONDS)).isEqualTo(20);
  }

  @Test
  void anIdleKeepAliveConnectionIsClosedAfterTheHeaderTimeout() throws Exception {
    try (Socket s = new Socket("127.0.0.1", tally.port())) {
      s.setSoTimeout(10_000);
      s.getOutputStream()
          .write("GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n".getBytes(StandardCharsets.US_ASCII));
      InputStream in = s.getInputStream();
      String head = new String(in.readNBytes(12), StandardCharsets.US_ASCII);
      assertThat(head).isEqualTo("HTTP/1.1 200");
      long start = System.nanoTime();
      while (in.read() != -1) {
        // the rest of the response, then the close
      }
      assertThat(Duration.ofNanos(System.nanoTime() - start))
          .isLessThan(Duration.ofMillis(HEADER_TIMEOUT_MILLIS * 4));
    }
  }
}
