package io.tally.server.security;

import static io.tally.server.config.ConfigKeys.*;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.read.ListAppender;
import io.tally.server.EmbeddedTally;
import io.tally.server.ServerConfig;
import io.tally.server.config.EffectiveConfig;
import io.tally.testkit.TestCertificate;
import io.vertx.core.json.JsonObject;
import java.io.UncheckedIOException;
import java.net.http.HttpClient;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.slf4j.LoggerFactory;

/**
 * HTTPS with a certificate generated in the test: HTTP/2 through ALPN, HTTP/1.1 too, and no plain
 * HTTP.
 */
class TlsTest {
  @TempDir Path dir;

  @Test
  void servesHttp2OverTlsWithAPemCertificate() throws Exception {
    TestCertificate cert = TestCertificate.generate(dir);
    ServerConfig config =
        EffectiveConfig.defaults()
            .with(STORAGE_DATA_DIR, dir.resolve("data"))
            .with(SERVER_PORT, 0)
            .with(SECURITY_TLS_CERT, cert.certPem())
            .with(SECURITY_TLS_KEY, cert.keyPem())
            .server();
    try (EmbeddedTally tally = EmbeddedTally.start(config)) {
      assertThat(tally.url()).startsWith("https://127.0.0.1:");
      HttpClient h2 =
          HttpClient.newBuilder()
              .sslContext(cert.trustingIt())
              .version(HttpClient.Version.HTTP_2)
              .connectTimeout(Duration.ofSeconds(5))
              .build();
      GatewayClient http = new GatewayClient(tally.url(), h2);
      HttpResponse<String> ingest =
          http.post(null, "/v1/events", "[{\"id\":\"t1\",\"entity\":\"tls:1\",\"type\":\"view\"}]");
      assertThat(ingest.statusCode()).as(ingest.body()).isEqualTo(202);
      assertThat(ingest.version()).isEqualTo(HttpClient.Version.HTTP_2);
      Awaitility.await()
          .atMost(Duration.ofSeconds(10))
          .untilAsserted(
              () ->
                  assertThat(
                          new JsonObject(http.get(null, "/v1/total?entity=tls:1&type=view").body())
                              .getLong("count"))
                      .isEqualTo(1));

      HttpClient h1 =
          HttpClient.newBuilder()
              .sslContext(cert.trustingIt())
              .version(HttpClient.Version.HTTP_1_1)
              .build();
      HttpResponse<String> health = new GatewayClient(tally.url(), h1).get(null, "/healthz");
      assertThat(health.statusCode()).isEqualTo(200);
      assertThat(health.version()).isEqualTo(HttpClient.Version.HTTP_1_1);

      GatewayClient untrusting = new GatewayClient(tally.url());
      assertThatThrownBy(() -> untrusting.get(null, "/healthz"))
          .isInstanceOf(UncheckedIOException.class)
          .hasRootCauseInstanceOf(java.security.cert.CertPathBuilderException.class);
      GatewayClient plain = new GatewayClient(tally.url().replace("https://", "http://"));
      assertThatThrownBy(() -> plain.get(null, "/healthz"))
          .isInstanceOf(UncheckedIOException.class);
    }
  }

  @Test
  void auditsASuccessfulHttp2AdminRequestWithItsStatus() throws Exception {
    ListAppender<ILoggingEvent> audit = new ListAppender<>();
    audit.start();
    Logger auditLogger = (Logger) LoggerFactory.getLogger(AuditLog.LOGGER);
    auditLogger.addAppender(audit);
    TestCertificate cert = TestCertificate.generate(dir);
    ServerConfig config =
        EffectiveConfig.defaults()
            .with(STORAGE_DATA_DIR, dir.resolve("data"))
            .with(SERVER_PORT, 0)
            .with(SECURITY_TLS_CERT, cert.certPem())
            .with(SECURITY_TLS_KEY, cert.keyPem())
            .server();
    try (EmbeddedTally tally = EmbeddedTally.start(config)) {
      HttpClient h2 =
          HttpClient.newBuilder()
              .sslContext(cert.trustingIt())
              .version(HttpClient.Version.HTTP_2)
              .build();
      GatewayClient http = new GatewayClient(tally.url(), h2);
      String admin =
          new JsonObject(
                  http.post(null, "/v1/admin/keys", "{\"name\":\"root\",\"scopes\":[\"admin\"]}")
                      .body())
              .getString("key");
      String other =
          new JsonObject(
                  http.post(admin, "/v1/admin/keys", "{\"name\":\"gone\",\"scopes\":[\"query\"]}")
                      .body())
              .getString("key");
      String id = other.substring(7, 19);
      HttpResponse<String> revoke = http.delete(admin, "/v1/admin/keys/" + id);
      assertThat(revoke.statusCode()).as(revoke.body()).isEqualTo(200);
      assertThat(revoke.version()).isEqualTo(HttpClient.Version.HTTP_2);
      Awaitility.await()
          .atMost(Duration.ofSeconds(5))
          .untilAsserted(
              () ->
                  assertThat(
                          String.join(
                              "\n",
                              audit.list.stream().map(ILoggingEvent::getFormattedMessage).toList()))
                      .contains("action=\"DELETE /v1/admin/keys/" + id + "\" status=200")
                      .contains("action=\"POST /v1/admin/keys\" status=201")
                      .doesNotContain("aborted"));
    } finally {
      auditLogger.detachAppender(audit);
    }
  }
}
