package io.tally.server;

import static io.tally.server.config.ConfigKeys.*;
import static org.assertj.core.api.Assertions.assertThat;

import io.tally.server.config.EffectiveConfig;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;
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
  private static final Path CHROMIUM = Path.of("/usr/bin/chromium");

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
    assertThat(CHROMIUM)
        .as("Chromium (Debian package chromium; .ci/run installs it)")
        .isExecutable();
    String dom = dumpDom(tally.url() + "/docs/");
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

  /** The DOM after the page's scripts ran (Chromium's virtual time budget lets them finish). */
  private String dumpDom(String url) throws IOException, InterruptedException {
    Path profile = Files.createDirectories(dir.resolve("chromium-profile"));
    Path out = dir.resolve("dom.html");
    Process chromium =
        new ProcessBuilder(
                CHROMIUM.toString(),
                "--headless=new",
                "--no-sandbox",
                "--disable-gpu",
                "--disable-dev-shm-usage",
                "--disable-quic",
                "--no-first-run",
                "--disable-background-networking",
                "--disable-component-update",
                "--disable-sync",
                "--user-data-dir=" + profile,
                "--virtual-time-budget=15000",
                "--dump-dom",
                url)
            .redirectOutput(out.toFile())
            .redirectError(dir.resolve("chromium.err").toFile())
            .start();
    if (!chromium.waitFor(90, TimeUnit.SECONDS)) {
      chromium.destroyForcibly();
      throw new AssertionError("Chromium did not finish within 90 s");
    }
    String dom = Files.readString(out, StandardCharsets.UTF_8);
    assertThat(dom)
        .as("Chromium's DOM dump; stderr: " + Files.readString(dir.resolve("chromium.err")))
        .isNotBlank();
    return dom;
  }
}
