package io.tally.cassandra;

import com.datastax.oss.driver.api.core.ConsistencyLevel;
import com.datastax.oss.driver.api.core.CqlSession;
import com.datastax.oss.driver.api.core.cql.PreparedStatement;
import com.datastax.oss.driver.api.core.cql.Row;
import com.datastax.oss.driver.api.core.cql.SimpleStatement;
import io.tally.model.TallyException;
import java.time.Duration;
import java.util.concurrent.Semaphore;
import java.util.concurrent.atomic.AtomicReference;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Brings a keyspace's counter rows to the current layout ({@link #LAYOUT}, recorded in {@code
 * meta}), once, before anything reads or writes them ({@link CounterSchema#create} runs it as a
 * node starts).
 *
 * <p>Layout 1 kept a Cassandra partition per (entity, type, granularity, range start) in table
 * {@code counters}; layout 2 keeps one per (entity, type) in {@code counter_rows}. The migration
 * copies every row with its writetime (the position of the last delta applied to it, DESIGN.md
 * invariant 5) and its remaining TTL, then records layout 2. Copies are idempotent, so nodes that
 * start together may all copy; and a node that finished first and materializes meanwhile writes at
 * later positions, so a late copy of a row loses to it by last-write-wins. A node materializes only
 * after its own copy finished, so it never reads a row the copy has not brought over yet. Every
 * node must run this version before any writes again (stop the cluster to upgrade): a node of the
 * old version would still write to {@code counters}.
 *
 * <p>Stateless; runs on the calling thread.
 */
final class CounterMigration {
  /** The layout of counter rows this version reads and writes. */
  static final long LAYOUT = 2;

  private static final Logger LOG = LoggerFactory.getLogger(CounterMigration.class);
  private static final int IN_FLIGHT = 64;
  private static final Duration TIMEOUT = Duration.ofSeconds(60);

  private CounterMigration() {}

  /**
   * Migrates {@code ks} if it is at an older layout.
   *
   * @throws TallyException if a row cannot be copied (the next start tries again)
   */
  static void run(CqlSession session, CassandraSettings settings) {
    String ks = settings.keyspace();
    ConsistencyLevel cl = settings.writeConsistency();
    Row layout =
        session
            .execute(
                SimpleStatement.newInstance(
                        "SELECT value FROM " + ks + ".meta WHERE name = 'layout'")
                    .setConsistencyLevel(cl))
            .one();
    if (layout != null && layout.getLong(0) >= LAYOUT) {
      return;
    }
    boolean old =
        session
                .execute(
                    SimpleStatement.newInstance(
                        "SELECT table_name FROM system_schema.tables"
                            + " WHERE keyspace_name = ? AND table_name = 'counters'",
                        ks))
                .one()
            != null;
    if (old) {
      long copied = copy(session, ks, cl);
      LOG.info(
          "copied {} counter rows of {} into the layout of one partition per entity", copied, ks);
    }
    session.execute(
        SimpleStatement.newInstance(
                "INSERT INTO " + ks + ".meta (name, value) VALUES ('layout', ?)", LAYOUT)
            .setConsistencyLevel(cl));
  }

  private static long copy(CqlSession session, String ks, ConsistencyLevel cl) {
    session.execute(
        SimpleStatement.newInstance("ALTER TABLE " + ks + ".counters ADD IF NOT EXISTS actors blob")
            .setTimeout(TIMEOUT));
    PreparedStatement write =
        session.prepare(
            "UPDATE "
                + ks
                + ".counter_rows USING TIMESTAMP ? AND TTL ? SET count = ?, sum = ?, actors = ?"
                + " WHERE entity = ? AND type = ? AND granularity = ? AND bucket = ?");
    Semaphore inFlight = new Semaphore(IN_FLIGHT);
    AtomicReference<Throwable> failed = new AtomicReference<>();
    long copied = 0;
    for (Row r :
        session.execute(
            SimpleStatement.newInstance(
                    "SELECT entity, type, granularity, bucket, count, sum, actors,"
                        + " WRITETIME(count), TTL(count) FROM "
                        + ks
                        + ".counters")
                .setConsistencyLevel(cl)
                .setPageSize(1000)
                .setTimeout(TIMEOUT))) {
      if (failed.get() != null) {
        break;
      }
      if (r.isNull(4)) {
        continue; // no value written (only other cells, or none)
      }
      acquire(inFlight, 1);
      session
          .executeAsync(
              write
                  .bind(
                      r.getLong(7),
                      r.isNull(8) ? 0 : r.getInt(8),
                      r.getLong(4),
                      r.isNull(5) ? 0L : r.getLong(5),
                      r.getByteBuffer(6),
                      r.getString(0),
                      r.getString(1),
                      r.getString(2),
                      r.getLong(3))
                  .setConsistencyLevel(cl))
          .whenComplete(
              (ok, err) -> {
                if (err != null) {
                  failed.compareAndSet(null, err);
                }
                inFlight.release();
              });
      copied++;
    }
    acquire(inFlight, IN_FLIGHT); // every copy answered
    Throwable err = failed.get();
    if (err != null) {
      throw new TallyException(
          "cannot copy the counter rows of "
              + ks
              + " into counter_rows (the next start tries again): "
              + err.getMessage(),
          err);
    }
    return copied;
  }

  private static void acquire(Semaphore inFlight, int permits) {
    try {
      inFlight.acquire(permits);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new TallyException("interrupted while migrating the counter rows", e);
    }
  }
}
