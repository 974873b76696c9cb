package io.tally.testkit;

import io.tally.core.enrich.WritableAttributeStore;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;

/** Entity attributes in memory, counting reads. Thread-safe. */
public final class InMemoryAttributeStore implements WritableAttributeStore {
  private final Map<String, Map<String, String>> attributes = new ConcurrentHashMap<>();
  private final AtomicLong reads = new AtomicLong();

  @Override
  public Map<String, String> attributes(String entity) {
    reads.incrementAndGet();
    return attributes.getOrDefault(entity, Map.of());
  }

  @Override
  public void put(String entity, Map<String, String> values) {
    attributes.put(entity, Map.copyOf(values));
  }

  @Override
  public void delete(String entity) {
    attributes.remove(entity);
  }

  @Override
  public void clear() {
    attributes.clear();
  }

  /** How many times {@link #attributes} was called. */
  public long reads() {
    return reads.get();
  }
}
