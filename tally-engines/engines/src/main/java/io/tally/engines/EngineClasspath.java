package io.tally.engines;

import java.io.File;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;

/**
 * The jars of each engine, as resolved by its POM module under {@code tally-engines/} into {@code
 * target/classpath.txt} (one line, entries separated by {@link File#pathSeparator}).
 *
 * <p>Where the file comes from, first match wins:
 *
 * <ol>
 *   <li>the system property {@code tally.engines.kafka.classpath} or {@code
 *       tally.engines.cassandra.classpath}: the path of a classpath file;
 *   <li>{@code <repo>/tally-engines/<engine>-server/target/classpath.txt}, where {@code <repo>} is
 *       the nearest directory at or above the working directory holding {@code tally-engines/}. If
 *       that file is missing or names a jar that is gone, it is (re)written by running {@code mvn
 *       -B -q -f <pom> generate-resources} (Maven must be on the {@code PATH}). A build of the
 *       reactor rewrites it whenever the server's dependencies change; the file's age says nothing,
 *       as the dependency plugin leaves an unchanged file untouched.
 * </ol>
 *
 * Thread-safe: concurrent callers in one JVM run Maven once.
 */
public final class EngineClasspath {
  private static final Object MAVEN_LOCK = new Object();
  private static final long MAVEN_TIMEOUT_MINUTES = 15;

  private EngineClasspath() {}

  /** Kafka 4.1 ({@code kafka_2.13}) with its log4j2 SLF4J binding. */
  public static List<Path> kafka() {
    return of("kafka");
  }

  /** Cassandra 5.0 ({@code cassandra-all}). */
  public static List<Path> cassandra() {
    return of("cassandra");
  }

  private static List<Path> of(String engine) {
    String property = "tally.engines." + engine + ".classpath";
    String explicit = System.getProperty(property);
    if (explicit != null) {
      Path file = Path.of(explicit);
      List<Path> jars = read(file);
      if (jars.isEmpty() || !jars.stream().allMatch(Files::exists)) {
        throw new EngineException(property + "=" + file + " is missing or names missing jars");
      }
      return jars;
    }
    Path pom = repoRoot().resolve("tally-engines").resolve(engine + "-server").resolve("pom.xml");
    Path file = pom.resolveSibling("target").resolve("classpath.txt");
    synchronized (MAVEN_LOCK) {
      if (!isUsable(file)) {
        resolveWithMaven(pom, file);
      }
      return read(file);
    }
  }

  private static Path repoRoot() {
    Path start = Path.of(System.getProperty("user.dir")).toAbsolutePath();
    for (Path dir = start; dir != null; dir = dir.getParent()) {
      if (Files.isRegularFile(dir.resolve("tally-engines/kafka-server/pom.xml"))) {
        return dir;
      }
    }
    throw new EngineException(
        "no tally-engines/ at or above "
            + start
            + ": run inside the Tally repository or set -Dtally.engines.kafka.classpath and"
            + " -Dtally.engines.cassandra.classpath");
  }

  private static boolean isUsable(Path file) {
    if (!Files.isRegularFile(file)) {
      return false;
    }
    List<Path> jars = read(file);
    return !jars.isEmpty() && jars.stream().allMatch(Files::exists);
  }

  private static void resolveWithMaven(Path pom, Path file) {
    List<String> command = List.of("mvn", "-B", "-q", "-f", pom.toString(), "generate-resources");
    Path log = pom.resolveSibling("target").resolve("classpath-mvn.log");
    String failure;
    try {
      Files.createDirectories(log.getParent());
      Process mvn =
          new ProcessBuilder(command)
              .redirectErrorStream(true)
              .redirectOutput(log.toFile())
              .start();
      if (!mvn.waitFor(MAVEN_TIMEOUT_MINUTES, TimeUnit.MINUTES)) {
        mvn.destroyForcibly();
        failure = "timed out after " + MAVEN_TIMEOUT_MINUTES + " min";
      } else if (mvn.exitValue() != 0) {
        failure = "exit code " + mvn.exitValue();
      } else if (!Files.isRegularFile(file)) {
        failure = "it did not write " + file;
      } else {
        return;
      }
    } catch (IOException e) {
      failure = e.toString() + " (is Maven installed and on the PATH?)";
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      failure = "interrupted";
    }
    throw new EngineException(
        "cannot resolve the server classpath: `"
            + String.join(" ", command)
            + "` failed: "
            + failure
            + "; its output is in "
            + log);
  }

  private static List<Path> read(Path file) {
    try {
      String line = Files.readString(file).strip();
      if (line.isEmpty()) {
        return List.of();
      }
      return Arrays.stream(line.split(File.pathSeparator))
          .map(Path::of)
          .collect(Collectors.toList());
    } catch (IOException e) {
      throw new EngineException("cannot read the classpath file " + file, e);
    }
  }
}
