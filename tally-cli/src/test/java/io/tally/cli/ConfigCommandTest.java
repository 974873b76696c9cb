package io.tally.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code tally serve} and {@code tally config} as an operator runs them: a separate JVM with a real
 * environment, a YAML file and flags.
 */
class ConfigCommandTest {
  @TempDir Path dir;
  private Process server;

  @AfterEach
  void stopServer() throws InterruptedException {
    if (server != null && server.isAlive()) {
      server.destroy();
      if (!server.waitFor(30, TimeUnit.SECONDS)) {
        server.destroyForcibly();
      }
    }
  }

  /** What {@code tally <args>} printed and its exit code. */
  private record Run(int exitCode, String out, String err) {}

  private ProcessBuilder tally(Map<String, String> env, String... args) {
    List<String> command =
        new ArrayList<>(
            List.of(
                Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-cp",
                System.getProperty("java.class.path"),
                TallyCommand.class.getName()));
    command.addAll(List.of(args));
    ProcessBuilder pb = new ProcessBuilder(command).directory(dir.toFile());
    pb.environment().keySet().removeIf(name -> name.startsWith("TALLY_"));
    pb.environment().putAll(env);
    return pb;
  }

  private Run run(Map<String, String> env, String... args) throws Exception {
    Path out = dir.resolve("out.txt");
    Path err = dir.resolve("err.txt");
    Process p = tally(env, args).redirectOutput(out.toFile()).redirectError(err.toFile()).start();
    assertThat(p.waitFor(60, TimeUnit.SECONDS)).as("tally %s exits", List.of(args)).isTrue();
    return new Run(p.exitValue(), Files.readString(out), Files.readString(err));
  }

  private Path yaml(String name, String text) throws IOException {
    Path file = dir.resolve(name);
    Files.writeString(file, text);
    return file;
  }

  @Test
  void serveWithABadKeyInTheFileFailsWithOneLineNamingIt() throws Exception {
    Path bad = yaml("bad.yaml", "server:\n  prot: 9090\n");
    Run run = run(Map.of(), "serve", "--config", bad.toString());
    assertThat(run.exitCode()).isEqualTo(1);
    assertThat(run.err())
        .isEqualTo(
            "tally: unknown key 'server.prot' in "
                + bad
                + " line 2; did you mean 'server.port'?;"
                + " docs/configuration.md lists every key\n");
    assertThat(run.out()).isEmpty();
    assertThat(dir.resolve("data")).doesNotExist();
  }

  @Test
  void serveWithABadValueFromTheEnvironmentFailsNamingKeyVariableAndAllowedValues()
      throws Exception {
    Run run = run(Map.of("TALLY_STORAGE_FSYNC", "never"), "serve");
    assertThat(run.exitCode()).isEqualTo(1);
    assertThat(run.err())
        .startsWith(
            "tally: bad value 'never' for storage.fsync from env TALLY_STORAGE_FSYNC: allowed "
                + "'always' or an interval such as 100ms or 1s")
        .hasLineCount(1);
    Run typo = run(Map.of("TALLY_SERVER_PROT", "9090"), "serve");
    assertThat(typo.exitCode()).isEqualTo(1);
    assertThat(typo.err())
        .startsWith(
            "tally: unknown environment variable TALLY_SERVER_PROT; did you mean "
                + "'TALLY_SERVER_PORT'?");
  }

  @Test
  void serveStartsWithAScriptsOwnTallyVariableAndWarnsAboutIt() throws Exception {
    Path out = dir.resolve("serve-out.txt");
    Path err = dir.resolve("serve-err.txt");
    server =
        tally(Map.of("TALLY_DIR", "/opt/scripts"), "serve", "--port", "0", "--data-dir", "d")
            .redirectOutput(out.toFile())
            .redirectError(err.toFile())
            .start();
    Process p = server;
    Awaitility.await()
        .atMost(Duration.ofSeconds(60))
        .until(() -> !p.isAlive() || Files.readString(out).contains("Tally is listening on"));
    assertThat(p.isAlive()).as("serve is running; stderr: %s", Files.readString(err)).isTrue();
    assertThat(Files.readString(err))
        .startsWith(
            "tally: warning: ignoring environment variable TALLY_DIR: it sets no configuration"
                + " key (docs/configuration.md lists the TALLY_* variables)\n")
        .doesNotContain("unknown environment variable");
  }

