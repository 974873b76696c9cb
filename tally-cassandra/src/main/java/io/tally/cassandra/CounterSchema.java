package io.tally.cassandra;

import com.datastax.oss.driver.api.core.CqlSession;
import com.datastax.oss.driver.api.core.cql.SimpleStatement;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.time.Duration;

/**
 * The Cassandra schema of cluster mode, created at startup when missing.
 *
 * <pre>
 * counter_rows PRIMARY KEY ((entity, type), granularity, bucket)
 *           count bigint, sum bigint; writetime = the delta's position (invariant 5);
 *           sum saturates: 2^63 − 1 means "too large to be exact" ({@link io.tally.model.Sums});
 *           actors blob: the row's actor sketch ({@link io.tally.core.uniques.ActorSketch}
 *           bytes), null for a row without actors; written with count and sum, under the same
 *           position guard.
 *           One Cassandra partition per (entity, type) holds its minute, hour, day and total
 *           rows, so a materializer step writes an entity's rows as one mutation (Cassandra's
 *           cost is per mutation: with a partition per granularity and range, four) and a series
 *           query over any range reads one partition. Minute and hour rows carry a TTL that ends
 *           their retention; day rows and totals live forever. A partition is bounded by the
 *           retentions: at the defaults (7 days of minutes, 90 of hours) about 12,000 rows, some
 *           400 KiB, plus a day row a day (a minute retention of 'forever' lets it grow by
 *           525,600 rows a year).
 * counters  the layout before counter_rows (a partition per entity, type, granularity and
 *           range_start): copied into counter_rows once by {@link CounterMigration}, then unused
 *           (kept, so a downgrade still finds its rows as they were; drop it by hand).
 * progress  PRIMARY KEY (partition): each event partition's last materialized checkpoint
 *           (next offset, last append time, as-of), written at the checkpoint's position
 * meta      PRIMARY KEY (name): the timestamp generation a keyspace starts with ('generation'),
 *           and the layout of its counter rows ('layout', {@link CounterMigration#LAYOUT})
 * sources   PRIMARY KEY (name): the deltas topic's id and the generation of its positions;
 *           when the materializer finds the topic recreated (another id), one lightweight
 *           transaction records the new id with the generation + 1, so positions keep rising
 *           ({@link CounterWriter#adoptSource})
 * topk_slots PRIMARY KEY ((partition), type, window_minutes, slot_start)
 *           sketch blob (a frequent-items sketch, {@link io.tally.core.topk.SlotSketches}),
 *           position bigint (of the last delta applied to it); written USING TIMESTAMP the
 *           position and with a TTL that ends when the slot leaves its window (at most the
 *           window plus one slot). One Cassandra partition per event partition, so a
 *           materializer loads a partition it is assigned with one read, and a query reads one
 *           clustering range per event partition.
 * api_keys  PRIMARY KEY (id): record blob, the key as {@link io.tally.core.auth.ApiKeyCodec}
 *           writes it ({@link CassandraApiKeyStore})
 * </pre>
 */
final class CounterSchema {
  private CounterSchema() {}

  /**
   * The routing key of the {@code counter_rows} partition of ({@code entity}, {@code type}), as
   * Cassandra composes a partition key of several columns: each component's length (16 bits), its
   * UTF-8 bytes and a zero byte. Set on every statement of one partition, so the driver does not
   * compose it again from the bound values each time it is asked.
   */
  static ByteBuffer routingKey(byte[] entityUtf8, byte[] typeUtf8) {
    ByteBuffer key = ByteBuffer.allocate(6 + entityUtf8.length + typeUtf8.length);
    key.putShort((short) entityUtf8.length).put(entityUtf8).put((byte) 0);
    key.putShort((short) typeUtf8.length).put(typeUtf8).put((byte) 0);
    return key.flip();
  }

  /** As {@link #routingKey(byte[], byte[])}, from the strings. */
  static ByteBuffer routingKey(String entity, String type) {
    return routingKey(
        entity.getBytes(StandardCharsets.UTF_8), type.getBytes(StandardCharsets.UTF_8));
  }

  static void create(CqlSession session, CassandraSettings s) {
    String ks = s.keyspace();
    Duration ddl = Duration.ofSeconds(60);
    session.execute(
        SimpleStatement.newInstance(
                "CREATE KEYSPACE IF NOT EXISTS " + ks + " WITH replication = " + s.replicationCql())
            .setTimeout(ddl));
    for (String cql :
        new String[] {
          "CREATE TABLE IF NOT EXISTS "
              + ks
              + ".counter_rows (entity text, type text, granularity text, "
              + "bucket bigint, count bigint, sum bigint, actors blob, "
              + "PRIMARY KEY ((entity, type), granularity, bucket))",
          "CREATE TABLE IF NOT EXISTS "
              + ks
              + ".progress (partition int PRIMARY KEY, next_offset bigint, "
              + "last_append bigint, as_of bigint)",
          "CREATE TABLE IF NOT EXISTS " + ks + ".meta (name text PRIMARY KEY, value bigint)",
          "CREATE TABLE IF NOT EXISTS "
              + ks
              + ".topk_slots (partition int, type text, window_minutes int, "
              + "slot_start bigint, sketch blob, position bigint, "
              + "PRIMARY KEY ((partition), type, window_minutes, slot_start))",
          "CREATE TABLE IF NOT EXISTS " + ks + ".api_keys (id text PRIMARY KEY, record blob)",
          "CREATE TABLE IF NOT EXISTS "
              + ks
              + ".sources (name text PRIMARY KEY, id uuid, generation bigint)"
        }) {
      session.execute(SimpleStatement.newInstance(cql).setTimeout(ddl));
    }
    session.execute(
        SimpleStatement.newInstance(
                "INSERT INTO " + ks + ".meta (name, value) VALUES ('generation', 1) IF NOT EXISTS")
            .setTimeout(ddl));
    CounterMigration.run(session, s);
  }
}
