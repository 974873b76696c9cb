package io.tally.core.codec;

import static org.assertj.core.api.Assertions.assertThat;

import io.tally.core.aggregate.CounterDelta;
import io.tally.core.aggregate.CounterKey;
import io.tally.core.aggregate.RowCorrection;
import io.tally.model.Granularity;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * The encoder shares a key's string bytes with the key before it when they are equal: keys that
 * share only their entity, only their type, neither, or come back after another series still decode
 * to exactly what was encoded, corrections after deltas too.
 */
class DeltaCodecSeriesTest {
  private static final long MINUTE = 1_769_860_800_000L;

  @Test
  void keysThatShareSomeOfTheirStringsWithThePreviousKeyRoundTrip() {
    List<CounterDelta> deltas = new ArrayList<>();
    String[][] series = {
      {"video:1", "view"},
      {"video:1", "like"}, // same entity, another type
      {"video:2", "like"}, // another entity, same type
      {"vidéo:ü€", "like"}, // non-ASCII: its byte length differs from its length
      {"video:1", "view"}, // back to the first series
      {"", "view"},
      {"video:2", "vue"}
    };
    long n = 1;
    for (String[] s : series) {
      for (Granularity g : List.of(Granularity.MINUTE, Granularity.HOUR, Granularity.DAY)) {
        deltas.add(new CounterDelta(new CounterKey(s[0], s[1], g, g.bucketStart(MINUTE)), n, n));
        n++;
      }
      deltas.add(new CounterDelta(CounterKey.total(s[0], s[1]), n, 2 * n));
      n++;
    }
    List<RowCorrection> corrections =
        List.of(
            new RowCorrection(CounterKey.total("video:2", "vue"), -1, -2),
            new RowCorrection(CounterKey.total("video:3", "vue"), 4, 5),
            new RowCorrection(CounterKey.total("video:3", "view"), 6, 7));
    DeltaRecord record = new DeltaRecord(deltas, null, corrections);

    assertThat(DeltaCodec.decode(DeltaCodec.encode(record))).isEqualTo(record);
  }
}
