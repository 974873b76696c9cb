package io.tally.core.enrich;

import java.util.Map;

/**
 * The read-only view of entity attributes that processors and queries see.
 *
 * <p>Implementations are thread-safe; processor threads call {@link #attributes} once per event
 * while derivation is configured, so it must be cheap for entities read before (a cache).
 */
public interface AttributeStore {
  /** A store in which no entity has attributes. */
  AttributeStore EMPTY = entity -> Map.of();

  /**
   * The attributes of {@code entity}: an unmodifiable map from name to value, empty (never null)
   * when it has none.
   *
   * @throws io.tally.model.TallyException if the store cannot be read
   */
  Map<String, String> attributes(String entity);
}
