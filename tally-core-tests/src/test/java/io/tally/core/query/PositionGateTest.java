package io.tally.core.query;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatCode;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.tally.core.aggregate.DeltaBatch;
import io.tally.core.store.Checkpoint;
import io.tally.model.Position;
import io.tally.testkit.InMemoryCounterStore;
import java.time.InstantSource;
import java.util.List;
import org.junit.jupiter.api.Test;

/** Read-your-writes: what {@link PositionGate} waits for, and how it refuses and gives up. */
class PositionGateTest {
  private final InMemoryCounterStore store = new InMemoryCounterStore();
  private final PositionGate gate = new PositionGate(store, 4, InstantSource.system());

  private void checkpoint(int partition, long nextOffset) {
    store.write(new DeltaBatch(List.of(), List.of(new Checkpoint(partition, nextOffset, 0L, 0L))));
  }

  @Test
  void aPositionCountedInEveryPartitionItNamesPassesAtOnce() {
    checkpoint(1, 5);
    checkpoint(3, 9);
    Position position = Position.of(1, 5).merge(Position.of(3, 2));

    assertThatCode(() -> gate.await(position.token(), "0")).doesNotThrowAnyException();
    assertThatCode(() -> gate.await(null, null)).doesNotThrowAnyException();
    assertThatCode(() -> gate.await(Position.EMPTY.token(), "0")).doesNotThrowAnyException();
  }

  @Test
  void aPositionNotCountedInTimeSaysHowFarBehindEachPartitionIs() {
    checkpoint(1, 5);
    String token = Position.of(1, 7).merge(Position.of(2, 3)).token();

    assertThatThrownBy(() -> gate.await(token, "30"))
        .isInstanceOf(PositionNotReachedException.class)
        .hasMessage(
            "the position was not counted within 30 ms: 5 events behind (partition 1 counted up"
                + " to offset 5 of 7; partition 2 counted up to offset 0 of 3); retry, or wait"
                + " longer with wait=<ms>")
        .extracting(e -> ((PositionNotReachedException) e).behindEvents())
        .isEqualTo(5L);
  }

  @Test
  void aPositionCountedWhileWaitingPasses() throws Exception {
    String token = Position.of(0, 3).token();
    Thread later =
        new Thread(
            () -> {
              try {
                Thread.sleep(50);
              } catch (InterruptedException e) {
                return;
              }
              checkpoint(0, 3);
            });
    later.start();
    assertThatCode(() -> gate.await(token, "30000")).doesNotThrowAnyException();
    later.join();
  }

  @Test
  void badParametersAreNamed() {
    assertThatThrownBy(() -> gate.await("not a token!", null))
        .isInstanceOf(BadQueryException.class)
        .hasMessageContaining("after must be a position token from an ingest answer");
    assertThatThrownBy(() -> gate.await("AQ", null)) // version 1, then nothing
        .isInstanceOf(BadQueryException.class)
        .hasMessageContaining("it ends early");
    assertThatThrownBy(() -> gate.await(Position.of(4, 1).token(), null))
        .isInstanceOf(BadQueryException.class)
        .hasMessage(
            "after names partition 4 but this log has 4 partitions: the token is from another"
                + " server");
    assertThatThrownBy(() -> gate.await(null, "100"))
        .isInstanceOf(BadQueryException.class)
        .hasMessage("wait only applies with after=<position token>");
    for (String wait : new String[] {"-1", "60001", "5s"}) {
      assertThatThrownBy(() -> gate.await(Position.EMPTY.token(), wait))
          .isInstanceOf(BadQueryException.class)
          .hasMessageStartingWith("wait must be milliseconds from 0 to 60000");
    }
  }

  @Test
  void tokensRoundTripAndMergeToTheLaterOffset() {
    Position a = Position.of(0, 10).merge(Position.of(7, 1L << 40));
    Position b = Position.of(0, 4).merge(Position.of(2, 0));
    assertThat(Position.parse(a.token())).isEqualTo(a);
    assertThat(a.token()).matches("[A-Za-z0-9_-]+");
    assertThat(a.merge(b).nextOffsets())
        .containsExactly(
            java.util.Map.entry(0, 10L),
            java.util.Map.entry(2, 0L),
            java.util.Map.entry(7, 1L << 40));
  }
}
