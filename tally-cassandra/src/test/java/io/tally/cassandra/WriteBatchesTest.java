package io.tally.cassandra;

import static org.assertj.core.api.Assertions.assertThat;

import com.datastax.oss.driver.api.core.cql.BatchStatement;
import com.datastax.oss.driver.api.core.cql.BoundStatement;
import com.datastax.oss.driver.api.core.cql.PreparedStatement;
import com.datastax.oss.driver.api.core.metadata.TokenMap;
import io.tally.engines.LocalEngines;
import io.tally.engines.RealEngines;
import io.tally.model.Granularity;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.BiConsumer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * How {@link WriteBatches} groups a step's row writes: an entity's rows (one Cassandra partition)
 * always in one batch, so Cassandra applies them as one mutation; at most {@link
 * WriteBatches#MAX_PARTITIONS} partitions and about {@link WriteBatches#MAX_BYTES} per batch; every
 * row exactly once.
 */
@ExtendWith(RealEngines.class)
class WriteBatchesTest {
  private final LocalEngines engines;

  WriteBatchesTest(LocalEngines engines) {
    this.engines = engines;
  }

  /**
   * Opens a store on a keyspace of its own and prepares a write of one counter row for {@code
   * test}.
   */
  private void withRowUpdate(
      String keyspace, BiConsumer<CassandraCounterStore, PreparedStatement> test) {
    CassandraSettings s =
        CassandraSettings.defaults(engines.cassandra().contactPoint())
            .withKeyspace(keyspace + "_" + (System.nanoTime() % 1_000_000));
    try (CassandraCounterStore store = CassandraCounterStore.open(s)) {
      test.accept(
          store,
          store
              .session()
              .prepare(
                  "UPDATE "
                      + s.keyspace()
                      + ".counter_rows SET count = ?, sum = ?, actors = ?"
                      + " WHERE entity = ? AND type = ? AND granularity = ? AND bucket = ?"));
    }
  }

  /**
   * About the size of each write's values, as the writer counts them: each value and its length.
   */
  private static int[] valueBytes(List<BoundStatement> writes) {
    int[] bytes = new int[writes.size()];
    for (int i = 0; i < writes.size(); i++) {
      BoundStatement w = writes.get(i);
      for (int v = 0; v < w.size(); v++) {
        ByteBuffer b = w.getBytesUnsafe(v);
        bytes[i] += b == null ? 4 : b.remaining() + 4;
      }
    }
    return bytes;
  }

  @Test
  void anEntitysRowsShareABatchAndBatchesStayWithinTheirBounds() {
    withRowUpdate(
        "batches",
        (store, update) -> {
          List<BoundStatement> writes = new ArrayList<>();
          Map<Integer, String> entityOf = new HashMap<>();
          for (int e = 0; e < 37; e++) {
            for (Granularity g : Granularity.values()) {
              // entity 5's rows carry 6 KiB each: its partition alone is over the byte bound
              ByteBuffer actors = e == 5 ? ByteBuffer.allocate(6 * 1024) : null;
              entityOf.put(writes.size(), "video:" + e);
              writes.add(update.bind(1L, 1L, actors, "video:" + e, "view", g.wireName(), 0L));
            }
          }

          List<WriteBatches.Batch> batches =
              new WriteBatches(store.session()).group(writes, valueBytes(writes));

          Map<String, Integer> batchOf = new HashMap<>();
          Set<Integer> seen = new HashSet<>();
          for (int b = 0; b < batches.size(); b++) {
            WriteBatches.Batch batch = batches.get(b);
            Set<String> partitions = new HashSet<>();
            for (int row : batch.rows()) {
              assertThat(seen.add(row)).as("row " + row + " in one batch only").isTrue();
              String entity = entityOf.get(row);
              partitions.add(entity);
              assertThat(batchOf.putIfAbsent(entity, b)).as(entity + "'s rows").isIn(null, b);
            }
            assertThat(partitions).hasSizeLessThanOrEqualTo(WriteBatches.MAX_PARTITIONS);
            if (partitions.size() > 1) {
              assertThat(partitions).doesNotContain("video:5");
            }
            assertThat(batch.statement() instanceof BatchStatement)
                .isEqualTo(batch.rows().size() > 1);
          }
          assertThat(seen).hasSize(writes.size());
          assertThat(batches).hasSizeLessThan(writes.size() / Granularity.values().length);
        });
  }

  @Test
  void theRoutingKeyWeSetIsTheOneTheDriverComposes() {
    withRowUpdate(
        "routing",
        (store, update) -> {
          for (String[] key :
              List.of(
                  new String[] {"video:42", "view"},
                  new String[] {"", "t"},
                  new String[] {"vidéo:ü€", "vue"},
                  new String[] {"x".repeat(300), "like"})) {
            ByteBuffer composed =
                update.bind(1L, 1L, null, key[0], key[1], "minute", 0L).getRoutingKey();
            ByteBuffer ours = CounterSchema.routingKey(key[0], key[1]);
            assertThat(ours).as(key[0] + "/" + key[1]).isEqualTo(composed);
            // KnownRows asks for a partition's replicas with the composed key as one component
            TokenMap tokens = store.session().getMetadata().getTokenMap().orElseThrow();
            assertThat(tokens.newToken(ours))
                .isEqualTo(
                    tokens.newToken(
                        ByteBuffer.wrap(key[0].getBytes(StandardCharsets.UTF_8)),
                        ByteBuffer.wrap(key[1].getBytes(StandardCharsets.UTF_8))));
          }
        });
  }
}
