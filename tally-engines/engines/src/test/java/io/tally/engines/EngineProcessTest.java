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
import java.nio.file.Path;
import java.time.Duration;
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
  void stopEscalatesToSigkillWhenTheChildIgnoresSigterm() throws Exception {
    int port = freePort();
    EngineProcess stub = startStub(dir, port, "stubborn");
    stub.awaitReady(port, "stub ready", READY);

    assertThat(stub.stop(Duration.ofSeconds(1))).as("stopped by SIGTERM alone").isFalse();
    assertThat(stub.isAlive()).isFalse();
  }

  @Test
  void awaitReadyReportsAChildThatExitsWithTheEndOfItsLog() throws Exception {
    int port = freePort();
    EngineProcess stub = startStub(dir, port, "failing");

    assertThatThrownBy(() -> stub.awaitReady(port, "stub ready", READY))
        .isInstanceOf(EngineException.class)
        .hasMessageContaining("exited with 3")
        .hasMessageContaining("stub cannot start");
  }

  @Test
  void childHaltsWhenTheJvmThatStartedItIsKilled() throws Exception {
    String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
    Process parent =
        new ProcessBuilder(
                java,
                "-cp",
                System.getProperty("java.class.path"),
                Parent.class.getName(),
                dir.toString(),
                Integer.toString(freePort()))
            .redirectError(ProcessBuilder.Redirect.INHERIT)
            .start();
    long childPid;
    try (BufferedReader out =
        new BufferedReader(
            new InputStreamReader(parent.getInputStream(), StandardCharsets.UTF_8))) {
      childPid = Long.parseLong(out.readLine());
    } finally {
      parent.destroyForcibly(); // SIGKILL: no shutdown hook runs in the parent
    }
    Optional<ProcessHandle> child = ProcessHandle.of(childPid);

    await()
        .atMost(Duration.ofSeconds(10))
        .until(() -> child.map(c -> !c.isAlive()).orElse(true));
  }

  private static EngineProcess startStub(Path dir, int port, String mode)
      throws URISyntaxException {
    return EngineProcess.start(
        "stub",
        dir,
        List.of("-Xmx32m"),
        List.of(testClasses()),
        Stub.class.getName(),
        List.of(Integer.toString(port), mode));
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
   * A server stub: {@code <port> polite|stubborn|failing}. Listens, logs "stub ready", and waits;
   * a stubborn one never finishes its shutdown, a failing one exits with 3 at once.
   */
  static final class Stub {
    public static void main(String[] args) throws Exception {
      if (args[1].equals("failing")) {
        System.out.println("stub cannot start");
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

  /** Starts a stub engine, prints its pid, and waits to be killed: {@code <dir> <port>}. */
  static final class Parent {
    public static void main(String[] args) throws Exception {
      int port = Integer.parseInt(args[1]);
      EngineProcess stub = startStub(Path.of(args[0]), port, "polite");
      stub.awaitReady(port, "stub ready", READY);
      System.out.println(stub.pid());
      System.out.flush();
      Thread.sleep(Long.MAX_VALUE);
    }
  }
}
