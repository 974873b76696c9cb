package io.tally.it;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonToken;
import io.tally.it.MarkdownExamples.Example;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.regex.Pattern;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The docs cannot drift: every shell command in README.md and docs/*.md ({@link MarkdownExamples})
 * either runs here, as written, against a real server (the built jar, {@code --derive channel}, as
 * the examples assume) or names the test that runs it elsewhere.
 *
 * <ul>
 *   <li>{@code curl}: answers 2xx with a JSON object that has every top-level field of the answer
 *       documented beside it ({@code # {…}}).
 *   <li>client commands ({@code tally send|total|stats|top|query|keys|config}): exit 0. Sample
 *       files the docs show ({@code tally.yaml}) are written to the working directory first.
 *   <li>commands for a server with keys ({@code <admin key>}): after the first admin key is made
 *       the documented way (over loopback while no key exists), with that key.
 * </ul>
 *
 * Addresses are the only thing rewritten: {@code localhost:8080}, {@code 127.0.0.1:808x}, {@code
 * https://tally.example} and {@code https://HOST:8080} become this server's (and a client command
 * without {@code --url}, which means the default {@code http://127.0.0.1:8080}, gets this
 * server's), and {@code ./tally} runs the built jar.
 */
class DocsExamplesTest {
  private static final Path ROOT = Path.of("..").toAbsolutePath().normalize();

  /** Commands run by other tests (they start servers, clusters, benchmarks or builds). */
  private static final Map<Pattern, String> ELSEWHERE = new LinkedHashMap<>();

  static {
    ELSEWHERE.put(
        Pattern.compile("(tally|tally\\.jar) serve\\b"),
        "tally-it/src/test/java/io/tally/it/LauncherTest.java");
    ELSEWHERE.put(
        Pattern.compile("tally cluster\\b"),
        "tally-cli/src/test/java/io/tally/cli/cluster/ClusterLifecycleTest.java");
    ELSEWHERE.put(
        Pattern.compile("(tally|tally\\.jar) bench(-replay)?\\b"),
        "tally-it/src/test/java/io/tally/it/BenchSmokeTest.java");
    ELSEWHERE.put(
        Pattern.compile("benchmarks\\.jar"),
        "tally-bench/src/test/java/io/tally/bench/BenchmarksSmokeTest.java");
    ELSEWHERE.put(Pattern.compile("^mvn "), ".ci/run");
    // a range is recountable once closed and exported, and only within the raw retention: no
    // fixed date in the docs stays valid, so these run with the hour before the test's
    ELSEWHERE.put(
        Pattern.compile("(tally|tally\\.jar) (recount|audit)\\b"),
        "tally-it/src/test/java/io/tally/it/RecountCliTest.java");
    ELSEWHERE.put(
        Pattern.compile("/v1/admin/(recount|audit)\\b"),
        "tally-server/src/test/java/io/tally/server/RecountHttpTest.java");
  }

  private static final Pattern CLIENT_COMMAND =
      Pattern.compile("^(\\./)?tally (send|total|stats|top|query|keys|config)\\b");

  @TempDir Path dir;
  private ServerProcess server;
  private Path work;
  private final List<String> failures = new ArrayList<>();

  @AfterEach
  void stop() {
    if (server != null) {
      server.close();
    }
  }

  @Test
  void everyShellExampleOfTheDocsRunsAsWrittenOrNamesTheTestThatRunsIt() throws Exception {
    MarkdownExamples docs = MarkdownExamples.of(ROOT);
    assertThat(docs.examples)
        .as("the README's first example is found")
        .anyMatch(e -> e.file().equals("README.md") && e.command().startsWith("curl"));
    work = Files.createDirectories(dir.resolve("work"));
    for (Map.Entry<String, String> f : docs.sampleFiles.entrySet()) {
      Files.writeString(work.resolve(f.getKey()), f.getValue());
    }
    Path bin = Files.createDirectories(dir.resolve("bin"));
    Path shim = bin.resolve("tally");
    Files.writeString(
        shim,
        "#!/bin/sh\nexec '"
            + Path.of(System.getProperty("java.home"), "bin", "java")
            + "' -Xmx256m -jar '"
            + ServerProcess.JAR
            + "' \"$@\"\n");
    Files.setPosixFilePermissions(shim, PosixFilePermissions.fromString("rwxr-xr-x"));

    server = ServerProcess.embedded("docs", dir, "--derive", "channel");
    server.start();
    awaitHealthy();

    List<Example> keyed = new ArrayList<>();
    int ran = 0;
    for (Example e : docs.examples) {
      String elsewhere = elsewhere(e);
      if (elsewhere != null) {
        assertThat(ROOT.resolve(elsewhere))
            .as("%s is run by %s", e.where(), elsewhere)
            .isRegularFile();
      } else if (e.command().contains("<admin key>")) {
        keyed.add(e);
      } else {
        run(e, null);
        ran++;
      }
    }
    String admin =
        shell(
                "tally keys create --url " + server.url() + " --scope admin --name docs-root",
                "the first admin key, over loopback (docs/security.md)")
            .strip();
    assertThat(admin).startsWith("tly_sk_");
    for (Example e : keyed) {
      run(e, admin);
      ran++;
    }
    assertThat(failures).as("examples that do not run as written").isEmpty();
    assertThat(ran).as("examples run").isPositive();
  }

