package io.tally.raw;

import static java.util.Objects.requireNonNull;

import io.tally.core.raw.RawEvent;
import io.tally.core.raw.RawGap;
import io.tally.core.raw.RawReader;
import io.tally.core.store.Checkpoint;
import io.tally.model.Event;
import io.tally.model.TallyException;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.List;
import java.util.Map;
import java.util.StringJoiner;
import java.util.function.Consumer;

/**
 * Reads a {@link DuckDbRawStore} back for recount and audit: a snapshot is one manifest
 * (immutable), so its files and positions agree; each {@link Snapshot#forEach} streams the events
 * of the listed files in an event-time range through a new in-memory DuckDB (one thread, 256 MB),
 * skipping files whose last event was logged before the asked bound. The stored attributes are not
 * read: a recount derives with the attributes known now.
 *
 * <p>Thread-safe.
 */
public final class DuckDbRawReader implements RawReader {
  private final DuckDbRawStore store;

  public DuckDbRawReader(DuckDbRawStore store) {
    this.store = requireNonNull(store, "store");
  }

  @Override
  public Snapshot snapshot() {
    RawManifest m = store.manifest();
    return new Snapshot() {
      @Override
      public Checkpoint exported(int partition) {
        Checkpoint cp = m.positions().get(partition);
        return cp != null ? cp : Checkpoint.initial(partition);
      }

      @Override
      public void forEach(
          long fromMillis, long toMillis, long loggedFromMillis, Consumer<RawEvent> each) {
        read(m, fromMillis, toMillis, loggedFromMillis, each);
      }

      @Override
      public List<RawGap> gaps() {
        return m.gaps();
      }
    };
  }

  private void read(
      RawManifest m,
      long fromMillis,
      long toMillis,
      long loggedFromMillis,
      Consumer<RawEvent> each) {
    StringJoiner files = new StringJoiner(", ", "[", "]");
    int n = 0;
    for (RawFile f : m.files()) {
      if (f.maxAppendMillis() >= loggedFromMillis) {
        files.add(DuckDbRawStore.quote(store.dir().resolve(f.path()).toString()));
        n++;
      }
    }
    if (n == 0) {
      return;
    }
    String sql =
        "SELECT id, entity, type, epoch_ms(time), value, actor, partition, \"offset\","
            + " epoch_ms(logged) FROM read_parquet("
            + files
            + ") WHERE time >= make_timestamp(? * 1000) AND time < make_timestamp(? * 1000)";
    try (Connection c = DuckDbRawStore.newConnection()) {
      try (Statement s = c.createStatement()) {
        s.execute("SET threads = 1");
        s.execute("SET memory_limit = '256MB'");
        s.execute("SET autoinstall_known_extensions = false");
      }
      try (PreparedStatement ps = c.prepareStatement(sql)) {
        ps.setLong(1, fromMillis);
        ps.setLong(2, toMillis);
        try (ResultSet rs = ps.executeQuery()) {
          while (rs.next()) {
            Event e =
                new Event(
                    rs.getString(1),
                    rs.getString(2),
                    rs.getString(3),
                    rs.getLong(4),
                    rs.getLong(5),
                    rs.getString(6));
            each.accept(new RawEvent(rs.getInt(7), rs.getLong(8), rs.getLong(9), e, Map.of()));
          }
        }
      }
    } catch (SQLException e) {
      throw new TallyException("reading the raw store failed: " + e.getMessage(), e);
    }
  }
}
