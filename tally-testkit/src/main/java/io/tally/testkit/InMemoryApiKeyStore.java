package io.tally.testkit;

import io.tally.core.auth.ApiKey;
import io.tally.core.auth.ApiKeyStore;
import java.util.List;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Key records in a map: one store several test nodes share, as cluster nodes share Cassandra.
 * Thread-safe.
 */
public final class InMemoryApiKeyStore implements ApiKeyStore {
  private final ConcurrentHashMap<String, ApiKey> keys = new ConcurrentHashMap<>();

  @Override
  public void put(ApiKey key) {
    keys.put(key.id(), key);
  }

  @Override
  public List<ApiKey> all() {
    return List.copyOf(keys.values());
  }
}
