package io.tally.cassandra;

import static java.util.Objects.requireNonNull;

import com.datastax.oss.driver.api.core.DriverException;
import com.datastax.oss.driver.api.core.cql.PreparedStatement;
import com.datastax.oss.driver.api.core.cql.Row;
import io.tally.core.auth.ApiKey;
import io.tally.core.auth.ApiKeyCodec;
import io.tally.core.auth.ApiKeyStore;
import io.tally.model.TallyException;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.List;

/**
 * Cluster mode's API keys, shared by every node:
 *
 * <pre>
 * api_keys  PRIMARY KEY (id)   record blob: the record as {@link ApiKeyCodec} writes it
 * </pre>
 *
 * (created with the rest of the schema by {@link CounterSchema}).
 *
 * <p>Written and read at the materializer's write consistency (LOCAL_QUORUM by default), so a
 * refresh after an acknowledged revocation sees it; on the counter store's session. A refresh that
 * fails keeps the last snapshot (see the server's key refresher). Each node re-reads the table
 * every second or so (its key ring), so a revocation reaches every node within seconds.
 * Thread-safe.
 */
public final class CassandraApiKeyStore implements ApiKeyStore {
  private final CassandraSettings settings;
  private final com.datastax.oss.driver.api.core.CqlSession session;
  private final PreparedStatement write;
  private final PreparedStatement readAll;

  /**
   * Uses the {@code api_keys} table the store's schema created ({@link CounterSchema}).
   *
   * @throws TallyException if Cassandra cannot be reached
   */
  public CassandraApiKeyStore(CassandraCounterStore store) {
    requireNonNull(store, "store");
    this.settings = store.settings();
    this.session = store.session();
    String ks = settings.keyspace();
    try {
      write = session.prepare("INSERT INTO " + ks + ".api_keys (id, record) VALUES (?, ?)");
      readAll = session.prepare("SELECT record FROM " + ks + ".api_keys");
    } catch (DriverException e) {
      throw new TallyException("cannot prepare the api_keys statements: " + e.getMessage(), e);
    }
  }

  @Override
  public void put(ApiKey key) {
    try {
      session.execute(
          write
              .bind(key.id(), ByteBuffer.wrap(ApiKeyCodec.encode(key)))
              .setConsistencyLevel(settings.writeConsistency()));
    } catch (DriverException e) {
      throw new TallyException("writing API key " + key.id() + " failed: " + e.getMessage(), e);
    }
  }

  @Override
  public List<ApiKey> all() {
    List<ApiKey> keys = new ArrayList<>();
    try {
      for (Row row :
          session.execute(readAll.bind().setConsistencyLevel(settings.writeConsistency()))) {
        ByteBuffer b = row.getByteBuffer(0);
        byte[] bytes = new byte[b.remaining()];
        b.get(bytes);
        keys.add(ApiKeyCodec.decode(bytes));
      }
    } catch (DriverException e) {
      throw new TallyException("reading the API keys failed: " + e.getMessage(), e);
    }
    return keys;
  }
}
