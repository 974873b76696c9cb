package io.tally.server;

import io.tally.model.TallyException;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.handler.FileSystemAccess;
import io.vertx.ext.web.handler.StaticHandler;
import java.io.IOException;
import java.io.InputStream;
import java.util.Properties;

/**
 * The live dashboard: {@code GET /} serves a static page (HTML, CSS and plain JavaScript under
 * {@code io/tally/server/dashboard/} on the classpath) that polls {@code /v1/overview}, {@code
 * /v1/top}, {@code /v1/stats}, {@code /v1/total} and {@code /healthz} about once a second. On a
 * server that requires API keys it asks for a key with the query scope and sends it as {@code
 * Authorization: Bearer} ({@code dashboard-key.js}); the page itself stays open. Its chart library,
 * uPlot, comes from the {@code org.webjars.npm:uplot} jar and is served by Tally itself under
 * {@code /webjars/uplot/} (no CDN, nothing fetched at build time); the page names no version, so a
 * version bump in the POM needs no change here.
 */
final class Dashboard {
  static final String PAGE_ROOT = "io/tally/server/dashboard";
  private static final String UPLOT_POM = "META-INF/maven/org.webjars.npm/uplot/pom.properties";

  private Dashboard() {}

  /**
   * Mounts the page and its assets on {@code router}; an unknown asset falls through to the 404
   * answer.
   */
  static void mount(Router router) {
    StaticHandler page =
        StaticHandler.create(FileSystemAccess.RELATIVE, PAGE_ROOT)
            .setIndexPage("index.html")
            .setMaxAgeSeconds(60);
    router.get("/").handler(page);
    router.get("/dashboard/*").handler(page);
    router
        .get("/webjars/uplot/*")
        .handler(
            StaticHandler.create(
                    FileSystemAccess.RELATIVE, "META-INF/resources/webjars/uplot/" + uplotVersion())
                .setMaxAgeSeconds(3600));
  }

  /** The version of the uPlot WebJar on the classpath. */
  static String uplotVersion() {
    try (InputStream in = Dashboard.class.getClassLoader().getResourceAsStream(UPLOT_POM)) {
      if (in == null) {
        throw new TallyException(
            "the uPlot WebJar is not on the classpath (" + UPLOT_POM + " missing)");
      }
      Properties p = new Properties();
      p.load(in);
      return p.getProperty("version");
    } catch (IOException e) {
      throw new TallyException("cannot read " + UPLOT_POM, e);
    }
  }
}
