package io.tally.postgres;

import static java.util.Objects.requireNonNull;

import io.tally.core.auth.ApiKey;
import io.tally.core.auth.ApiKeyCodec;
import io.tally.core.auth.ApiKeyStore;
import io.tally.model.TallyException;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.List;

/**
 * Cluster mode's API keys on PostgreSQL, shared by every node: table {@code api_keys} (id, record
 * bytea: the record as {@link ApiKeyCodec} writes it), created by {@link CounterSchema}. Written
 * and read on the primary, so a refresh after an acknowledged revocation sees it; each node
 * re-reads the table every second or so (its key ring). Thread-safe.
 */
public final class PostgresApiKeyStore implements ApiKeyStore {
  private final PostgresCounterStore store;

  public PostgresApiKeyStore(PostgresCounterStore store) {
    this.store = requireNonNull(store, "store");
  }

  @Override
  public void put(ApiKey key) {
    try (Connection c = store.connection();
        PreparedStatement s =
            c.prepareStatement(
                "INSERT INTO api_keys (id, record) VALUES (?, ?)"
                    + " ON CONFLICT (id) DO UPDATE SET record = excluded.record")) {
      s.setString(1, key.id());
      s.setBytes(2, ApiKeyCodec.encode(key));
      s.executeUpdate();
    } catch (SQLException e) {
      throw new TallyException("writing API key " + key.id() + " failed: " + e.getMessage(), e);
    }
  }

  @Override
  public List<ApiKey> all() {
    return store.query(
        "SELECT record FROM api_keys ORDER BY id",
        s -> {},
        r -> {
          List<ApiKey> keys = new ArrayList<>();
          while (r.next()) {
            keys.add(ApiKeyCodec.decode(r.getBytes(1)));
          }
          return keys;
        },
        List.of());
  }
}
