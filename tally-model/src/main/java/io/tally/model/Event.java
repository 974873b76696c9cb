package io.tally.model;

import static java.util.Objects.requireNonNull;

/**
 * One event: "entity {@code entity} had an event of type {@code type} at {@code timeMillis}".
 *
 * <p>This record only checks what every event must have; the documented limits (lengths,
 * characters, accepted time range, value range) are enforced at ingest by the core's validator.
 *
 * @param id client-made unique id used for deduplication, or {@code null} when the client gave none
 *     (such events are never deduplicated)
 * @param entity what the event is about, e.g. {@code video:42}
 * @param type what happened, e.g. {@code view}
 * @param timeMillis event time, epoch milliseconds UTC
 * @param value summed by the {@code sum} statistic; 1 unless the client says otherwise
 * @param actor who caused the event (a viewer, user or device id), or {@code null}; counted only
 *     through sketches for the {@code uniques} statistic, never stored in an aggregate as such
 */
public record Event(
    String id, String entity, String type, long timeMillis, long value, String actor) {
  public Event {
    requireNonNull(entity, "entity");
    requireNonNull(type, "type");
  }

  /** An event without an actor. */
  public Event(String id, String entity, String type, long timeMillis, long value) {
    this(id, entity, type, timeMillis, value, null);
  }

  /** An event without an id and with value 1. */
  public static Event of(String entity, String type, long timeMillis) {
    return new Event(null, entity, type, timeMillis, 1);
  }

  /** This event with {@code actor} as its actor. */
  public Event withActor(String actor) {
    return new Event(id, entity, type, timeMillis, value, actor);
  }
}
