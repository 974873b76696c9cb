package io.tally.server;

import static org.assertj.core.api.Assertions.assertThat;

import io.tally.core.aggregate.CounterDelta;
import io.tally.core.aggregate.CounterKey;
import io.tally.core.aggregate.DeltaBatch;
import io.tally.model.Granularity;
import io.tally.rocksdb.RocksDbCounterStore;
import io.tally.rocksdb.RocksDbStorage;
import io.tally.server.config.ConfigKeys;
import io.tally.server.config.EffectiveConfig;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Issue 20 item 4 through the embedded server's answers: 9.3M events of the largest value on one
 * entity (written to the real RocksDB store as the processor would, in flushes of 100,000 events,
 * rather than sent over HTTP) give a sum past 2^63. {@code /v1/total} and {@code /v1/stats?fn=sum}
 * say so — {@code "sum": null, "sumOverflow": true} — instead of a negative number; the count is
 * exact.
 */
class SumOverflowTest {
  private static final long MAX_VALUE = 1_000_000_000_000L;

  @TempDir Path dir;
  private EmbeddedTally tally;

  @AfterEach
  void stop() {
    if (tally != null) {
      tally.close();
    }
  }

  @Test
  void aSumPastTheLargestLongIsAnsweredAsOverflowedNotNegative() {
    ServerConfig config =
        EffectiveConfig.defaults()
            .with(ConfigKeys.STORAGE_DATA_DIR, dir.resolve("data"))
            .with(ConfigKeys.SERVER_PORT, 0)
            .server();
    long day = Granularity.DAY.bucketStart(System.currentTimeMillis());
    try (RocksDbStorage storage = RocksDbStorage.open(config.dataDir(), config.partitions());
        RocksDbCounterStore store = new RocksDbCounterStore(storage)) {
      for (int i = 0; i < 93; i++) {
        List<CounterDelta> deltas = new ArrayList<>();
        deltas.add(delta(CounterKey.total("acct:1", "bytes"), 100_000));
        deltas.add(delta(new CounterKey("acct:1", "bytes", Granularity.DAY, day), 100_000));
        deltas.add(delta(CounterKey.total("acct:2", "bytes"), 1_000)); // stays exact
        store.write(new DeltaBatch(deltas, List.of()));
      }
    }
    tally = EmbeddedTally.start(config);
    TallyHttp http = new TallyHttp(tally.url());

    JsonObject total = ok(http, "/v1/total?entity=acct:1&type=bytes");
    assertThat(total.getLong("count")).isEqualTo(9_300_000);
    assertThat(total.containsKey("sum")).isTrue();
    assertThat(total.getValue("sum")).isNull();
    assertThat(total.getBoolean("sumOverflow")).isTrue();

    JsonObject exact = ok(http, "/v1/total?entity=acct:2&type=bytes");
    assertThat(exact.getLong("sum")).isEqualTo(93_000 * MAX_VALUE);
    assertThat(exact.containsKey("sumOverflow")).isFalse();

    String range = "&granularity=day&from=" + day + "&to=" + (day + 86_400_000L);
    JsonObject sums = ok(http, "/v1/stats?entity=acct:1&type=bytes&fn=sum" + range);
    assertThat(sums.getBoolean("sumOverflow")).isTrue();
    JsonArray buckets = sums.getJsonArray("buckets");
    assertThat(buckets.size()).isEqualTo(1);
    assertThat(buckets.getJsonObject(0).getValue("value")).isNull();
    JsonObject counts = ok(http, "/v1/stats?entity=acct:1&type=bytes&fn=count" + range);
    assertThat(counts.getJsonArray("buckets").getJsonObject(0).getLong("value"))
        .isEqualTo(9_300_000);
    assertThat(counts.containsKey("sumOverflow")).isFalse();
  }

  private static CounterDelta delta(CounterKey key, long events) {
    return new CounterDelta(key, events, events * MAX_VALUE);
  }

  private static JsonObject ok(TallyHttp http, String path) {
    HttpResponse<String> r = http.get(path);
    assertThat(r.statusCode()).as(r.body()).isEqualTo(200);
    return new JsonObject(r.body());
  }
}
