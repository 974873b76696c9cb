package io.tally.server;

import static io.tally.server.config.ConfigKeys.*;
import static org.assertj.core.api.Assertions.assertThat;

import io.tally.server.config.EffectiveConfig;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Swagger UI at {@code /docs} renders Tally's description in a real browser: headless Chromium
 * loads the page, runs the WebJar's scripts (no CDN: the browser has no network but the server) and
 * the rendered DOM lists the operations of {@code /openapi.yaml}.
 */
class SwaggerUiBrowserTest {
  @TempDir Path dir;
  private EmbeddedTally tally;

  @BeforeEach
  void start() {
    tally =
        EmbeddedTally.start(
            EffectiveConfig.defaults()
                .with(STORAGE_DATA_DIR, dir.resolve("data"))
                .with(SERVER_PORT, 0)
                .server());
  }

  @AfterEach
  void stop() {
    tally.close();
  }

  @Test
  void rendersEveryOperationGroupOfTheDescription() throws Exception {
    String dom = HeadlessDom.dump(dir, tally.url() + "/docs/", 15_000);
    assertThat(dom).contains("swagger-ui").contains("Tally");
    for (String path :
        List.of(
            "/v1/events",
            "/v1/total",
            "/v1/stats",
            "/v1/stats/batch",
            "/v1/top",
            "/v1/entities/{entity}/attributes",
            "/healthz",
            "/readyz",
            "/metrics")) {
      assertThat(dom).as("rendered operation " + path).contains("data-path=\"" + path + "\"");
    }
    assertThat(dom).doesNotContain("Failed to load API definition");
  }
}
