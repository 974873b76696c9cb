package io.tally.server.security;

import static org.assertj.core.api.Assertions.assertThat;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.read.ListAppender;
import io.tally.server.EmbeddedTally;
import io.tally.server.config.ConfigKeys;
import io.tally.server.config.EffectiveConfig;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.slf4j.LoggerFactory;

/** Issue 20 item 3: no secret key reaches an answer or a log line, even in a malformed request. */
class CredentialsRedactionTest {
  private static final String SECRET = "Vb8qT3xLm0pZr7YkC2nD5sWe9uHa1gJf4oKi6vBcXyQ";
  private static final String TOKEN = "tly_sk_3f9a0c21d4e7_" + SECRET;

  @TempDir Path dir;

  @Test
  void redactsTokensKeyParametersAndAuthorizationValues() {
    assertThat(Credentials.redact("GET /v1/stats?entity=%ZZ&type=v&key=" + TOKEN))
        .isEqualTo("GET /v1/stats?entity=%ZZ&type=v&key=[redacted]");
    assertThat(Credentials.redact("of: %ZZ&key=tly%5Fsk%5Fabc&x=1"))
        .isEqualTo("of: %ZZ&key=[redacted]&x=1");
    assertThat(Credentials.redact("token " + TOKEN + " refused"))
        .isEqualTo("token tly_sk_3f9a0c21d4e7_[redacted] refused");
    assertThat(Credentials.redact("Authorization: Bearer abc.def"))
        .isEqualTo("Authorization: Bearer [redacted]");
    assertThat(Credentials.redact("authorization=xyz")).isEqualTo("authorization=[redacted]");
    assertThat(Credentials.redact("keys=3&monkey=2")).isEqualTo("keys=3&monkey=2");
    assertThat(
            Credentials.redact("jdbc:postgresql://db:5432/tally?user=t&password=hunter2&ssl=true"))
        .isEqualTo("jdbc:postgresql://db:5432/tally?user=t&password=[redacted]&ssl=true");
    assertThat(Credentials.redact(null)).isNull();
  }

  @Test
  void aSecretKeyInAMalformedQueryStringIsInNeitherTheAnswerNorTheLog() throws Exception {
    ListAppender<ILoggingEvent> logged = new ListAppender<>();
    logged.start();
    Logger root = (Logger) LoggerFactory.getLogger(org.slf4j.Logger.ROOT_LOGGER_NAME);
    root.addAppender(logged);
    Logger gate = (Logger) LoggerFactory.getLogger(SecurityGate.class);
    Logger api = (Logger) LoggerFactory.getLogger("io.tally.server.HttpApi");
    Level gateLevel = gate.getLevel();
    Level apiLevel = api.getLevel();
    gate.setLevel(Level.INFO); // the test config quiets them; their INFO lines are what we check
    api.setLevel(Level.INFO);
    try (EmbeddedTally tally =
        EmbeddedTally.start(
            EffectiveConfig.defaults()
                .with(ConfigKeys.STORAGE_DATA_DIR, dir.resolve("data"))
                .with(ConfigKeys.SERVER_PORT, 0)
                .server())) {
      String target = "/v1/stats?entity=%ZZ&type=v&key=" + TOKEN;
      for (String authorization : new String[] {null, "Bearer " + TOKEN}) {
        RawHttp.Answer a =
            RawHttp.exchange(
                tally.port(), RawHttp.request("GET", target, null, authorization, new byte[0]));
        assertThat(a.status()).as(a.body()).isEqualTo(400);
        assertThat(a.body()).contains("malformed query string").doesNotContain(SECRET);
      }
      HttpResponse<String> viaClient =
          new GatewayClient(tally.url())
              .get(TOKEN, "/v1/total?entity=a&type=v&key=" + TOKEN + "&bad=1");
      assertThat(viaClient.statusCode()).isEqualTo(400);
      assertThat(viaClient.body()).doesNotContain(SECRET);
    } finally {
      root.detachAppender(logged);
      gate.setLevel(gateLevel);
      api.setLevel(apiLevel);
    }
    String lines =
        String.join("\n", logged.list.stream().map(ILoggingEvent::getFormattedMessage).toList());
    assertThat(lines).contains("malformed query string", "[redacted]").doesNotContain(SECRET);
  }
}
