package io.tally.core.raw;

import static java.util.Objects.requireNonNull;

import io.tally.model.Event;
import java.util.Map;

/**
 * One counted event as the raw store keeps it.
 *
 * @param partition the log partition it was read from
 * @param offset its offset in that partition
 * @param appendTimeMillis when the log accepted it (the raw store's files are laid out by it)
 * @param event the event as logged
 * @param attributes the attributes of its entity when it was exported (unmodifiable, never null)
 */
public record RawEvent(
    int partition,
    long offset,
    long appendTimeMillis,
    Event event,
    Map<String, String> attributes) {
  public RawEvent {
    requireNonNull(event, "event");
    attributes = Map.copyOf(attributes);
  }
}
