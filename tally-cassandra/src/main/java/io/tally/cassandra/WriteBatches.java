package io.tally.cassandra;

import com.datastax.oss.driver.api.core.CqlSession;
import com.datastax.oss.driver.api.core.cql.BatchStatement;
import com.datastax.oss.driver.api.core.cql.BatchStatementBuilder;
import com.datastax.oss.driver.api.core.cql.BatchType;
import com.datastax.oss.driver.api.core.cql.BoundStatement;
import com.datastax.oss.driver.api.core.cql.Statement;
import com.datastax.oss.driver.api.core.metadata.Node;
import com.datastax.oss.driver.api.core.metadata.TokenMap;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

/**
 * Groups a step's row writes into unlogged batches of rows that live on the same replicas, so
 * Cassandra handles one request per batch instead of one per row, and the driver's token-aware
 * routing sends each batch to a replica of all its rows (no coordinator fan-out).
 *
 * <p>Unlogged batches are not atomic, and need not be: every row write is idempotent by its
 * position (DESIGN.md invariant 5). A batch holds at most {@link #MAX_ROWS} rows, below Cassandra's
 * warnings for unlogged batches across more than 10 partitions and for batches over 5 KiB.
 *
 * <p>Stateless apart from its session; thread-safe.
 */
final class WriteBatches {
  static final int MAX_ROWS = 10;

  private final CqlSession session;

  WriteBatches(CqlSession session) {
    this.session = session;
  }

  /** A batch of row writes and the indexes of the rows (in the caller's list) it writes. */
  record Batch(Statement<?> statement, List<Integer> rows) {}

  /** The writes grouped by replica set, in batches of at most {@link #MAX_ROWS}. */
  List<Batch> group(List<BoundStatement> writes) {
    Optional<TokenMap> tokens = session.getMetadata().getTokenMap();
    Map<Set<Node>, List<Integer>> byReplicas = new HashMap<>();
    for (int i = 0; i < writes.size(); i++) {
      BoundStatement w = writes.get(i);
      ByteBuffer routingKey = w.getRoutingKey();
      Set<Node> replicas =
          tokens.isPresent() && routingKey != null && w.getRoutingKeyspace() != null
              ? tokens.get().getReplicas(w.getRoutingKeyspace(), routingKey)
              : Set.of();
      byReplicas.computeIfAbsent(replicas, r -> new ArrayList<>()).add(i);
    }
    List<Batch> out = new ArrayList<>(writes.size() / MAX_ROWS + byReplicas.size());
    for (List<Integer> group : byReplicas.values()) {
      for (int from = 0; from < group.size(); from += MAX_ROWS) {
        List<Integer> rows = group.subList(from, Math.min(group.size(), from + MAX_ROWS));
        out.add(new Batch(batch(writes, rows), List.copyOf(rows)));
      }
    }
    return out;
  }

  private static Statement<?> batch(List<BoundStatement> writes, List<Integer> rows) {
    if (rows.size() == 1) {
      return writes.get(rows.get(0));
    }
    BatchStatementBuilder b = BatchStatement.builder(BatchType.UNLOGGED);
    for (int i : rows) {
      b.addStatement(writes.get(i));
    }
    return b.setConsistencyLevel(writes.get(rows.get(0)).getConsistencyLevel()).build();
  }
}
