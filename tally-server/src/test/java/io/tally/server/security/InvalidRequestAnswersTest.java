package io.tally.server.security;

import static org.assertj.core.api.Assertions.assertThat;

import io.tally.server.EmbeddedTally;
import io.tally.server.config.ConfigKeys;
import io.tally.server.config.EffectiveConfig;
import io.vertx.core.json.JsonObject;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Requests the HTTP codec cannot read get the documented JSON error too: 414 for a long request
 * line, 431 for oversized headers, 400 for garbage.
 */
class InvalidRequestAnswersTest {
  @TempDir Path dir;

  @Test
  void oversizedOrGarbageRequestsGetAJsonError() throws Exception {
    try (EmbeddedTally tally =
        EmbeddedTally.start(
            EffectiveConfig.defaults()
                .with(ConfigKeys.STORAGE_DATA_DIR, dir.resolve("data"))
                .with(ConfigKeys.SERVER_PORT, 0)
                .server())) {
      RawHttp.Answer longLine =
          RawHttp.exchange(
              tally.port(),
              RawHttp.request(
                  "GET", "/v1/total?entity=" + "a".repeat(20_000), null, null, new byte[0]));
      assertThat(longLine.status()).isEqualTo(414);
      assertThat(new JsonObject(longLine.body()).getString("error")).contains("request line");

      byte[] bigHeaders =
          ("GET /healthz HTTP/1.1\r\nHost: x\r\nX-Big: " + "b".repeat(40_000) + "\r\n\r\n")
              .getBytes(StandardCharsets.ISO_8859_1);
      RawHttp.Answer headers = RawHttp.exchange(tally.port(), bigHeaders);
      assertThat(headers.status()).isEqualTo(431);
      assertThat(new JsonObject(headers.body()).getString("error")).contains("headers");

      RawHttp.Answer garbage =
          RawHttp.exchange(
              tally.port(),
              "GET / HTTP/1.1 garbage\r\n\u0001\r\n\r\n".getBytes(StandardCharsets.ISO_8859_1));
      assertThat(garbage.status()).isEqualTo(400);
      assertThat(new JsonObject(garbage.body()).getString("error")).isNotBlank();
    }
  }
}
