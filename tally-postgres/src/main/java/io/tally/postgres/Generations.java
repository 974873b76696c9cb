package io.tally.postgres;

import static java.util.Objects.requireNonNull;

import io.tally.model.TallyException;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.UUID;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The generation of the positions (DESIGN.md invariant 5): offsets restart when the deltas topic is
 * recreated, so each topic id the materializers meet gets its own, rising generation, recorded in
 * the {@code sources} row {@code 'deltas'}. The first id recorded has generation 1; a new id gets
 * the last generation + 1, decided in one transaction that locks the row, so materializers that
 * find the new topic together agree. Before any id is adopted, positions are of generation 1.
 *
 * <p>Thread-safe.
 */
final class Generations {
  private static final Logger LOG = LoggerFactory.getLogger(Generations.class);

  private final PostgresCounterStore store;
  private volatile long current = 1;

  Generations(PostgresCounterStore store) {
    this.store = store;
  }

  long current() {
    return current;
  }

  /**
   * Makes {@code source} the log whose offsets the positions count.
   *
   * @throws TallyException if PostgreSQL cannot record it
   */
  void adopt(UUID source) {
    requireNonNull(source, "source");
    try (Connection c = store.connection()) {
      c.setAutoCommit(false);
      try {
        current = adopt(c, source);
        c.commit();
      } catch (SQLException | RuntimeException e) {
        c.rollback();
        throw e;
      }
    } catch (SQLException e) {
      throw new TallyException(
          "cannot record the deltas topic's id " + source + ": " + e.getMessage(), e);
    }
  }

  private static long adopt(Connection c, UUID source) throws SQLException {
    try (PreparedStatement s =
        c.prepareStatement(
            "INSERT INTO sources (name, id, generation) VALUES ('deltas', ?, 1)"
                + " ON CONFLICT (name) DO NOTHING")) {
      s.setObject(1, source);
      if (s.executeUpdate() == 1) {
        return 1;
      }
    }
    UUID id;
    long generation;
    try (PreparedStatement s =
            c.prepareStatement(
                "SELECT id, generation FROM sources WHERE name = 'deltas' FOR UPDATE");
        ResultSet r = s.executeQuery()) {
      r.next();
      id = r.getObject(1, UUID.class);
      generation = r.getLong(2);
    }
    if (id.equals(source)) {
      return generation;
    }
    try (PreparedStatement s =
        c.prepareStatement("UPDATE sources SET id = ?, generation = ? WHERE name = 'deltas'")) {
      s.setObject(1, source);
      s.setLong(2, generation + 1);
      s.executeUpdate();
    }
    LOG.warn(
        "the deltas topic was recreated (id {} → {}): its positions start generation {}",
        id,
        source,
        generation + 1);
    return generation + 1;
  }
}
