package io.tally.engines;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.URISyntaxException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/** The child-JVM lifecycle on a tiny stub server, without the real engines. */
@Timeout(60)
class EngineProcessTest {
  private static final Duration READY = Duration.ofSeconds(30);

  @TempDir Path dir;

  @Test
  void waitsForPortAndLogLineThenStopsWithSigterm() throws Exception {
    int port = freePort();
    EngineProcess stub = startStub(dir, port, "polite");

    stub.awaitReady(port, "stub ready", READY);

    assertThat(stub.isAlive()).isTrue();
    assertThat(stub.rssBytes()).isPositive();
    assertThat(stub.stop(Duration.ofSeconds(20))).as("stopped by SIGTERM alone").isTrue();
    assertThat(stub.isAlive()).isFalse();
    assertThat(stub.logTail(5)).contains("stub stopping");
  }

  @Test
  void theChildGetsTheOptionsOfTheEnvironmentAfterItsOwn() throws Exception {
    assertThat(ChildJvmOptions.parse(null)).isEmpty();
    assertThat(ChildJvmOptions.parse(" \t")).isEmpty();
    assertThat(ChildJvmOptions.parse(" -XX:TieredStopAtLevel=1\t -Da=b "))
        .containsExactly("-XX:TieredStopAtLevel=1", "-Da=b");

    int port = freePort();
    EngineProcess stub = startStub(dir, port, "polite");
    stub.awaitReady(port, "stub ready", READY);
    stub.stop(Duration.ofSeconds(20));

    // the suite's own Surefire configuration sets the variable, so this is not vacuous there
    List<String> expected = new ArrayList<>(List.of("-Xmx32m"));
    expected.addAll(ChildJvmOptions.fromEnvironment());
    assertThat(Files.readAllLines(dir.resolve("stub.args")))
        .map(quoted -> quoted.substring(1, quoted.length() - 1))
        .startsWith(expected.toArray(String[]::new));
  }

  @Test
  void stopEscalatesToSigkillWhenTheChildIgnoresSigterm() throws Exception {
    int port = freePort();
    EngineProcess stub = startStub(dir, port, "stubborn");
    stub.awaitReady(port, "stub ready", READY);

    assertThat(stub.stop(Duration.ofSeconds(1))).as("stopped by SIGTERM alone").isFalse();
    assertThat(stub.isAlive()).isFalse();
  }

  @Test
  void awaitReadyReportsAChildThatExitsWithItsFirstErrorAndTheEndOfItsLog() throws Exception {
    int port = freePort();
    EngineProcess stub = startStub(dir, port, "failing");

    assertThatThrownBy(() -> stub.awaitReady(port, "stub ready", READY))
        .isInstanceOf(EngineException.class)
        .hasMessageContaining("exited with 3")
        .hasMessageContaining("its first errors:\nERROR [main] stub cannot start: its cause")
        .hasMessageContaining("stub shutting down, step 59");
  }

  @Test
  void childHaltsWhenTheJvmThatStartedItIsKilled() throws Exception {
    long childPid = startParentAndKillIt("attached");
    Optional<ProcessHandle> child = ProcessHandle.of(childPid);

    await().atMost(Duration.ofSeconds(10)).until(() -> child.map(c -> !c.isAlive()).orElse(true));
  }

  @Test
  void detachedChildOutlivesTheJvmThatStartedIt() throws Exception {
    long childPid = startParentAndKillIt("detached");
    ProcessHandle child = ProcessHandle.of(childPid).orElseThrow();
    try {
      Thread.sleep(2_500); // more than ParentWatch's poll interval
      assertThat(child.isAlive()).as("the detached child after its parent's SIGKILL").isTrue();
      assertThat(sessionId(childPid))
          .as("its own session, out of reach of the terminal's Ctrl-C")
          .isEqualTo(childPid);
      assertThat(child.info().arguments().orElseThrow())
          .as("started from its argument file, so its command line names its directory")
          .containsExactly("@" + dir.resolve("stub.args"));
    } finally {
      child.destroyForcibly();
    }
    await().atMost(Duration.ofSeconds(10)).until(() -> !child.isAlive());
  }

