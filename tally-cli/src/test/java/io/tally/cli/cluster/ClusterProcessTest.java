package io.tally.cli.cluster;

import static org.assertj.core.api.Assertions.assertThat;

import io.tally.cli.cluster.ClusterProcess.Kind;
import io.tally.cli.cluster.ClusterProcess.Liveness;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Whether a recorded pid is trusted, on real processes: a shell whose last argument is a path. */
class ClusterProcessTest {
  @TempDir Path dir;
  private String marker;
  private Process shell;

  @BeforeEach
  void startShell() throws Exception {
    marker = dir.resolve("node-1").toString();
    // two commands, so the shell waits for sleep instead of exec-ing it; the marker becomes its $0
    shell = new ProcessBuilder("sh", "-c", "sleep 60; true", marker).start();
  }

  @AfterEach
  void stopShell() throws Exception {
    shell.descendants().forEach(ProcessHandle::destroyForcibly);
    shell.destroyForcibly();
    shell.waitFor(10, TimeUnit.SECONDS);
  }

  @Test
  void trustsTheProcessItRecorded() {
    ClusterProcess recorded = record(shell.toHandle(), marker);

    assertThat(recorded.liveness()).isEqualTo(Liveness.ALIVE);
    assertThat(recorded.find()).contains(shell.toHandle());
  }

  @Test
  void readsACommandLineLongerThanAPage() throws Exception {
    String longClasspath = "x".repeat(10_000);
    Process jvmLike =
        new ProcessBuilder("sh", "-c", "sleep 60; true", longClasspath, marker).start();
    try {
      ClusterProcess recorded = record(jvmLike.toHandle(), marker);

      assertThat(recorded.liveness()).isEqualTo(Liveness.ALIVE);
    } finally {
      jvmLike.descendants().forEach(ProcessHandle::destroyForcibly);
      jvmLike.destroyForcibly();
      jvmLike.waitFor(10, TimeUnit.SECONDS);
    }
  }

  @Test
  void toleratesStartTimesReadASecondApart() {
    ClusterProcess recorded = record(shell.toHandle(), marker);
    ClusterProcess readElsewhere = withStartShift(recorded, Duration.ofSeconds(1));

    assertThat(readElsewhere.liveness()).isEqualTo(Liveness.ALIVE);
  }

  @Test
  void distrustsAPidWhoseProcessStartedAtAnotherTime() {
    ClusterProcess recorded = record(shell.toHandle(), marker);
    ClusterProcess earlier = withStart(recorded, Duration.ofMinutes(-5), recorded.startTicks() - 1);

    assertThat(earlier.liveness()).isEqualTo(Liveness.PID_REUSED);
    assertThat(earlier.find()).isEmpty();
  }

  @Test
  void aWallClockStepBetweenUpAndDownDoesNotHideTheProcess() {
    // the JVM's start instant is boot time + ticks; a stepped clock moves the boot time it sees
    // (18 s here once, between a `cluster up` and its `cluster down`, which then left all nine up)
    ClusterProcess recorded = record(shell.toHandle(), marker);
    assertThat(recorded.startTicks()).as("read from /proc").isNotNull();
    ClusterProcess stepped = withStartShift(recorded, Duration.ofSeconds(18));

    assertThat(stepped.liveness()).isEqualTo(Liveness.ALIVE);
    assertThat(stepped.find()).contains(shell.toHandle());
  }

  @Test
  void withoutStartTicksTheWallClockStartDecides() {
    ClusterProcess recorded = withStart(record(shell.toHandle(), marker), Duration.ZERO, null);

    assertThat(recorded.liveness()).isEqualTo(Liveness.ALIVE);
    assertThat(withStartShift(recorded, Duration.ofMinutes(-5)).liveness())
        .isEqualTo(Liveness.PID_REUSED);
  }

  @Test
  void distrustsAPidWhoseCommandLineLacksTheArgument() {
    ClusterProcess recorded = record(shell.toHandle(), dir.resolve("node-2").toString());

    assertThat(recorded.liveness()).isEqualTo(Liveness.PID_REUSED);
    assertThat(recorded.find()).isEmpty();
  }

  @Test
  void matchesTheArgumentWholeNotAsAPrefix() {
    ClusterProcess recorded = record(shell.toHandle(), marker.substring(0, marker.length() - 1));

    assertThat(recorded.find()).isEmpty();
  }

  @Test
  void aProcessThatExitedIsDead() throws Exception {
    ClusterProcess recorded = record(shell.toHandle(), marker);
    stopShell();

    assertThat(recorded.liveness()).isEqualTo(Liveness.DEAD);
    assertThat(recorded.find()).isEmpty();
  }

  private static ClusterProcess record(ProcessHandle process, String argument) {
    return ClusterProcess.of(
        "node-1",
        Kind.NODE,
        process,
        argument,
        8081,
        "http://127.0.0.1:8081",
        Path.of("node-1.log"));
  }

  private static ClusterProcess withStartShift(ClusterProcess p, Duration shift) {
    return withStart(p, shift, p.startTicks());
  }

  private static ClusterProcess withStart(ClusterProcess p, Duration shift, Long startTicks) {
    return new ClusterProcess(
        p.name(),
        p.kind(),
        p.pid(),
        p.startedAt().plus(shift),
        p.argument(),
        p.port(),
        p.address(),
        p.log(),
        startTicks);
  }
}
