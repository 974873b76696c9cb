package io.tally.cli.cluster;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.tally.cli.cluster.ClusterProcess.Kind;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ClusterStateTest {
  @TempDir Path dir;

  @Test
  void readsBackWhatItWrote() {
    ClusterState state =
        ClusterState.starting(Instant.parse("2025-11-28T18:00:00.123Z"))
            .with(
                new ClusterProcess(
                    "kafka",
                    Kind.KAFKA,
                    4242,
                    Instant.parse("2025-11-28T18:00:01.050Z"),
                    "@" + dir.resolve("kafka/kafka.args"),
                    9092,
                    "127.0.0.1:9092",
                    dir.resolve("kafka/kafka.log"),
                    123_456L))
            .with(
                new ClusterProcess(
                    "node-1",
                    Kind.NODE,
                    4343,
                    null,
                    dir.resolve("node-1").toString(),
                    8081,
                    "http://127.0.0.1:8081",
                    dir.resolve("logs/node-1.log"),
                    null))
            .ready(Instant.parse("2025-11-28T18:00:31.456Z"));

    state.write(dir);

    assertThat(ClusterState.read(dir)).contains(state);
    assertThat(dir.resolve("cluster.json.tmp")).doesNotExist();
  }

  @Test
  void writeReplacesTheWholeFile() {
    ClusterState first =
        ClusterState.starting(Instant.parse("2025-11-28T18:00:00Z"))
            .with(
                new ClusterProcess(
                    "kafka",
                    Kind.KAFKA,
                    1,
                    null,
                    "@a",
                    9092,
                    "127.0.0.1:9092",
                    dir.resolve("k.log"),
                    null));
    ClusterState second = ClusterState.starting(Instant.parse("2025-11-28T19:00:00Z"));

    first.write(dir);
    second.write(dir);

    assertThat(ClusterState.read(dir)).contains(second);
  }

  @Test
  void aClusterWhoseUpDidNotFinishIsNotUp() {
    ClusterState starting = ClusterState.starting(Instant.now());

    assertThat(starting.readyAt()).isNull();
    assertThat(starting.isUp()).isFalse();
    assertThat(starting.ready(Instant.now()).isUp()).as("ready, and no process that died").isTrue();
  }

  @Test
  void aDirectoryWithoutStateFileHoldsNoCluster() {
    assertThat(ClusterState.read(dir)).isEmpty();
    assertThat(ClusterState.read(dir.resolve("missing"))).isEmpty();
  }

  @Test
  void rejectsAnotherVersionNamingBoth() throws Exception {
    Files.writeString(
        dir.resolve("cluster.json"),
        "{\"version\": 2, \"startedAt\": \"2025-11-28T18:00:00Z\", " + "\"processes\": []}");

    assertThatThrownBy(() -> ClusterState.read(dir))
        .isInstanceOf(ClusterException.class)
        .hasMessageContaining("version 2")
        .hasMessageContaining("version 1");
  }

  @Test
  void reportsADamagedFileAsSuch() throws Exception {
    Files.writeString(
        dir.resolve("cluster.json"), "{\"version\": 1, \"processes\": [{\"name\": \"kafka\"}]}");

    assertThatThrownBy(() -> ClusterState.read(dir))
        .isInstanceOf(ClusterException.class)
        .hasMessageContaining("damaged");
  }
}
