package io.tally.core.enrich;

import static java.util.Objects.requireNonNull;

import java.util.Map;
import java.util.concurrent.CompletableFuture;

/**
 * Makes an attribute change durable the way the mode does it: a write to the embedded RocksDB, or a
 * record of the cluster's compacted attributes topic. The returned future completes once the change
 * is durable and visible to reads on this node. Thread-safe.
 */
public interface AttributePublisher {
  /** Replaces every attribute of {@code entity} (already validated). */
  CompletableFuture<Void> put(String entity, Map<String, String> attributes);

  /** Removes every attribute of {@code entity}. */
  CompletableFuture<Void> delete(String entity);

  /** The embedded mode's publisher: writes straight to {@code store}, on the caller's thread. */
  static AttributePublisher writingTo(WritableAttributeStore store) {
    requireNonNull(store, "store");
    return new AttributePublisher() {
      @Override
      public CompletableFuture<Void> put(String entity, Map<String, String> attributes) {
        store.put(entity, attributes);
        return CompletableFuture.completedFuture(null);
      }

      @Override
      public CompletableFuture<Void> delete(String entity) {
        store.delete(entity);
        return CompletableFuture.completedFuture(null);
      }
    };
  }
}