  /** Runs {@link Parent} with {@code mode}, SIGKILLs it once its stub is ready; the stub's pid. */
  private long startParentAndKillIt(String mode) throws IOException {
    String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
    Process parent =
        new ProcessBuilder(
                java,
                "-cp",
                System.getProperty("java.class.path"),
                Parent.class.getName(),
                dir.toString(),
                Integer.toString(freePort()),
                mode)
            .redirectError(ProcessBuilder.Redirect.INHERIT)
            .start();
    try (BufferedReader out =
        new BufferedReader(
            new InputStreamReader(parent.getInputStream(), StandardCharsets.UTF_8))) {
      return Long.parseLong(out.readLine());
    } finally {
      parent.destroyForcibly(); // SIGKILL: no shutdown hook runs in the parent
    }
  }

  /** Field 6 of {@code /proc/<pid>/stat}, after the parenthesised command name. */
  private static long sessionId(long pid) throws IOException {
    String stat = Files.readString(Path.of("/proc", Long.toString(pid), "stat"));
    return Long.parseLong(stat.substring(stat.lastIndexOf(')') + 2).split(" ")[3]);
  }

  private static EngineProcess startStub(Path dir, int port, String mode)
      throws URISyntaxException {
    return startStub(dir, port, mode, false);
  }

  private static EngineProcess startStub(Path dir, int port, String mode, boolean detached)
      throws URISyntaxException {
    List<String> jvmOptions = List.of("-Xmx32m");
    List<Path> classpath = List.of(testClasses());
    List<String> args = List.of(Integer.toString(port), mode);
    return detached
        ? EngineProcess.startDetached(
            "stub", dir, jvmOptions, classpath, Stub.class.getName(), args)
        : EngineProcess.start("stub", dir, jvmOptions, classpath, Stub.class.getName(), args);
  }

  private static Path testClasses() throws URISyntaxException {
    return Path.of(Stub.class.getProtectionDomain().getCodeSource().getLocation().toURI());
  }

  private static int freePort() throws IOException {
    try (ServerSocket socket = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
      return socket.getLocalPort();
    }
  }

  /**
   * A server stub: {@code <port> polite|stubborn|failing}. Listens, logs "stub ready", and waits; a
   * stubborn one never finishes its shutdown, a failing one exits with 3 at once.
   */
  static final class Stub {
    public static void main(String[] args) throws Exception {
      if (args[1].equals("failing")) {
        System.out.println("ERROR [main] stub cannot start: its cause");
        for (int i = 0; i < 60; i++) {
          System.out.println("stub shutting down, step " + i); // pushes the cause out of the tail
        }
        System.exit(3);
      }
      boolean stubborn = args[1].equals("stubborn");
      Runtime.getRuntime()
          .addShutdownHook(
              new Thread(
                  () -> {
                    System.out.println("stub stopping");
                    if (stubborn) {
                      sleepForever();
                    }
                  }));
      try (ServerSocket socket =
          new ServerSocket(Integer.parseInt(args[0]), 50, InetAddress.getLoopbackAddress())) {
        System.out.println("stub ready on " + socket.getLocalPort());
        sleepForever();
      }
    }

    private static void sleepForever() {
      try {
        Thread.sleep(Long.MAX_VALUE);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
    }
  }

  /**
   * Starts a stub engine, prints its pid, and waits to be killed: {@code <dir> <port>
   * attached|detached}.
   */
  static final class Parent {
    public static void main(String[] args) throws Exception {
      int port = Integer.parseInt(args[1]);
      boolean detached = args[2].equals("detached");
      EngineProcess stub = startStub(Path.of(args[0]), port, "polite", detached);
      stub.awaitReady(port, "stub ready", READY);
      System.out.println(stub.pid());
      System.out.flush();
      Thread.sleep(Long.MAX_VALUE);
    }
  }
}
