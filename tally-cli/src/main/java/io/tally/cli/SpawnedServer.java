package io.tally.cli;

import java.io.IOException;
import java.net.ServerSocket;
import java.net.URI;
import java.net.URISyntaxException;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Comparator;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

/**
 * An embedded Tally started by {@code tally bench --spawn} in its own JVM — this very jar running
 * {@code serve} on a free port and a temporary data dir — so the generator and the server do not
 * share a heap or a GC. Closing it stops the server with SIGTERM and deletes the data dir.
 */
final class SpawnedServer implements AutoCloseable {
  private final Process process;
  private final Path dataDir;
  private final int port;

  private SpawnedServer(Process process, Path dataDir, int port) {
    this.process = process;
    this.dataDir = dataDir;
    this.port = port;
  }

  static SpawnedServer start(String heap) throws IOException, InterruptedException {
    Path jar = ownJar();
    Path dataDir = Files.createTempDirectory("tally-bench-");
    int port;
    try (ServerSocket s = new ServerSocket(0)) {
      port = s.getLocalPort();
    }
    String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
    Process p =
        new ProcessBuilder(
                java,
                "-Xmx" + heap,
                "-jar",
                jar.toString(),
                "serve",
                "--port",
                Integer.toString(port),
                "--data-dir",
                dataDir.resolve("data").toString())
            .redirectErrorStream(true)
            .redirectOutput(dataDir.resolve("server.log").toFile())
            .start();
    SpawnedServer server = new SpawnedServer(p, dataDir, port);
    try {
      server.awaitHealthy(Duration.ofSeconds(60));
    } catch (IOException | RuntimeException e) {
      server.close();
      throw e;
    }
    return server;
  }

  private static Path ownJar() throws IOException {
    try {
      Path self =
          Path.of(SpawnedServer.class.getProtectionDomain().getCodeSource().getLocation().toURI());
      if (!Files.isRegularFile(self)) {
        throw new IOException(
            "--spawn needs the packaged jar (./tally or java -jar tally.jar), not " + self);
      }
      return self;
    } catch (URISyntaxException e) {
      throw new IOException("cannot locate the running jar", e);
    }
  }

  private void awaitHealthy(Duration max) throws IOException, InterruptedException {
    HttpClient http = HttpClient.newHttpClient();
    long deadline = System.nanoTime() + max.toNanos();
    while (System.nanoTime() < deadline) {
      if (!process.isAlive()) {
        throw new IOException(
            "the spawned server exited with "
                + process.exitValue()
                + "; its log: "
                + dataDir.resolve("server.log"));
      }
      try {
        HttpResponse<Void> r =
            http.send(
                HttpRequest.newBuilder(URI.create(url() + "/healthz"))
                    .timeout(Duration.ofSeconds(2))
                    .build(),
                HttpResponse.BodyHandlers.discarding());
        if (r.statusCode() == 200) {
          return;
        }
      } catch (IOException e) {
        // not listening yet
      }
      Thread.sleep(100);
    }
    throw new IOException("the spawned server was not healthy within " + max);
  }

  String url() {
    return "http://127.0.0.1:" + port;
  }

  long pid() {
    return process.pid();
  }

  @Override
  public void close() throws IOException {
    process.destroy();
    try {
      if (!process.waitFor(60, TimeUnit.SECONDS)) {
        process.destroyForcibly();
        process.waitFor(10, TimeUnit.SECONDS);
      }
    } catch (InterruptedException e) {
      process.destroyForcibly();
      Thread.currentThread().interrupt();
    }
    try (Stream<Path> files = Files.walk(dataDir)) {
      files.sorted(Comparator.reverseOrder()).forEach(f -> f.toFile().delete());
    }
  }
}
