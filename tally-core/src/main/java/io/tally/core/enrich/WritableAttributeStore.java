package io.tally.core.enrich;

import java.util.Map;

/**
 * A local copy of entity attributes that can be changed: the embedded mode's only copy, or a
 * cluster node's replica of the attributes topic. A write is visible to {@link #attributes} callers
 * that start after it returns. Thread-safe.
 */
public interface WritableAttributeStore extends AttributeStore {
  /** Replaces every attribute of {@code entity} by {@code attributes} (already validated). */
  void put(String entity, Map<String, String> attributes);

  /** Removes every attribute of {@code entity}; nothing happens if it has none. */
  void delete(String entity);

  /** Removes every attribute of every entity (a replica about to be rebuilt). */
  void clear();
}
