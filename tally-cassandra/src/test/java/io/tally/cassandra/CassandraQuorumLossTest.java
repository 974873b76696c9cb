package io.tally.cassandra;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.datastax.oss.driver.api.core.DefaultConsistencyLevel;
import io.tally.core.aggregate.CounterKey;
import io.tally.core.enrich.DerivedEntities;
import io.tally.core.partition.Partitioner;
import io.tally.core.query.QueryConfig;
import io.tally.core.query.QueryService;
import io.tally.core.store.Checkpoint;
import io.tally.core.store.QuorumLoss;
import io.tally.core.topk.TopKConfig;
import io.tally.core.topk.TopKService;
import io.tally.core.validate.EventValidator;
import io.tally.core.validate.ValidationLimits;
import io.tally.engines.LocalEngines;
import io.tally.engines.RealEngines;
import io.tally.model.Consistency;
import io.tally.model.Granularity;
import io.tally.model.Stats;
import io.tally.model.TallyException;
import io.tally.model.Total;
import io.tally.model.json.TallyJson;
import java.nio.charset.StandardCharsets;
import java.time.InstantSource;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * Reads when a quorum is lost, on a real Cassandra: rows are written to a keyspace of replication
 * factor 1, which is then altered to RF 3 on this one-node ring, so a LOCAL_QUORUM read needs two
 * replicas and finds one (Unavailable) — exactly what a ring of three that lost two nodes answers —
 * while a read at ONE finds every row. Totals, series, batch answers and top-K fall back to ONE and
 * say so ({@code "consistency": "one"}) unless {@code query.on-quorum-loss} is fail.
 */
@ExtendWith(RealEngines.class)
class CassandraQuorumLossTest {
  private static final int P = 4;
  private static final long MINUTE = 60_000;
  private final LocalEngines engines;

  CassandraQuorumLossTest(LocalEngines engines) {
    this.engines = engines;
  }

  @Test
  void queriesFallBackToOneReplicaAndSaySoOrFailWhenToldTo() throws Exception {
    String keyspace = "quorum_loss_" + (System.nanoTime() % 1_000_000);
    CassandraSettings settings =
        CassandraSettings.defaults(engines.cassandra().contactPoint())
            .withKeyspace(keyspace)
            .withConsistency(
                DefaultConsistencyLevel.LOCAL_QUORUM, DefaultConsistencyLevel.LOCAL_QUORUM);
    Partitioner partitioner = new Partitioner(P);
    String entity = "video:1";
    long now = System.currentTimeMillis();
    long minute = now - now % MINUTE;
    try (CassandraCounterStore store = CassandraCounterStore.open(settings)) {
      CounterWriter writer = new CounterWriter(store, InstantSource.system(), 64, 10_000);
      long position = CounterWriter.position(writer.generation(), 0);
      writer
          .apply(
              Map.of(
                  CounterKey.total(entity, "view"),
                  List.of(new CounterWriter.Positioned(position, 3, 7)),
                  new CounterKey(entity, "view", Granularity.MINUTE, minute),
                  List.of(new CounterWriter.Positioned(position, 3, 7))))
          .get(30, TimeUnit.SECONDS);
      writer
          .writeProgress(new Checkpoint(partitioner.partition(entity), 1, now, now), position)
          .get(30, TimeUnit.SECONDS);

      Total reached = queries(store, partitioner, QuorumLoss.STALE).total(entity, "view");
      assertThat(reached.count()).isEqualTo(3);
      assertThat(reached.consistency()).isEqualTo(Consistency.QUORUM);

      store
          .session()
          .execute(
              "ALTER KEYSPACE "
                  + keyspace
                  + " WITH replication = {'class': 'SimpleStrategy', 'replication_factor': 3}");

      QueryService stale = queries(store, partitioner, QuorumLoss.STALE);
      Total total = stale.total(entity, "view");
      assertThat(total.count()).isEqualTo(3);
      assertThat(total.sum()).isEqualTo(7);
      assertThat(total.asOfMillis()).isEqualTo(now);
      assertThat(total.consistency()).isEqualTo(Consistency.ONE);
      assertThat(new String(TallyJson.total(total), StandardCharsets.UTF_8))
          .contains("\"asOf\":", "\"consistency\":\"one\"");
      Stats series =
          stale.stats(entity, "view", "count", Long.toString(minute - 5 * MINUTE), null, "minute");
      assertThat(series.buckets()).hasSize(1);
      assertThat(series.buckets().get(0).count()).isEqualTo(3);
      assertThat(series.consistency()).isEqualTo(Consistency.ONE);
      assertThat(new String(TallyJson.batch(List.of(total, series)), StandardCharsets.UTF_8))
          .containsSubsequence("\"consistency\":\"one\"", "\"consistency\":\"one\"");
      TopKService topK = topK(store, QuorumLoss.STALE);
      assertThat(topK.top("view", "1h", "10").consistency()).isEqualTo(Consistency.ONE);

      QueryService strict = queries(store, partitioner, QuorumLoss.FAIL);
      assertThatThrownBy(() -> strict.total(entity, "view"))
          .isInstanceOf(TallyException.class)
          .hasMessageContaining("query.on-quorum-loss is fail");
      assertThatThrownBy(() -> topK(store, QuorumLoss.FAIL).top("view", "1h", "10"))
          .isInstanceOf(TallyException.class)
          .hasMessageContaining("query.on-quorum-loss is fail");
    }
  }

  private static QueryService queries(
      CassandraCounterStore store, Partitioner partitioner, QuorumLoss onQuorumLoss) {
    return new QueryService(
        store,
        partitioner,
        new EventValidator(ValidationLimits.DEFAULTS),
        InstantSource.system(),
        QueryConfig.DEFAULTS.withCache(0, 0).withOnQuorumLoss(onQuorumLoss),
        DerivedEntities.of(List.of()));
  }

  private static TopKService topK(CassandraCounterStore store, QuorumLoss onQuorumLoss) {
    return new TopKService(
        new CassandraTopKStore(store, P),
        store,
        TopKConfig.DEFAULTS,
        new EventValidator(ValidationLimits.DEFAULTS),
        InstantSource.system(),
        P,
        onQuorumLoss);
  }
}
