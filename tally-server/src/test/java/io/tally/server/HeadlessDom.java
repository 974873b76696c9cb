package io.tally.server;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;

/**
 * A page's DOM after its scripts ran, from headless Chromium ({@code --dump-dom}; its virtual time
 * budget lets timers and fetches finish). The browser-rendered checks of this module share it.
 * Stateless.
 */
final class HeadlessDom {
  static final Path CHROMIUM = Path.of("/usr/bin/chromium");

  private HeadlessDom() {}

  /**
   * The DOM of {@code url} after {@code virtualMillis} of virtual time; files go under {@code dir}.
   */
  static String dump(Path dir, String url, int virtualMillis)
      throws IOException, InterruptedException {
    assertThat(CHROMIUM)
        .as("Chromium (Debian package chromium; .ci/run installs it)")
        .isExecutable();
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
                "--virtual-time-budget=" + virtualMillis,
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
