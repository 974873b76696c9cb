package io.tally.client;

import static io.tally.server.config.ConfigKeys.*;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.tally.testkit.TestCertificate;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import javax.net.ssl.SSLHandshakeException;
import org.assertj.core.api.InstanceOfAssertFactories;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The SDK over HTTPS with a certificate generated in the test: trusting it through {@code
 * trustCaFile} (with an API key) sends and queries; without it, or trusting another certificate,
 * the handshake fails; a CA file that is missing or holds no certificate is refused when given.
 */
class TlsClientTest {
  @TempDir Path dir;

  @Test
  void trustsExactlyTheCertificatesOfTheCaFile() throws Exception {
    TestCertificate cert =
        TestCertificate.generate(Files.createDirectories(dir.resolve("server-cert")));
    TestCertificate other =
        TestCertificate.generate(Files.createDirectories(dir.resolve("other-cert")));
    try (KeyedTally tally =
        new KeyedTally(
            dir,
            c -> c.with(SECURITY_TLS_CERT, cert.certPem()).with(SECURITY_TLS_KEY, cert.keyPem()),
            cert.trustingIt())) {
      assertThat(tally.url()).startsWith("https://127.0.0.1:");
      try (TallyClient producer =
              TallyClient.builder()
                  .baseUrls(tally.url())
                  .trustCaFile(cert.certPem())
                  .apiKey(tally.secretKey("producer", "ingest"))
                  .build();
          TallyClient reader =
              TallyClient.builder()
                  .baseUrls(tally.url())
                  .trustCaFile(cert.certPem())
                  .apiKey(tally.secretKey("reader", "query"))
                  .build()) {
        List<CompletableFuture<Sent>> sent = new ArrayList<>();
        for (int i = 0; i < 50; i++) {
          sent.add(producer.send("tls:1", "view"));
        }
        producer.flush().join();
        assertThat(sent).allMatch(f -> f.isDone() && !f.isCompletedExceptionally());
        Awaitility.await()
            .atMost(Duration.ofSeconds(10))
            .until(() -> reader.total("tls:1", "view").join().count() == 50);
      }

      for (TallyClientBuilder untrusting :
          List.of(TallyClient.builder(), TallyClient.builder().trustCaFile(other.certPem()))) {
        try (TallyClient c =
            untrusting
                .baseUrls(tally.url())
                .apiKey(tally.secretKey("x", "ingest"))
                .retry(1, Duration.ofMillis(10), Duration.ofMillis(10))
                .build()) {
          assertThatThrownBy(c.send("tls:2", "view")::join)
              .cause()
              .isInstanceOf(RequestFailedException.class)
              .extracting(Throwable::getCause)
              .extracting(Throwable::getCause)
              .asInstanceOf(InstanceOfAssertFactories.THROWABLE)
              .isInstanceOf(SSLHandshakeException.class);
        }
      }
      assertThat(tally.requests("POST", "/v1/events", 202)).isPositive();
    }
  }

  @Test
  void refusesAMissingOrEmptyCaFileAndACaFileWithoutAnHttpsUrl() throws Exception {
    Path missing = dir.resolve("nope.pem");
    assertThatThrownBy(() -> TallyClient.builder().trustCaFile(missing))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining(missing.toString());
    Path empty = Files.writeString(dir.resolve("empty.pem"), "not a certificate\n");
    assertThatThrownBy(() -> TallyClient.builder().trustCaFile(empty))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining(empty.toString());
    TestCertificate cert = TestCertificate.generate(dir);
    assertThatThrownBy(
            () ->
                TallyClient.builder()
                    .baseUrls("http://127.0.0.1:8080")
                    .trustCaFile(cert.certPem())
                    .build())
        .isInstanceOf(IllegalStateException.class)
        .hasMessageContaining("no base URL is https");
    assertThatThrownBy(
            () -> TallyClient.builder().trustCaFile(cert.certPem()).sslContext(cert.trustingIt()))
        .isInstanceOf(IllegalStateException.class)
        .hasMessageContaining("either");
  }
}