  @Test
  void keysOnTheDataDirOfARunningServerProcessSayToStopItOrUseUrl() throws Exception {
    Path out = dir.resolve("serve-out.txt");
    server =
        tally(Map.of(), "serve", "--port", "0", "--data-dir", "d")
            .redirectOutput(out.toFile())
            .redirectError(dir.resolve("serve-err.txt").toFile())
            .start();
    Process p = server;
    Awaitility.await()
        .atMost(Duration.ofSeconds(60))
        .until(() -> !p.isAlive() || Files.readString(out).contains("Tally is listening on"));
    assertThat(p.isAlive()).isTrue();
    Run keys =
        run(Map.of(), "keys", "create", "--data-dir", "d", "--name", "x", "--scope", "query");
    assertThat(keys.exitCode()).isEqualTo(1);
    assertThat(keys.err())
        .isEqualTo(
            "tally keys: the data dir d is in use by a running server: stop the server first, or"
                + " manage keys through it with --url and an admin --key\n");
  }

  @Test
  void configPrintsTheMergedResultWithFlagsOverTheEnvironmentOverTheFile() throws Exception {
    Path file =
        yaml(
            "tally.yaml",
            "server:\n  port: 9090\n  host: 0.0.0.0\nstorage:\n  partitions: 4\n"
                + "enrich:\n  derive: [channel]\n");
    Run run =
        run(
            Map.of("TALLY_SERVER_PORT", "9191", "TALLY_STORAGE_PARTITIONS", "16"),
            "config",
            "--config",
            file.toString(),
            "--partitions",
            "32",
            "--derive",
            "channel",
            "--derive",
            "creator");
    assertThat(run.err()).isEmpty();
    assertThat(run.exitCode()).isZero();
    assertThat(run.out())
        .containsPattern("\n  host: 0\\.0\\.0\\.0 +# file " + file + " line 3\n")
        .containsPattern("\n  port: 9191 +# env TALLY_SERVER_PORT\n")
        .containsPattern("\n  partitions: 32 +# flag --partitions\n")
        .containsPattern("\n  derive: \\[channel, creator\\] +# flag --derive\n")
        .containsPattern("\n  fsync: always +# default\n");

    Path printed = yaml("printed.yaml", run.out());
    Run again = run(Map.of(), "config", "--config", printed.toString());
    assertThat(again.exitCode()).isZero();
    assertThat(again.out())
        .containsPattern("\n  port: 9191 +# file ")
        .containsPattern("\n  partitions: 32 +# file ");
  }

  @Test
  void configChecksWhatOnlyAClusterNodeNeeds() throws Exception {
    Run run = run(Map.of("TALLY_MODE", "cluster"), "config");
    assertThat(run.exitCode()).isEqualTo(1);
    assertThat(run.err())
        .isEqualTo(
            "tally: cluster.kafka.bootstrap is required when mode is cluster: set it in the "
                + "file, as TALLY_CLUSTER_KAFKA_BOOTSTRAP or with --kafka\n");
  }

  @Test
  void serveRunsWithTheFileAndTheEnvironment() throws Exception {
    int port;
    try (ServerSocket s = new ServerSocket(0)) {
      port = s.getLocalPort();
    }
    Path file =
        yaml(
            "tally.yaml", "server:\n  port: 1\nstorage:\n  data-dir: from-file\n  partitions: 2\n");
    Path log = dir.resolve("server.log");
    server =
        tally(
                Map.of("TALLY_SERVER_PORT", Integer.toString(port)),
                "serve",
                "--config",
                file.toString(),
                "--data-dir",
                dir.resolve("from-flag").toString())
            .redirectErrorStream(true)
            .redirectOutput(log.toFile())
            .start();
    HttpClient http = HttpClient.newHttpClient();
    Awaitility.await()
        .atMost(Duration.ofSeconds(60))
        .pollInterval(Duration.ofMillis(200))
        .ignoreExceptions()
        .until(
            () ->
                http.send(
                            HttpRequest.newBuilder(
                                    URI.create("http://127.0.0.1:" + port + "/healthz"))
                                .build(),
                            HttpResponse.BodyHandlers.discarding())
                        .statusCode()
                    == 200);
    assertThat(Files.readString(log, StandardCharsets.UTF_8))
        .contains(
            "Tally is listening on http://127.0.0.1:"
                + port
                + " (data in "
                + dir.resolve("from-flag")
                + ")");
    assertThat(dir.resolve("from-file")).doesNotExist();
  }

  @Test
  void serveHelpListsEveryFlagWithItsKeyAndVariable() throws Exception {
    Run run = run(Map.of(), "serve", "--help");
    assertThat(run.exitCode()).isZero();
    assertThat(run.out().replaceAll("\\s+", " "))
        .contains("--config=FILE")
        .contains(
            "--port=PORT HTTP port (0: any free port). Default: 8080. Key server.port, env TALLY_SERVER_PORT.")
        .contains("--kafka=BOOTSTRAP")
        .contains("--topk-windows=WINDOWS");
  }
}
