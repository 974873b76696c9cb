package io.tally.engines;

import static java.nio.charset.StandardCharsets.ISO_8859_1;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermission;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

/**
 * PostgreSQL's programs from the machine's Debian {@code postgresql} package (the newest {@code
 * /usr/lib/postgresql/<version>/bin}, or the directory named by {@link
 * PostgresServer#BIN_PROPERTY}) and how to run them: PostgreSQL refuses to run as root, so when
 * this JVM is root they run as the Debian {@value #OS_USER} user through {@code setpriv} (which
 * execs in place, so the pid is the program's own), in directories given to that user. Stateless.
 */
final class PostgresPrograms {
  /** The operating-system user the programs run as when this JVM is root. */
  static final String OS_USER = "postgres";

  private static final Path SETPRIV = Path.of("/usr/bin/setpriv");

  private PostgresPrograms() {}

  /** The configured directory, else the newest {@code /usr/lib/postgresql/<version>/bin}. */
  static Path binDir() {
    String configured = System.getProperty(PostgresServer.BIN_PROPERTY);
    if (configured != null) {
      Path bin = Path.of(configured);
      if (!Files.isExecutable(bin.resolve("postgres"))) {
        throw new EngineException(
            PostgresServer.BIN_PROPERTY + "=" + configured + " holds no postgres program");
      }
      return bin;
    }
    Path root = Path.of("/usr/lib/postgresql");
    try (Stream<Path> versions = Files.list(root)) {
      return versions
          .map(v -> v.resolve("bin"))
          .filter(b -> Files.isExecutable(b.resolve("postgres")))
          .max(Comparator.comparingInt(PostgresPrograms::majorVersion))
          .orElseThrow(() -> notInstalled(root));
    } catch (IOException | UncheckedIOException e) {
      throw notInstalled(root);
    }
  }

  /**
   * {@code command} as the server user when this JVM is root; with {@code dieWithParent} the kernel
   * kills it when this JVM dies ({@code setpriv --pdeathsig KILL}).
   */
  static List<String> asServerUser(List<String> command, boolean dieWithParent) {
    List<String> line = new ArrayList<>();
    boolean root = runsAsRoot();
    if (Files.isExecutable(SETPRIV) && (root || dieWithParent)) {
      line.add(SETPRIV.toString());
      if (dieWithParent) {
        line.add("--pdeathsig");
        line.add("KILL");
      }
      if (root) {
        line.addAll(List.of("--reuid=" + OS_USER, "--regid=" + OS_USER, "--init-groups"));
      }
    } else if (root) {
      throw new EngineException(
          "PostgreSQL refuses to run as root, and " + SETPRIV + " is missing to switch users");
    }
    line.addAll(command);
    return line;
  }

  /**
   * Creates {@code dir} and, when this JVM is root, gives it to the server user (which must be able
   * to reach it).
   */
  static void prepareDir(Path dir) throws IOException, InterruptedException {
    Files.createDirectories(dir);
    if (runsAsRoot()) {
      requireTraversable(dir.getParent());
      chownToServerUser(dir);
    }
  }

  /**
   * Runs {@code command} (as the server user, dying with this JVM) to completion in {@code dir},
   * its output in {@code log}.
   *
   * @throws EngineException if it fails or takes longer than {@code timeout}; the message holds its
   *     output
   */
  static void run(List<String> command, Path dir, Path log, Duration timeout)
      throws IOException, InterruptedException {
    Process p =
        new ProcessBuilder(asServerUser(command, true))
            .directory(dir.toFile())
            .redirectErrorStream(true)
            .redirectOutput(log.toFile())
            .start();
    String program = Path.of(command.get(0)).getFileName().toString();
    if (!p.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS)) {
      p.destroyForcibly();
      throw new EngineException(
          program + " did not finish within " + timeout.toSeconds() + " s in " + dir);
    }
    if (p.exitValue() != 0) {
      throw new EngineException(
          program + " failed with " + p.exitValue() + ":\n" + Files.readString(log, ISO_8859_1));
    }
  }

  static boolean runsAsRoot() {
    return "root".equals(System.getProperty("user.name"));
  }

  /** The server user must reach its directory: every ancestor needs the others' x bit. */
  private static void requireTraversable(Path parent) throws IOException {
    for (Path p = parent; p != null; p = p.getParent()) {
      if (!Files.getPosixFilePermissions(p).contains(PosixFilePermission.OTHERS_EXECUTE)) {
        throw new EngineException(
            "the "
                + OS_USER
                + " user cannot reach "
                + parent
                + ": "
                + p
                + " is not traversable by others (chmod o+x, or choose another directory)");
      }
    }
  }

  private static void chownToServerUser(Path dir) throws IOException, InterruptedException {
    Process p = new ProcessBuilder("chown", "-R", OS_USER + ":" + OS_USER, dir.toString()).start();
    if (p.waitFor() != 0) {
      throw new EngineException(
          "cannot give "
              + dir
              + " to the "
              + OS_USER
              + " user (chown exited "
              + p.exitValue()
              + ")");
    }
  }

  private static int majorVersion(Path bin) {
    try {
      return Integer.parseInt(bin.getParent().getFileName().toString());
    } catch (NumberFormatException e) {
      return 0;
    }
  }

  private static EngineException notInstalled(Path root) {
    return new EngineException(
        "PostgreSQL is not installed: no "
            + root
            + "/<version>/bin/postgres (apt-get install postgresql), nor -D"
            + PostgresServer.BIN_PROPERTY);
  }
}
