package io.tally.core.codec;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.tally.core.aggregate.CounterDelta;
import io.tally.core.aggregate.DeltaAggregator;
import io.tally.core.store.Checkpoint;
import io.tally.model.Event;
import java.util.List;
import org.junit.jupiter.api.Test;

/** Delta records with actor sketches: version 2 only when needed, round trips, damage refused. */
class DeltaCodecActorsTest {
  private static List<CounterDelta> deltas(boolean withActors) {
    DeltaAggregator agg = new DeltaAggregator();
    for (int i = 0; i < 1000; i++) {
      Event e = new Event(null, "video:" + (i % 3), "view", 1_769_860_800_000L + i * 1000L, 1);
      agg.add(withActors && i % 2 == 0 ? e.withActor("user-" + i % 400) : e);
    }
    return agg.drain();
  }

  @Test
  void aRecordWithoutActorsIsVersion1AndOneWithActorsRoundTripsAsVersion2() {
    byte[] plain = DeltaCodec.encode(new DeltaRecord(deltas(false), null));
    assertThat(plain[0]).isEqualTo((byte) 1);
    assertThat(DeltaCodec.decode(plain).deltas()).isEqualTo(deltas(false));

    DeltaRecord record = new DeltaRecord(deltas(true), new Checkpoint(2, 10, 5, 6));
    assertThat(record.deltas()).allMatch(d -> d.actors() != null);
    byte[] encoded = DeltaCodec.encode(record);
    assertThat(encoded[0]).isEqualTo((byte) 2);
    assertThat(DeltaCodec.decode(encoded)).isEqualTo(record);
  }

  @Test
  void decodingThroughAStringCacheGivesTheSameRecordWithSharedStrings() {
    DeltaRecord record = new DeltaRecord(deltas(true), new Checkpoint(2, 10, 5, 6));
    byte[] encoded = DeltaCodec.encode(record);
    StringCache strings = new StringCache();
    DeltaRecord first = DeltaCodec.decode(encoded, strings);
    DeltaRecord again = DeltaCodec.decode(encoded, strings);
    assertThat(first).isEqualTo(record);
    assertThat(again).isEqualTo(record);
    // a series' four keys, and the same key of two records, share one entity string
    assertThat(again.deltas().get(0).key().entity())
        .isSameAs(first.deltas().get(0).key().entity())
        .isSameAs(first.deltas().get(1).key().entity());
  }

  @Test
  void aDamagedSketchInARecordIsACorruptRecord() {
    List<CounterDelta> one = deltas(true).subList(0, 1);
    byte[] encoded = DeltaCodec.encode(new DeltaRecord(one, null));
    int sketchStart = encoded.length - one.get(0).actors().sizeBytes();
    encoded[sketchStart] = (byte) 0x7f; // the sketch's preamble size
    assertThatThrownBy(() -> DeltaCodec.decode(encoded))
        .isInstanceOf(CorruptRecordException.class)
        .hasMessageContaining("actor sketch");
    byte[] truncated = java.util.Arrays.copyOf(encoded, encoded.length - 2);
    assertThatThrownBy(() -> DeltaCodec.decode(truncated))
        .isInstanceOf(CorruptRecordException.class);
  }
}