  private static String elsewhere(Example e) {
    for (Map.Entry<Pattern, String> p : ELSEWHERE.entrySet()) {
      if (p.getKey().matcher(e.command()).find()) {
        return p.getValue();
      }
    }
    return null;
  }

  private void run(Example e, String adminKey) throws Exception {
    try {
      runOrThrow(e, adminKey);
    } catch (AssertionError recorded) {
      // shell() recorded the failure; go on with the next example
    }
  }

  private void runOrThrow(Example e, String adminKey) throws Exception {
    String command = rewrite(e.command(), adminKey);
    if (command.startsWith("sleep ")) {
      shell(command, e.where());
    } else if (command.startsWith("curl ")) {
      curl(e, command);
    } else if (CLIENT_COMMAND.matcher(command).find()) {
      boolean defaultUrl =
          !command.contains("--url")
              && !command.contains("--data-dir")
              && !command.contains(" config");
      // a command without --url talks to the default http://127.0.0.1:8080: this server here
      shell(defaultUrl ? command + " --url " + server.url() : command, e.where());
    } else {
      failures.add(
          e.where() + ": neither run here nor by a named test (classify it): " + e.command());
    }
  }

  private String rewrite(String command, String adminKey) {
    String c =
        command
            .replace("./tally ", "tally ")
            .replace("localhost:8080", "127.0.0.1:" + server.port)
            .replaceAll("https?://127\\.0\\.0\\.1:808\\d", server.url())
            .replace("https://tally.example", server.url())
            .replace("https://HOST:8080", server.url());
    return adminKey == null ? c : c.replace("<admin key>", adminKey);
  }

  private void curl(Example e, String command) throws Exception {
    String out;
    try {
      out =
          shell(MarkdownExamples.withoutComment(command) + " -sS -w '\\n%{http_code}'", e.where());
    } catch (AssertionError failed) {
      return;
    }
    int cut = out.lastIndexOf('\n');
    String body = out.substring(0, Math.max(cut, 0));
    String status = out.substring(cut + 1).strip();
    if (!status.startsWith("2")) {
      failures.add(e.where() + ": HTTP " + status + " " + body + " for: " + e.command());
      return;
    }
    if (body.isBlank()) {
      return;
    }
    List<String> fields = topLevelFields(body);
    if (fields == null) {
      failures.add(e.where() + ": not a JSON object: " + body);
    } else if (e.documentedAnswer() != null) {
      List<String> documented = MarkdownExamples.topLevelFields(e.documentedAnswer());
      if (!fields.containsAll(documented)) {
        failures.add(
            e.where() + ": answer " + body + " lacks documented fields of " + e.documentedAnswer());
      }
    }
  }

  /** The top-level field names of a JSON object, or null when the text is not one. */
  private static List<String> topLevelFields(String json) {
    List<String> names = new ArrayList<>();
    try (JsonParser p = new JsonFactory().createParser(json)) {
      if (p.nextToken() != JsonToken.START_OBJECT) {
        return null;
      }
      while (p.nextToken() == JsonToken.FIELD_NAME) {
        names.add(p.currentName());
        p.nextToken();
        p.skipChildren();
      }
      return names;
    } catch (IOException e) {
      return null;
    }
  }

  /**
   * Runs one command with bash in the working directory, the jar as {@code tally} on the PATH; a
   * non-zero exit is a failure (recorded, then thrown so the caller stops reading its output).
   */
  private String shell(String command, String where) throws Exception {
    ProcessBuilder pb = new ProcessBuilder("bash", "-c", command).directory(work.toFile());
    pb.environment().put("PATH", dir.resolve("bin") + ":" + System.getenv("PATH"));
    pb.environment().keySet().removeIf(k -> k.startsWith("TALLY_"));
    Path out = dir.resolve("out.txt");
    Path err = dir.resolve("err.txt");
    pb.redirectOutput(out.toFile()).redirectError(err.toFile());
    Process p = pb.start();
    if (!p.waitFor(60, TimeUnit.SECONDS)) {
      p.destroyForcibly();
      failures.add(where + ": did not finish in 60 s: " + command);
      throw new AssertionError(where);
    }
    String stdout = Files.readString(out, StandardCharsets.UTF_8);
    if (p.exitValue() != 0) {
      failures.add(
          where
              + ": exit "
              + p.exitValue()
              + " for: "
              + command
              + "\n  "
              + Files.readString(err, StandardCharsets.UTF_8).strip()
              + "\n  "
              + stdout.strip());
      throw new AssertionError(where);
    }
    return stdout;
  }

  private void awaitHealthy() {
    HttpClient http = HttpClient.newHttpClient();
    Awaitility.await()
        .atMost(Duration.ofSeconds(60))
        .pollInterval(Duration.ofMillis(200))
        .ignoreExceptions()
        .until(
            () ->
                http.send(
                            HttpRequest.newBuilder(URI.create(server.url() + "/healthz")).build(),
                            HttpResponse.BodyHandlers.discarding())
                        .statusCode()
                    == 200);
  }
}
