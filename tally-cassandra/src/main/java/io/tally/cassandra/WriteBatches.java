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
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

/**
 * Groups a step's row writes into unlogged batches of whole Cassandra partitions that live on the
 * same replicas. Cassandra merges a batch's rows of one partition into one mutation, and its cost
 * is per mutation more than per row: an entity's minute, hour, day and total rows (one partition,
 * {@link CounterSchema}) cost one. Token-aware routing sends each batch to a replica of all its
 * rows (no coordinator fan-out).
 *
 * <p>Unlogged batches are not atomic, and need not be: every row write is idempotent by its
 * position (DESIGN.md invariant 5). A batch holds at most {@link #MAX_PARTITIONS} partitions (the
 * threshold of Cassandra's warning for unlogged batches across partitions) and, once it holds more
 * than one, at most about {@link #MAX_BYTES} of values (below its refusal of batches over 50 KiB,
 * which spares single-partition batches).
 *
 * <p>Stateless apart from its session; thread-safe.
 */
final class WriteBatches {
  static final int MAX_PARTITIONS = 10;
  static final int MAX_BYTES = 16 * 1024;

  private final CqlSession session;

  WriteBatches(CqlSession session) {
    this.session = session;
  }

  /** A batch of row writes and the indexes of the rows (in the caller's list) it writes. */
  record Batch(Statement<?> statement, List<Integer> rows) {}

  /**
   * The writes grouped by replica set and partition, in batches as the class says; {@code bytes[i]}
   * is about the size of {@code writes.get(i)}'s values (the writer knows them as it binds). The
   * replicas are looked up once per partition.
   */
  List<Batch> group(List<BoundStatement> writes, int[] bytes) {
    Optional<TokenMap> tokens = session.getMetadata().getTokenMap();
    // a row without a routing key is a partition of its own: nothing says what it shares
    Map<Object, List<Integer>> byPartition = new LinkedHashMap<>();
    for (int i = 0; i < writes.size(); i++) {
      ByteBuffer routingKey = writes.get(i).getRoutingKey();
      byPartition
          .computeIfAbsent(routingKey != null ? routingKey : i, k -> new ArrayList<>())
          .add(i);
    }
    Map<Set<Node>, List<List<Integer>>> byReplicas = new HashMap<>();
    for (Map.Entry<Object, List<Integer>> p : byPartition.entrySet()) {
      BoundStatement first = writes.get(p.getValue().get(0));
      Set<Node> replicas =
          tokens.isPresent()
                  && p.getKey() instanceof ByteBuffer routingKey
                  && first.getRoutingKeyspace() != null
              ? tokens.get().getReplicas(first.getRoutingKeyspace(), routingKey)
              : Set.of();
      byReplicas.computeIfAbsent(replicas, r -> new ArrayList<>()).add(p.getValue());
    }
    List<Batch> out = new ArrayList<>();
    for (List<List<Integer>> partitions : byReplicas.values()) {
      List<Integer> rows = new ArrayList<>();
      int count = 0;
      int size = 0;
      for (List<Integer> partition : partitions) {
        int partitionBytes = 0;
        for (int i : partition) {
          partitionBytes += bytes[i];
        }
        if (count > 0 && (count == MAX_PARTITIONS || size + partitionBytes > MAX_BYTES)) {
          out.add(new Batch(batch(writes, rows), List.copyOf(rows)));
          rows.clear();
          count = 0;
          size = 0;
        }
        rows.addAll(partition);
        count++;
        size += partitionBytes;
      }
      if (!rows.isEmpty()) {
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
