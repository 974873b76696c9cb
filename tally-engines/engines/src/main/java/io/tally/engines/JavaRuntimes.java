package io.tally.engines;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.stream.Stream;

/**
 * Finds the {@code java} executable the engines run on: Java 17, the one release both Kafka 4.1 and
 * Cassandra 5.0 support (Cassandra dies on newer ones). Stateless.
 */
final class JavaRuntimes {
  private static final int FEATURE = 17;

  private JavaRuntimes() {}

  /**
   * The running JVM's {@code java} if it is a 17, else the first 17 under {@code $JAVA_HOME} or
   * {@code /usr/lib/jvm}.
   *
   * @throws EngineException if there is none
   */
  static Path java17() {
    if (Runtime.version().feature() == FEATURE) {
      return Path.of(System.getProperty("java.home"), "bin", "java");
    }
    List<Path> homes = new ArrayList<>();
    Optional.ofNullable(System.getenv("JAVA_HOME")).map(Path::of).ifPresent(homes::add);
    Path jvms = Path.of("/usr/lib/jvm");
    if (Files.isDirectory(jvms)) {
      try (Stream<Path> dirs = Files.list(jvms)) {
        dirs.sorted().forEach(homes::add);
      } catch (IOException e) {
        throw new EngineException("cannot list " + jvms, e);
      }
    }
    return homes.stream()
        .filter(JavaRuntimes::isJava17)
        .map(home -> home.resolve("bin/java"))
        .filter(Files::isExecutable)
        .findFirst()
        .orElseThrow(
            () ->
                new EngineException(
                    "Kafka and Cassandra 5.0 need Java 17: this JVM is "
                        + Runtime.version()
                        + " and neither $JAVA_HOME nor /usr/lib/jvm holds a 17; set JAVA_HOME"));
  }

  /** Reads {@code JAVA_VERSION="17…"} from the JDK's {@code release} file. */
  private static boolean isJava17(Path home) {
    Path release = home.resolve("release");
    if (!Files.isRegularFile(release)) {
      return false;
    }
    try (Stream<String> lines = Files.lines(release)) {
      return lines.anyMatch(
          line ->
              line.startsWith("JAVA_VERSION=\"" + FEATURE + ".")
                  || line.equals("JAVA_VERSION=\"" + FEATURE + "\""));
    } catch (IOException e) {
      return false;
    }
  }
}
