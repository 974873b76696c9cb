package io.tally.core.auth;

import java.util.List;

/**
 * The seam where key records live: the data dir in embedded mode, a Cassandra table in cluster
 * mode. Records are never deleted: a revoked key stays, marked, so that auth stays on once a key
 * was ever made and the audit trail keeps its name. Implementations are thread-safe.
 */
public interface ApiKeyStore {
  /**
   * Writes (creates or replaces) a record, durably.
   *
   * @throws io.tally.model.TallyException if the store cannot be written
   */
  void put(ApiKey key);

  /**
   * Every record, revoked ones included.
   *
   * @throws io.tally.model.TallyException if the store cannot be read
   */
  List<ApiKey> all();
}
