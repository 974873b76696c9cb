package io.tally.core.aggregate;

import static org.assertj.core.api.Assertions.assertThat;

import io.tally.model.Granularity;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;

/** The written-out equality and hash of {@link CounterKey} agree with its components. */
class CounterKeyTest {
  private static final long MINUTE = 1_769_860_800_000L;

  private static List<CounterKey> keys() {
    List<CounterKey> out = new ArrayList<>();
    for (String entity : new String[] {"video:1", "video:2", "", "vidéo:1"}) {
      for (String type : new String[] {"view", "like"}) {
        out.add(CounterKey.total(entity, type));
        for (Granularity g : Granularity.TIMED) {
          out.add(new CounterKey(entity, type, g, g.bucketStart(MINUTE)));
          out.add(new CounterKey(entity, type, g, g.bucketStart(MINUTE + 86_400_000L)));
        }
      }
    }
    return out;
  }

  @Test
  void keysAreEqualExactlyWhenTheirComponentsAreAndEqualKeysHashAlike() {
    List<CounterKey> a = keys();
    List<CounterKey> b = keys(); // equal components, other instances (and other strings)
    for (int i = 0; i < a.size(); i++) {
      for (int j = 0; j < b.size(); j++) {
        CounterKey x = a.get(i);
        CounterKey y = b.get(j);
        boolean same =
            x.entity().equals(y.entity())
                && x.type().equals(y.type())
                && x.granularity() == y.granularity()
                && x.bucketStartMillis() == y.bucketStartMillis();
        assertThat(x.equals(y)).as("%s vs %s", x, y).isEqualTo(same);
        if (same) {
          assertThat(x.hashCode()).isEqualTo(y.hashCode());
        }
      }
    }
    assertThat(a.get(0)).isNotEqualTo(null).isNotEqualTo("video:1");
  }

  @Test
  void theHashSpreadsTheKeysOfOneSeries() {
    Set<Integer> hashes = new HashSet<>();
    for (CounterKey k : keys()) {
      hashes.add(k.hashCode());
    }
    assertThat(hashes).hasSize(keys().size());
  }
}
