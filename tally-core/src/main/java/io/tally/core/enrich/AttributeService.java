package io.tally.core.enrich;

import static java.util.Objects.requireNonNull;

import io.tally.core.validate.EventValidator;
import java.util.Map;
import java.util.concurrent.CompletableFuture;

/**
 * Reads and changes entity attributes for the HTTP API, the same in both modes: checks the entity
 * and the attributes ({@link AttributeRules}) first, then reads the local {@link AttributeStore} or
 * hands the change to the mode's {@link AttributePublisher}.
 *
 * <p>A {@code put} replaces every attribute of the entity. A change counts for the events processed
 * after it reached the processor's copy: at once in embedded mode; in cluster mode when each
 * processing node's replica has read it from the attributes topic.
 *
 * <p>Thread-safe and stateless.
 */
public final class AttributeService {
  private final AttributeStore store;
  private final AttributePublisher publisher;
  private final EventValidator validator;

  public AttributeService(
      AttributeStore store, AttributePublisher publisher, EventValidator validator) {
    this.store = requireNonNull(store, "store");
    this.publisher = requireNonNull(publisher, "publisher");
    this.validator = requireNonNull(validator, "validator");
  }

  /**
   * The attributes of {@code entity}, empty if it has none.
   *
   * @throws BadAttributesException if {@code entity} is not a valid entity
   */
  public Map<String, String> get(String entity) {
    checkEntity(entity);
    return store.attributes(entity);
  }

  /**
   * Replaces the attributes of {@code entity}; an empty map is the same as {@link #delete}.
   *
   * @return completes when the change is durable and visible to reads on this node
   * @throws BadAttributesException naming what breaks a rule
   */
  public CompletableFuture<Void> put(String entity, Map<String, String> attributes) {
    checkEntity(entity);
    String p = AttributeRules.problem(attributes);
    if (p != null) {
      throw new BadAttributesException(p);
    }
    return attributes.isEmpty()
        ? publisher.delete(entity)
        : publisher.put(entity, Map.copyOf(attributes));
  }

  /**
   * Removes every attribute of {@code entity} (nothing to remove is no error).
   *
   * @throws BadAttributesException if {@code entity} is not a valid entity
   */
  public CompletableFuture<Void> delete(String entity) {
    checkEntity(entity);
    return publisher.delete(entity);
  }

  private void checkEntity(String entity) {
    String p = validator.entityProblem(entity);
    if (p != null) {
      throw new BadAttributesException(p);
    }
  }
}
